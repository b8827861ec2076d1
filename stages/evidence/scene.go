package evidence

import (
	"image"
	"math"
	"strings"

	"github.com/twigdata/twigdata/lang/colour"

	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Scene is what the critic knows of one canvas: its smoothed label map, the
// whole-canvas segments grounded to the prompt's entities, and the schedule.
// It is not changed once built: Band and Score may be called in any order
// and from any goroutine.
type Scene struct {
	canvas      *image.RGBA
	seg         LabelMap
	labels      []string
	kinds       []Kind // thing or stuff per class; empty or unknown: judged from the map's shape
	ents        []schema.Entity
	rels        []schema.Relation
	bands       []imageproc.Band
	whole       []*Segment
	contentBand int
	missing     []schema.Entity // instances the image lacks: Count is how many, in reading order
	missingIn   []int           // per missing entity, the band where the evidence expects it
	alignment   float64
	// verifiable says for each entity whether a model could have found it;
	// unverifiedEnts are the nouns of those that no model could.
	verifiable     []bool
	unverifiedEnts []string
	// judged are the prompt's relations whose ends were both found, measured
	// once for the whole canvas: every band reads them.
	judged []Relation
	// wideAll are the classes that reach across the canvas somewhere: an
	// unknown class among them is scenery in every band.
	wideAll map[uint16]bool
	// seams memoizes seamStep by canvas row: a band's interior lines, the
	// lines around its seam and the seam itself are read by the critic and
	// by the plan, and overlap.
	seams map[int]seamMemo
	// labs caches the CIELAB of the two-pixel means seamStep converts
	// (half-integer channels: a key of 27 bits), direct-mapped: flat areas
	// repeat the same few colours along every line.
	labs *[labCacheSize]labEntry
	// scratch is working memory the scene's measures reuse (one goroutine
	// composes a scene): the flood fill's seen marks and queue, a seam's
	// steps.
	scratch struct {
		seen  []bool
		queue []int
		steps [4][]float64
	}
}

const labCacheSize = 1024

type labEntry struct {
	key uint32 // the doubled channels packed, plus one; 0: empty
	lab [3]float64
}

// halfLab is colour.Lab of a colour whose channels are multiples of one half.
func (sc *Scene) halfLab(c [3]float64) [3]float64 {
	key := uint32(2*c[0])<<18 | uint32(2*c[1])<<9 | uint32(2*c[2]) + 1
	if sc.labs == nil {
		sc.labs = new([labCacheSize]labEntry)
	}
	e := &sc.labs[(key*2654435761)>>22&(labCacheSize-1)]
	if e.key != key {
		e.key, e.lab = key, colour.Lab(c[0], c[1], c[2])
	}
	return e.lab
}

// seamMemo is one row's seamStep.
type seamMemo struct {
	st step
	ok bool
}

// canSee reports whether the segmenter could label a noun: a class names it
// (singular or plural), or some class is unnamed ("red object") and can be
// grounded to anything by colour and shape.
func (sc *Scene) canSee(noun string) bool {
	for _, l := range sc.labels {
		n, generic := GenericNoun(l)
		if generic {
			return true
		}
		n = Noun(n)
		if n == noun || english.Singular(n, 2) == noun || strings.HasSuffix(n, " "+noun) {
			return true
		}
	}
	return false
}

// Unverified are the prompt's entities no model could have found: they count
// neither as found nor as missing.
func (sc *Scene) Unverified() []string { return sc.unverifiedEnts }

// NewScene segments and grounds a canvas. labels is the segmenter's
// id2label and kinds their thing/stuff split (nil when unknown); m its label
// map of the canvas; grounded the phrases a grounder found, with boxes in
// canvas pixels (nil without a grounder, empty when it found nothing): an
// entity instance the segmenter missed and a grounded box shows is found,
// with that box.
func NewScene(canvas *image.RGBA, m LabelMap, labels []string, kinds []Kind, p prompt.Parsed, bands []imageproc.Band, grounded []Grounding) *Scene {
	sc := &Scene{canvas: canvas, seg: smooth(m), labels: labels, kinds: kinds, ents: p.Entities, rels: p.Relations,
		bands: bands, contentBand: len(bands) / 2}
	sc.wideAll = sc.wideClasses(0, sc.seg.H)
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
	// An entity no model can see — no segmenter class names it, the
	// segmenter has no unnamed classes, and no grounder looked — is
	// unverified: neither found nor missing.
	sc.verifiable = make([]bool, len(sc.ents))
	var want, have int
	for i, e := range sc.ents {
		sc.verifiable[i] = found[i] > 0 || grounded != nil || sc.canSee(e.Noun)
		if !sc.verifiable[i] {
			sc.unverifiedEnts = append(sc.unverifiedEnts, e.Noun)
			continue
		}
		want += int(e.Count)
		have += min(found[i], int(e.Count))
	}
	sc.alignment = 1
	if want > 0 {
		sc.alignment = float64(have) / float64(want)
	}
	for _, r := range sc.rels {
		if a, b := sc.ends(r); a != nil && b != nil {
			holds, measured := sc.relation(r.Predicate, a, b)
			sc.judged = append(sc.judged, Relation{Rel: r, A: a, B: b, Holds: holds, Measured: measured})
		}
	}
	for _, i := range readingOrder(sc.ents, sc.rels) {
		e := sc.ents[i]
		if !sc.verifiable[i] {
			continue
		}
		if n := int(e.Count) - found[i]; n > 0 {
			e.Count = int32(n)
			sc.missing = append(sc.missing, e)
			sc.missingIn = append(sc.missingIn, sc.expectedBand(i))
		}
	}
	return sc
}

// expectedBand is the band where the missing instances of entity i belong:
// beside their found siblings when some instances were found; else where a
// prompt relation places them against a found entity — for above and below
// the first band past its edge on that side, for left/right, adjacency
// and depth its own band; else the content
// band, where the canvas's things are.
func (sc *Scene) expectedBand(i int) int {
	if s := sc.firstOf(i); s != nil {
		return sc.bandOf((s.Y0 + s.Y1) / 2)
	}
	noun := sc.ents[i].Noun
	for _, r := range sc.rels {
		dir := 0 // -1: the subject lies above the object, +1 below, 0 level
		switch r.Predicate {
		case "on the top of", "above", "on":
			dir = -1
		case "on the bottom of", "below", "under":
			dir = 1
		}
		a, b := sc.ends(r) // the found segments of its subject and object
		switch {
		case r.Subject == noun && a == nil && b != nil:
			return sc.bandBeyond(b, dir)
		case r.Object == noun && b == nil && a != nil:
			return sc.bandBeyond(a, -dir)
		}
	}
	return sc.contentBand
}

// bandBeyond is the band of segment s's centre (dir 0), or the band where
// a thing of s's size drawn past its top edge (dir -1) or bottom edge (dir
// +1), half that size away, would have its centre: one size of s past the
// edge, its larger side (a flat plate is wide). The first band past the
// edge put a thing below a tall one too close to it (development scenes).
func (sc *Scene) bandBeyond(s *Segment, dir int) int {
	if dir == 0 {
		return sc.bandOf((s.Y0 + s.Y1) / 2)
	}
	sx, sy := sc.Scale()
	size := int(math.Max(float64(s.Y1-s.Y0), float64(s.X1-s.X0)*sx/sy) + 0.5)
	y := s.Y1 + size
	if dir < 0 {
		y = s.Y0 - 1 - size
	}
	return sc.bandOf(clampInt(y, 0, sc.seg.H-1))
}

// kind is a class's thing/stuff kind, unknown when the segmenter gave none.
func (sc *Scene) kind(class int) Kind {
	if class < len(sc.kinds) {
		return sc.kinds[class]
	}
	return KindUnknown
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

// cellPixel is the canvas pixel at the centre of map cell (x, y), as RGBA
// bytes: what every measure that reads a segment's colour samples.
func (sc *Scene) cellPixel(x, y int) []uint8 {
	sx, sy := sc.Scale()
	px := min(int((float64(x)+0.5)*sx), sc.canvas.Rect.Dx()-1)
	py := min(int((float64(y)+0.5)*sy), sc.canvas.Rect.Dy()-1)
	return sc.canvas.Pix[sc.canvas.PixOffset(px, py):]
}

// Band is the evidence of one band: its segments, each linked to the whole
// segment (and entity) it belongs to, gathered into stuff and thing groups.
type Band struct {
	Segments       []*Segment
	Stuff, Objects []Group
}

// Band finds the evidence of band k: its pieces with their measured colour
// words, which continue from the band above and which the band shows,
// gathered into stuff and thing groups. How a plan words what continues
// (the words its first band gave it) is the plan's: plan.Wording.
func (sc *Scene) Band(k int) *Band {
	b := sc.bands[k]
	segs := sc.segments(b.Y0, b.Y1)
	for _, s := range segs {
		s.Colors = sc.colors(s) // only a band's pieces are named
	}
	link(segs, sc.whole)
	r0, r1 := sc.bandRows(k)
	segs = append(segs, sc.groundedPieces(r0, r1)...)
	for _, s := range segs {
		s.Continues = k > 0 && s.whole != nil && s.Y0 == r0 && s.whole.Y0 < r0
	}
	sc.markShown(k, segs)
	stuff, objs := Groups(segs, sc.ents)
	return &Band{Segments: segs, Stuff: stuff, Objects: objs}
}

// What a band shows of a thing, rather than a sliver of it at an edge: a
// third of the thing (a thing cut by two seams shows that much in one band
// at least, so every thing is shown somewhere) or a fifth of the band (a
// thing taller than the view). Plans name what a band shows; the band that
// shows more of a thing names it, and the critic judges it there. Scenery is
// always shown: a few rows of wall that continue across the seam are what a
// generator needs to carry on drawing.
const (
	shownOfThing = 1.0 / 3
	shownOfBand  = 0.2
)

// markShown sets Shown and ShownAbove of band k's pieces.
func (sc *Scene) markShown(k int, segs []*Segment) {
	part := map[*Segment]int{} // a whole thing's cells in this band, over all its pieces
	for _, s := range segs {
		if s.whole != nil && !s.Stuff {
			part[s.whole] += s.Cells
		}
	}
	for _, s := range segs {
		switch {
		case s.Stuff:
			// Scenery is always shown, so what continues was shown above:
			// its whole reaches above this band by Continues' definition.
			s.Shown, s.ShownAbove = true, s.Continues
			continue
		case s.whole == nil || s.whole.Cells == 0:
			s.Shown = true
		default:
			s.Shown = sc.shows(k, s.whole, part[s.whole])
		}
		s.ShownAbove = s.Continues && sc.shownBefore(k, s.whole)
	}
}

// shows reports whether n cells of whole thing w in band k show it.
func (sc *Scene) shows(k int, w *Segment, n int) bool {
	r0, r1 := sc.bandRows(k)
	area := float64((r1 - r0) * sc.seg.W)
	return float64(n) >= shownOfThing*float64(w.Cells) || float64(n) >= shownOfBand*area
}

// bandRows are the map rows [r0, r1) of band k.
func (sc *Scene) bandRows(k int) (r0, r1 int) {
	cellH := float64(sc.canvas.Rect.Dy()) / float64(sc.seg.H)
	return int(float64(sc.bands[k].Y0)/cellH + 0.5), int(float64(sc.bands[k].Y1)/cellH + 0.5)
}

// shownBefore reports whether a band above band k shows the whole thing w.
func (sc *Scene) shownBefore(k int, w *Segment) bool {
	if w.Grounded {
		return true // a box: no cells to weigh; it continues as drawn
	}
	perRow := make([]int, sc.seg.H)
	for _, c := range w.cells {
		perRow[int(c)/sc.seg.W]++
	}
	for j := 0; j < k; j++ {
		r0, r1 := sc.bandRows(j)
		n := 0
		for _, c := range perRow[r0:r1] {
			n += c
		}
		if sc.shows(j, w, n) {
			return true
		}
	}
	return false
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

// ends are the segments of a relation's subject and object: the first
// entity spelled like the subject, and another spelled like the object
// ("a blue ball in front of a yellow ball" names two balls), each by its
// first found instance.
func (sc *Scene) ends(r schema.Relation) (a, b *Segment) {
	si := -1
	for i, e := range sc.ents {
		if e.Noun == r.Subject {
			si = i
			break
		}
	}
	oi := -1
	for i, e := range sc.ents {
		if e.Noun == r.Object && i != si && (oi < 0 || (oi < si && i > si)) {
			oi = i
		}
	}
	if si < 0 || oi < 0 {
		return nil, nil
	}
	return sc.firstOf(si), sc.firstOf(oi)
}

// firstOf is the first whole segment grounded to entity i, or nil.
func (sc *Scene) firstOf(i int) *Segment {
	for _, s := range sc.whole {
		if s.Entity == i {
			return s
		}
	}
	return nil
}

func clamp01(f float64) float64 { return math.Max(0, math.Min(1, f)) }

func pct(f float64) int {
	return int(math.Round(100 * math.Max(0, math.Min(1, f))))
}

// Entities are the prompt's entities the scene was measured against.
func (sc *Scene) Entities() []schema.Entity { return sc.ents }

// MissingIn are the prompt's entity instances the image lacks that the
// evidence expects in band k, Count being how many, in reading order.
func (sc *Scene) MissingIn(k int) []schema.Entity {
	var out []schema.Entity
	for i, m := range sc.missing {
		if sc.missingIn[i] == k {
			out = append(out, m)
		}
	}
	return out
}

// Relation is one of the prompt's relations whose ends were both found, as
// measured once for the whole canvas.
type Relation struct {
	Rel      schema.Relation
	A, B     *Segment // its ends' whole segments
	Holds    bool     // the measurement says it holds
	Measured bool     // the evidence could measure it (an action, or depth between things that do not touch, cannot be)
}

// Relations are the prompt's relations with both ends found, measured once
// for the whole canvas; the caller must not change them.
func (sc *Scene) Relations() []Relation { return sc.judged }

// Break is how far band k breaks: across the seam with the band above where
// one class continues over it (seam true; the step above the surface's own
// texture, since a textured surface steps at every line), else within the
// band (its largest line step over the median one). ok is false where the
// evidence gives neither.
func (sc *Scene) Break(k int) (brk float64, seam, ok bool) {
	if k > 0 {
		var st step
		if st, ok = sc.seamStep(sc.bands[k].Y0); ok {
			return st.over(sc.texture(sc.bands[k].Y0)), true, true
		}
	}
	brk, ok = sc.interiorStep(k)
	return brk, false, ok
}

// Pixels calls f with the canvas pixel at the centre of each map cell the
// segment covers: the samples every measure of its colour reads.
func (sc *Scene) Pixels(s *Segment, f func(r, g, b uint8)) {
	for _, c := range s.cellList(sc.seg.W) {
		p := sc.cellPixel(c[0], c[1])
		f(p[0], p[1], p[2])
	}
}
