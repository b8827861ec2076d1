package write

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/schema"
)

// tableInfo describes each table on the card: its record type and what a row is.
var tableInfo = map[schema.Table]struct {
	typ  reflect.Type
	what string
}{
	schema.Samples:  {reflect.TypeOf(schema.Sample{}), "one accepted prompt/image pair: canvas image, regions, objects, plans, critiques"},
	schema.Tasks:    {reflect.TypeOf(schema.Task{}), "one think / reflect / generate row per target turn (up to 3·K per sample), joined to samples by sample_id"},
	schema.Training: {reflect.TypeOf(schema.Example{}), "one row per sample for a data loader: the canvas image and its K × (think, generate, reflect) turns in TwiG order, each marked target or context"},
	schema.Rejects:  {reflect.TypeOf(schema.Reject{}), "every input that was not accepted, with stage, reason and detail"},
}

// sizeOf is the rows a table holds and the bytes of its files.
func sizeOf(m schema.Manifest, t schema.Table) (rows, bytes int64) {
	for _, f := range m.Shards {
		if f.Kind == t {
			rows, bytes = rows+int64(f.Rows), bytes+int64(f.Bytes)
		}
	}
	return rows, bytes
}

// rowsOf is the number of rows a table holds.
func rowsOf(m schema.Manifest, t schema.Table) int64 {
	rows, _ := sizeOf(m, t)
	return rows
}

// card is the README.md written into the output folder: a Hugging Face
// dataset card — the Hub's template's sections that a build can fill, and
// the metadata the Hub reads — whose configs and features match the files,
// and examples that run as written from the dataset's folder.
func card(m schema.Manifest) string {
	var b strings.Builder
	frontMatter(&b, m)
	cardBody(&b, m)
	return b.String()
}

// sizeCategory is the Hub's size_categories value for n examples.
func sizeCategory(n int64) string {
	bounds := []struct {
		below int64
		name  string
	}{{1_000, "n<1K"}, {10_000, "1K<n<10K"}, {100_000, "10K<n<100K"}, {1_000_000, "100K<n<1M"}, {10_000_000, "1M<n<10M"},
		{100_000_000, "10M<n<100M"}, {1_000_000_000, "100M<n<1B"}}
	for _, c := range bounds {
		if n < c.below {
			return c.name
		}
	}
	return "n>1T"
}

// frontMatter writes the card's YAML header: what the Hub reads (name,
// licence, language, task, size, how it was annotated) and a config with
// its features and sizes for each table with rows.
func frontMatter(b *strings.Builder, m schema.Manifest) {
	b.WriteString("---\n")
	b.WriteString("pretty_name: \"TwiG interleaved reasoning data\"\n")
	lic := licence(m)
	fmt.Fprintf(b, "license: %s\n", yamlString(lic.ID))
	if lic.ID == "other" {
		fmt.Fprintf(b, "license_name: %s\nlicense_link: %s\n", yamlString(lic.Name), yamlString(lic.Link))
	}
	b.WriteString("language:\n- en\nmultilinguality:\n- monolingual\ntask_categories:\n- text-to-image\n")
	fmt.Fprintf(b, "size_categories:\n- %s\n", sizeCategory(m.Counts.Accepted))
	b.WriteString("annotations_creators:\n- machine-generated\nsource_datasets:\n- original\n")
	b.WriteString("tags:\n- twig\n- interleaved-reasoning\n- twigdata\n- arxiv:2511.16671\n")
	// A config for each table with rows: `datasets` cannot load a split of
	// 0 rows ("corresponds to no data"), so an empty table gets no config —
	// its 0-row file serves DuckDB, pyarrow and polars, whose globs need one.
	var configs []schema.Table
	for _, t := range schema.Tables() {
		if rowsOf(m, t) > 0 {
			configs = append(configs, t)
		}
	}
	if len(configs) == 0 {
		b.WriteString("---\n\n")
		return
	}
	b.WriteString("configs:\n")
	for _, t := range configs {
		fmt.Fprintf(b, "- config_name: %s\n  data_files:\n  - split: train\n    path: %s*.parquet\n", t, t.Dir())
		if t == configs[0] {
			b.WriteString("  default: true\n")
		}
	}
	// The sizes are the files' bytes: the images, most of a row, are
	// stored uncompressed, so they are near what the rows take in memory.
	b.WriteString("dataset_info:\n")
	for _, t := range configs {
		rows, n := sizeOf(m, t)
		fmt.Fprintf(b, "- config_name: %s\n  features:\n%s  splits:\n  - name: train\n    num_bytes: %d\n    num_examples: %d\n  download_size: %d\n  dataset_size: %d\n", t,
			schema.YAML(schema.FeaturesOf(tableInfo[t].typ), "  "), n, rows, n, n)
	}
	b.WriteString("---\n\n")
}

// demonstration reports whether the bundled demonstration models made the
// dataset.
func demonstration(m schema.Manifest) bool {
	for _, md := range m.Annotators.Models {
		if md.Demonstration {
			return true
		}
	}
	return false
}

// cardBody writes the card's sections, in the order of the Hub's dataset
// card template (huggingface_hub's datasetcard_template.md).
func cardBody(b *strings.Builder, m schema.Manifest) {
	b.WriteString("# Dataset Card for TwiG interleaved reasoning data\n\n")
	for _, w := range m.Warnings {
		fmt.Fprintf(b, "> [!WARNING]\n> This dataset was %s.\n\n", w)
	}
	k, theta := m.Canvas.K, m.Canvas.Theta
	fmt.Fprintf(b, `Interleaved reasoning data for Thinking-while-Generating (TwiG,
[arXiv:2511.16671](https://arxiv.org/abs/2511.16671)): each image is scheduled into %d
horizontal regions; every region has a thought written before drawing it (the plan), a
critique of that plan against what the region shows — five sub-scores and an overall score
r in 0..100 — and a revised thought where r falls below θ = %d. %d prompt/image pairs were
accepted out of %d inputs.

## Dataset Details

### Dataset Description

- **Curated by:** the builder of this dataset. Built by twigdata %s (schema %d)
- **Language(s):** English (`+"`en`"+`): prompts as given, thoughts and critiques written by twigdata
- **License:** %s

### Dataset Sources

- **Paper:** Thinking-while-Generating: Interleaving Textual Reasoning throughout Visual Generation, https://arxiv.org/abs/2511.16671
- **Tool:** twigdata %s; `+"`manifest.json`"+` beside this card lists every file with its row count and sha256, and the settings of the build

## Uses

### Direct Use

Supervised fine-tuning of a unified understanding-and-generation model on the TwiG loop
(the `+"`training`"+` config: one row per image with its turns), training or evaluating the
think, reflect and generate steps separately (the `+"`tasks`"+` config), and studying region-level
grounding of prompts (the `+"`samples`"+` config: objects, masks and every critic sub-score).

### Out-of-Scope Use

The critiques are measured by models, not people: they are not ground truth about the images,
and the thoughts describe what the annotating models saw. A dataset made with the bundled
demonstration models is for trying the tool, not for training.

## Dataset Structure

| config | rows | bytes | what a row is |
|---|---|---|---|
`, k, theta, m.Counts.Accepted, m.Counts.Inputs, m.ToolVersion, m.SchemaVersion, licenceText(licence(m)), m.ToolVersion)
	for _, t := range schema.Tables() {
		note := ""
		rows, n := sizeOf(m, t)
		if rows == 0 {
			note = " (empty: no config, as `datasets` loads no 0-row split; its 0-row file reads in DuckDB, pyarrow and polars)"
		}
		fmt.Fprintf(b, "| %s | %d | %d | %s%s |\n", t, rows, n, tableInfo[t].what, note)
	}
	fmt.Fprintf(b, `
Each config has one split, `+"`train`"+`. The training table's turns are think (text: the
thought), generate (the token rows [token_row_start, token_row_end) of the image it draws) and
reflect (score: r; revision: the revised thought; text: both as "score: r\nrevision: …") for
each region in order. `+"`target`"+` says whether a trainer should put loss on a turn: under the
task policy of this build (%s), %s. A value that does not apply is null.

`, m.Tasks.Policy, policyText(m.Tasks.Policy, theta))
	for _, t := range schema.Tables() {
		fmt.Fprintf(b, "### %s\n\n| field | type | what |\n|---|---|---|\n", t)
		for _, f := range schema.FieldDocs(tableInfo[t].typ) {
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", f.Path, f.Type, strings.ReplaceAll(f.Doc, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	b.WriteString("## How to read it\n\n")
	b.WriteString(Readers(m))
	creation(b, m)
	fmt.Fprintf(b, `## Bias, Risks, and Limitations

- The plans and critiques describe what the annotating models found: a thing the segmenter
  has no class for is named by its colour and shape or left out, and a model's mistake (a class
  confused, an instance missed) becomes the plan's. The critic's scores judge the plan against
  that same evidence; they measure agreement with the models, not with people.
- Plans are English and written from a fixed vocabulary of colour names, counts and tone words;
  they say nothing of style, lighting or mood unless a captioner does.
- Regions are horizontal bands: relations across a band's edge are judged on the whole canvas,
  but a plan describes its band only.
- The prompts are the builder's; their biases are the dataset's. Images of people are kept as
  given: nothing is blurred or removed.

### Recommendations

Look at a sample of the rows before training (the `+"`samples`"+` config has every sub-score),
use `+"`target`"+` rather than every turn, and report the models the data was made with.

## Citation

**BibTeX:**

`+"```bibtex"+`
@article{guo2025thinking,
  title   = {Thinking-while-Generating: Interleaving Textual Reasoning throughout Visual Generation},
  author  = {Guo, Ziyu and Zhang, Renrui and Li, Hongyu and Zhang, Manyuan and Chen, Xinyan and Wang, Sifan and Feng, Yan and Pei, Peng and Heng, Pheng-Ann},
  journal = {arXiv preprint arXiv:2511.16671},
  year    = {2025}
}

@software{twigdata,
  title   = {twigdata: interleaved reasoning datasets for text-to-image models},
  version = {%s},
  year    = {2026}
}
`+"```"+`

## Dataset Card Contact

The builder of this dataset.
`, m.ToolVersion)
}

// policyText says which turns are targets under a task policy.
func policyText(policy string, theta int) string {
	if policy == PolicyAll {
		return "every turn is a target, the TwiG-50K layout"
	}
	return fmt.Sprintf("the think and generate turns of a region scoring below θ = %d are context, not targets (a thought the image does not satisfy would teach the generator to draw regions that do not match their plan), and every reflect turn is a target; the tasks table holds the targets only", theta)
}

// creation writes the template's Dataset Creation section: where the data
// came from, how it was annotated and by which models, what was filtered.
func creation(b *strings.Builder, m schema.Manifest) {
	b.WriteString(`## Dataset Creation

### Curation Rationale

TwiG trains a generator to think before each region it draws and to reflect on it after. This
data gives each region of real images the thought, the critique and the revision that loop
needs, measured from the image rather than imagined.

### Source Data

#### Data Collection and Processing

Prompt/image pairs were read from the builder's input. Each image was decoded (an embedded ICC
profile applied, so colours are sRGB), resized and centre-cropped to the canvas`)
	fmt.Fprintf(b, " (%d×%d pixels, %d-pixel patches), and checked for blur and JPEG blocking. Every input is in the `samples` or the `rejects` table exactly once.\n\n",
		m.Canvas.Width, m.Canvas.Height, m.Canvas.Patch)
	if len(m.Counts.RejectedByReason) > 0 {
		b.WriteString("| reject reason | inputs |\n|---|---|\n")
		reasons := make([]string, 0, len(m.Counts.RejectedByReason))
		for r := range m.Counts.RejectedByReason {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			fmt.Fprintf(b, "| `%s` | %d |\n", r, m.Counts.RejectedByReason[r])
		}
		b.WriteString("\n")
	}
	b.WriteString(`#### Who are the source data producers?

The builder of this dataset supplied the prompts and images; their origin and licences are the
builder's to state.

### Annotations

#### Annotation process

A segmenter labels every pixel; a captioner describes the canvas and each region (a Florence-2
captioner also grounds the prompt's phrases). twigdata parses the prompt into entities and
relations, measures each region (what is there, its colours, its place, how its colours meet
the region above), writes the plan from that evidence, scores the plan on five criteria —
colour (0.25), completeness (0.25), detail (0.10), spatial relations (0.20), coherence (0.20) —
and, below θ, writes the revision that names each fix. The models:

| role | model | family | variant | licence | id |
|---|---|---|---|---|---|
`)
	models := m.Annotators.Models
	if len(models) == 0 {
		models = []schema.ManifestModel{{Role: "segmenter", ID: m.Annotators.Segmenter.ID}, {Role: "captioner", ID: m.Annotators.Captioner.ID}}
	}
	for _, md := range models {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | `%s` |\n", md.Role, orDash(md.Name), orDash(md.Family), orDash(md.Variant), orDash(md.License), md.ID)
	}
	b.WriteString(`
#### Who are the annotators?

Machines only: the models above and twigdata's own code. No person reviewed the rows.

#### Personal and Sensitive Information

twigdata does not detect or remove faces, names or other personal information in the prompts
or images; what the input held, the dataset holds. Paths of the build machine are kept out of
the rows (` + "`source_uri`" + ` is relative to the input, or null).

`)
}

// orDash is s, or "–" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
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
