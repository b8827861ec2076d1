package annotators_test

import (
	"context"
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/onnxproto"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/internal/synth"
)

func TestMain(m *testing.M) {
	if err := annotators.Init(""); err != nil {
		// Tests need the real runtime: `make test` fetches it.
		os.Stderr.WriteString("annotators tests: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func dir(path, role string) annotators.ModelDir {
	return annotators.ModelDir{FS: os.DirFS(path), Name: path, Role: role}
}

// syntheticCanvas renders synthetic scene i at 384×384.
func syntheticCanvas(i int) image.Image {
	s := synth.NewScene(i)
	s.Width, s.Height = 384, 384
	return s.Render()
}

// canvas renders synthetic scene i straight onto a 384×384 canvas.
func canvas(t *testing.T, i int) (*image.RGBA, synth.Scene) {
	t.Helper()
	s := synth.NewScene(i)
	s.Width, s.Height = 384, 384
	img := s.Render()
	out := image.NewRGBA(img.Rect)
	draw.Draw(out, out.Rect, img, image.Point{}, draw.Src)
	return out, s
}

func TestBundledSegmenterLabelsTheSceneClasses(t *testing.T) {
	seg, err := segmenter.Load(dir("../testdata/models/segmenter", ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	for _, i := range []int{0, 1, 2, 3} {
		t.Run(synth.NewScene(i).Prompt, func(t *testing.T) {
			img, s := canvas(t, i)
			maps, err := seg.Segment(context.Background(), []image.Image{img})
			if err != nil {
				t.Fatal(err)
			}
			m := maps[0]
			if m.W != 96 || m.H != 96 {
				t.Fatalf("map %dx%d, want 96x96 (stride 4)", m.W, m.H)
			}
			got := map[string]bool{}
			for _, c := range m.TopClasses(0.002) {
				got[seg.Labels()[c]] = true
			}
			want := []string{"sky", synth.Classes[s.Ground].Label}
			for _, o := range s.Objects {
				want = append(want, synth.Classes[o.Class].Label)
			}
			for _, w := range want {
				if !got[w] {
					t.Errorf("segmenter missed %q; found %v", w, got)
				}
			}
			// The sky class holds the first rows, the ground the last.
			if l := seg.Labels()[m.Labels[0]]; l != "sky" {
				t.Errorf("first cell is %q, want sky", l)
			}
			if l := seg.Labels()[m.Labels[len(m.Labels)-1]]; l != synth.Classes[s.Ground].Label {
				t.Errorf("last cell is %q, want %q", l, synth.Classes[s.Ground].Label)
			}
		})
	}
}

func TestBundledCaptionerNamesColorAndClass(t *testing.T) {
	capt, err := captioner.Load(dir("../testdata/models/captioner", ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	img, s := canvas(t, 1)
	sky := img.SubImage(image.Rect(0, 0, 384, 128))
	ground := img.SubImage(image.Rect(0, 300, 384, 384))
	caps, err := capt.Caption(context.Background(), []image.Image{sky, ground, img})
	if err != nil {
		t.Fatal(err)
	}
	g := synth.Classes[s.Ground]
	tests := []struct{ name, got, want string }{
		{"sky band", caps[0], "blue sky"},
		{"ground band", caps[1], g.ColorWord + " " + g.Noun},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("caption %q, want %q", tc.got, tc.want)
			}
		})
	}
	if !strings.HasPrefix(caps[2], "blue sky and ") {
		t.Errorf("whole-canvas caption %q should name the sky first and then more", caps[2])
	}
	if !strings.HasPrefix(capt.ID(), "captioner@") || len(capt.ID()) != len("captioner@")+64 {
		t.Errorf("captioner id %q is not captioner@<sha256>", capt.ID())
	}
}

// copyDir copies a model directory so a test can break it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// identityModel is a one-node model with a configurable input, for contract errors.
func identityModel(input string, elem int) []byte {
	return onnxproto.Graph{
		Name:    "broken",
		Nodes:   []onnxproto.Node{{Op: "Identity", Inputs: []string{input}, Outputs: []string{"logits"}}},
		Inputs:  []onnxproto.Value{{Name: input, ElemType: elem, Dims: []int64{-1, 3, -1, -1}}},
		Outputs: []onnxproto.Value{{Name: "logits", ElemType: elem, Dims: []int64{-1, 3, -1, -1}}},
	}.Marshal()
}

func TestMalformedModelDirectories(t *testing.T) {
	tests := []struct {
		name   string
		role   string
		break_ func(dir string) error
		want   []string
	}{
		{"segmenter missing model.onnx", "segmenter", func(d string) error { return os.Remove(filepath.Join(d, "model.onnx")) },
			[]string{"missing model.onnx", "segmenter model directory"}},
		{"captioner missing vocab and decoder", "captioner", func(d string) error {
			os.Remove(filepath.Join(d, "vocab.json"))
			return os.Remove(filepath.Join(d, "decoder_model.onnx"))
		}, []string{"missing decoder_model.onnx"}},
		{"segmenter wrong input name", "segmenter", func(d string) error {
			return os.WriteFile(filepath.Join(d, "model.onnx"), identityModel("images", onnxproto.Float), 0o644)
		}, []string{`no input named "pixel_values"`, "images"}},
		{"segmenter wrong input dtype", "segmenter", func(d string) error {
			return os.WriteFile(filepath.Join(d, "model.onnx"), identityModel("pixel_values", onnxproto.Int64), 0o644)
		}, []string{`input "pixel_values" is`, "want"}},
		{"segmenter labels do not match its logits", "segmenter", func(d string) error {
			return os.WriteFile(filepath.Join(d, "config.json"), []byte(`{"id2label":{"0":"sky","1":"grass"}}`), 0o644)
		}, []string{"has 14 channels but config.json id2label has 2"}},
		{"segmenter config without id2label", "segmenter", func(d string) error {
			return os.WriteFile(filepath.Join(d, "config.json"), []byte(`{"model_type":"segformer"}`), 0o644)
		}, []string{"no id2label"}},
		{"segmenter model is not ONNX", "segmenter", func(d string) error {
			return os.WriteFile(filepath.Join(d, "model.onnx"), []byte("not a protobuf"), 0o644)
		}, []string{"ONNX Runtime cannot load it"}},
		{"captioner vocab not JSON", "captioner", func(d string) error {
			return os.WriteFile(filepath.Join(d, "vocab.json"), []byte("{"), 0o644)
		}, []string{"vocab.json is not valid JSON"}},
		{"captioner preprocessor without size", "captioner", func(d string) error {
			return os.WriteFile(filepath.Join(d, "preprocessor_config.json"), []byte(`{"image_mean":[0.5,0.5,0.5],"image_std":[0.5,0.5,0.5]}`), 0o644)
		}, []string{`missing "size"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := copyDir(t, "../testdata/models/"+tc.role)
			if err := tc.break_(d); err != nil {
				t.Fatal(err)
			}
			var err error
			if tc.role == "segmenter" {
				_, err = segmenter.Load(dir(d, ""), annotators.Device{})
			} else {
				_, err = captioner.Load(dir(d, ""), annotators.Device{})
			}
			if err == nil {
				t.Fatal("loaded a broken model directory without error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), d) {
				t.Errorf("error %q does not name the directory", err)
			}
		})
	}
}

func TestCaptionerReadsTokenizerJSONAndGenerationConfig(t *testing.T) {
	d := copyDir(t, "../testdata/models/captioner")
	vocab, err := os.ReadFile(filepath.Join(d, "vocab.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(d, "vocab.json"))
	tok := `{"version":"1.0","added_tokens":[],"model":{"type":"BPE","vocab":` + string(vocab) + `,"merges":[]}}`
	os.WriteFile(filepath.Join(d, "tokenizer.json"), []byte(tok), 0o644)
	os.WriteFile(filepath.Join(d, "generation_config.json"), []byte(`{"max_length": 3}`), 0o644)
	c, err := captioner.Load(dir(d, ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	img, _ := canvas(t, 1)
	caps, err := c.Caption(context.Background(), []image.Image{img})
	if err != nil {
		t.Fatal(err)
	}
	// max_length 3 from generation_config.json: start token, two words.
	if caps[0] != "blue sky" {
		t.Errorf("caption %q, want %q (tokenizer.json vocabulary, max_length 3)", caps[0], "blue sky")
	}
}

func TestKVCachedDecodingGivesTheSameCaptions(t *testing.T) {
	capt, err := captioner.Load(dir("../testdata/models/captioner", ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	if !capt.Cached() {
		t.Fatal("the bundled captioner has decoder_with_past_model.onnx but decodes without the cache")
	}
	var imgs []image.Image
	for i := 0; i < 12; i++ {
		c, _ := canvas(t, i)
		imgs = append(imgs, c, c.SubImage(image.Rect(0, 0, 384, 128)), c.SubImage(image.Rect(0, 128, 384, 256)), c.SubImage(image.Rect(0, 256, 384, 384)))
	}
	cached, err := capt.Caption(context.Background(), imgs)
	if err != nil {
		t.Fatal(err)
	}
	capt.SetCache(false)
	full, err := capt.Caption(context.Background(), imgs)
	if err != nil {
		t.Fatal(err)
	}
	multi := 0
	for i := range imgs {
		if cached[i] != full[i] {
			t.Errorf("image %d: cached %q, uncached %q", i, cached[i], full[i])
		}
		if strings.Count(full[i], " and ") >= 2 {
			multi++
		}
	}
	if multi == 0 {
		t.Error("no caption of three phrases: the cache's named-class state was never exercised")
	}
}
