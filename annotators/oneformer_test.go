package annotators_test

import (
	"context"
	"encoding/json"
	"image"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/annotators/tokenizer"
	"github.com/twigdata/twigdata/stages/evidence"
)

// TestOneFormerMatchesTransformers: on the OneFormer twin, the task prompt
// (CLIP tokens of "the task is …", padded to 77) is what OneFormerProcessor
// makes, the thing/stuff split comes from the directory, and the Go
// segmenter puts every cell in the class transformers' model,
// processor and post_process_panoptic_segmentation put it in.
func TestOneFormerMatchesTransformers(t *testing.T) {
	const dir = "testdata/oneformer/"
	data, err := os.ReadFile(dir + "golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var gold struct {
		TaskInputs map[string][]int64 `json:"task_inputs"`
		Images     []struct {
			Image    string  `json:"image"`
			Labels   [][]int `json:"labels"`
			Segments int     `json:"segments"`
		} `json:"images"`
	}
	if err := json.Unmarshal(data, &gold); err != nil {
		t.Fatal(err)
	}
	twinDir := "../testdata/models/twins/oneformer/"
	var vocab map[string]int
	b, _ := os.ReadFile(twinDir + "vocab.json")
	json.Unmarshal(b, &vocab)
	merges, _ := os.ReadFile(twinDir + "merges.txt")
	enc, err := tokenizer.NewCLIPEncoder(vocab, string(merges))
	if err != nil {
		t.Fatal(err)
	}
	for task, want := range gold.TaskInputs {
		ids, err := enc.Encode("the task is " + task)
		if err != nil {
			t.Fatal(err)
		}
		for len(ids) < len(want) {
			ids = append(ids, int64(vocab["<|endoftext|>"]))
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: task tokens %v, OneFormerProcessor %v", task, ids[:12], want[:12])
		}
	}
	s, err := segmenter.Load(twin("oneformer", ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.Contains(s.Contract(), "OneFormer") || s.KindSource() != "preprocessor_config.json metadata.thing_ids" || s.Kinds()[13] != evidence.KindThing || s.Kinds()[10] != evidence.KindStuff {
		t.Errorf("contract %q, kinds from %q: %v", s.Contract(), s.KindSource(), s.Kinds())
	}
	var imgs []image.Image
	for _, g := range gold.Images {
		imgs = append(imgs, loadPNG(t, dir+g.Image))
	}
	maps, err := s.Segment(context.Background(), imgs)
	if err != nil {
		t.Fatal(err)
	}
	segments := 0
	for i, g := range gold.Images {
		m := maps[i]
		segments += g.Segments
		if m.H != len(g.Labels) || m.W != len(g.Labels[0]) {
			t.Fatalf("image %d: map %d×%d, transformers %d×%d", i, m.W, m.H, len(g.Labels[0]), len(g.Labels))
		}
		diff := 0
		for y, row := range g.Labels {
			for x, want := range row {
				got := int(m.Labels[y*m.W+x])
				if m.Labels[y*m.W+x] == evidence.NoLabel {
					got = -1
				}
				if got != want {
					diff++
				}
			}
		}
		if diff > 0 {
			t.Errorf("image %d: %d of %d cells in another class than transformers put them", i, diff, m.W*m.H)
		}
	}
	if segments == 0 {
		t.Error("transformers found no segment in the golden images: the comparison proves nothing")
	}
}
