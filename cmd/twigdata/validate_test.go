package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/schema"
)

// copyTree copies a dataset folder so a test can damage it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func onlyShard(t *testing.T, dir, table string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, table, "*.parquet"))
	if len(files) != 1 {
		t.Fatalf("%d %s shards, want 1", len(files), table)
	}
	return files[0]
}

// rewrite decodes a shard, lets edit change its rows and writes it back.
func rewrite[T any](t *testing.T, path string, edit func([]T)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := schema.Decode[T](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	edit(rows)
	out, err := schema.Encode(rows, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateFindsEachKindOfCorruption(t *testing.T) {
	clean := buildSample(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate", clean}, &stdout, &stderr); code != 0 {
		t.Fatalf("a clean build does not validate: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []string
	}{
		{"truncated shard", func(t *testing.T, dir string) {
			p := onlyShard(t, dir, "samples")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, []string{"samples/part-", "is not a complete Parquet file"}},
		{"image bytes that are not an image", func(t *testing.T, dir string) {
			rewrite(t, onlyShard(t, dir, "samples"), func(rows []schema.Sample) { rows[3].Image.Bytes = []byte("not an image") })
		}, []string{"row 3 image.bytes: do not decode"}},
		{"gap in the token rows", func(t *testing.T, dir string) {
			rewrite(t, onlyShard(t, dir, "samples"), func(rows []schema.Sample) { rows[5].Regions[1].TokenRowStart++ })
		}, []string{"row 5 regions[1].token_row_start", "do not tile the grid"}},
		{"manifest sha256 mismatch", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "manifest.json")
			b, _ := os.ReadFile(p)
			var m map[string]any
			json.Unmarshal(b, &m)
			m["shards"].([]any)[0].(map[string]any)["sha256"] = strings.Repeat("0", 64)
			b, _ = json.Marshal(m)
			os.WriteFile(p, b, 0o644)
		}, []string{"sha256: is ", "manifest.json says 0000"}},
		{"task pointing at a missing sample", func(t *testing.T, dir string) {
			rewrite(t, onlyShard(t, dir, "tasks"), func(rows []schema.Task) { rows[7].SampleID = "no-such-sample" })
		}, []string{"tasks/part-", "row 7 sample_id", `"no-such-sample" names no sample`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyTree(t, clean)
			tc.damage(t, dir)
			var stdout, stderr bytes.Buffer
			report := filepath.Join(t.TempDir(), "report.json")
			code := run([]string{"validate", dir, "--report", report}, &stdout, &stderr)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
			b, err := os.ReadFile(report)
			if err != nil || !bytes.Contains(b, []byte(`"problems"`)) {
				t.Errorf("report %s: %v", report, err)
			}
		})
	}
}
