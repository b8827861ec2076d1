//go:build cgo

// These tests build datasets with the bundled models, which need ONNX
// Runtime through cgo.

package stages_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/synth"
	"github.com/twigdata/twigdata/schema"
)

const theta = 90

// defect is one controlled change to a clean scene and the band and
// criterion it must be caught in.
type defect struct {
	kind      string
	scene     synth.Scene
	band      int    // the affected band
	touched   []bool // bands whose pixels changed (not held to the tolerance)
	criterion string
}

func bandOfY(y float64) int { return min(2, int(y*384)/128) }

func touchedBy(objs ...synth.Object) []bool {
	t := make([]bool, 3)
	for _, o := range objs {
		for b := bandOfY(o.V - o.Radius); b <= bandOfY(o.V+o.Radius); b++ {
			t[b] = true
		}
	}
	return t
}

// farColor is the object color farthest from every color the scene uses.
func farColor(s synth.Scene) int {
	best, bestD := -1, -1.0
	for _, c := range synth.ObjectColors() {
		d := math.Inf(1)
		for _, o := range s.Objects {
			a, b := synth.Classes[c].RGB, synth.Classes[o.Class].RGB
			d = math.Min(d, math.Abs(float64(a.R)-float64(b.R))+math.Abs(float64(a.G)-float64(b.G))+math.Abs(float64(a.B)-float64(b.B)))
		}
		if d > bestD {
			best, bestD = c, d
		}
	}
	return best
}

func defects(i int) []defect {
	clean := synth.NewScene(i)
	clean.Width, clean.Height = 384, 384
	var out []defect
	o := clean.Objects[0]
	// Recolor the first object.
	rc := clean
	rc.Objects = append([]synth.Object(nil), clean.Objects...)
	rc.Objects[0].Class = farColor(clean)
	out = append(out, defect{"recolor", rc, bandOfY(o.V), touchedBy(o), "color"})
	// Erase the first object.
	er := clean
	er.Objects = append([]synth.Object(nil), clean.Objects[1:]...)
	out = append(out, defect{"erase", er, bandOfY(o.V), touchedBy(o), "completeness"})
	// Swap the two objects of a left/right relation.
	if strings.Contains(clean.Prompt, " of ") && len(clean.Objects) == 2 && !strings.Contains(clean.Prompt, "front") {
		sw := clean
		sw.Objects = append([]synth.Object(nil), clean.Objects...)
		sw.Objects[0].U, sw.Objects[1].U = sw.Objects[1].U, sw.Objects[0].U
		out = append(out, defect{"swap", sw, bandOfY(o.V), touchedBy(clean.Objects...), "spatial"})
	}
	// Break a relation in depth: the object meant to be in front drawn
	// behind the other (drawn first, so the other covers it).
	if strings.Contains(clean.Prompt, "in front of") && len(clean.Objects) == 2 {
		dp := clean
		dp.Objects = []synth.Object{clean.Objects[1], clean.Objects[0]}
		out = append(out, defect{"depth", dp, bandOfY(o.V), touchedBy(clean.Objects...), "spatial"})
	}
	// A seam discontinuity: the lower band drawn in another colour than the
	// band above — where something runs across the seam; a cast that begins
	// where a new surface begins (a horizon on the seam) breaks nothing.
	if continuesAcross(clean, 256) {
		sm := clean
		sm.Variant = "seam"
		out = append(out, defect{"seam", sm, 2, []bool{false, false, true}, "coherence"})
	}
	return out
}

// continuesAcross reports whether the sky, the ground or a thing runs across
// canvas row y of a 384-pixel scene: the same on the four rows above it and
// the four from it down, in at least a tenth of the columns (the held-apart
// report's rule).
func continuesAcross(s synth.Scene, y int) bool {
	at := func(x, y int) int {
		u, v := (float64(x)+0.5)/384, (float64(y)+0.5)/384
		for k := len(s.Objects) - 1; k >= 0; k-- {
			if s.Objects[k].Contains(u, v) {
				return 2 + k
			}
		}
		if v >= s.Horizon {
			return 1
		}
		return 0
	}
	n := 0
	for x := 0; x < 384; x++ {
		same := true
		for yy := y - 3; yy < y+4 && same; yy++ {
			same = at(x, yy) == at(x, y-4)
		}
		if same {
			n++
		}
	}
	return n >= 384/10
}

func writeScene(t *testing.T, dir, stem string, s synth.Scene) {
	t.Helper()
	img := s.Render()
	if s.Variant == "seam" {
		// A color cast over the whole lower band, chosen so that every
		// scenery class stays itself (ΔE ≥ 20 against each): the band no
		// longer continues the one above, yet shows the same things.
		shift := [3]int{5, -20, 15}
		for y := 256; y < 384; y++ {
			for x := 0; x < 384; x++ {
				p := img.Pix[img.PixOffset(x, y):]
				for c := 0; c < 3; c++ {
					p[c] = uint8(max(0, min(255, int(p[c])+shift[c])))
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, stem+".png"), b.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, stem+".txt"), []byte(s.Prompt), 0o644)
}

func lowest(c schema.Critic) string {
	name, v := "", int32(101)
	for _, x := range []struct {
		n string
		v int32
	}{{"color", c.Color}, {"completeness", c.Completeness}, {"spatial", c.Spatial}, {"coherence", c.Coherence}} {
		if x.v < v && !slices.Contains(c.Unverified, x.n) {
			name, v = x.n, x.v
		}
	}
	return name
}

// TestCriticCatchesInjectedDefects makes controlled defects in one band of
// clean scenes and checks that the critic reflects exactly there, for the
// right reason, and leaves the other bands' scores alone.
func TestCriticCatchesInjectedDefects(t *testing.T) {
	in := t.TempDir()
	const scenes = 32
	all := map[string]defect{}
	for i := 0; i < scenes; i++ {
		clean := synth.NewScene(i)
		clean.Width, clean.Height = 384, 384
		writeScene(t, in, fmt.Sprintf("clean-%02d", i), clean)
		for _, d := range defects(i) {
			stem := fmt.Sprintf("%s-%02d", d.kind, i)
			writeScene(t, in, stem, d.scene)
			all[stem] = d
		}
	}
	out := filepath.Join(t.TempDir(), "ds")
	if _, err := build(t, context.Background(), in, out, nil); err != nil {
		t.Fatal(err)
	}
	samples := readSamples(t, out)
	if rj := readRejects(t, out); len(rj) > 0 {
		t.Fatalf("rejected: %v", rj)
	}
	// Reflection triggered = some band scored below θ.
	var tp, fp, fn int
	wrongReason := map[string]int{}
	missed := map[string]int{}
	for i := 0; i < scenes; i++ {
		clean := samples[fmt.Sprintf("clean-%02d", i)]
		for _, r := range clean.Regions {
			if r.Critic.Score < theta {
				fp++
				t.Logf("clean-%02d band %d reflected: %+v", i, r.Index, r.Critic)
			}
		}
		for stem, d := range all {
			if !strings.HasSuffix(stem, fmt.Sprintf("-%02d", i)) {
				continue
			}
			got := samples[stem]
			for k, r := range got.Regions {
				switch {
				case k == d.band:
					if r.Critic.Score < theta {
						tp++
						if lowest(r.Critic) != d.criterion {
							wrongReason[d.kind]++
							t.Errorf("%s band %d: lowest criterion %s, want %s (%+v)", stem, k, lowest(r.Critic), d.criterion, r.Critic)
						}
					} else {
						fn++
						missed[d.kind]++
						t.Logf("%s band %d not caught: %+v", stem, k, r.Critic)
					}
				case !d.touched[k]:
					if diff := r.Critic.Score - clean.Regions[k].Critic.Score; diff < -3 || diff > 3 {
						t.Errorf("%s: untouched band %d moved from %d to %d", stem, k, clean.Regions[k].Critic.Score, r.Critic.Score)
					}
					if r.Critic.Score < theta {
						fp++
					}
				}
			}
		}
	}
	precision := float64(tp) / float64(max(tp+fp, 1))
	recall := float64(tp) / float64(max(tp+fn, 1))
	t.Logf("defects injected: %d; reflection triggered on the affected band: %d; missed: %v; false reflections: %d", tp+fn, tp, missed, fp)
	t.Logf("precision %.3f, recall %.3f", precision, recall)
	if recall < 0.9 || precision < 0.9 {
		t.Errorf("precision %.3f and recall %.3f, want both >= 0.9", precision, recall)
	}
}
