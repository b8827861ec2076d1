package source

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/storage"
)

type tarMember struct {
	name, body string
	typ        byte
	link       string
}

func writeTar(t *testing.T, dir, name string, members []tarMember) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: m.name, Mode: 0o644, Typeflag: typ, Linkname: m.link}
		if typ == tar.TypeReg {
			h.Size = int64(len(m.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(m.body))
	}
	tw.Close()
	os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644)
}

// TestWebDatasetMembersOutOfOrderRepeatedAndLinked: a shard made with
// "tar cf x.tar *.jpg *.txt" gave two rejects per pair, a repeated key two
// samples with one id, and hard-linked members vanished silently.
func TestWebDatasetMembersOutOfOrderRepeatedAndLinked(t *testing.T) {
	dir := t.TempDir()
	writeTar(t, dir, "x.tar", []tarMember{
		{name: "a.jpg", body: "A"}, {name: "b.jpg", body: "B"}, {name: "c.jpg", body: "C"},
		{name: "a.txt", body: "a red ball"}, {name: "b.txt", body: "a blue box"},
		{name: "a.jpg", body: "A again"}, // a second a.jpg after a's pair
		{name: "d.jpg", typ: tar.TypeLink, link: "b.jpg"}, {name: "d.txt", body: "a linked image"},
		{name: "e.jpg", typ: tar.TypeSymlink, link: "/etc/passwd"}, {name: "e.txt", body: "a symlink"},
		{name: "f.jpg", typ: tar.TypeLink, link: "nowhere.jpg"}, {name: "f.txt", body: "a dangling link"},
	})
	b, _ := storage.NewLocal(dir)
	c := Config{In: b, Format: FormatWebDataset, PromptField: "prompt", MaxShardBytes: 1 << 20, MaxImageBytes: 1 << 20, MaxPromptBytes: 1 << 10}
	got := map[string]string{}
	err := c.Each(context.Background(), func(in *Input) error {
		if _, dup := got[in.Key]; dup {
			t.Errorf("key %s emitted twice", in.Key)
		}
		desc := "pair " + string(in.Image) + " + " + in.Prompt
		if in.Reject != nil {
			desc = in.Reject.Reason
		}
		got[in.Key] = desc
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"x.tar/a": "pair A + a red ball", "x.tar/b": "pair B + a blue box", "x.tar/c": "source.no_prompt",
		"x.tar/a#2": "source.duplicate_key", "x.tar/d": "pair B + a linked image",
		"x.tar/e": "source.tar_corrupt", "x.tar/f": "source.tar_corrupt",
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("inputs %s, want %d", strings.Join(keys, ", "), len(want))
	}
}
