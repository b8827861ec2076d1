package evidence

import (
	"strings"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
)

// Phrases are the prompt's entities as a grounder is asked for them: their
// attributes and noun, in the plural when the prompt counts more than one
// ("red balls", "wooden table").
func Phrases(ents []schema.Entity) []string {
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		words := append(append([]string(nil), e.Attributes...), english.Plural(e.Noun, int(e.Count)))
		out = append(out, strings.Join(words, " "))
	}
	return out
}

// entityOf is the entity a grounded phrase names: one whose noun (singular or
// plural) the phrase holds as whole words, the one sharing most attribute
// words when several do; -1 when none does.
func entityOf(phrase string, ents []schema.Entity) int {
	words := strings.Fields(strings.ToLower(phrase))
	has := func(w string) bool {
		for _, x := range words {
			if x == w {
				return true
			}
		}
		return false
	}
	hasRun := func(noun string) bool {
		nw := strings.Fields(noun)
		for i := 0; i+len(nw) <= len(words); i++ {
			if strings.Join(words[i:i+len(nw)], " ") == noun {
				return true
			}
		}
		return false
	}
	best, bestScore := -1, -1
	for i, e := range ents {
		noun := strings.ToLower(e.Noun)
		if !hasRun(noun) && !hasRun(english.Plural(noun, 2)) {
			continue
		}
		score := 0
		for _, a := range e.Attributes {
			if has(strings.ToLower(a)) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

// addGrounded makes a segment of each grounded box that finds an entity
// instance the segmenter did not: a box whose entity already has all its
// instances, or which mostly covers a segment already found for it, adds
// nothing. Boxes are in canvas pixels; the segment's colour is the mean of
// the box's inner half, where the thing rather than its background lies.
func (sc *Scene) addGrounded(gs []Grounding) {
	if len(gs) == 0 {
		return
	}
	found := make([]int, len(sc.ents))
	for _, s := range sc.whole {
		if s.Entity >= 0 {
			found[s.Entity]++
		}
	}
	m := sc.seg
	sx, sy := sc.Scale()
	for _, g := range gs {
		ei := entityOf(g.Phrase, sc.ents)
		if ei < 0 {
			continue
		}
		for _, b := range g.Boxes {
			if found[ei] >= int(sc.ents[ei].Count) {
				break
			}
			x0, y0 := clampInt(int(float64(b[0])/sx), 0, m.W-1), clampInt(int(float64(b[1])/sy), 0, m.H-1)
			x1, y1 := clampInt(int(float64(b[2])/sx+0.999), x0+1, m.W), clampInt(int(float64(b[3])/sy+0.999), y0+1, m.H)
			s := &Segment{Class: -1, X0: x0, Y0: y0, X1: x1, Y1: y1, Entity: ei, Noun: sc.ents[ei].Noun, Grounded: true}
			if sc.covered(s) {
				continue
			}
			// The inner half of the box, sampled at map-cell centres.
			iw, ih := (x1-x0)/4, (y1-y0)/4
			for y := y0 + ih; y < y1-ih; y++ {
				for x := x0 + iw; x < x1-iw; x++ {
					p := sc.cellPixel(x, y)
					s.r, s.g, s.b = s.r+float64(p[0]), s.g+float64(p[1]), s.b+float64(p[2])
					s.Cells++
				}
			}
			if s.Cells == 0 {
				continue
			}
			n := float64(s.Cells)
			s.Color = colour.Name(s.r/n, s.g/n, s.b/n)
			s.Colors = s.Color
			s.Fraction = float64((x1-x0)*(y1-y0)) / float64(m.W*m.H)
			sc.whole = append(sc.whole, s)
			found[ei]++
		}
	}
}

// covered reports whether a grounded box mostly covers a segment already
// found for its entity: the same instance, seen by both models.
func (sc *Scene) covered(g *Segment) bool {
	for _, s := range sc.whole {
		if s.Entity != g.Entity {
			continue
		}
		ix := min(s.X1, g.X1) - max(s.X0, g.X0)
		iy := min(s.Y1, g.Y1) - max(s.Y0, g.Y0)
		if ix <= 0 || iy <= 0 {
			continue
		}
		area := (s.X1 - s.X0) * (s.Y1 - s.Y0)
		if float64(ix*iy) >= 0.5*float64(area) {
			return true
		}
	}
	return false
}

// groundedPieces are the parts of grounded segments within map rows [r0, r1).
func (sc *Scene) groundedPieces(r0, r1 int) []*Segment {
	var out []*Segment
	for _, w := range sc.whole {
		if !w.Grounded || w.Y1 <= r0 || w.Y0 >= r1 {
			continue
		}
		p := *w
		p.Y0, p.Y1 = max(w.Y0, r0), min(w.Y1, r1)
		p.Fraction = float64((p.X1-p.X0)*(p.Y1-p.Y0)) / float64((r1-r0)*sc.seg.W)
		p.whole = w
		out = append(out, &p)
	}
	return out
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }
