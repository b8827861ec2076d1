package write

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/twigdata/twigdata/schema"
)

// featureYAML renders a record type as Hugging Face `datasets` features, read
// off the same struct tags that define the Parquet schema, so the card cannot
// drift from the files. The image struct becomes dtype: image.
func featureYAML(t reflect.Type, indent string) string {
	var b strings.Builder
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("parquet"), ",")[0]
		b.WriteString(indent + "- name: " + name + "\n")
		b.WriteString(featureType(f.Type, indent+"  "))
	}
	return b.String()
}

var imageType = reflect.TypeOf(schema.Image{})

func featureType(t reflect.Type, indent string) string {
	switch {
	case t == imageType:
		return indent + "dtype: image\n"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return indent + "dtype: binary\n"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return indent + "list:\n" + featureYAML(t.Elem(), indent+"  ")
	case t.Kind() == reflect.Slice:
		return indent + "list: " + scalar(t.Elem()) + "\n"
	case t.Kind() == reflect.Struct:
		return indent + "struct:\n" + featureYAML(t, indent+"  ")
	}
	return indent + "dtype: " + scalar(t) + "\n"
}

func scalar(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int32:
		return "int32"
	case reflect.Int64, reflect.Int:
		return "int64"
	case reflect.Float32:
		return "float32"
	case reflect.Float64:
		return "float64"
	case reflect.Bool:
		return "bool"
	}
	panic(fmt.Sprintf("card: no feature type for %s", t))
}

// card is the README.md written into the output folder.
func card(m schema.Manifest) string {
	var b strings.Builder
	b.WriteString("---\nlicense: other\ntask_categories:\n- text-to-image\ntags:\n- twig\n- interleaved-reasoning\n- twigdata\n")
	b.WriteString("configs:\n")
	for _, c := range schema.Tables() {
		fmt.Fprintf(&b, "- config_name: %s\n  data_files:\n  - split: train\n    path: %s*.parquet\n", c, c.Dir())
		if c == schema.Samples {
			b.WriteString("  default: true\n")
		}
	}
	b.WriteString("dataset_info:\n")
	tasks := taskRows(m.Tasks.Rows)
	for _, c := range []struct {
		name schema.Table
		typ  reflect.Type
		rows int64
	}{
		{schema.Samples, reflect.TypeOf(schema.Sample{}), m.Counts.Accepted},
		{schema.Tasks, reflect.TypeOf(schema.Task{}), tasks},
		{schema.Rejects, reflect.TypeOf(schema.Reject{}), m.Counts.Rejected},
	} {
		fmt.Fprintf(&b, "- config_name: %s\n  features:\n%s  splits:\n  - name: train\n    num_examples: %d\n", c.name, featureYAML(c.typ, "  "), c.rows)
	}
	b.WriteString("---\n\n")
	k, theta := m.Canvas.K, m.Canvas.Theta
	fmt.Fprintf(&b, `# TwiG interleaved reasoning data

Built by twigdata %s for Thinking-while-Generating (TwiG) training: each image is
scheduled into %d regions; every region has a thought (plan), a critique with five
sub-scores and an overall score r in 0..100, and a revised thought (reflection
threshold θ = %d).

| table | rows | what |
|---|---|---|
| samples | %d | one accepted prompt/image pair: canvas image, regions, objects, plans, critiques |
| tasks | %d | think / reflect / generate supervised rows (up to %d per sample) |
| rejects | %d | every input that was not accepted, with stage, reason and detail |

Annotators: %s, %s. manifest.json lists every shard with its row count and sha256.

Read it with DuckDB:

    SELECT id, prompt, r.index, r.plan, r.critic.score
    FROM read_parquet('samples/*.parquet'), unnest(regions) AS t(r) LIMIT 10;

or with Hugging Face datasets: load_dataset("parquet", data_dir=".") or load_dataset(path) with the configs above.
`, m.ToolVersion, k, theta, m.Counts.Accepted, tasks, 3*k, m.Counts.Rejected, m.Annotators.Segmenter.ID, m.Annotators.Captioner.ID)
	return b.String()
}

func taskRows(rows map[string]int64) int64 {
	var n int64
	for _, c := range rows {
		n += c
	}
	return n
}
