package stages

import (
	"fmt"
	"image"
	"math"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/schema"
)

// The critic scores each band on the five TwiG criteria, every one from
// measured evidence, 0..100:
//
//   - color accuracy: for each prompt entity grounded in the band, the CIE76
//     ΔE between the mean CIELAB color of its segment and the prompt color's
//     reference; ΔE ≤ 12 scores 100, ΔE ≥ 40 scores 0, linear between; the
//     band takes its worst entity. No colored entity in the band: 100.
//   - object completeness: the square of the share of entity instances found
//     in the band among those expected there (one of four missing scores 56).
//     Instances the image lacks are expected in the content band (the band
//     holding most grounded object cells, else the middle one).
//   - detail richness: 60 + 20 per described group (stuff or objects), capped
//     at 100; an empty band scores 0.
//   - spatial relationships: the prompt's relations whose two ends are
//     grounded, with an end in the band, that hold for the segments' centers.
//   - visual coherence: continuity across the seam with the band above: the
//     median, over columns where the segmentation shows one class on both
//     sides, of ΔE between the two pixel rows above and the two below the
//     seam; ≤ 5 scores 100, ≥ 20 scores 0. The first band scores 100.
//
// r_k is their weighted mean with the weights below.
var criticWeights = struct{ Color, Completeness, Detail, Spatial, Coherence float64 }{0.25, 0.25, 0.10, 0.20, 0.20}

// referenceColors are the sRGB references prompt color words are judged against.
var referenceColors = map[string][3]float64{
	"red": {215, 35, 40}, "green": {40, 175, 65}, "blue": {35, 65, 190}, "yellow": {245, 212, 35}, "purple": {128, 40, 150},
	"orange": {245, 125, 25}, "white": {245, 245, 245}, "black": {25, 25, 25}, "pink": {245, 135, 185}, "brown": {122, 72, 32},
	"gray": {128, 128, 128}, "grey": {128, 128, 128}, "golden": {212, 175, 55}, "gold": {212, 175, 55}, "silver": {192, 192, 192},
	"beige": {215, 195, 150}, "tan": {210, 180, 140}, "violet": {140, 80, 200}, "turquoise": {64, 224, 208}, "navy": {20, 30, 110},
	"maroon": {128, 20, 30}, "teal": {0, 128, 128}, "cyan": {0, 200, 220}, "magenta": {220, 0, 160}, "cream": {250, 245, 215},
}

// lab converts sRGB (0..255) to CIELAB (D65).
func lab(r, g, b float64) [3]float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	R, G, B := lin(r), lin(g), lin(b)
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

func (s *segment) lab() [3]float64 {
	n := float64(s.cells)
	return lab(s.r/n, s.g/n, s.b/n)
}

// colorError is the ΔE between a segment and an entity's prompt color, or 0
// when the entity names no color the critic knows.
func colorError(s *segment, e schema.Entity) (float64, bool) {
	ref, ok := referenceColors[entityColor(e)]
	if !ok {
		return 0, false
	}
	return deltaE(s.lab(), lab(ref[0], ref[1], ref[2])), true
}

// groundAll links whole-image segments to prompt entity instances: a segment
// qualifies for an entity when its class is generic or names the entity's
// noun and its measured shape (if any) agrees; among qualifying pairs the
// closest in color are linked first. Color does not gate the link, so a
// recolored object is found and judged wrong in color rather than missing.
func groundAll(segs []*segment, ents []schema.Entity) {
	type pair struct {
		seg, ent int
		cost     float64
	}
	var pairs []pair
	for si, s := range segs {
		noun, generic := genericNoun(s.noun)
		if s.stuff && generic {
			continue
		}
		for ei, e := range ents {
			if !generic && noun != e.Noun {
				continue
			}
			cost, _ := colorError(s, e)
			if sh := entityShape(e); sh != "" && s.shape != "" && sh != s.shape {
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
		if segs[p.seg].entity >= 0 || left[p.ent] == 0 {
			continue
		}
		segs[p.seg].entity = p.ent
		left[p.ent]--
	}
}

// link gives each band piece the entity of the whole-image segment it belongs to.
func link(pieces, whole []*segment) {
	for _, p := range pieces {
		cx, cy := (p.x0+p.x1)/2, (p.y0+p.y1)/2
		for _, w := range whole {
			if w.class == p.class && cx >= w.x0 && cx < w.x1 && cy >= w.y0 && cy < w.y1 {
				p.entity, p.whole, p.shape = w.entity, w, w.shape
				break
			}
		}
	}
}

// critic holds what the whole image tells about every band.
type critic struct {
	ents        []schema.Entity
	rels        []schema.Relation
	whole       []*segment
	contentBand int
	missing     []string // prompt instances the image lacks, described
	canvas      *image.RGBA
	seg         annotators.SegMap
}

func newCritic(it *Item, whole []*segment, ents []schema.Entity, bandOf func(y int) int, bands int) *critic {
	c := &critic{ents: ents, rels: it.Parsed.Relations, whole: whole, canvas: it.Canvas, seg: it.Seg, contentBand: bands / 2}
	found := make([]int, len(ents))
	cells := make([]int, bands)
	for _, s := range whole {
		if s.entity < 0 {
			continue
		}
		found[s.entity]++
		if !s.stuff {
			cells[bandOf((s.y0+s.y1)/2)] += s.cells
		}
	}
	best := 0
	for b, n := range cells {
		if n > best {
			best, c.contentBand = n, b
		}
	}
	for _, i := range readingOrder(ents, it.Parsed.Relations) {
		e := ents[i]
		if n := int(e.Count) - found[i]; n > 0 {
			desc := strings.TrimSpace(strings.Join(e.Attributes, " ") + " " + plural(e.Noun, n))
			c.missing = append(c.missing, countWord(n, desc)+" "+desc)
		}
	}
	return c
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

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

// score computes the critique of band k from its pieces and returns the
// revision text for the criteria that fell short.
func (c *critic) score(k int, b Band, pieces []*segment, groupsN int) (schema.Critic, string) {
	var fixes []string
	// Color accuracy.
	color := 100
	seen := map[*segment]bool{}
	for _, p := range pieces {
		if p.entity < 0 || p.whole == nil || seen[p.whole] {
			continue
		}
		seen[p.whole] = true
		e := c.ents[p.entity]
		if d, ok := colorError(p.whole, e); ok {
			s := pct(clamp01(1 - (d-12)/28))
			if s < color {
				color = s
			}
			if s < 60 {
				fixes = append(fixes, fmt.Sprintf("The %s is %s, not %s.", e.Noun, entityColor(e), p.whole.color))
			}
		}
	}
	// Object completeness.
	found := len(seen)
	expected := found
	if k == c.contentBand {
		for _, e := range c.ents {
			expected += int(e.Count)
		}
		expected -= c.foundTotal()
		if len(c.missing) > 0 {
			fixes = append(fixes, "It must also show "+joinList(c.missing)+", drawn whole and clearly.")
		}
	}
	completeness := 100
	if expected > 0 {
		share := float64(found) / float64(expected)
		completeness = pct(share * share) // one of four balls missing is already a failed count
	}
	// Detail richness.
	detail := min(100, 60+20*groupsN)
	if groupsN == 0 {
		detail = 0
		fixes = append(fixes, "It needs visible content with clear color and texture.")
	}
	// Spatial relationships.
	spatial, checked, held := 100, 0, 0
	for _, r := range c.rels {
		a, bb := c.first(r.Subject), c.first(r.Object)
		if a == nil || bb == nil || (!seen[a] && !seen[bb]) {
			continue
		}
		checked++
		if relationHolds(r.Predicate, a, bb) {
			held++
		} else {
			fixes = append(fixes, fmt.Sprintf("The %s and the %s must trade places to match the prompt.", r.Subject, r.Object))
		}
	}
	if checked > 0 {
		spatial = pct(float64(held) / float64(checked))
	}
	// Visual coherence across the seam with the band above.
	coherence := 100
	if k > 0 {
		med := c.seamStep(b.Y0)
		coherence = pct(clamp01(1 - (med-5)/15))
		if coherence < 60 {
			fixes = append(fixes, "Colors and light must continue smoothly from what is already drawn.")
		}
	}
	w := criticWeights
	r := w.Color*float64(color) + w.Completeness*float64(completeness) + w.Detail*float64(detail) + w.Spatial*float64(spatial) + w.Coherence*float64(coherence)
	if len(fixes) == 0 {
		fixes = append(fixes, "Edges stay crisp and every color stays true to the prompt.")
	}
	return schema.Critic{Score: int32(math.Round(r)), Color: int32(color), Completeness: int32(completeness), Detail: int32(detail),
		Spatial: int32(spatial), Coherence: int32(coherence)}, strings.Join(fixes, " ")
}

func (c *critic) foundTotal() int {
	n := 0
	for _, s := range c.whole {
		if s.entity >= 0 {
			n++
		}
	}
	return n
}

func (c *critic) first(noun string) *segment {
	for _, s := range c.whole {
		if s.entity >= 0 && c.ents[s.entity].Noun == noun {
			return s
		}
	}
	return nil
}

// seamStep is the median, over the columns where the segmentation shows the
// same class on both sides of the seam at y, of the ΔE between the mean of the
// two pixel rows above y and the two rows from y down. Columns where a class
// boundary falls on the seam (a horizon, an object's edge) are real edges,
// not discontinuities; with too few same-class columns there is no evidence.
func (c *critic) seamStep(y int) float64 {
	img := c.canvas
	if y < 2 || y+2 > img.Rect.Dy() {
		return 0
	}
	W := img.Rect.Dx()
	m := c.seg
	cy := y * m.H / img.Rect.Dy()
	if cy < 1 || cy >= m.H {
		return 0
	}
	steps := make([]float64, 0, W)
	for x := 0; x < W; x++ {
		cx := x * m.W / W
		if m.Labels[(cy-1)*m.W+cx] != m.Labels[cy*m.W+cx] {
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
	if len(steps) < W/4 {
		return 0
	}
	sort.Float64s(steps)
	return steps[len(steps)/2]
}
