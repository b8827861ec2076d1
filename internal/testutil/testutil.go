// Package testutil holds helpers shared by tests of several packages.
package testutil

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/schema"
)

// CopySample writes n copies of the bundled sample into dir/copyNN/, for runs
// long enough to interrupt.
func CopySample(t testing.TB, dir string, n int) {
	t.Helper()
	err := fs.WalkDir(twigdata.Sample(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(twigdata.Sample(), p)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			sub := filepath.Join(dir, fmt.Sprintf("copy%02d", i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(sub, p), b, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ReadTable decodes every Parquet shard of one table (samples, tasks,
// rejects) of a local dataset folder, failing the test on an unreadable one.
func ReadTable[T any](t testing.TB, dataset, table string) []T {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dataset, table, "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []T
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := schema.Decode[T](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rows = append(rows, r...)
	}
	return rows
}

// CompBenchDir finds the 5.5K T2I-CompBench training prompts:
// $T2I_COMPBENCH_DIR, else shared/data/t2i-compbench in the working folder's
// parent or any folder above (../../shared/data/t2i-compbench when none has it).
func CompBenchDir() string {
	if d := os.Getenv("T2I_COMPBENCH_DIR"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for dir := wd; ; dir = filepath.Dir(dir) {
		d := filepath.Join(dir, "shared", "data", "t2i-compbench")
		if _, err := os.Stat(d); err == nil {
			return d
		}
		if filepath.Dir(dir) == dir {
			return filepath.Join("..", "..", "shared", "data", "t2i-compbench")
		}
	}
}
