package source

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/twigdata/twigdata/storage"
)

// eachOf runs a source over one file of untrusted bytes and checks what
// every source promises: no panic, no error for bad content, every input
// with a key, a reject or something to read, keys unique, details bounded.
func eachOf(t *testing.T, name, format string, data []byte) {
	fsys := fstest.MapFS{name: &fstest.MapFile{Data: data}, "img/a.jpg": &fstest.MapFile{Data: []byte("\xff\xd8\xff")}}
	c := Config{In: storage.NewFS(fsys, "fuzz"), Key: name, Format: format, PromptColumn: "prompt", ImageColumn: "image",
		KeyColumn: "key", PromptField: "prompt", MaxManifestBytes: 1 << 20, MaxShardBytes: 1 << 20, MaxImageBytes: 1 << 16, MaxPromptBytes: 1 << 12}
	seen := map[string]bool{}
	err := c.Each(context.Background(), func(in *Input) error {
		if seen[in.Key] {
			t.Fatalf("key %q emitted twice", in.Key)
		}
		seen[in.Key] = true
		if in.Reject == nil && in.ImageKey == "" {
			t.Fatalf("input %q has neither a reject nor an image", in.Key)
		}
		if in.Reject != nil && (len(in.Reject.Detail) > 1100 || !utf8.ValidString(in.Reject.Detail) || !utf8.ValidString(in.Reject.Key)) {
			t.Fatalf("reject detail of %d bytes, valid %v", len(in.Reject.Detail), utf8.ValidString(in.Reject.Detail))
		}
		if in.Reject == nil {
			return c.Fetch(context.Background(), in)
		}
		return nil
	})
	if err != nil && format == FormatWebDataset {
		t.Fatalf("a shard's content stopped the run: %v", err)
	}
}

func FuzzManifestJSONL(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"a red ball","image":"img/a.jpg"}`,
		"{\"prompt\":\"a\",\"image\":\"img/a.jpg\"}\n{\"prompt\":\"a\",\"image\":\"img/a.jpg\"}\n",
		`{"prompt":["a","list"],"image":"img/a.jpg","key":"k"}`,
		`{"prompt":42,"image":{"bytes":"x"}}`,
		`{"prompt":"x","image":"../../etc/passwd"}`, `{"prompt":"x","image":"/abs.jpg"}`, `{"prompt":"x","image":"s3://Bad_Bucket!!/x.jpg"}`,
		"not json\n", "{}\n", "\xff\xfe\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { eachOf(t, "m.jsonl", FormatManifest, data) })
}

func FuzzManifestCSV(f *testing.F) {
	for _, s := range []string{
		"prompt,image\na red ball,img/a.jpg\n",
		"\xef\xbb\xbfprompt,image\na,img/a.jpg\n",
		"prompt,image\na \"red\" ball,img/a.jpg\n",
		"prompt,image,key\na,img/a.jpg,k\nb,img/a.jpg,k\n",
		"prompt\n\"unterminated\n", "", "prompt,image\na,b,c\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { eachOf(t, "m.csv", FormatManifest, data) })
}

func FuzzManifestParquet(f *testing.F) {
	type row struct {
		Prompt string `parquet:"prompt"`
		Image  string `parquet:"image"`
	}
	var b bytes.Buffer
	w := parquet.NewGenericWriter[row](&b)
	w.Write([]row{{"a red ball", "img/a.jpg"}, {"", "img/a.jpg"}, {"x", "../x.jpg"}})
	w.Close()
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:b.Len()/2])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) { eachOf(t, "m.parquet", FormatManifest, data) })
}

func FuzzTar(f *testing.F) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range []struct{ name, body string }{{"a.jpg", "\xff\xd8\xff"}, {"b.jpg", "x"}, {"a.txt", "a red ball"}, {"b.json", `{"prompt":"x"}`}, {"a.jpg", "again"}} {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), Typeflag: tar.TypeReg})
		tw.Write([]byte(m.body))
	}
	tw.WriteHeader(&tar.Header{Name: "c.jpg", Typeflag: tar.TypeLink, Linkname: "a.jpg"})
	tw.WriteHeader(&tar.Header{Name: "../../d.jpg", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})
	tw.Close()
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:700])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) { eachOf(t, "x.tar", FormatWebDataset, data) })
}

func FuzzPromptFile(f *testing.F) {
	for _, s := range []struct{ key, body string }{
		{"a.txt", "a red ball\r\n"}, {"a.txt", "\ufeff  two   boxes "}, {"a.txt", "\xff\xfe"}, {"a.txt", "a\x00b"},
		{"a.json", `{"prompt":"a red ball"}`}, {"a.json", `{"prompt":["a"]}`}, {"a.json", `[1,2]`}, {"a.json", `{"prompt":`},
	} {
		f.Add(s.key, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, key string, raw []byte) {
		p, rej := cleanPrompt(key, raw, "prompt")
		switch {
		case rej == nil && (p == "" || !utf8.ValidString(p)):
			t.Fatalf("accepted prompt %q", p)
		case rej != nil && p != "":
			t.Fatalf("a rejected prompt returned text %q", p)
		}
	})
}
