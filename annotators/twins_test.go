package annotators_test

import (
	"context"
	"image"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/stages/evidence"
)

// twin opens a twin made by the real exporter (scripts/make_models.py).
func twin(name, variant string) annotators.ModelDir {
	p := "../testdata/models/twins/" + name
	return annotators.ModelDir{FS: os.DirFS(p), Name: p, Path: p, Variant: variant}
}

// without copies a directory into a temporary folder, leaving some graphs out.
func without(t *testing.T, d annotators.ModelDir, drop ...string) annotators.ModelDir {
	t.Helper()
	m := inMemory(t, d, drop...)
	dst := t.TempDir()
	for p, f := range m {
		os.MkdirAll(filepath.Join(dst, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dst, p), f.Data, 0o644)
	}
	return annotators.ModelDir{FS: os.DirFS(dst), Name: dst, Path: dst}
}

// inMemory is a directory read into memory, some graphs left out.
func inMemory(t *testing.T, d annotators.ModelDir, drop ...string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(d.FS, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		for _, x := range drop {
			if strings.HasPrefix(p, x) {
				return nil
			}
		}
		b, err := fs.ReadFile(d.FS, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func canvases(n int) []image.Image {
	out := make([]image.Image, n)
	for i := range out {
		out[i] = syntheticCanvas(i)
	}
	return out
}

// TestDecodersGiveTheSameCaptions: the separate, with-past and merged
// decoders of one optimum export share their weights, so greedy decoding
// must give the same tokens whichever runs.
func TestDecodersGiveTheSameCaptions(t *testing.T) {
	for _, v := range []string{"fp32", "fp16", "q8"} {
		t.Run(v, func(t *testing.T) { sameCaptions(t, v) })
	}
}

func sameCaptions(t *testing.T, variant string) {
	full := twin("vit-gpt2", "")
	imgs := canvases(6)
	kinds := []struct {
		name string
		dir  annotators.ModelDir
		want string
	}{
		{"merged", without(t, full, "decoder_model.onnx", "decoder_model_fp16", "decoder_model_quantized", "decoder_with_past"), "merged"},
		{"with past", without(t, full, "decoder_model_merged"), "decoder with past"},
		{"separate", without(t, full, "decoder_model_merged", "decoder_with_past"), "without a cache"},
	}
	var first []string
	for _, k := range kinds {
		k.dir.Variant = variant
		c, err := captioner.Load(k.dir, annotators.Device{})
		if err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		if !strings.Contains(c.Decoding(), k.want) {
			t.Errorf("%s: decoding %q", k.name, c.Decoding())
		}
		got, err := c.Caption(context.Background(), imgs)
		c.Close()
		if err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		if first == nil {
			first = got
			if strings.Join(got, "") == "" {
				t.Fatalf("%s: empty captions", k.name)
			}
			continue
		}
		if variant == "q8" {
			// Each graph is quantized on its own (dynamic activation
			// ranges): they decode, but need not agree token for token.
			continue
		}
		for i := range got {
			if got[i] != first[i] {
				t.Errorf("%s decoder, image %d: %q, merged decoder: %q", k.name, i, got[i], first[i])
			}
		}
	}
}

// TestTwinsLoadInEveryLayoutAndVariant: graphs at the root and under onnx/,
// external data, quantized and float16 variants, a WordPiece tokenizer.
func TestTwinsLoadInEveryLayoutAndVariant(t *testing.T) {
	ctx := context.Background()
	imgs := canvases(3)
	var maps [][]int
	for _, v := range []string{"fp32", "q8", "fp16"} {
		s, err := segmenter.Load(twin("segformer", v), annotators.Device{})
		if err != nil {
			t.Fatalf("segformer %s: %v", v, err)
		}
		got, err := s.Segment(ctx, imgs)
		s.Close()
		if err != nil || len(got) != 3 || got[0].W == 0 {
			t.Fatalf("segformer %s: %v %v", v, got, err)
		}
		maps = append(maps, got[0].TopClasses(0.2))
	}
	if len(maps[0]) == 0 || len(maps[2]) == 0 || maps[0][0] != maps[2][0] {
		t.Errorf("fp16 and fp32 disagree on the largest class: %v vs %v", maps[2], maps[0])
	}
	_, err := segmenter.Load(twin("segformer", "q4"), annotators.Device{})
	if err == nil || !strings.Contains(err.Error(), "q8 (onnx/model_quantized.onnx)") {
		t.Errorf("a missing variant: %v", err)
	}
	c, err := captioner.Load(twin("vit-bert", ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	caps, err := c.Caption(ctx, imgs)
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range caps {
		if strings.Contains(cp, "##") || strings.Contains(cp, "[SEP]") || strings.Contains(cp, "[CLS]") {
			t.Errorf("WordPiece caption %q keeps pieces or special tokens", cp)
		}
	}
	// An external data file read from memory cannot be found by ONNX Runtime: say so.
	mem := annotators.ModelDir{FS: inMemory(t, twin("vit-bert", "")), Name: "in memory"}
	if _, err := captioner.Load(mem, annotators.Device{}); err == nil || !strings.Contains(err.Error(), "external data") {
		t.Errorf("external data from memory: %v", err)
	}
}

// TestPanopticTwinsGiveInstances: the Mask2Former and DETR twins' queries become
// segments with classes whose thing/stuff split comes from the Cityscapes table.
func TestPanopticTwinsGiveInstances(t *testing.T) {
	for _, name := range []string{"mask2former", "detr-panoptic"} {
		t.Run(name, func(t *testing.T) { panopticTwin(t, name) })
	}
}

func panopticTwin(t *testing.T, name string) {
	s, err := segmenter.Load(twin(name, ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(s.Contract(), "panoptic") || !strings.Contains(s.KindSource(), "Cityscapes") {
		t.Errorf("contract %q, kinds from %q", s.Contract(), s.KindSource())
	}
	maps, err := s.Segment(context.Background(), canvases(16))
	if err != nil {
		t.Fatal(err)
	}
	segs := 0
	for _, m := range maps {
		segs += len(m.Segments)
		if len(m.Instances) != m.W*m.H {
			t.Fatalf("instances of %d cells for a %d×%d map", len(m.Instances), m.W, m.H)
		}
		for i, id := range m.Instances {
			if id == 0 && m.Labels[i] != evidence.NoLabel || id != 0 && int(m.Labels[i]) >= len(s.Labels()) {
				t.Fatalf("cell %d: instance %d, label %d", i, id, m.Labels[i])
			}
		}
	}
	if segs == 0 {
		t.Error("no segment in 16 images")
	}
}
