// Command gen writes the bundled sample (testdata/sample) and the tiny models
// (testdata/models/{segmenter,captioner}) deterministically: running it twice
// gives byte-identical files. Run it from the repository root: go run ./testdata/gen
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/twigdata/twigdata/internal/synth"
)

func main() {
	out := flag.String("out", "testdata", "folder that receives sample/ and models/")
	n := flag.Int("n", 32, "number of good scenes in the sample")
	flag.Parse()
	if err := run(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string, n int) error {
	if err := writeDir(filepath.Join(out, "models", "segmenter"), synth.SegmenterFiles()); err != nil {
		return err
	}
	if err := writeDir(filepath.Join(out, "models", "captioner"), synth.CaptionerFiles()); err != nil {
		return err
	}
	scenes, extra, err := synth.Sample(n)
	if err != nil {
		return err
	}
	files := extra
	for _, s := range scenes {
		f, err := s.Files()
		if err != nil {
			return err
		}
		for k, v := range f {
			files[k] = v
		}
	}
	dir := filepath.Join(out, "sample")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := writeDir(dir, files); err != nil {
		return err
	}
	fmt.Printf("gen: wrote %d sample files to %s and the tiny models to %s\n", len(files), dir, filepath.Join(out, "models"))
	return nil
}

func writeDir(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range synth.SortedKeys(files) {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}
