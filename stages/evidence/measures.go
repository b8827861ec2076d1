package evidence

import (
	"math"
	"slices"
	"sort"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Lab is the segment's mean colour in the lexicon's CIELAB, the one colour
// space of naming and judging.
func (s *Segment) Lab() [3]float64 {
	n := float64(s.Cells)
	return colour.Lab(s.r/n, s.g/n, s.b/n)
}

// colorError is the ΔE between a segment and an entity's prompt color; false
// when the entity names no color the lexicon knows.
func colorError(s *Segment, e schema.Entity) (float64, bool) {
	r, g, b, ok := colour.Reference(prompt.ColorOf(e))
	if !ok {
		return 0, false
	}
	return colour.DeltaE(s.Lab(), colour.Lab(r, g, b)), true
}

// sizeCost is what grounding adds to a candidate the size of nothing,
// against the largest candidate of its entity (see groundAll).
const sizeCost = 25.0

// groundAll links whole-image segments to prompt entity instances: a segment
// qualifies for an entity when its class names the entity's noun, or is
// generic and the prompt describes the entity by colour or shape, and its
// measured shape (if any) agrees; among qualifying pairs the
// closest in color are linked first. Color does not gate the link, so a
// recolored object is found and judged wrong in color rather than missing.
func groundAll(segs []*Segment, ents []schema.Entity) {
	pairs := groundings(segs, ents)
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

// grounding is a segment that may stand for an entity, and what linking
// them costs.
type grounding struct {
	seg, ent int
	cost     float64
}

// groundings are the segment–entity pairs that qualify, each with its cost:
// the colour error, a shape mismatch, and the size against the entity's
// largest candidate.
func groundings(segs []*Segment, ents []schema.Entity) []grounding {
	var pairs []grounding
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
			pairs = append(pairs, grounding{si, ei, cost})
		}
	}
	// Of candidates that fit alike, the larger stands for the prompt's
	// entity: what a prompt names is drawn prominently, and a small thing of
	// its kind beside it is more likely a distractor than the entity. A
	// smaller one costs up to sizeCost more, less than a clear colour
	// mismatch, so the right colour still wins.
	largest := make([]int, len(ents))
	for _, p := range pairs {
		largest[p.ent] = max(largest[p.ent], segs[p.seg].Cells)
	}
	for i, p := range pairs {
		if largest[p.ent] > 0 {
			pairs[i].cost += sizeCost * (1 - float64(segs[p.seg].Cells)/float64(largest[p.ent]))
		}
	}
	return pairs
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

// step is how much a line of the canvas breaks: abs, the median over
// columns of the ΔE across it — any break, but a textured surface shows one
// at every line —, and shift, the size of the median signed change of L*,
// a* and b* across it — a cast or a change of tone that runs along the line,
// which texture, changing at random from column to column, averages away.
type step struct{ abs, shift float64 }

// over is how far s rises above base in either measure.
func (s step) over(base step) float64 {
	return math.Max(0, math.Max(s.abs-base.abs, s.shift-base.shift))
}

// seamStep is the step across the seam at y, over the columns where the
// segmentation shows the same class on both sides: the mean of the two pixel
// rows above y against the two rows from y down. Columns where a class
// boundary falls on the seam (a horizon, an object's edge) are real edges,
// not discontinuities; with too few same-class columns there is no
func (sc *Scene) seamStep(y int) (step, bool) {
	if m, ok := sc.seams[y]; ok {
		return m.st, m.ok
	}
	st, ok := sc.measureSeam(y)
	if sc.seams == nil {
		sc.seams = map[int]seamMemo{}
	}
	sc.seams[y] = seamMemo{st, ok}
	return st, ok
}

// measureSeam is seamStep, measured.
func (sc *Scene) measureSeam(y int) (step, bool) {
	img := sc.canvas
	if y < 2 || y+2 > img.Rect.Dy() {
		return step{}, false
	}
	W := img.Rect.Dx()
	m := sc.seg
	cy := y * m.H / img.Rect.Dy()
	if cy < 1 || cy >= m.H {
		return step{}, false
	}
	// Every fourth column: the median needs no more, and this runs for
	// every seam, texture and interior line.
	// The scene's scratch slices, reused: only their medians are kept.
	steps := sc.scratch.steps[0][:0]
	var signed [3][]float64 // per Lab channel, below minus above
	for ch := range signed {
		signed[ch] = sc.scratch.steps[1+ch][:0]
	}
	defer func() {
		sc.scratch.steps = [4][]float64{steps, signed[0], signed[1], signed[2]}
	}()
	for x := 0; x < W; x += 4 {
		cx := x * m.W / W
		if l := m.Labels[cy*m.W+cx]; l == NoLabel || m.Labels[(cy-1)*m.W+cx] != l {
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
		lu, ld := sc.halfLab(up), sc.halfLab(down)
		steps = append(steps, colour.DeltaE(lu, ld))
		for ch := range signed {
			signed[ch] = append(signed[ch], ld[ch]-lu[ch])
		}
	}
	if len(steps) < W/16 {
		return step{}, false
	}
	var shift [3]float64
	for ch := range signed {
		shift[ch] = median(signed[ch])
	}
	return step{abs: median(steps), shift: colour.DeltaE(shift, [3]float64{})}, true
}

// median returns the middle value of v (the upper one of an even count),
// reordering v: a quickselect, since a seam's four medians ran for every
// seam, texture and interior line and sorting dominated the critic's time.
func median(v []float64) float64 {
	k := len(v) / 2
	lo, hi := 0, len(v)-1
	for lo < hi {
		pivot := v[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// interiorStep is coherence within band k, where no seam shows it: over
// the lines between the band's map rows, how far the largest step rises
// above twice their median, in either measure — a discontinuity running
// across the band stands out from its neighbours, while a textured surface
// raises every line alike. No line with evidence: nothing to judge.
func (sc *Scene) interiorStep(k int) (float64, bool) {
	b := sc.bands[k]
	cellH := float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
	var abs, shift []float64
	for r := int(float64(b.Y0)/cellH+0.5) + 1; float64(r)*cellH < float64(b.Y1)-2; r += 2 {
		if v, ok := sc.seamStep(int(float64(r) * cellH)); ok {
			abs, shift = append(abs, v.abs), append(shift, v.shift)
		}
	}
	if len(abs) == 0 {
		return 0, false
	}
	top := step{abs: slices.Max(abs), shift: slices.Max(shift)}
	return top.over(step{abs: 2 * median(abs), shift: 2 * median(shift)}), true
}

// texture is the step a surface takes from line to line near the seam at
// y without any seam: the median of each measure over the lines one to
// three map rows above and below it (zero where none has evidence). A seam
// is judged by how far its step rises above that, so a textured surface
// (grass, brick) is not taken for a break at every line.
func (sc *Scene) texture(y int) step {
	cellH := float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
	var abs, shift []float64
	for _, d := range []int{-3, -2, -1, 1, 2, 3} {
		if v, ok := sc.seamStep(y + int(float64(d)*cellH)); ok {
			abs, shift = append(abs, v.abs), append(shift, v.shift)
		}
	}
	if len(abs) == 0 {
		return step{}
	}
	return step{abs: median(abs), shift: median(shift)}
}
