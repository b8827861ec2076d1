package compose_test

import (
	"bytes"
	"image/jpeg"
	"reflect"
	"testing"

	"github.com/twigdata/twigdata/internal/heldout"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/stages/prompt"
)

// composed composes scene i of the held-apart world from its truth, with
// threshold theta.
func composed(t *testing.T, w *heldout.World, i, theta int) (compose.Input, compose.Annotations, *compose.Composer) {
	t.Helper()
	s := w.Scene(i)
	img, truth := s.Render()
	c := &compose.Composer{Theta: theta, Patch: 16, JPEGQuality: 90, ToolVersion: "test", SegmenterID: "truth", CaptionerID: "none",
		Labels: heldout.Labels(), Kinds: heldout.Noises[0].Kinds(), Templates: plan.DefaultTemplates()}
	in := compose.Input{Key: "scene", Prompt: s.Prompt, Parsed: prompt.Parse(s.Prompt), Bands: heldout.Bands,
		Decoded: imageproc.Decoded{Format: "png", Width: img.Rect.Dx(), Height: img.Rect.Dy(), Canvas: img, Blockiness: 1}}
	return in, compose.Annotations{Map: s.Map(truth, heldout.Noises[0])}, c
}

// TestComposeWritesTheRegionsItScores: the record's regions are Regions'
// own, its image is the canvas, its id the key's, and composing twice gives
// the same record.
func TestComposeWritesTheRegionsItScores(t *testing.T) {
	w, err := heldout.NewWorld("../..")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		in, ann, c := composed(t, w, i, critic.DefaultTheta)
		rec, err := c.Compose(in, ann)
		if err != nil {
			t.Fatal(err)
		}
		regions, _ := c.Regions(in.Decoded.Canvas, in.Parsed, in.Bands, ann)
		if !reflect.DeepEqual(rec.Regions, regions) {
			t.Errorf("scene %d: the record's regions are not what Regions writes", i)
		}
		again, _ := c.Compose(in, ann)
		if !reflect.DeepEqual(rec, again) {
			t.Errorf("scene %d: composing twice gave two records", i)
		}
		img, err := jpeg.Decode(bytes.NewReader(rec.Image.Bytes))
		if err != nil || img.Bounds() != in.Decoded.Canvas.Rect {
			t.Errorf("scene %d: the record's image: %v, %v", i, err, img.Bounds())
		}
		if rec.ID != compose.SampleID("scene") || len(rec.Regions) != len(in.Bands) || rec.GridRows != int32(in.Decoded.Canvas.Rect.Dy()/16) {
			t.Errorf("scene %d: id %s, %d regions, %d grid rows", i, rec.ID, len(rec.Regions), rec.GridRows)
		}
	}
}

// TestThetaDecidesOnlyReflection: a region is reflected exactly when its
// score is below θ, its revision is then the plan and more, and otherwise
// the plan itself; θ changes nothing else.
func TestThetaDecidesOnlyReflection(t *testing.T) {
	w, err := heldout.NewWorld("../..")
	if err != nil {
		t.Fatal(err)
	}
	reflected := map[int]int{}
	for i := 0; i < 12; i++ {
		var plans []string
		for _, theta := range []int{0, critic.DefaultTheta, 101} {
			in, ann, c := composed(t, w, i, theta)
			regions, _ := c.Regions(in.Decoded.Canvas, in.Parsed, in.Bands, ann)
			for k, r := range regions {
				if r.Reflected != (int(r.Critic.Score) < theta) {
					t.Errorf("scene %d region %d, θ %d: score %d, reflected %v", i, k, theta, r.Critic.Score, r.Reflected)
				}
				switch {
				case !r.Reflected && r.RevisedPlan != r.Plan:
					t.Errorf("scene %d region %d, θ %d: not reflected, yet revised: %q", i, k, theta, r.RevisedPlan)
				case r.Reflected && len(r.RevisedPlan) < len(r.Plan):
					t.Errorf("scene %d region %d, θ %d: revision %q shorter than the plan %q", i, k, theta, r.RevisedPlan, r.Plan)
				case r.Reflected:
					reflected[theta]++
				}
				plans = append(plans, r.Plan)
			}
		}
		n := len(plans) / 3
		if !reflect.DeepEqual(plans[:n], plans[n:2*n]) || !reflect.DeepEqual(plans[:n], plans[2*n:]) {
			t.Errorf("scene %d: θ changed the plans", i)
		}
	}
	if reflected[0] != 0 || reflected[101] != 36 || reflected[critic.DefaultTheta] == 0 {
		t.Errorf("reflected regions by θ: %v (θ 0: none, θ 101: all 36)", reflected)
	}
}
