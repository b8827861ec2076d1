package critic

import (
	"math"
	"strings"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/prompt"
)

// weights are the criteria's shares of r_k (see the package doc).
var weights = struct{ Color, Completeness, Detail, Spatial, Coherence float64 }{Color: 0.25, Completeness: 0.25, Detail: 0.10, Spatial: 0.20, Coherence: 0.20}

// FixKind names what a revision must correct.
type FixKind string

// The kinds of fix, one per way a criterion falls short.
const (
	FixColor   FixKind = "color"   // an entity has the wrong colour
	FixMissing FixKind = "missing" // entity instances are missing
	FixSwap    FixKind = "swap"    // a relation's two ends are the wrong way round
	FixSeam    FixKind = "seam"    // the band breaks: at the seam with the one above, or within
	FixDetail  FixKind = "detail"  // the plan leaves out what the band shows
)

// Fix is one correction a revision asks for.
type Fix struct {
	Kind FixKind
	// Noun is the entity (color) or the relation's subject (swap); Other the
	// relation's object (swap).
	Noun, Other string
	// Want is the prompt's colour, Got the measured one (color).
	Want, Got string
	// Missing are the lacking entities, Count being how many (missing), or
	// what the plan left out (detail).
	Missing []schema.Entity
}

// Criteria names, as the critic record's unverified list spells them.
const (
	CritColor        = "color"
	CritCompleteness = "completeness"
	CritDetail       = "detail"
	CritSpatial      = "spatial"
	CritCoherence    = "coherence"
)

// Score computes the critique of band k from its evidence and the nouns
// the plan written for it names (as its writer chose them: the critic never
// parses text the build wrote), with the fixes for the criteria that fell short. A
// criterion the evidence cannot judge in this band is listed as unverified,
// scores 0 in the record and is left out of r_k, the others' weights
// renormalised.
func Score(sc *evidence.Scene, k int, band *evidence.Band, named []string) (schema.Critic, []Fix) {
	shown := shownEntities(band)
	crit := []struct {
		name   string
		weight float64
		j      judgement
	}{
		{CritColor, weights.Color, judgeColor(sc, shown)},
		{CritCompleteness, weights.Completeness, judgeCompleteness(sc, k, len(shown))},
		{CritDetail, weights.Detail, judgeDetail(band, named)},
		{CritSpatial, weights.Spatial, judgeSpatial(sc, shown)},
		{CritCoherence, weights.Coherence, judgeCoherence(sc, k)},
	}
	c := schema.Critic{Unverified: []string{}}
	scores := []*int32{&c.Color, &c.Completeness, &c.Detail, &c.Spatial, &c.Coherence}
	var fixes []Fix
	var r, sum float64
	for i, cr := range crit {
		fixes = append(fixes, cr.j.fixes...)
		if !cr.j.verified {
			c.Unverified = append(c.Unverified, cr.name)
			continue // scores 0
		}
		*scores[i] = int32(cr.j.score)
		r += cr.weight * float64(cr.j.score)
		sum += cr.weight
	}
	c.Score = int32(math.Round(r / sum))
	if len(fixes) == 0 {
		// Nothing fell short enough to ask for on its own: the lowest
		// criterion's weak fix, so that a region reflected for a sum of
		// small shortfalls still gets a revision that says what to change.
		low := 100
		for _, cr := range crit {
			if cr.j.verified && cr.j.score < low && len(cr.j.weak) > 0 {
				fixes, low = cr.j.weak, cr.j.score
			}
		}
	}
	return c, fixes
}

// judgement is one criterion's verdict on a band: its score, whether the
// evidence could judge it, the fixes it asks for, and the fix of a
// shortfall too small to ask for on its own (weak).
type judgement struct {
	score    int
	verified bool
	fixes    []Fix
	weak     []Fix
}

// shownEntities are the pieces of prompt entities a band shows, one per
// whole thing, in the band's order: a sliver is judged in the band that
// shows the thing.
func shownEntities(band *evidence.Band) []*evidence.Segment {
	var out []*evidence.Segment
	seen := map[*evidence.Segment]bool{}
	for _, p := range band.Segments {
		if p.Entity < 0 || p.Whole() == nil || !p.Shown || seen[p.Whole()] {
			continue
		}
		seen[p.Whole()] = true
		out = append(out, p)
	}
	return out
}

// judgeColor is colour accuracy: the worst of the shown entities' colours.
// The fix names the colour to take away: the whole thing's, or, when that
// already bears the prompt colour's name, that of its parts that are off,
// or its shade ("dark brown"), or, when that does too, the nearest other
// name of the parts that are off ("black, not purple" for black cast
// purple). Never the prompt colour itself: "red, not red" asks for nothing.
func judgeColor(sc *evidence.Scene, shown []*evidence.Segment) judgement {
	j := judgement{score: 100}
	for _, p := range shown {
		e := sc.Entities()[p.Entity]
		s, off, alt, ok := colorScore(sc, p.Whole(), e)
		if !ok {
			continue
		}
		j.verified = true
		j.score = min(j.score, s)
		f := Fix{Kind: FixColor, Noun: e.Noun, Want: prompt.ColorOf(e), Got: p.Whole().Color}
		if f.Got == f.Want {
			f.Got = off
		}
		if f.Got == f.Want {
			f.Got = shadeOf(p.Whole().Lab(), f.Want)
		}
		if f.Got == "" && off != "" {
			f.Got = alt
		}
		switch {
		case f.Got == "" || f.Got == f.Want:
		case s < 60:
			j.fixes = append(j.fixes, f)
		case s < 100 && s == j.score:
			j.weak = []Fix{f}
		}
	}
	return j
}

// judgeCompleteness is object completeness: the instances found in band k
// among those expected there (each missing one where expectedBand puts it),
// squared, since one of four balls missing is already a failed count.
func judgeCompleteness(sc *evidence.Scene, k, found int) judgement {
	j := judgement{score: 100}
	expected := found
	lacking := sc.MissingIn(k)
	for _, m := range lacking {
		expected += int(m.Count)
	}
	if len(lacking) > 0 {
		j.fixes = []Fix{{Kind: FixMissing, Missing: lacking}}
	}
	if expected > 0 {
		share := float64(found) / float64(expected)
		j.score, j.verified = pct(share*share), true
	}
	return j
}

// judgeDetail is detail richness: what the plan names against what the
// evidence shows. A band that shows nothing a model names gives no measure
// of it: the criterion is unverified, not failed.
func judgeDetail(band *evidence.Band, named []string) judgement {
	var j judgement
	var left []schema.Entity
	j.score, j.verified, left = detail(band, named)
	if j.verified && len(left) > 0 {
		f := Fix{Kind: FixDetail, Missing: left}
		if j.score < 60 {
			j.fixes = []Fix{f}
		} else {
			j.weak = []Fix{f}
		}
	}
	return j
}

// judgeSpatial is spatial relationships: the share of the measured
// relations with an end shown in the band that hold.
func judgeSpatial(sc *evidence.Scene, shown []*evidence.Segment) judgement {
	seen := map[*evidence.Segment]bool{}
	for _, p := range shown {
		seen[p.Whole()] = true
	}
	j := judgement{score: 100}
	checked, held := 0, 0
	for _, r := range sc.Relations() {
		if !r.Measured || (!seen[r.A] && !seen[r.B]) {
			continue
		}
		checked++
		if r.Holds {
			held++
			continue
		}
		if noun, other, ok := swapNames(sc, r); ok {
			j.fixes = append(j.fixes, Fix{Kind: FixSwap, Noun: noun, Other: other})
		}
	}
	if checked > 0 {
		j.score, j.verified = pct(float64(held)/float64(checked)), true
	}
	return j
}

// swapNames names a relation's two ends for a swap fix: by their nouns, or,
// when they share one ("a red cone left of a blue cone"), by what the prompt
// says differs, else by their measured colours — "the cone and the cone
// must trade places" says nothing. ok is false when nothing tells them
// apart: trading two like things changes nothing.
func swapNames(sc *evidence.Scene, r evidence.Relation) (noun, other string, ok bool) {
	noun, other = r.Rel.Subject, r.Rel.Object
	if noun != other {
		return noun, other, true
	}
	ents := sc.Entities()
	said := func(s *evidence.Segment) string {
		if s == nil || s.Entity < 0 || s.Entity >= len(ents) {
			return noun
		}
		return strings.TrimSpace(strings.Join(prompt.Modifiers(ents[s.Entity].Attributes), " ") + " " + noun)
	}
	if a, b := said(r.A), said(r.B); a != b {
		return a, b, true
	}
	if r.A != nil && r.B != nil && r.A.Color != r.B.Color {
		return r.A.Color + " " + noun, r.B.Color + " " + noun, true
	}
	return "", "", false
}

// judgeCoherence is visual coherence: across the seam with the band above
// where one class continues over it, else within the band.
func judgeCoherence(sc *evidence.Scene, k int) judgement {
	j := judgement{score: 100}
	brk, seam, ok := sc.Break(k)
	if !ok {
		return j
	}
	j.score, j.verified = pct(clamp01(1-(brk-5)/15)), true
	if j.score < 60 && seam {
		j.fixes = []Fix{{Kind: FixSeam}}
	} else if j.score < 100 {
		j.weak = []Fix{{Kind: FixSeam}}
	}
	return j
}

// detail scores the nouns a plan names against a band's evidence: of the
// named scenery and things the band shows, the share (by area) the plan
// names, times the share of what the plan names that the band shows. measured is false when the
// band shows nothing nameable.
func detail(band *evidence.Band, nouns []string) (score int, measured bool, left []schema.Entity) {
	said := map[string]bool{}
	for _, n := range nouns {
		said[english.Lemma(n)] = true // "the red apples continue" names the apples
	}
	var total, named float64
	shown := map[string]bool{}
	for gi, gs := range [][]evidence.Group{band.Stuff, band.Objects} {
		for _, g := range gs {
			if !g.Named {
				continue
			}
			shown[english.Lemma(g.Noun)] = true // a prompt's "sandals" is named by "two black sandals"
			if !g.Shown {
				continue // a sliver: neither asked for nor wrong to name
			}
			total += g.Share
			if said[english.Lemma(g.Noun)] {
				named += g.Share
			} else if len(left) < 2 && !g.Continues {
				count := int32(g.Count)
				if gi == 0 || english.IsMass(g.Noun) {
					count = 1
				}
				left = append(left, schema.Entity{Noun: g.Noun, Count: count, Attributes: strings.Fields(g.Color)})
			}
		}
	}
	if total == 0 {
		return 0, false, nil
	}
	var right int
	for n := range said {
		if shown[n] {
			right++
		}
	}
	precision := 1.0
	if len(said) > 0 {
		precision = float64(right) / float64(len(said))
	}
	return pct(named / total * precision), true, left
}

// colorScore judges a segment's colour against an entity's prompt colour,
// 0..100: by the ΔE of its mean colour (≤ 12 scores 100, ≥ 40 scores 0) or,
// when that is better, by the share of its cells close to the prompt colour
// (ΔE ≤ 20; half or more scores 100, 15% or less 0) — so a two-tone or
// striped thing that is largely the prompt's colour is not judged by a
// mixture no part of it has. off names the mean colour of the cells that are
// not close to the prompt colour ("" when every cell is): what a fix must
// take away when the whole segment's colour bears the prompt colour's name;
// alt names them by the nearest colour other than the prompt's, for when
// off and its shade bear its name too (a black kite cast purple). ok is
// false when the prompt names no colour the lexicon knows.
func colorScore(sc *evidence.Scene, s *evidence.Segment, e schema.Entity) (score int, off, alt string, ok bool) {
	want := prompt.ColorOf(e)
	r, g, b, ok := colour.Reference(want)
	if !ok {
		return 0, "", "", false
	}
	ref := colour.Lab(r, g, b)
	best := pct(clamp01(1 - (colour.DeltaE(s.Lab(), ref)-12)/28))
	total, near := 0, 0
	var far [3]float64
	sc.Pixels(s, func(pr, pg, pb uint8) {
		total++
		if colour.DeltaE(colour.Lab(float64(pr), float64(pg), float64(pb)), ref) <= 20 {
			near++
		} else {
			far[0], far[1], far[2] = far[0]+float64(pr), far[1]+float64(pg), far[2]+float64(pb)
		}
	})
	if total == 0 {
		return best, "", "", true
	}
	if n := float64(total - near); n > 0 {
		off = colour.Name(far[0]/n, far[1]/n, far[2]/n)
		alt = colour.NameBut(far[0]/n, far[1]/n, far[2]/n, want)
	}
	share := float64(near) / float64(total)
	return max(best, pct(clamp01((share-0.15)/0.35))), off, alt, true
}

// shadeOf names a colour (CIELAB) as a shade of the prompt colour want,
// "light red" or "dark red", by its lightness against want's; "" when want
// is already a shade or the lightness is within 5 L* units of it.
func shadeOf(lab [3]float64, want string) string {
	r, g, b, ok := colour.Reference(want)
	if !ok || strings.Contains(want, " ") {
		return ""
	}
	d := lab[0] - colour.Lab(r, g, b)[0]
	switch {
	case d >= 5:
		return "light " + want
	case d <= -5:
		return "dark " + want
	}
	return ""
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

func pct(f float64) int { return int(math.Round(100 * clamp01(f))) }
