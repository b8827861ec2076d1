package evidence

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/schema"
)

// Segment is one connected component of the label map within a band (or the
// whole canvas), in map cells.
type Segment struct {
	Class          int
	Cells          int
	Conf           float64 // mean segmenter confidence
	X0, Y0, X1, Y1 int     // map cells, inclusive-exclusive box
	Stuff          bool    // spans the band: sky, grass, a wall
	Shape          string  // round, square, triangular or ""
	Color          string  // the named colour of its mean pixel
	// Colors names a band piece's colour as measured: Color, or for a thing
	// of two colours, each over a quarter of its cells, both ("blue and
	// green"); for scenery its shade ("pale blue"). A plan's wording may
	// change it on its own copy (plan.Wording). Whole-image segments leave
	// it empty.
	Colors   string
	Noun     string  // the segmenter's label
	Entity   int     // index into the prompt's entities, or -1
	Fraction float64 // share of the band's cells
	// Grounded: found by a grounder's box (Florence-2 phrase grounding), not
	// in the label map; Class is -1 and the box is all its shape.
	Grounded bool
	// Continues: a band piece whose whole segment reaches across the seam
	// from the band above.
	Continues bool
	// Shown: the band shows the thing, not a sliver of it at its edge (a
	// third of the thing or a fifth of the band); scenery is always shown.
	Shown bool
	// ShownAbove: it continues from a band above that showed it.
	ShownAbove bool
	// Turns is set by a plan's wording on its copy of a piece: the colour
	// words a continuing surface takes here when they differ from those it
	// was first given (Colors then keeps those); "" if not.
	Turns string
	// Tone is the spread (standard deviation) of luma over its cells, 0..255,
	// about its trend down the rows (Fall): near 0 for an evenly toned
	// surface or a smooth gradient, high for a textured one.
	Tone float64
	// Fall is how much lighter (luma, 0..255) it grows from its top row to
	// its bottom one, negative when it darkens: a sky paling toward the
	// horizon, a floor darkening away from the light.
	Fall float64
	// Drift is how much lighter it grows from its left column to its right
	// one, fitted with Fall: a sky brightening toward the sun, a wall lit
	// from one side.
	Drift float64

	r, g, b    float64  // summed pixel colour
	ll         float64  // summed squared luma, for Tone
	ly, sy, yy float64  // summed luma × row, row and squared row, for Fall
	lx, sx, xx float64  // summed luma × column, column and squared column, for Drift
	xy         float64  // summed column × row
	whole      *Segment // for a band piece: the whole-image segment it is part of
	cells      []int32  // the map cells it covers (y*W + x); a grounded one's are its box's
}

// colors names a thing's colour as measured: its mean's name, or two
// names when two colours of different hues each cover over a quarter of its
// cells and the first less than three quarters (a two-tone vase). Stuff
// is named by its mean's shade (colour.NameShade: "dark brown floor"): a
// textured surface is not two things, and its shade is what tells one plain
// surface from another.
func (sc *Scene) colors(s *Segment) string {
	if s.Stuff {
		n := float64(s.Cells)
		return colour.NameShade(s.r/n, s.g/n, s.b/n)
	}
	if s.Cells < 8 {
		return s.Color
	}
	count := map[string]int{}
	cells := s.cellList(sc.seg.W)
	for _, c := range cells {
		p := sc.cellPixel(c[0], c[1])
		count[colour.Name(float64(p[0]), float64(p[1]), float64(p[2]))]++
	}
	var first, second string
	for name, n := range count {
		switch {
		case first == "" || n > count[first] || n == count[first] && name < first:
			first, second = name, first
		case second == "" || n > count[second] || n == count[second] && name < second:
			second = name
		}
	}
	hue := func(name string) string { return name[strings.LastIndex(name, " ")+1:] }
	total := float64(len(cells))
	if second == "" || hue(first) == hue(second) || float64(count[first]) >= 0.75*total || float64(count[second]) < 0.25*total {
		return s.Color
	}
	return first + " and " + second
}

// minSegmentShare drops specks: a component smaller than this share of its
// band is noise from anti-aliasing or compression, not an object.
const minSegmentShare = 0.004

// minFill drops thin blobs: a strip of cells along a slanted object edge, where
// the 4×4 average of two colors lands nearest a third class, fills little of
// its box; any solid object (a triangle fills half) fills much more.
const minFill = 0.3

// wideClasses are the classes whose cells in map rows [r0, r1) cover nine
// tenths of the columns or more.
func (sc *Scene) wideClasses(r0, r1 int) map[uint16]bool {
	m := sc.seg
	cols := map[uint16][]bool{}
	lastL, lastC := uint16(NoLabel), []bool(nil) // runs of one label are long: look it up once a run
	for y := r0; y < r1; y++ {
		for x := 0; x < m.W; x++ {
			l := m.Labels[y*m.W+x]
			if l == NoLabel {
				continue
			}
			if l != lastL {
				if cols[l] == nil {
					cols[l] = make([]bool, m.W)
				}
				lastL, lastC = l, cols[l]
			}
			lastC[x] = true
		}
	}
	wide := map[uint16]bool{}
	for l, c := range cols {
		n := 0
		for _, v := range c {
			if v {
				n++
			}
		}
		wide[l] = float64(n) >= 0.9*float64(m.W)
	}
	return wide
}

// segments finds the connected components of the label map within pixel
// rows [y0, y1) of the canvas.
func (sc *Scene) segments(y0, y1 int) []*Segment {
	m := sc.seg
	_, sy := sc.Scale()
	r0, r1 := int(float64(y0)/sy+0.5), int(float64(y1)/sy+0.5)
	// A class whose cells reach across the band, or across the canvas
	// anywhere (grass a row of big things hides part of in one band), even
	// when objects cut them into pieces, is scenery (sky, ground, a wall):
	// all its pieces are stuff.
	wide := sc.wideAll // the whole canvas's, found once by NewScene
	if r0 != 0 || r1 != m.H {
		wide = sc.wideClasses(r0, r1)
	}
	// seen and the queue are the scene's, reused pass after pass; the
	// arena is new: the segments keep their cells.
	if len(sc.scratch.seen) != m.W*m.H {
		sc.scratch.seen = make([]bool, m.W*m.H)
	} else {
		clear(sc.scratch.seen)
	}
	f := flood{sc: sc, r0: r0, r1: r1, seen: sc.scratch.seen, queue: sc.scratch.queue, arena: make([]int32, 0, (r1-r0)*m.W)}
	var out []*Segment
	for y := r0; y < r1; y++ {
		for x := 0; x < m.W; x++ {
			start := y*m.W + x
			if f.seen[start] || m.Labels[start] == NoLabel { // NoLabel: no panoptic segment covers it
				continue
			}
			s := f.grow(start)
			if sc.keep(s, wide, r0, r1) {
				out = append(out, s)
			}
		}
	}
	sc.scratch.queue = f.queue
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Stuff != out[j].Stuff {
			return out[i].Stuff
		}
		if out[i].Stuff {
			return out[i].Cells > out[j].Cells
		}
		return out[i].X0 < out[j].X0 // reading order keeps enumerations stable
	})
	return out
}

// flood grows segments over the map cells of rows [r0, r1).
type flood struct {
	sc             *Scene
	r0, r1         int
	seen           []bool
	queue          []int
	colOff, rowOff []int   // canvas offsets of the map's columns and rows
	arena          []int32 // every segment's cells, one after another: each cell is in one
}

// grow is the segment of the cell start: the connected run of its class —
// or, from a panoptic model, of its instance, so touching things of a class
// are counted apart — with its extent, confidence and colour and luma sums.
func (f *flood) grow(start int) *Segment {
	m, canvas := f.sc.seg, f.sc.canvas
	sx, sy := f.sc.Scale()
	W, H := canvas.Rect.Dx(), canvas.Rect.Dy()
	ids := m.Labels
	if m.Instances != nil {
		ids = m.Instances
	}
	x, y := start%m.W, start/m.W
	s := &Segment{Class: int(m.Labels[start]), X0: x, Y0: y, X1: x + 1, Y1: y + 1, Entity: -1}
	// The canvas offset of each map column and row (cellPixel's), computed
	// once per map rather than once per cell.
	if len(f.colOff) != m.W {
		f.colOff, f.rowOff = make([]int, m.W), make([]int, m.H)
		for px := range f.colOff {
			f.colOff[px] = canvas.PixOffset(min(int((float64(px)+0.5)*sx), W-1), 0) - canvas.PixOffset(0, 0)
		}
		for py := range f.rowOff {
			f.rowOff[py] = canvas.PixOffset(0, min(int((float64(py)+0.5)*sy), H-1))
		}
	}
	id := ids[start]
	seen, queue := f.seen, append(f.queue[:0], start)
	seen[start] = true
	// The sums gather in locals, which stay in registers, rather than in
	// s's fields, each of which would be loaded and stored per cell. Those
	// of whole numbers (colour, row and column moments) are counted in
	// integers: a float64 holds such sums exactly in any order, so they
	// come out as the float sums did; the others are added in the same
	// order as before.
	var cells, r, g, b, sumY, yy, sumX, xx, xy int
	var conf, ll, ly, lx float64
	first := len(f.arena)
	x0, x1, y0, y1 := s.X0, s.X1, s.Y0, s.Y1
	for len(queue) > 0 {
		p := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		px, py := p%m.W, p/m.W
		cells++
		f.arena = append(f.arena, int32(p))
		conf += float64(m.Conf[p])
		x0, x1 = min(x0, px), max(x1, px+1)
		y0, y1 = min(y0, py), max(y1, py+1)
		// cellPixel, written out: this loop visits every map cell
		pix := (*[3]uint8)(canvas.Pix[f.rowOff[py]+f.colOff[px]:])
		r, g, b = r+int(pix[0]), g+int(pix[1]), b+int(pix[2])
		l := luma(pix[0], pix[1], pix[2])
		ll += l * l
		ly, lx = ly+l*float64(py), lx+l*float64(px)
		sumY, yy, sumX, xx, xy = sumY+py, yy+py*py, sumX+px, xx+px*px, xy+px*py
		// Left, right, up, down: the order the segment's cells are listed
		// in; a neighbour of the same segment not yet seen is queued.
		if n := p - 1; px > 0 && !seen[n] && ids[n] == id {
			seen[n] = true
			queue = append(queue, n)
		}
		if n := p + 1; px+1 < m.W && !seen[n] && ids[n] == id {
			seen[n] = true
			queue = append(queue, n)
		}
		if n := p - m.W; py-1 >= f.r0 && !seen[n] && ids[n] == id {
			seen[n] = true
			queue = append(queue, n)
		}
		if n := p + m.W; py+1 < f.r1 && !seen[n] && ids[n] == id {
			seen[n] = true
			queue = append(queue, n)
		}
	}
	f.queue = queue
	s.Cells, s.Conf, s.ll, s.ly, s.lx = cells, conf, ll, ly, lx
	s.r, s.g, s.b = float64(r), float64(g), float64(b)
	s.sy, s.yy, s.sx, s.xx, s.xy = float64(sumY), float64(yy), float64(sumX), float64(xx), float64(xy)
	s.X0, s.X1, s.Y0, s.Y1 = x0, x1, y0, y1
	s.cells = f.arena[first:len(f.arena):len(f.arena)]
	return s
}

// keep finishes a grown segment of the band of map rows [r0, r1) — its
// share, mean confidence, colour, tone, scenery or thing, shape and noun —
// and reports whether it counts: not a speck under minSegmentShare, a line
// along an edge, or a thing too sparse for its box (minFill). wide holds
// the classes that reach across the band.
func (sc *Scene) keep(s *Segment, wide map[uint16]bool, r0, r1 int) bool {
	m := sc.seg
	s.Fraction = float64(s.Cells) / float64((r1-r0)*m.W)
	if s.Fraction < minSegmentShare {
		return false
	}
	s.Conf /= float64(s.Cells)
	n := float64(s.Cells)
	s.Color = colour.Name(s.r/n, s.g/n, s.b/n)
	s.Tone, s.Fall, s.Drift = s.trend(n, luma3(s.r/n, s.g/n, s.b/n))
	w, h := s.X1-s.X0, s.Y1-s.Y0
	if min(w, h) < 3 && float64(w) < 0.9*float64(m.W) {
		return false // a line left along an edge, not a thing
	}
	// A class the segmenter knows as stuff is scenery wherever it lies, a
	// thing never is; for an unknown class, scenery is what reaches across
	// the band.
	switch sc.kind(s.Class) {
	case KindStuff:
		s.Stuff = true
	case KindThing:
		s.Stuff = false
	default:
		s.Stuff = wide[uint16(s.Class)] || sc.wideAll[uint16(s.Class)]
	}
	if !s.Stuff {
		fill := float64(s.Cells) / float64(w*h)
		if fill < minFill {
			return false
		}
		s.Shape = shapeFromFill(fill, float64(w)/float64(h), s.Y0 == r0 || s.Y1 == r1)
	}
	s.Noun = sc.labels[s.Class]
	return true
}

// shapeFromFill classifies a blob by how much of its bounding box it fills:
// a disc fills π/4, a square all of it, a triangle half. A blob cut by the band
// edge has an unreliable fill and gets no shape.
func shapeFromFill(fill, aspect float64, cut bool) string {
	switch {
	case cut || aspect < 0.5 || aspect > 2:
		return ""
	case fill >= 0.88:
		return "square"
	case fill >= 0.66:
		return "round"
	case fill >= 0.35 && fill <= 0.62:
		return "triangular"
	}
	return ""
}

// GenericNoun strips colour words from a segmenter label and reports whether
// what is left names nothing (empty, "object", "thing", "stuff"), so that
// "red object" grounds as an unnamed object.
func GenericNoun(label string) (string, bool) {
	var kept []string
	for _, w := range strings.Fields(label) {
		if colour.IsWord(w) {
			continue
		}
		kept = append(kept, w)
	}
	n := strings.Join(kept, " ")
	return n, n == "" || n == "object" || n == "thing" || n == "stuff"
}

// smooth relabels cells that form lines or specks — at most 3 of their 3×3
// neighbourhood share their label — with the most frequent other label there.
// Along object edges a 4×4 patch averages two colors into a third class; those
// one-cell lines disappear while solid shapes and their corners (4 of 9) stay.
func smooth(m LabelMap) LabelMap {
	if m.Instances != nil {
		return m // a panoptic model's segments are whole already
	}
	out := LabelMap{W: m.W, H: m.H, Labels: make([]uint16, len(m.Labels)), Conf: m.Conf}
	var nb neighbourhood
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			own := m.Labels[y*m.W+x]
			if x > 0 && y > 0 && x+1 < m.W && y+1 < m.H && uniform(m.Labels, m.W, y*m.W+x, own) {
				out.Labels[y*m.W+x] = own // inside a region, as most cells are: nothing to smooth
				continue
			}
			nb.count(m, x, y)
			if best, bestN, ownN := nb.strongest(own); ownN <= 3 && bestN > 0 {
				own = best // a thin line or speck: take the strongest neighbour
			}
			out.Labels[y*m.W+x] = own
		}
	}
	return out
}

// uniform reports whether the 3×3 neighbourhood of the inner cell p holds
// only own.
func uniform(l []uint16, w, p int, own uint16) bool {
	up, down := l[p-w-1:p-w+2], l[p+w-1:p+w+2]
	return up[0] == own && up[1] == own && up[2] == own && l[p-1] == own && l[p+1] == own &&
		down[0] == own && down[1] == own && down[2] == own
}

// neighbourhood counts the labels of a cell's 3×3 neighbourhood: labels[j]
// occurs n[j] times, for the k labels found.
type neighbourhood struct {
	labels [9]uint16
	n      [9]int
	k      int
}

func (nb *neighbourhood) count(m LabelMap, x, y int) {
	nb.k = 0
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			xx, yy := x+dx, y+dy
			if xx < 0 || yy < 0 || xx >= m.W || yy >= m.H {
				continue
			}
			l := m.Labels[yy*m.W+xx]
			j := 0
			for j < nb.k && nb.labels[j] != l {
				j++
			}
			if j == nb.k {
				nb.labels[j], nb.n[j] = l, 0
				nb.k++
			}
			nb.n[j]++
		}
	}
}

// strongest is the most frequent label other than own (the lowest of a
// tie) and its count, and own's count.
func (nb *neighbourhood) strongest(own uint16) (best uint16, bestN, ownN int) {
	best = own
	for j := 0; j < nb.k; j++ {
		if nb.labels[j] == own {
			ownN = nb.n[j]
		} else if nb.n[j] > bestN || (nb.n[j] == bestN && nb.labels[j] < best) {
			best, bestN = nb.labels[j], nb.n[j]
		}
	}
	return best, bestN, ownN
}

// Group is like segments of a band described together: one colour, one
// noun, new in the band or continuing into it from the band above.
type Group struct {
	Color, Noun string
	Count       int
	Entity      int    // the prompt entity, or -1
	Named       bool   // Noun names the thing; false: the segmenter's label says only "object" (Noun is "")
	Shape       string // the measured shape of an unnamed thing
	Share       float64
	// Continues: its segments reach across the seam from a band above that
	// showed them; a thing only a sliver of which showed above is new here.
	Continues bool
	// Shown: the band shows it rather than a sliver at its edge (Segment.Shown);
	// plans name only what is shown.
	Shown bool
	// Turns is the colour words continuing scenery takes here, when they
	// differ from the Color it was first given ("" otherwise).
	Turns string
	Tone  float64 // share-weighted Tone of its segments
	Fall  float64 // share-weighted Fall of its segments
	Drift float64 // share-weighted Drift of its segments
}

// Groups gathers a band's segments — things by colour, noun and whether
// they continue from the band above, scenery by noun alone — most salient
// first: prompt entities, then by share of the band.
func Groups(segs []*Segment, ents []schema.Entity) (stuff, objs []Group) {
	idx := map[string]int{}
	for _, s := range segs {
		noun, named := s.Noun, true
		if s.Entity >= 0 {
			noun = ents[s.Entity].Noun
		} else if n, generic := GenericNoun(s.Noun); generic {
			noun, named = "", false
		} else {
			noun = Noun(n)
		}
		shape := s.Shape // tells unnamed things apart; a named one is its noun
		if named {
			shape = ""
		}
		continues := s.Continues && s.ShownAbove
		key, list := fmt.Sprint(false, s.Colors, noun, shape, continues, s.Shown), &objs
		if s.Stuff {
			// Scenery is one surface however a band cuts it: pieces of one
			// noun (and label: two unnamed labels are two surfaces) are one
			// group, worded by its largest piece (stuff comes largest
			// first), not "beige sand and gray sand".
			key, list = fmt.Sprint(true, noun, s.Noun), &stuff
		}
		if i, ok := idx[key]; ok {
			g := &(*list)[i]
			g.Count++
			if sh := g.Share + s.Fraction; sh > 0 {
				g.Tone = (g.Tone*g.Share + s.Tone*s.Fraction) / sh
				g.Fall = (g.Fall*g.Share + s.Fall*s.Fraction) / sh
				g.Drift = (g.Drift*g.Share + s.Drift*s.Fraction) / sh
			}
			g.Share += s.Fraction
			continue
		}
		idx[key] = len(*list)
		*list = append(*list, Group{Color: s.Colors, Noun: noun, Count: 1, Entity: s.Entity, Named: named, Shape: s.Shape,
			Share: s.Fraction, Continues: continues, Shown: s.Shown, Turns: s.Turns, Tone: s.Tone, Fall: s.Fall, Drift: s.Drift})
	}
	salient := func(gs []Group) {
		sort.SliceStable(gs, func(i, j int) bool {
			if (gs[i].Entity >= 0) != (gs[j].Entity >= 0) {
				return gs[i].Entity >= 0
			}
			return gs[i].Share > gs[j].Share
		})
	}
	salient(stuff)
	salient(objs)
	return stuff, objs
}

// Mask is the cells a segment covers on the map's grid, run-length encoded
// as the record stores it; a grounded segment covers its box.
func (sc *Scene) Mask(s *Segment) schema.Mask {
	W, H := sc.seg.W, sc.seg.H
	if s.Grounded {
		return schema.NewMask(W, H, func(x, y int) bool { return x >= s.X0 && x < s.X1 && y >= s.Y0 && y < s.Y1 })
	}
	return schema.MaskOfCells(W, H, s.cells)
}

// trend fits luma to the column and row by least squares over the
// segment's n cells of mean luma ml, from its sums: the spread of luma about
// the fit (Tone) and the fit's change over its rows (Fall) and its columns
// (Drift). A segment one row high or one column wide has no trend that way.
func (s *Segment) trend(n, ml float64) (spread, fall, drift float64) {
	vl := s.ll/n - ml*ml
	mx, my := s.sx/n, s.sy/n
	vxx, vyy, vxy := s.xx/n-mx*mx, s.yy/n-my*my, s.xy/n-mx*my
	cx, cy := s.lx/n-ml*mx, s.ly/n-ml*my
	var bx, by float64
	switch det := vxx*vyy - vxy*vxy; {
	case det > 1e-9:
		bx, by = (cx*vyy-cy*vxy)/det, (cy*vxx-cx*vxy)/det
	case vyy > 1e-9: // a column (or a line): rows alone
		by = cy / vyy
	case vxx > 1e-9:
		bx = cx / vxx
	}
	return math.Sqrt(max(0, vl-bx*cx-by*cy)), by * float64(s.Y1-s.Y0-1), bx * float64(s.X1-s.X0-1)
}

// luma is Rec. 601 luma of an sRGB pixel.
func luma(r, g, b uint8) float64 { return luma3(float64(r), float64(g), float64(b)) }

func luma3(r, g, b float64) float64 { return 0.299*r + 0.587*g + 0.114*b }

// Whole is the whole-canvas segment a band piece is part of (nil for one
// that is not), the same for every band's piece of it: what a plan keys its
// wording by.
func (s *Segment) Whole() *Segment { return s.whole }
