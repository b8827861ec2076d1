package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfigFile feeds --config files of any content to the build's flag
// parser: an error or a setting, never a panic (YAML bombs included).
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"k: 3\ntheta: 90\n", `{"shard_rows": 10, "in": "x"}`, "config: other.yaml\n", "no_such_flag: 1\n",
		"k: [1, 2]\n", "theta: {a: b}\n", "a: &a [*a, *a]\nb: &b [*a, *a]\n", "\xff\xfe", "k: 99999999999999999999\n", "log_every: 0s\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		b := newBuildFlags(&bytes.Buffer{})
		if err := b.fs.Parse([]string{"--config", p}); err != nil {
			t.Fatal(err)
		}
		if b.applyConfig() == nil {
			b.check()
		}
	})
}
