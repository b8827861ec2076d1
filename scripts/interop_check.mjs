// Read twigdata datasets with arrow-rs (parquet-wasm, its WebAssembly build)
// and apache-arrow, as JavaScript users do: every Parquet file of every
// table, the row counts of manifest.json, the image bytes, the training
// table's turns and the nulls. Prints each failure; the exit status is the
// number of failures (0: all good).
//
//   NODE_PATH=.deps/node/node_modules node scripts/interop_check.mjs DATASET_FOLDER...
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(path.resolve(process.env.NODE_PATH || ".deps/node/node_modules", "x"));
const { readParquet } = require("parquet-wasm/node");
const { tableFromIPC } = require("apache-arrow");

const tables = ["samples", "tasks", "training", "rejects"];
let failures = 0;
const fail = (where, msg) => {
  failures++;
  console.log(`FAIL ${where}: ${msg}`);
};

for (const folder of process.argv.slice(2)) {
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, "manifest.json"), "utf8"));
  const want = Object.fromEntries(tables.map((t) => [t, 0]));
  for (const s of manifest.shards) want[s.kind] += s.rows;
  for (const t of tables) {
    const dir = path.join(folder, t);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".parquet")).sort() : [];
    if (files.length === 0) fail(t, "no Parquet file");
    let rows = 0;
    for (const f of files) {
      const where = `${t}/${f}`;
      let table;
      try {
        table = tableFromIPC(readParquet(new Uint8Array(fs.readFileSync(path.join(dir, f)))).intoIPCStream());
      } catch (e) {
        fail(where, `arrow-rs cannot read it: ${e}`);
        continue;
      }
      rows += table.numRows;
      for (let i = 0; i < table.numRows; i++) {
        const r = table.get(i);
        if ((t === "samples" || t === "training") && !(r.image.bytes.length > 2 && r.image.bytes[0] === 0xff && r.image.bytes[1] === 0xd8)) {
          fail(where, `row ${i}: image.bytes is not a JPEG`);
        }
        if (t === "tasks" && (r.score === null) !== (r.task !== "reflect")) {
          fail(where, `row ${i}: score ${r.score} for a ${r.task} row`);
        }
        if (t === "training") {
          const kinds = r.turns.toArray().map((u) => u.kind);
          if (kinds.join(",") !== Array(kinds.length / 3).fill("think,generate,reflect").join(",")) {
            fail(where, `row ${i}: turns ${kinds}`);
          }
          for (const u of r.turns.toArray()) {
            if ((u.text === null) !== (u.kind === "generate") || (u.token_row_start === null) !== (u.kind !== "generate")) {
              fail(where, `row ${i}: a ${u.kind} turn with text ${u.text} and token rows ${u.token_row_start}`);
            }
          }
        }
      }
    }
    if (rows !== want[t]) fail(t, `${rows} rows, manifest.json says ${want[t]}`);
  }
  console.log(`${folder}: ${JSON.stringify(want)} read with parquet-wasm`);
}
console.log(`${failures} failures`);
process.exit(Math.min(failures, 100));
