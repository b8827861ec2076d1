package write

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/twigdata/twigdata/schema"
)

// tableInfo describes each table on the card: its record type and what a row is.
var tableInfo = map[schema.Table]struct {
	typ  reflect.Type
	what string
}{
	schema.Samples:  {reflect.TypeOf(schema.Sample{}), "one accepted prompt/image pair: canvas image, regions, objects, plans, critiques"},
	schema.Tasks:    {reflect.TypeOf(schema.Task{}), "one think / reflect / generate supervised row per region (up to 3·K per sample), joined to samples by sample_id"},
	schema.Training: {reflect.TypeOf(schema.Example{}), "one row per sample for a data loader: the canvas image and its K × (think, generate, reflect) turns in TwiG order"},
	schema.Rejects:  {reflect.TypeOf(schema.Reject{}), "every input that was not accepted, with stage, reason and detail"},
}

// rowsOf is the number of rows a table holds.
func rowsOf(m schema.Manifest, t schema.Table) int64 {
	var n int64
	for _, f := range m.Shards {
		if f.Kind == t {
			n += int64(f.Rows)
		}
	}
	return n
}

// card is the README.md written into the output folder: a Hugging Face
// dataset card whose configs and features match the files, and examples
// that run as written from the dataset's folder.
func card(m schema.Manifest) string {
	var b strings.Builder
	frontMatter(&b, m)
	cardBody(&b, m)
	return b.String()
}

// frontMatter writes the card's YAML header: licence, task, tags, and a
// config with its features and row count for each table with rows.
func frontMatter(b *strings.Builder, m schema.Manifest) {
	b.WriteString("---\n")
	lic := licence(m)
	fmt.Fprintf(b, "license: %s\n", yamlString(lic.ID))
	if lic.ID == "other" {
		fmt.Fprintf(b, "license_name: %s\nlicense_link: %s\n", yamlString(lic.Name), yamlString(lic.Link))
	}
	b.WriteString("task_categories:\n- text-to-image\ntags:\n- twig\n- interleaved-reasoning\n- twigdata\n")
	// A config for each table with rows: `datasets` cannot load a split of
	// 0 rows ("corresponds to no data"), so an empty table gets no config —
	// its 0-row file serves DuckDB, pyarrow and polars, whose globs need one.
	var configs []schema.Table
	for _, t := range schema.Tables() {
		if rowsOf(m, t) > 0 {
			configs = append(configs, t)
		}
	}
	if len(configs) > 0 {
		b.WriteString("configs:\n")
		for _, t := range configs {
			fmt.Fprintf(b, "- config_name: %s\n  data_files:\n  - split: train\n    path: %s*.parquet\n", t, t.Dir())
			if t == configs[0] {
				b.WriteString("  default: true\n")
			}
		}
		b.WriteString("dataset_info:\n")
		for _, t := range configs {
			fmt.Fprintf(b, "- config_name: %s\n  features:\n%s  splits:\n  - name: train\n    num_examples: %d\n", t,
				schema.YAML(schema.FeaturesOf(tableInfo[t].typ), "  "), rowsOf(m, t))
		}
	}
	b.WriteString("---\n\n")
}

// cardBody writes what the dataset is, its tables and how to read them.
func cardBody(b *strings.Builder, m schema.Manifest) {
	k, theta := m.Canvas.K, m.Canvas.Theta
	fmt.Fprintf(b, `# TwiG interleaved reasoning data

Built by twigdata %s for Thinking-while-Generating (TwiG) training: each image is
scheduled into %d regions; every region has a thought (plan), a critique with five
sub-scores and an overall score r in 0..100, and a revised thought (reflection
threshold θ = %d).

| table | rows | what |
|---|---|---|
`, m.ToolVersion, k, theta)
	for _, t := range schema.Tables() {
		note := ""
		if rowsOf(m, t) == 0 {
			note = " (empty: no config, as `datasets` loads no 0-row split; its 0-row file reads in DuckDB, pyarrow and polars)"
		}
		fmt.Fprintf(b, "| %s | %d | %s%s |\n", t, rowsOf(m, t), tableInfo[t].what, note)
	}
	fmt.Fprintf(b, `
Annotators: %s, %s. manifest.json lists every file with its row count and sha256.
Licence: %s.

The training table is what a supervised fine-tuning loader takes: per sample the
image and the turns think (text: the thought), generate (token_row_start and
token_row_end: the token rows of the image it draws; text null) and reflect (text:
"score: r" and the revision; score: r) for each region in order. The tasks table
holds the same turns one per row, with the conditioning text spelt out.

Read it with Hugging Face datasets, from this folder (or with the Hub repository
id in place of os.getcwd()):

`+"```python"+`
import os
from datasets import load_dataset

training = load_dataset(os.getcwd(), "training", split="train")
example = training[0]
print(example["image"].size, [turn["kind"] for turn in example["turns"]])

samples = load_dataset("parquet", data_files={"train": "samples/*.parquet"}, split="train")
print(samples[0]["prompt"], samples[0]["regions"][0]["plan"])
`+"```"+`

or with DuckDB, from this folder:

`+"```sql"+`
SELECT id, prompt, r.index, r.plan, r.critic.score
FROM read_parquet('samples/*.parquet'), unnest(regions) AS t(r) LIMIT 10;
`+"```"+`
`, m.Annotators.Segmenter.ID, m.Annotators.Captioner.ID, licenceText(licence(m)))
}

// licence is the manifest's licence, "unknown" when none was declared.
func licence(m schema.Manifest) schema.ManifestLicense {
	lic := m.License
	if lic.ID == "" {
		lic.ID = "unknown"
	}
	return lic
}

// licenceText names the licence in the card's prose.
func licenceText(l schema.ManifestLicense) string {
	switch l.ID {
	case "unknown":
		return "unknown — the builder did not declare one (twigdata build --license)"
	case "other":
		return fmt.Sprintf("%s (%s)", l.Name, l.Link)
	}
	return l.ID
}

// yamlString quotes a value for the card's YAML header.
func yamlString(s string) string {
	b, _ := json.Marshal(s) // a JSON string is a YAML flow scalar
	return string(b)
}
