"""Read twigdata datasets as their users do: pyarrow, Hugging Face `datasets`
(through the card's configs and through plain Parquet files), polars, and
the dataset card's own Python examples. Every failure is printed; the exit
status is the number of failures (0: all good).

    .deps/py/bin/python scripts/interop_check.py DATASET_FOLDER...

The Go test TestShardsReadInPythonAndArrowRs (cmd/twigdata) runs it on fresh
builds; `make test` makes .deps/py first (scripts/fetch-pyenv.sh).
"""

import glob
import importlib.util
import json
import os
import re
import sys
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="twigdata-hf-"))

import datasets  # noqa: E402
import PIL.Image  # noqa: E402
import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()

TABLES = ["samples", "tasks", "training", "rejects"]
IMAGE_TABLES = {"samples", "training"}
DICT_COLUMNS = {"task", "stage", "reason", "orig_format", "segmenter", "captioner", "tool_version", "class", "kind", "source"}
failures = []


def fail(where, msg):
    failures.append(f"{where}: {msg}")
    print(f"FAIL {where}: {msg}", flush=True)


def rows_by_table(manifest):
    rows = {t: 0 for t in TABLES}
    for s in manifest["shards"]:
        rows[s["kind"]] += s["rows"]
    return rows


def check_pyarrow(folder, manifest):
    """Schema, nullability, metadata and physical layout, as pyarrow reads them."""
    image_field = datasets.Features({"image": datasets.Image()}).arrow_schema.field("image")
    for t in TABLES:
        files = sorted(glob.glob(f"{folder}/{t}/*.parquet"))
        if not files:
            fail(t, "no Parquet file: a declared config must have one, even with 0 rows")
        for f in files:
            where = os.path.relpath(f, folder)
            schema = pq.read_schema(f)
            meta = (schema.metadata or {}).get(b"huggingface")
            if meta is None:
                fail(where, "no huggingface key in the schema metadata")
                continue
            features = datasets.Features.from_dict(json.loads(meta)["info"]["features"])
            if list(features) != schema.names:
                fail(where, f"metadata features {list(features)} are not the columns {schema.names}")
            got = datasets.Features.from_arrow_schema(schema)
            if got != features:
                fail(where, f"datasets reads other features than the metadata declares: {got} != {features}")
            if t in IMAGE_TABLES:
                if schema.field("image") != image_field:
                    fail(where, f"image field {schema.field('image')} is not datasets' {image_field}")
            if t == "tasks":
                score = schema.field("score")
                if not (score.nullable and score.type == pa.int32()):
                    fail(where, f"score is {score}, want a nullable int32")
            pf = pq.ParquetFile(f)
            md = pf.metadata
            for g in range(md.num_row_groups):
                rg = md.row_group(g)
                if t in IMAGE_TABLES and rg.num_rows > 100:
                    fail(where, f"row group {g} holds {rg.num_rows} rows, want at most 100")
                for c in range(rg.num_columns):
                    col = rg.column(c)
                    path = col.path_in_schema
                    leaf = path.rsplit(".", 1)[-1]
                    dictionary = "RLE_DICTIONARY" in col.encodings or "PLAIN_DICTIONARY" in col.encodings
                    if dictionary != (leaf in DICT_COLUMNS):
                        fail(where, f"{path}: encodings {col.encodings}")
                    if path == "image.bytes":
                        if col.statistics is not None and col.statistics.has_min_max:
                            fail(where, "image.bytes has min/max statistics")
                        if col.compression != "UNCOMPRESSED":
                            fail(where, f"image.bytes is {col.compression}")
        table = pq.read_table(f"{folder}/{t}") if files else None
        if t == "tasks" and table is not None and table.num_rows:
            reflect = pc.equal(table["task"], "reflect")
            if not pc.all(pc.equal(pc.is_valid(table["score"]), reflect)).as_py():
                fail(t, "score is not null exactly where the row is no reflect row")
            generate = pc.equal(table["task"], "generate")
            if not pc.all(pc.equal(pc.is_null(table["target"]), generate)).as_py():
                fail(t, "target is not null exactly for generate rows")


def check_rows(where, ds, table, n, canvas):
    if len(ds) != n:
        fail(where, f"{len(ds)} rows, manifest.json says {n}")
    if not len(ds):
        return
    row = ds[0]
    if table in IMAGE_TABLES:
        img = row["image"]
        if not isinstance(img, PIL.Image.Image):
            fail(where, f"image is a {type(img).__name__}, not a PIL image")
        elif img.size != canvas:
            fail(where, f"image is {img.size}, the canvas {canvas}")
    if table == "samples":
        regions = row["regions"]
        if not (isinstance(regions, list) and regions and isinstance(regions[0], dict) and isinstance(regions[0]["objects"], list)):
            fail(where, f"regions is not a list of dicts: {type(regions).__name__}")
        elif not isinstance(regions[0]["critic"], dict):
            fail(where, "regions[0].critic is not a dict")
    if table == "training":
        turns = row["turns"]
        if not (isinstance(turns, list) and turns and isinstance(turns[0], dict)):
            fail(where, "turns is not a list of dicts")
            return
        kinds = [u["kind"] for u in turns]
        k = len(kinds) // 3
        if kinds != ["think", "generate", "reflect"] * k:
            fail(where, f"turns are not think, generate, reflect per region: {kinds}")
        for u in turns:
            span = u["token_row_start"] is not None and u["token_row_end"] is not None
            if span != (u["kind"] == "generate") or (u["text"] is None) != (u["kind"] == "generate") or (u["score"] is None) != (u["kind"] != "reflect") or (u["revision"] is None) != (u["kind"] != "reflect") or not isinstance(u["target"], bool):
                fail(where, f"turn {u} has text, score or token rows where its kind has none, or lacks them")
                break
    if table == "tasks":
        for r in ds.select(range(min(len(ds), 9))):
            if (r["score"] is None) != (r["task"] != "reflect"):
                fail(where, f"task row {r['id']}: score {r['score']}")


def check_datasets(folder, manifest):
    """load_dataset through the card's configs and through plain Parquet files."""
    rows = rows_by_table(manifest)
    canvas = (manifest["canvas"]["width"], manifest["canvas"]["height"])
    card = open(os.path.join(folder, "README.md"), encoding="utf-8").read()
    for t in TABLES:
        declared = f"- config_name: {t}\n" in card
        if not rows[t]:
            # datasets loads no 0-row split: the card must not declare one.
            if declared:
                fail(f"README.md config {t}", f"declared for a table with no rows: load_dataset(folder, {t!r}) would raise")
            continue
        if not declared:
            fail(f"README.md config {t}", "missing")
        try:
            ds = datasets.load_dataset(folder, t, split="train")
            check_rows(f"load_dataset(folder, {t!r})", ds, t, rows[t], canvas)
        except Exception as e:  # noqa: BLE001 — any failure to load is the finding
            fail(f"load_dataset(folder, {t!r})", repr(e))
        try:
            ds = datasets.load_dataset("parquet", data_files={"train": f"{folder}/{t}/*.parquet"}, split="train")
            check_rows(f"load_dataset('parquet', {t}/*.parquet)", ds, t, rows[t], canvas)
        except Exception as e:  # noqa: BLE001
            fail(f"load_dataset('parquet', {t}/*.parquet)", repr(e))
    try:
        ds = datasets.Dataset.from_parquet(sorted(glob.glob(f"{folder}/training/*.parquet")))
        check_rows("Dataset.from_parquet(training)", ds, "training", rows["training"], canvas)
    except Exception as e:  # noqa: BLE001
        fail("Dataset.from_parquet(training)", repr(e))


def check_polars(folder, manifest):
    rows = rows_by_table(manifest)
    k = manifest["canvas"]["k"]
    regions = pl.scan_parquet(f"{folder}/samples/*.parquet").select("id", "regions").explode("regions").collect()
    want = rows["samples"] * k
    if rows["samples"] and (regions.height != want or regions["regions"].struct.field("plan").null_count()):
        fail("polars samples", f"exploding regions gives {regions.height} rows, want {want} with a plan each")
    turns = pl.scan_parquet(f"{folder}/training/*.parquet").select("id", "turns").explode("turns").unnest("turns").collect()
    if rows["training"] and turns.height != 3 * want:
        fail("polars training", f"{turns.height} turns, want {3 * want}")
    rejects = pl.read_parquet(f"{folder}/rejects/*.parquet")
    if rejects.height != rows["rejects"]:
        fail("polars rejects", f"{rejects.height} rows, manifest.json says {rows['rejects']}")


def check_card(folder):
    """The card's Python examples, run as written from the dataset's folder."""
    card = open(os.path.join(folder, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", card, re.S)
    if not blocks:
        fail("README.md", "no Python example")
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        for i, code in enumerate(blocks):
            if "import torch" in code and importlib.util.find_spec("torch") is None:
                # torch is 3 GB with its CUDA libraries: `make test-torch` runs this block.
                print(f"README.md python block {i + 1}: the DataLoader example, skipped here (no torch; make test-torch runs it)", flush=True)
                continue
            try:
                exec(compile(code, f"README.md python block {i + 1}", "exec"), {})
            except Exception as e:  # noqa: BLE001
                fail(f"README.md python block {i + 1}", repr(e))
    finally:
        os.chdir(cwd)


def main(folders):
    print(f"datasets {datasets.__version__}, pyarrow {pa.__version__}, polars {pl.__version__}", flush=True)
    for folder in folders:
        folder = os.path.abspath(folder)
        manifest = json.load(open(os.path.join(folder, "manifest.json"), encoding="utf-8"))
        print(f"{folder}: {rows_by_table(manifest)}", flush=True)
        check_pyarrow(folder, manifest)
        check_datasets(folder, manifest)
        check_polars(folder, manifest)
        check_card(folder)
    print(f"{len(failures)} failures", flush=True)
    return min(len(failures), 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
