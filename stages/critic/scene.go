package critic

import (
	"image"
	"math"

	"github.com/twigdata/twigdata/annotators/florence"
	"github.com/twigdata/twigdata/annotators/segmap"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Scene is what the critic knows of one canvas: its smoothed label map, the
// whole-canvas segments grounded to the prompt's entities, and the schedule.
type Scene struct {
	canvas      *image.RGBA
	seg         segmap.Map
	labels      []string
	kinds       []segmap.Kind // thing or stuff per class; empty or unknown: judged from the map's shape
	ents        []schema.Entity
	rels        []schema.Relation
	bands       []imageproc.Band
	whole       []*Segment
	contentBand int
	missing     []schema.Entity // instances the image lacks: Count is how many, in reading order
	alignment   float64
}

// NewScene segments and grounds a canvas. labels is the segmenter's
// id2label and kinds their thing/stuff split (nil when unknown); m its label
// map of the canvas; grounded the phrases a grounder found, with boxes in
// canvas pixels (nil without one): an entity instance the segmenter missed
// and a grounded box shows is found, with that box.
func NewScene(canvas *image.RGBA, m segmap.Map, labels []string, kinds []segmap.Kind, p prompt.Parsed, bands []imageproc.Band, grounded []florence.Grounding) *Scene {
	sc := &Scene{canvas: canvas, seg: smooth(m), labels: labels, kinds: kinds, ents: p.Entities, rels: p.Relations,
		bands: bands, contentBand: len(bands) / 2}
	sc.whole = sc.segments(0, canvas.Rect.Dy())
	groundAll(sc.whole, sc.ents)
	sc.addGrounded(grounded)
	found := make([]int, len(sc.ents))
	cells := make([]int, len(bands))
	for _, s := range sc.whole {
		if s.Entity < 0 {
			continue
		}
		found[s.Entity]++
		if !s.Stuff {
			cells[sc.bandOf((s.Y0+s.Y1)/2)] += s.Cells
		}
	}
	best := 0
	for b, n := range cells {
		if n > best {
			best, sc.contentBand = n, b
		}
	}
	var want, have int
	for i, e := range sc.ents {
		want += int(e.Count)
		have += min(found[i], int(e.Count))
	}
	sc.alignment = 1
	if want > 0 {
		sc.alignment = float64(have) / float64(want)
	}
	for _, i := range readingOrder(sc.ents, sc.rels) {
		e := sc.ents[i]
		if n := int(e.Count) - found[i]; n > 0 {
			e.Count = int32(n)
			sc.missing = append(sc.missing, e)
		}
	}
	return sc
}

// kind is a class's thing/stuff kind, unknown when the segmenter gave none.
func (sc *Scene) kind(class int) segmap.Kind {
	if class < len(sc.kinds) {
		return sc.kinds[class]
	}
	return segmap.KindUnknown
}

// bandOf is the band holding the center of map row cellY.
func (sc *Scene) bandOf(cellY int) int {
	cellH := float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
	y := int((float64(cellY) + 0.5) * cellH)
	for k, b := range sc.bands {
		if y >= b.Y0 && y < b.Y1 {
			return k
		}
	}
	return len(sc.bands) - 1
}

// Alignment is the share of the prompt's entity instances found on the canvas.
func (sc *Scene) Alignment() float64 { return sc.alignment }

// Scale is the size of a map cell in canvas pixels, across and down.
func (sc *Scene) Scale() (sx, sy float64) {
	return float64(sc.canvas.Rect.Dx()) / float64(sc.seg.W), float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
}

// Band is the evidence of one band: its segments, each linked to the whole
// segment (and entity) it belongs to, gathered into stuff and thing groups.
type Band struct {
	Segments       []*Segment
	Stuff, Objects []Group
}

// Band finds the evidence of band k.
func (sc *Scene) Band(k int) *Band {
	b := sc.bands[k]
	segs := sc.segments(b.Y0, b.Y1)
	link(segs, sc.whole)
	cellH := float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
	r0 := int(float64(b.Y0)/cellH + 0.5)
	segs = append(segs, sc.groundedPieces(r0, int(float64(b.Y1)/cellH+0.5))...)
	for _, s := range segs {
		s.Continues = k > 0 && s.whole != nil && s.Y0 == r0 && s.whole.Y0 < r0
	}
	stuff, objs := groups(segs, sc.ents)
	return &Band{Segments: segs, Stuff: stuff, Objects: objs}
}

// FixKind names what a revision must correct.
type FixKind string

// The kinds of fix, one per way a criterion falls short.
const (
	FixColor   FixKind = "color"   // an entity has the wrong colour
	FixMissing FixKind = "missing" // entity instances are missing
	FixSwap    FixKind = "swap"    // a relation's two ends are the wrong way round
	FixEmpty   FixKind = "empty"   // nothing is recognised in the band
	FixSeam    FixKind = "seam"    // the band does not continue the one above
)

// Fix is one correction a revision asks for.
type Fix struct {
	Kind FixKind
	// Noun is the entity (color) or the relation's subject (swap); Other the
	// relation's object (swap).
	Noun, Other string
	// Want is the prompt's colour, Got the measured one (color).
	Want, Got string
	// Missing are the lacking entities, Count being how many (missing).
	Missing []schema.Entity
}

// Score computes the critique of band k from its evidence, with the fixes
// for the criteria that fell short.
func (sc *Scene) Score(k int, band *Band) (schema.Critic, []Fix) {
	var fixes []Fix
	// Color accuracy.
	color := 100
	seen := map[*Segment]bool{}
	for _, p := range band.Segments {
		if p.Entity < 0 || p.whole == nil || seen[p.whole] {
			continue
		}
		seen[p.whole] = true
		e := sc.ents[p.Entity]
		if d, ok := colorError(p.whole, e); ok {
			s := pct(clamp01(1 - (d-12)/28))
			if s < color {
				color = s
			}
			if s < 60 {
				fixes = append(fixes, Fix{Kind: FixColor, Noun: e.Noun, Want: prompt.ColorOf(e), Got: p.whole.Color})
			}
		}
	}
	// Object completeness.
	found := len(seen)
	expected := found
	if k == sc.contentBand {
		for _, e := range sc.ents {
			expected += int(e.Count)
		}
		expected -= sc.foundTotal()
		if len(sc.missing) > 0 {
			fixes = append(fixes, Fix{Kind: FixMissing, Missing: sc.missing})
		}
	}
	completeness := 100
	if expected > 0 {
		share := float64(found) / float64(expected)
		completeness = pct(share * share) // one of four balls missing is already a failed count
	}
	// Detail richness.
	groupsN := len(band.Stuff) + len(band.Objects)
	detail := min(100, 60+20*groupsN)
	if groupsN == 0 {
		detail = 0
		fixes = append(fixes, Fix{Kind: FixEmpty})
	}
	// Spatial relationships.
	spatial, checked, held := 100, 0, 0
	for _, r := range sc.rels {
		a, bb := sc.first(r.Subject), sc.first(r.Object)
		if a == nil || bb == nil || (!seen[a] && !seen[bb]) {
			continue
		}
		checked++
		if relationHolds(r.Predicate, a, bb) {
			held++
		} else {
			fixes = append(fixes, Fix{Kind: FixSwap, Noun: r.Subject, Other: r.Object})
		}
	}
	if checked > 0 {
		spatial = pct(float64(held) / float64(checked))
	}
	// Visual coherence across the seam with the band above.
	coherence := 100
	if k > 0 {
		med := sc.seamStep(sc.bands[k].Y0)
		coherence = pct(clamp01(1 - (med-5)/15))
		if coherence < 60 {
			fixes = append(fixes, Fix{Kind: FixSeam})
		}
	}
	w := weights
	r := w.Color*float64(color) + w.Completeness*float64(completeness) + w.Detail*float64(detail) + w.Spatial*float64(spatial) + w.Coherence*float64(coherence)
	return schema.Critic{Score: int32(math.Round(r)), Color: int32(color), Completeness: int32(completeness), Detail: int32(detail),
		Spatial: int32(spatial), Coherence: int32(coherence)}, fixes
}

func (sc *Scene) foundTotal() int {
	n := 0
	for _, s := range sc.whole {
		if s.Entity >= 0 {
			n++
		}
	}
	return n
}

func (sc *Scene) first(noun string) *Segment {
	for _, s := range sc.whole {
		if s.Entity >= 0 && sc.ents[s.Entity].Noun == noun {
			return s
		}
	}
	return nil
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

func pct(f float64) int {
	return int(math.Round(100 * math.Max(0, math.Min(1, f))))
}
