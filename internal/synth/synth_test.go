package synth

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCommittedTestdataIsWhatTheMakerWrites guards against hand edits and
// drift: the maker must reproduce every committed file byte for byte.
func TestCommittedTestdataIsWhatTheMakerWrites(t *testing.T) {
	root := filepath.Join("..", "..", "testdata")
	check := func(dir string, files map[string][]byte) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(files) {
			t.Errorf("%s holds %d files, the maker writes %d (run make testdata)", dir, len(entries), len(files))
		}
		for name, want := range files {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Errorf("%v (run make testdata)", err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s/%s differs from the maker's output (run make testdata)", dir, name)
			}
		}
	}
	check(filepath.Join(root, "models", "segmenter"), SegmenterFiles())
	check(filepath.Join(root, "models", "captioner"), CaptionerFiles())
	scenes, files, err := Sample(32)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scenes {
		f, err := s.Files()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range f {
			files[k] = v
		}
	}
	check(filepath.Join(root, "sample"), files)
}
