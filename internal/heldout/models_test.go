//go:build cgo

package heldout

import (
	"context"
	"fmt"
	"image"
	"os"
	"testing"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/internal/synth"
)

// TestPlanReportOnModelOutput judges the composer on what real models say of
// the held-apart world's test split instead of its truth: the bundled tiny
// segmenter (built for the other world's palette and shapes) and, when
// made, the exporter-made twins. These are the figures a user's models
// would get on an unfamiliar world; the bundled ones are expected to be poor.
func TestPlanReportOnModelOutput(t *testing.T) {
	if err := annotators.Init(""); err != nil {
		t.Skip("no ONNX Runtime: ", err)
	}
	w, err := NewWorld("../..")
	if err != nil {
		t.Fatal(err)
	}
	seg, err := segmenter.Load(annotators.ModelDir{FS: twigdata.Model("segmenter"), Name: "bundled:segmenter"}, annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	sp := splits[len(splits)-1]
	var st PlanStats
	for i := sp.first; i < sp.first+sp.size; i += 16 {
		var imgs []image.Image
		var ss []Scene
		var truths []Truth
		for j := i; j < min(i+16, sp.first+sp.size); j++ {
			s := w.Scene(j)
			img, tr := s.Render()
			imgs, ss, truths = append(imgs, img), append(ss, s), append(truths, tr)
		}
		maps, err := seg.Segment(context.Background(), imgs)
		if err != nil {
			t.Fatal(err)
		}
		for n, s := range ss {
			plans, _, _ := Compose(imgs[n].(*image.RGBA), maps[n], seg.Labels(), seg.Kinds(), s.Prompt, nil)
			for k, b := range Bands {
				st.Add(plans[k], s.Region(truths[n], b.Y0, b.Y1))
			}
		}
	}
	f := st.Figures()
	fmt.Fprintf(os.Stdout, "held-apart world, %s, composer on the bundled segmenter's output\n%s\n%s\n", sp.name, Header, f.Line("bundled segmenter"))
	for _, e := range st.Examples {
		fmt.Println("    e.g. " + e)
	}
	fmt.Println()
	if f.Placeholders != 0 || f.CountedMass != 0 || f.Short != 0 {
		t.Errorf("%d placeholder nouns, %d counted mass nouns %q, %d plans under 8 words", f.Placeholders, f.CountedMass, st.MassExamples, f.Short)
	}
}

// TestPlanReportOnTheBundledWorld judges plans of the bundled sample's world
// (internal/synth, the one the composer was developed on) from the bundled
// segmenter's output against that world's truth: the in-sample figures, to
// set beside the held-apart ones.
func TestPlanReportOnTheBundledWorld(t *testing.T) {
	if err := annotators.Init(""); err != nil {
		t.Skip("no ONNX Runtime: ", err)
	}
	seg, err := segmenter.Load(annotators.ModelDir{FS: twigdata.Model("segmenter"), Name: "bundled:segmenter"}, annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	var st PlanStats
	const n = 96
	for i := 0; i < n; i++ {
		s := synth.NewScene(i)
		s.Width, s.Height = Size, Size
		img := s.Render()
		maps, err := seg.Segment(context.Background(), []image.Image{img})
		if err != nil {
			t.Fatal(err)
		}
		plans, _, _ := Compose(img, maps[0], seg.Labels(), seg.Kinds(), s.Prompt, nil)
		for k, b := range Bands {
			st.Add(plans[k], synthRegion(s, b.Y0, b.Y1))
		}
	}
	f := st.Figures()
	fmt.Printf("bundled world (internal/synth, in sample), %d scenes, composer on the bundled segmenter's output\n%s\n%s\n\n", n, Header, f.Line("bundled segmenter"))
	if f.Placeholders != 0 || f.CountedMass != 0 || f.Short != 0 {
		t.Errorf("%d placeholder nouns, %d counted mass nouns, %d plans under 8 words", f.Placeholders, f.CountedMass, f.Short)
	}
}

// synthRegion is the truth of pixel rows [y0, y1) of a bundled-world scene,
// counted as Region counts the held-apart world's.
func synthRegion(s synth.Scene, y0, y1 int) []Entity {
	truth := Truth{Label: make([]int, Size*Size), Instance: make([]int, Size*Size)}
	things := make([]Entity, len(s.Objects))
	for k, o := range s.Objects {
		things[k] = Entity{Noun: o.Shape.Noun(), Colors: []string{synth.Classes[o.Class].ColorWord}}
	}
	labels := []string{synth.Classes[0].Label, synth.Classes[s.Ground].Label} // above and below the horizon
	for y := 0; y < Size; y++ {
		for x := 0; x < Size; x++ {
			p := y*Size + x
			u, v := (float64(x)+0.5)/Size, (float64(y)+0.5)/Size
			truth.Instance[p] = -1
			for k, o := range s.Objects {
				if o.Contains(u, v) {
					truth.Instance[p] = k
				}
			}
			if v >= s.Horizon {
				truth.Label[p] = 1
			}
		}
	}
	return CountRegion(truth, things, labels, y0, y1)
}
