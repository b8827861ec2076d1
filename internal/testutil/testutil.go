// Package testutil holds helpers shared by tests of several packages.
package testutil

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// CompBenchCategory is one T2I-CompBench training split: its category
// ("color", "3d_spatial", …) and its prompts.
type CompBenchCategory struct {
	Name    string
	Prompts []string
}

// CompBench reads the T2I-CompBench training prompts (CompBenchDir), one
// category per *_train.txt file in name order, each line trimmed (CRLF
// too) and empty ones skipped. Without them the test is skipped, or fails
// where it must run (CI or TWIGDATA_REQUIRE_INTEROP set).
func CompBench(t testing.TB) []CompBenchCategory {
	t.Helper()
	dir := CompBenchDir()
	files, _ := filepath.Glob(filepath.Join(dir, "*_train.txt"))
	if len(files) == 0 {
		if os.Getenv("CI") != "" || os.Getenv("TWIGDATA_REQUIRE_INTEROP") != "" {
			t.Fatalf("no T2I-CompBench prompts in %s: shared/ must sit beside the checkout (or set T2I_COMPBENCH_DIR)", dir)
		}
		t.Skipf("no T2I-CompBench prompts in %s (set T2I_COMPBENCH_DIR)", dir)
	}
	sort.Strings(files)
	var out []CompBenchCategory
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c := CompBenchCategory{Name: strings.TrimSuffix(filepath.Base(f), "_train.txt")}
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				c.Prompts = append(c.Prompts, line)
			}
		}
		out = append(out, c)
	}
	return out
}

// Dep is the absolute path of rel, something under the repository root root
// that a make target installs (.deps/py/bin/python, …). Without it the test
// is skipped, unless TWIGDATA_REQUIRE_INTEROP is set (make test sets it),
// when its absence fails the test; install names what installs it.
func Dep(t testing.TB, root, rel, install string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("TWIGDATA_REQUIRE_INTEROP") != "" {
			t.Fatalf("%s is missing: run %s (make test does)", rel, install)
		}
		t.Skipf("%s is missing: run %s (make test does)", rel, install)
	}
	return p
}
