package critic

import (
	"math"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/annotators/segmap"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/prompt"
)

// weights are the criteria's shares of r_k (see the package doc).
var weights = struct{ Color, Completeness, Detail, Spatial, Coherence float64 }{Color: 0.25, Completeness: 0.25, Detail: 0.10, Spatial: 0.20, Coherence: 0.20}

// linTable samples the sRGB transfer function over 0..255 finely enough to
// interpolate: lab runs for every seam column, and math.Pow dominated the
// critic's time.
var linTable = func() [linSteps + 2]float64 {
	var t [linSteps + 2]float64
	for i := range t {
		c := float64(i) / linSteps
		if c <= 0.04045 {
			t[i] = c / 12.92
		} else {
			t[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return t
}()

const linSteps = 4096

// linear is the sRGB component c (0..255) in linear light.
func linear(c float64) float64 {
	x := math.Max(0, math.Min(255, c)) / 255 * linSteps
	i := int(x)
	f := x - float64(i)
	return linTable[i]*(1-f) + linTable[i+1]*f
}

// lab converts sRGB (0..255) to CIELAB (D65).
func lab(r, g, b float64) [3]float64 {
	R, G, B := linear(r), linear(g), linear(b)
	x := (0.4124*R + 0.3576*G + 0.1805*B) / 0.95047
	y := 0.2126*R + 0.7152*G + 0.0722*B
	z := (0.0193*R + 0.1192*G + 0.9505*B) / 1.08883
	f := func(t float64) float64 {
		if t > 0.008856 {
			return math.Cbrt(t)
		}
		return 7.787*t + 16.0/116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func deltaE(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

func (s *Segment) lab() [3]float64 {
	n := float64(s.Cells)
	return lab(s.r/n, s.g/n, s.b/n)
}

// colorError is the ΔE between a segment and an entity's prompt color; false
// when the entity names no color the lexicon knows.
func colorError(s *Segment, e schema.Entity) (float64, bool) {
	r, g, b, ok := prompt.Reference(prompt.ColorOf(e))
	if !ok {
		return 0, false
	}
	return deltaE(s.lab(), lab(r, g, b)), true
}

// colorScore judges a segment's colour against an entity's prompt colour,
// 0..100: by the ΔE of its mean colour (≤ 12 scores 100, ≥ 40 scores 0) or,
// when that is better, by the share of its cells close to the prompt colour
// (ΔE ≤ 20; half or more scores 100, 15% or less 0) — so a two-tone or
// striped thing that is largely the prompt's colour is not judged by a
// mixture no part of it has. off names the mean colour of the cells that are
// not close to the prompt colour ("" when every cell is): what a fix must
// take away when the whole segment's colour bears the prompt colour's name.
// ok is false when the prompt names no colour the lexicon knows.
func (sc *Scene) colorScore(s *Segment, e schema.Entity) (score int, off string, ok bool) {
	r, g, b, ok := prompt.Reference(prompt.ColorOf(e))
	if !ok {
		return 0, "", false
	}
	ref := lab(r, g, b)
	best := pct(clamp01(1 - (deltaE(s.lab(), ref)-12)/28))
	cells := s.cellList(sc.seg.W)
	if len(cells) == 0 {
		return best, "", true
	}
	near := 0
	var far [3]float64
	for _, c := range cells {
		p := sc.cellPixel(c[0], c[1])
		if deltaE(lab(float64(p[0]), float64(p[1]), float64(p[2])), ref) <= 20 {
			near++
		} else {
			far[0], far[1], far[2] = far[0]+float64(p[0]), far[1]+float64(p[1]), far[2]+float64(p[2])
		}
	}
	if n := float64(len(cells) - near); n > 0 {
		off = prompt.NameColor(far[0]/n, far[1]/n, far[2]/n)
	}
	share := float64(near) / float64(len(cells))
	return max(best, pct(clamp01((share-0.15)/0.35))), off, true
}

// shadeOf names a segment's colour as a shade of the prompt colour want,
// "light red" or "dark red", by its lightness against want's; "" when want
// is already a shade or the lightness is within 5 L* units of it.
func shadeOf(s *Segment, want string) string {
	r, g, b, ok := prompt.Reference(want)
	if !ok || strings.Contains(want, " ") {
		return ""
	}
	d := s.lab()[0] - lab(r, g, b)[0]
	switch {
	case d >= 5:
		return "light " + want
	case d <= -5:
		return "dark " + want
	}
	return ""
}

// groundAll links whole-image segments to prompt entity instances: a segment
// qualifies for an entity when its class names the entity's noun, or is
// generic and the prompt describes the entity by colour or shape, and its
// measured shape (if any) agrees; among qualifying pairs the
// closest in color are linked first. Color does not gate the link, so a
// recolored object is found and judged wrong in color rather than missing.
func groundAll(segs []*Segment, ents []schema.Entity) {
	type pair struct {
		seg, ent int
		cost     float64
	}
	var pairs []pair
	for si, s := range segs {
		noun, generic := GenericNoun(s.Noun)
		if s.Stuff && generic {
			continue
		}
		for ei, e := range ents {
			if !generic && noun != e.Noun {
				continue
			}
			if generic && prompt.ColorOf(e) == "" && prompt.ShapeOf(e) == "" {
				// A generic label says only "a thing of this colour (and
				// shape)": it can stand for a prompt entity the prompt
				// describes by colour or shape, never for "a student".
				continue
			}
			cost, _ := colorError(s, e)
			if sh := prompt.ShapeOf(e); sh != "" && s.Shape != "" && sh != s.Shape {
				// Occlusion changes a measured shape: a mismatch costs as much as
				// a clearly wrong color rather than ruling the pair out.
				cost += 40
			}
			pairs = append(pairs, pair{si, ei, cost})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].cost < pairs[j].cost })
	left := make([]int, len(ents))
	for i, e := range ents {
		left[i] = int(e.Count)
	}
	for _, p := range pairs {
		if segs[p.seg].Entity >= 0 || left[p.ent] == 0 {
			continue
		}
		segs[p.seg].Entity = p.ent
		left[p.ent]--
	}
}

// link gives each band piece the entity of the whole-image segment it belongs to.
func link(pieces, whole []*Segment) {
	for _, p := range pieces {
		cx, cy := (p.X0+p.X1)/2, (p.Y0+p.Y1)/2
		for _, w := range whole {
			if w.Class == p.Class && cx >= w.X0 && cx < w.X1 && cy >= w.Y0 && cy < w.Y1 {
				p.Entity, p.whole, p.Shape = w.Entity, w, w.Shape
				break
			}
		}
	}
}

// readingOrder lists the entities in the order the prompt's left/right
// relations put them on the canvas, so a revision that names missing
// entities names them in the order they should appear, without anchor words.
func readingOrder(ents []schema.Entity, rels []schema.Relation) []int {
	order := make([]int, len(ents))
	for i := range order {
		order[i] = i
	}
	pos := func(noun string) int {
		for p, i := range order {
			if ents[i].Noun == noun {
				return p
			}
		}
		return -1
	}
	for _, r := range rels {
		s, o := pos(r.Subject), pos(r.Object)
		if s < 0 || o < 0 {
			continue
		}
		if (r.Predicate == "on the right of" && s < o) || (r.Predicate == "on the left of" && s > o) {
			order[s], order[o] = order[o], order[s]
		}
	}
	return order
}

// seamStep is the median, over the columns where the segmentation shows the
// same class on both sides of the seam at y, of the ΔE between the mean of the
// two pixel rows above y and the two rows from y down. Columns where a class
// boundary falls on the seam (a horizon, an object's edge) are real edges,
// not discontinuities; with too few same-class columns there is no evidence.
func (sc *Scene) seamStep(y int) (float64, bool) {
	img := sc.canvas
	if y < 2 || y+2 > img.Rect.Dy() {
		return 0, false
	}
	W := img.Rect.Dx()
	m := sc.seg
	cy := y * m.H / img.Rect.Dy()
	if cy < 1 || cy >= m.H {
		return 0, false
	}
	// Every fourth column: the median needs no more, and this runs for
	// every seam, texture and interior line.
	steps := make([]float64, 0, W/4+1)
	for x := 0; x < W; x += 4 {
		cx := x * m.W / W
		if l := m.Labels[cy*m.W+cx]; l == segmap.NoLabel || m.Labels[(cy-1)*m.W+cx] != l {
			continue
		}
		var up, down [3]float64
		for d := 1; d <= 2; d++ {
			pu := img.Pix[img.PixOffset(x, y-d):]
			pd := img.Pix[img.PixOffset(x, y+d-1):]
			for ch := 0; ch < 3; ch++ {
				up[ch] += float64(pu[ch]) / 2
				down[ch] += float64(pd[ch]) / 2
			}
		}
		steps = append(steps, deltaE(lab(up[0], up[1], up[2]), lab(down[0], down[1], down[2])))
	}
	if len(steps) < W/16 {
		return 0, false
	}
	sort.Float64s(steps)
	return steps[len(steps)/2], true
}

// interiorStep is coherence within band k, where no seam shows it: over
// the lines between the band's map rows, how far the largest seamStep rises
// above twice their median — a discontinuity running across the band stands
// out from its neighbours, while a textured surface raises every line
// alike. No line with evidence: nothing to judge.
func (sc *Scene) interiorStep(k int) (float64, bool) {
	b := sc.bands[k]
	cellH := float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
	var steps []float64
	for r := int(float64(b.Y0)/cellH+0.5) + 1; float64(r)*cellH < float64(b.Y1)-2; r += 2 {
		if v, ok := sc.seamStep(int(float64(r) * cellH)); ok {
			steps = append(steps, v)
		}
	}
	if len(steps) == 0 {
		return 0, false
	}
	sort.Float64s(steps)
	return math.Max(0, steps[len(steps)-1]-2*steps[len(steps)/2]), true
}

// texture is the step a surface takes from line to line near the seam at
// y without any seam: the median seamStep over the lines one to three map
// rows above and below it (0 where none has evidence). A seam is judged by
// how far its step rises above that, so a textured surface (grass, brick) is
// not taken for a break at every line.
func (sc *Scene) texture(y int) float64 {
	cellH := float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
	var steps []float64
	for _, d := range []int{-3, -2, -1, 1, 2, 3} {
		if v, ok := sc.seamStep(y + int(float64(d)*cellH)); ok {
			steps = append(steps, v)
		}
	}
	if len(steps) == 0 {
		return 0
	}
	sort.Float64s(steps)
	return steps[len(steps)/2]
}
