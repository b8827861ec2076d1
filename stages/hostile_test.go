//go:build cgo

// These tests build datasets with the bundled models, which need ONNX
// Runtime through cgo.

package stages_test

import (
	"archive/tar"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/color/palette"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/twigdata/twigdata/internal/synth"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages"
)

// jpegBomb is a JPEG header (SOI, JFIF APP0, SOF0) claiming 50000×50000 pixels.
var jpegBomb = []byte{0xFF, 0xD8,
	0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0xFF, 0xC0, 0x00, 0x11, 0x08, 0xC3, 0x50, 0xC3, 0x50, 0x03,
	0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9}

func animatedGIF(t *testing.T) []byte {
	t.Helper()
	g := &gif.GIF{}
	for i := 0; i < 3; i++ {
		f := image.NewPaletted(image.Rect(0, 0, 200, 200), palette.Plan9)
		for y := 0; y < 200; y++ {
			for x := 0; x < 200; x++ {
				f.Set(x, y, color.RGBA{uint8(80 * i), 120, 200, 255})
			}
		}
		g.Image = append(g.Image, f)
		g.Delay = append(g.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	s := synth.NewScene(1)
	s.Width, s.Height = w, h
	var b bytes.Buffer
	if err := png.Encode(&b, s.Render()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestHostileCorpus puts every kind of broken or unusual pair the pairs form
// can hold into one input: each is accepted or rejected with its own reason,
// and the run succeeds.
func TestHostileCorpus(t *testing.T) {
	in := t.TempDir()
	jpg := sampleFile(t, "scene-000.jpg")
	pngFile := sampleFile(t, "scene-001.png")
	prompt := []byte("a yellow cone and an orange ball\n")
	cmyk, err := os.ReadFile("../testdata/fixtures/cmyk.jpg")
	if err != nil {
		t.Fatal(err)
	}
	truncatedPNG := pngFile[:len(pngFile)*2/3]
	cases := []struct {
		stem   string
		files  map[string][]byte
		reason string // "" means accepted
	}{
		{"truncated-jpeg", map[string][]byte{".jpg": jpg[:len(jpg)/3], ".txt": prompt}, "decode.truncated"},
		{"truncated-png", map[string][]byte{".png": truncatedPNG, ".txt": prompt}, "decode.truncated"},
		{"zero-byte", map[string][]byte{".jpg": {}, ".txt": prompt}, "decode.empty_file"},
		{"random-bytes", map[string][]byte{".webp": bytes.Repeat([]byte{7, 1, 99, 200}, 500), ".txt": prompt}, "decode.unknown_format"},
		{"png-named-jpg", map[string][]byte{".jpg": pngFile, ".txt": []byte("a pink ball on the left of a yellow box")}, ""},
		{"png-bomb", map[string][]byte{".png": pngHeader(50000, 50000), ".txt": prompt}, "decode.too_many_pixels"},
		{"jpeg-bomb", map[string][]byte{".jpg": jpegBomb, ".txt": prompt}, "decode.too_many_pixels"},
		{"one-pixel", map[string][]byte{".png": pngOf(t, 1, 1), ".txt": prompt}, "filter.resolution"},
		{"extreme-aspect", map[string][]byte{".png": pngOf(t, 4000, 40), ".txt": prompt}, "filter.resolution"},
		{"cmyk", map[string][]byte{".jpg": cmyk, ".txt": prompt}, ""},
		{"sixteen-bit", map[string][]byte{".png": sampleFile(t, "scene-010.png"), ".txt": sampleFile(t, "scene-010.txt")}, ""},
		{"grayscale", map[string][]byte{".png": sampleFile(t, "scene-004.png"), ".txt": sampleFile(t, "scene-004.txt")}, ""},
		{"alpha", map[string][]byte{".png": sampleFile(t, "scene-007.png"), ".txt": sampleFile(t, "scene-007.txt")}, ""},
		{"exif-rotated", map[string][]byte{".jpg": sampleFile(t, "scene-013.jpg"), ".txt": sampleFile(t, "scene-013.txt")}, ""},
		{"animated-gif", map[string][]byte{".png": animatedGIF(t), ".txt": prompt}, "decode.unsupported_format"},
		{"bmp", map[string][]byte{".jpg": append([]byte("BM"), make([]byte, 60)...), ".txt": prompt}, "decode.unsupported_format"},
		{"image-without-prompt", map[string][]byte{".jpg": jpg}, "source.no_prompt"},
		{"prompt-without-image", map[string][]byte{".txt": prompt}, "source.no_image"},
		{"empty-prompt", map[string][]byte{".jpg": jpg, ".txt": {}}, "source.empty_prompt"},
		{"whitespace-prompt", map[string][]byte{".jpg": jpg, ".txt": []byte(" \t\r\n  \r\n")}, "source.empty_prompt"},
		{"non-utf8-prompt", map[string][]byte{".jpg": jpg, ".txt": {0xC3, 0x28, 'a'}}, "source.prompt_not_utf8"},
		{"control-chars", map[string][]byte{".jpg": jpg, ".txt": []byte("a red\x00ball")}, "source.prompt_control_chars"},
		{"megabyte-prompt", map[string][]byte{".jpg": jpg, ".txt": bytes.Repeat([]byte("a red ball "), 100_000)}, "source.prompt_too_large"},
		{"json-no-field", map[string][]byte{".jpg": jpg, ".json": []byte(`{"caption": "a red ball"}`)}, "source.prompt_json_no_field"},
		{"json-invalid", map[string][]byte{".jpg": jpg, ".json": []byte(`{"prompt": "a red`)}, "source.prompt_json_invalid"},
		{"two-images", map[string][]byte{".jpg": jpg, ".png": pngFile, ".txt": prompt}, "source.ambiguous_image"},
		{"ünï cødé 🎨 ключ", map[string][]byte{".jpg": jpg, ".txt": prompt}, ""},
		{"crlf-prompt", map[string][]byte{".jpg": jpg, ".txt": []byte("a yellow cone\r\nand an orange ball\r\n")}, ""},
	}
	for _, c := range cases {
		for ext, data := range c.files {
			if err := os.WriteFile(filepath.Join(in, c.stem+ext), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	parent := t.TempDir()
	out := filepath.Join(parent, "ds")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum, err := build(t, context.Background(), in, out, nil)
	if err != nil {
		t.Fatalf("the run must succeed: %v", err)
	}
	runtime.ReadMemStats(&after)
	// Decoding either bomb would allocate 7.5 GB at least; the whole corpus
	// needs a small fraction of that.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<30 {
		t.Errorf("the corpus allocated %d MB: something decoded a bomb", alloc>>20)
	}
	if sum.Inputs != int64(len(cases)) {
		t.Errorf("%d inputs in the dataset, %d in the corpus", sum.Inputs, len(cases))
	}
	rejects := readRejects(t, out)
	for _, c := range cases {
		t.Run(c.stem, func(t *testing.T) {
			r, rejected := rejects[c.stem]
			switch {
			case c.reason == "" && rejected:
				t.Errorf("rejected (%s: %s), want accepted", r.Reason, r.Detail)
			case c.reason != "" && !rejected:
				t.Errorf("accepted, want %s", c.reason)
			case c.reason != "" && r.Reason != c.reason:
				t.Errorf("reason %s (%s), want %s", r.Reason, r.Detail, c.reason)
			}
		})
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("the build wrote outside its output folder: %v", entries)
	}
}

func TestManifestInputs(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "img"), 0o755)
	for _, f := range []string{"scene-000.jpg", "scene-001.png", "scene-002.webp"} {
		os.WriteFile(filepath.Join(dir, "img", f), sampleFile(t, f), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "outside.jpg"), sampleFile(t, "scene-000.jpg"), 0o644)
	type row struct {
		Key    string `parquet:"id" json:"id"`
		Image  string `parquet:"file" json:"file"`
		Prompt string `parquet:"text" json:"text"`
	}
	rows := []row{
		{"a", "img/scene-000.jpg", "a yellow cone and an orange ball"},
		{"b", "img/scene-001.png", "a pink ball on the left of a yellow box"},
		{"c", "img/scene-002.webp", "three green boxes"},
		{"a", "img/scene-001.png", "a duplicate key"},
		{"d", "../outside.jpg", "escapes the manifest folder"},
		{"e", "/etc/passwd", "an absolute path"},
		{"f", "img/missing.jpg", "a missing image"},
		{"../../g", "img/scene-000.jpg", "a key with dot-dot is only a name"},
		{"h", "s3://bucket/x.jpg", "s3 references are refused without an opener"},
		{"i", "img/scene-000.jpg", ""},
	}
	want := map[string]string{"a": "", "b": "", "c": "", "d": "source.bad_reference", "e": "source.bad_reference",
		"f": "source.no_image", "../../g": "", "h": "source.bad_reference", "i": "source.empty_prompt"}
	var jsonl, csvText bytes.Buffer
	csvText.WriteString("id,file,text\n")
	for _, r := range rows {
		jsonl.WriteString(`{"id":"` + r.Key + `","file":"` + r.Image + `","text":"` + r.Prompt + `"}` + "\n")
		csvText.WriteString(r.Key + "," + r.Image + ",\"" + r.Prompt + "\"\n")
	}
	jsonl.WriteString("{not json\n")
	csvText.WriteString("too,many,fields,here\n")
	csvText.WriteString("j,\"unterminated,quote\n")
	var pq bytes.Buffer
	w := parquet.NewGenericWriter[row](&pq)
	w.Write(rows)
	w.Close()
	files := map[string][]byte{"m.jsonl": jsonl.Bytes(), "m.csv": csvText.Bytes(), "m.parquet": pq.Bytes()}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, name), data, 0o644)
			out := filepath.Join(t.TempDir(), "ds")
			sum, err := build(t, context.Background(), dir, out, func(o *stages.Config) {
				o.Source.Key, o.Source.KeyColumn, o.Source.ImageColumn, o.Source.PromptColumn = name, "id", "file", "text"
			})
			if err != nil {
				t.Fatal(err)
			}
			rejects := readRejects(t, out)
			for key, reason := range want {
				r, rejected := rejects[key]
				if reason == "" && rejected {
					t.Errorf("%s rejected: %s %s", key, r.Reason, r.Detail)
				}
				if reason != "" && r.Reason != reason {
					t.Errorf("%s: %q (%s), want %s", key, r.Reason, r.Detail, reason)
				}
			}
			dups, malformed := 0, 0
			for _, r := range rejects {
				switch r.Reason {
				case "source.duplicate_key":
					dups++
				case "source.manifest_row_malformed":
					malformed++
				}
			}
			wantMalformed := map[string]int{"m.jsonl": 1, "m.csv": 2, "m.parquet": 0}[name]
			if dups != 1 || malformed != wantMalformed {
				t.Errorf("%d duplicate-key and %d malformed-row rejects, want 1 and %d", dups, malformed, wantMalformed)
			}
			if sum.Accepted != 4 {
				t.Errorf("%d accepted, want 4", sum.Accepted)
			}
		})
	}
}

func TestWebDatasetShards(t *testing.T) {
	dir := t.TempDir()
	shard := func(name string, members [][2]string, cut int) {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for _, m := range members {
			data := sampleFile(t, m[1])
			tw.WriteHeader(&tar.Header{Name: m[0], Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
			tw.Write(data)
		}
		tw.Close()
		data := b.Bytes()
		if cut > 0 {
			data = data[:cut]
		}
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	shard("00000.tar", [][2]string{
		{"0000/a.jpg", "scene-000.jpg"}, {"0000/a.txt", "scene-000.txt"},
		{"0000/b.png", "scene-001.png"}, {"0000/b.txt", "scene-001.txt"},
		{"0000/c.jpg", "scene-003.jpg"},
		{"0000/d.webp", "scene-002.webp"}, {"0000/d.txt", "scene-002.txt"},
	}, 0)
	// The second shard is cut in the middle of its third member.
	shard("00001.tar", [][2]string{
		{"e.jpg", "scene-006.jpg"}, {"e.txt", "scene-006.txt"},
		{"f.jpg", "scene-009.jpg"}, {"f.txt", "scene-009.txt"},
	}, 512+len(sampleFile(t, "scene-006.jpg"))+1024+700)
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := build(t, context.Background(), dir, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	rejects := readRejects(t, out)
	want := map[string]string{"00000.tar/0000/c": "source.no_prompt", "00001.tar#rest": "source.tar_corrupt"}
	for k, reason := range want {
		if rejects[k].Reason != reason {
			t.Errorf("%s: %q (%s), want %s", k, rejects[k].Reason, rejects[k].Detail, reason)
		}
	}
	if sum.Accepted != 4 || sum.Rejected != 2 {
		t.Errorf("accepted %d rejected %d, want 4 and 2 (a, b, d, e; c and the cut shard)", sum.Accepted, sum.Rejected)
	}
	samples := readSamples(t, out)
	if _, ok := samples["00000.tar/0000/a"]; !ok || !strings.HasSuffix(samples["00000.tar/0000/a"].SourceURI, "00000.tar#0000/a") {
		t.Errorf("sample keys %v", keys(samples))
	}
}

func readSamples(t *testing.T, out string) map[string]schema.Sample {
	t.Helper()
	got := map[string]schema.Sample{}
	for _, r := range testutil.ReadTable[schema.Sample](t, out, "samples") {
		got[r.Key] = r
	}
	return got
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
