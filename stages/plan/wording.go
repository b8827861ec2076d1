package plan

import (
	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/evidence"
)

// turnShare is the share of a band continuing scenery must take for the
// band to say what colour it turns to; a few rows of it are named by their
// own colour, which is what the band shows.
const turnShare = 0.3

// Wording is how the plans of one canvas word what they show, band after
// band: a thing or surface that continues from a band that showed it keeps
// the colour words it was given there, so that "gray sky" is followed by
// "the gray sky continues" whatever shade this band measures of it, and a
// surface that takes a good share of the band says what it turns to ("the
// gray sand continues, turning white"). It is the only state kept across
// bands; the critic's evidence is not changed by it.
type Wording struct {
	scene  *evidence.Scene
	ents   []schema.Entity
	first  map[*evidence.Segment]string // the colour words each whole segment was given in the first band that showed it
	worded int                          // the bands worded so far
}

// NewWording words the bands of one scene, whose prompt's entities are ents.
func NewWording(sc *evidence.Scene, ents []schema.Entity) *Wording {
	return &Wording{scene: sc, ents: ents, first: map[*evidence.Segment]string{}}
}

// Band is band k's evidence ev as a plan words it: a copy of its pieces,
// continuing ones with the colour words their first band gave them, grouped
// afresh. The bands above are worded first if they were not.
func (w *Wording) Band(k int, ev *evidence.Band) *evidence.Band {
	for w.worded < k {
		w.Band(w.worded, w.scene.Band(w.worded))
	}
	segs := make([]*evidence.Segment, len(ev.Segments))
	for i, s := range ev.Segments {
		c := *s
		segs[i] = &c
	}
	for _, s := range segs {
		c, ok := w.first[s.Whole()]
		switch {
		case !ok || !s.Continues || !s.ShownAbove || c == s.Colors:
		case !s.Stuff:
			s.Colors = c
		case s.Fraction >= turnShare && colour.Turns(c, s.Colors):
			// A gradient: "the gray sky continues, turning light blue".
			s.Colors, s.Turns = c, s.Colors
		case s.Fraction >= turnShare:
			s.Colors = c // "the vivid green grass continues, turning green" told of no turn
		}
	}
	if k == w.worded {
		for _, s := range segs {
			if _, ok := w.first[s.Whole()]; !ok && s.Whole() != nil && s.Shown {
				w.first[s.Whole()] = s.Colors
			}
		}
		w.worded++
	}
	stuff, objs := evidence.Groups(segs, w.ents)
	return &evidence.Band{Segments: segs, Stuff: stuff, Objects: objs}
}
