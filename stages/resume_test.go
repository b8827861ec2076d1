package stages_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages"
)

// TestResumeVerifiesBeforeItTrusts: a rerun checks every file a commit
// record names before it trusts the record. A deleted or truncated shard
// file, a file of the right size with a byte changed (with Verify) and an
// emptied commit record are each taken out and their inputs redone exactly
// once: every input key is in samples ∪ rejects once, and the manifest
// names only files that are there and read.
func TestResumeVerifiesBeforeItTrusts(t *testing.T) {
	in := t.TempDir()
	testutil.CopySample(t, in, 1)
	base := filepath.Join(t.TempDir(), "ds")
	shardRows := func(c *stages.Config) { c.Output.ShardRows = 10 }
	first, err := build(t, context.Background(), in, base, shardRows)
	if err != nil {
		t.Fatal(err)
	}
	firstShard := func(t *testing.T, out, dir string) string {
		m, _ := filepath.Glob(filepath.Join(out, dir, "part-*.parquet"))
		for _, f := range m {
			if !strings.HasSuffix(f, "part-empty.parquet") {
				return f
			}
		}
		t.Fatalf("no shard in %s", dir)
		return ""
	}
	for _, tc := range []struct {
		name   string
		verify bool
		damage func(t *testing.T, out string)
		want   string // in the summary's redone line
		redo   int64  // inputs redone
	}{
		{"a samples file deleted", false, func(t *testing.T, out string) {
			os.Remove(firstShard(t, out, "samples"))
		}, "is missing", 10},
		{"a training file truncated", false, func(t *testing.T, out string) {
			f := firstShard(t, out, "training")
			st, _ := os.Stat(f)
			os.Truncate(f, st.Size()/2)
		}, "bytes, its commit record", 10},
		{"a byte changed, found by --verify", true, func(t *testing.T, out string) {
			f := firstShard(t, out, "samples")
			b, _ := os.ReadFile(f)
			b[len(b)/2] ^= 0xff
			os.WriteFile(f, b, 0o644)
		}, "sha256", 10},
		{"a commit record emptied", false, func(t *testing.T, out string) {
			m, _ := filepath.Glob(filepath.Join(out, "stats", "samples-*.json"))
			os.WriteFile(m[0], nil, 0o644)
		}, "damaged commit record (empty)", 10},
		{"the manifest garbled", false, func(t *testing.T, out string) {
			os.WriteFile(filepath.Join(out, "manifest.json"), []byte("{garbage"), 0o644)
		}, "manifest.json: damaged", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ds")
			if err := os.CopyFS(out, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			tc.damage(t, out)
			again, err := build(t, context.Background(), in, out, func(c *stages.Config) { shardRows(c); c.Output.Verify = tc.verify })
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Redone) != 1 || !strings.Contains(again.Redone[0], tc.want) {
				t.Fatalf("redone %q, want one naming %q", again.Redone, tc.want)
			}
			if again.Resumed != int64(first.Inputs)-tc.redo {
				t.Errorf("resumed %d inputs of %d, want all but %d", again.Resumed, first.Inputs, tc.redo)
			}
			keys := map[string]int{}
			for _, s := range testutil.ReadTable[schema.Sample](t, out, "samples") {
				keys[s.Key]++
			}
			for k := range readRejects(t, out) {
				keys[k]++
			}
			for k, n := range keys {
				if n != 1 {
					t.Errorf("input %s is in the dataset %d times", k, n)
				}
			}
			if len(keys) != int(first.Inputs) {
				t.Errorf("%d inputs in the dataset, want %d", len(keys), first.Inputs)
			}
			// A third run finds nothing wrong and redoes nothing.
			third, err := build(t, context.Background(), in, out, func(c *stages.Config) { shardRows(c); c.Output.Verify = true })
			if err != nil || len(third.Redone) != 0 || third.Resumed != int64(first.Inputs) || third.Orphans != 0 {
				t.Errorf("third run: redone %q, resumed %d, %d orphans, %v", third.Redone, third.Resumed, third.Orphans, err)
			}
		})
	}
}
