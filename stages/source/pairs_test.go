package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/storage"
)

func TestPairSourceGroupsByStem(t *testing.T) {
	files := []string{"a.jpg", "a.txt", "a.b.png", "a.b.json", "a-b.webp", "a-b.txt", "sub/c.JPEG", "sub/c.txt",
		"d.png", "e.txt", "f.jpg", "f.png", "f.txt", "notes.md", "z.jpeg", "z.TXT"}
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := storage.NewLocal(dir)
	var ignored []string
	src := &pairSource{bucket: b, onIgnored: func(k string) { ignored = append(ignored, k) }}
	got := map[string]string{}
	err := src.run(context.Background(), func(it *Input) error {
		desc := it.ImageKey + "+" + it.PromptKey
		if it.Reject != nil {
			desc = it.Reject.Reason
		}
		if _, dup := got[it.Key]; dup {
			t.Errorf("stem %s emitted twice", it.Key)
		}
		got[it.Key] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a": "a.jpg+a.txt", "a.b": "a.b.png+a.b.json", "a-b": "a-b.webp+a-b.txt", "sub/c": "sub/c.JPEG+sub/c.txt",
		"d": "source.no_prompt", "e": "source.no_image", "f": "source.ambiguous_image", "z": "z.jpeg+z.TXT",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("stem %s: %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d stems %v, want %d", len(got), got, len(want))
	}
	if strings.Join(ignored, ",") != "notes.md" {
		t.Errorf("ignored %v, want notes.md", ignored)
	}
}
