package evidence

import (
	"math"
	"sort"

	"github.com/twigdata/twigdata/lang/colour"
)

// relation says whether a prompt relation holds between the segments of its
// subject a and object b, and whether the evidence can tell at all: a
// relation no measurement covers (an action such as "playing with", or a
// depth order between things that do not touch) is unverified and scores
// nothing either way.
//
//   - left, right, above, below, top, bottom: the order of the segments'
//     centres across or down;
//   - "on": a above b and overlapping it across;
//   - next to, near, beside, on the side of: the masks' gap is at most half
//     the larger segment's size;
//   - in front of, behind, hidden by: where the masks touch (the cells where
//     they meet given to the one whose colour they bear: refineContact), the
//     occluder is the one that lies within the other's outline — its cells
//     fall inside the other's convex hull, as a thing in front cuts into the
//     outline of the thing behind; it counts when at least 3 cells do and at
//     least twice as many as the other way round. Masks that do not touch, or a
//     contact too even to tell, give no depth order;
//   - in, inside: most of a's cells lie in b's box.
func (sc *Scene) relation(pred string, a, b *Segment) (holds, measured bool) {
	ax, ay := float64(a.X0+a.X1)/2, float64(a.Y0+a.Y1)/2
	bx, by := float64(b.X0+b.X1)/2, float64(b.Y0+b.Y1)/2
	switch pred {
	case "on the left of":
		return ax < bx, true
	case "on the right of":
		return ax > bx, true
	case "on the top of", "above":
		return ay < by, true
	case "on the bottom of", "below", "under":
		return ay > by, true
	case "on":
		return ay < by && min(a.X1, b.X1) > max(a.X0, b.X0), true
	case "next to", "near", "on the side of":
		size := math.Max(a.size(), b.size())
		return sc.gap(a, b) <= 0.5*size, true
	case "in front of", "behind", "hidden by":
		if sc.gap(a, b) > 1.5 {
			return false, false
		}
		a, b := sc.refineContact(a, b)
		aIn, bIn := sc.insideHull(a, b), sc.insideHull(b, a) // cells of each inside the other's hull
		if max(aIn, bIn) < 3 || max(aIn, bIn) < 2*min(aIn, bIn) {
			return false, false // too even to tell which outline is cut
		}
		front := aIn > bIn
		if pred == "in front of" {
			return front, true
		}
		return !front, true
	case "in":
		inside := 0
		for _, p := range a.cellList(sc.seg.W) {
			if p[0] >= b.X0 && p[0] < b.X1 && p[1] >= b.Y0 && p[1] < b.Y1 {
				inside++
			}
		}
		return float64(inside) >= 0.8*float64(max(1, a.Cells)), true
	}
	return false, false
}

// contactReach is how far, in map cells, from the other segment a cell of
// one must lie for refineContact to judge it: a segmenter's mask edge is
// uncertain by a cell or two.
const contactReach = 2

// refineContact gives the cells where a and b meet — those of either within
// contactReach cells of the other — to the other one when their pixel's
// colour is clearly nearer its colours (by contactMargin), judged against
// each one's cells away from the contact (the nearest of a sample, so a
// striped or two-tone thing is judged by its own colours, not their mean).
// The image's edge between two things is sharp where the masks' is not,
// and the depth order is read from the shape of that edge. Grounded
// segments (boxes) are returned as they are.
func (sc *Scene) refineContact(a, b *Segment) (*Segment, *Segment) {
	if a.Grounded || b.Grounded || sc.canvas == nil {
		return a, b // boxes, or no image to judge by
	}
	o := newOwners(a, b, sc.seg.W, sc.seg.H)
	samples, contact := sc.contactSplit(o, a, b)
	if len(samples[0]) == 0 || len(samples[1]) == 0 {
		return a, b // one lies wholly at the contact: nothing to judge it by
	}
	for _, p := range contact {
		c := sc.cellLab(p)
		da, db := nearestDeltaE(c, samples[0]), nearestDeltaE(c, samples[1])
		switch {
		case o.m[p] == 1 && db < da-contactMargin:
			o.m[p] = 2
		case o.m[p] == 2 && da < db-contactMargin:
			o.m[p] = 1
		}
	}
	return o.split(a, b)
}

// owners says which of two segments (1: a, 2: b) owns each of their cells.
type owners struct {
	m    map[int32]uint8
	w, h int
}

func newOwners(a, b *Segment, w, h int) owners {
	o := owners{m: make(map[int32]uint8, len(a.cells)+len(b.cells)), w: w, h: h}
	for _, p := range a.cells {
		o.m[p] = 1
	}
	for _, p := range b.cells {
		o.m[p] = 2
	}
	return o
}

// near reports whether cell p lies within contactReach cells of a cell
// other owns.
func (o owners) near(p int32, other uint8) bool {
	x, y := int(p)%o.w, int(p)/o.w
	for dy := -contactReach; dy <= contactReach; dy++ {
		for dx := -contactReach; dx <= contactReach; dx++ {
			nx, ny := x+dx, y+dy
			if nx >= 0 && ny >= 0 && nx < o.w && ny < o.h && o.m[int32(ny*o.w+nx)] == other {
				return true
			}
		}
	}
	return false
}

// split is a and b with the cells each now owns, in their order.
func (o owners) split(a, b *Segment) (*Segment, *Segment) {
	ra, rb := *a, *b
	ra.cells, rb.cells = nil, nil
	for _, cells := range [2][]int32{a.cells, b.cells} {
		for _, p := range cells {
			if o.m[p] == 1 {
				ra.cells = append(ra.cells, p)
			} else {
				rb.cells = append(rb.cells, p)
			}
		}
	}
	ra.Cells, rb.Cells = len(ra.cells), len(rb.cells)
	return &ra, &rb
}

// contactSplit is each segment's colours away from the contact (at most
// about contactSamples of them) and the contact's cells.
func (sc *Scene) contactSplit(o owners, a, b *Segment) (samples [2][][3]float64, contact []int32) {
	for k, cells := range [2][]int32{a.cells, b.cells} {
		var core []int32
		for _, p := range cells {
			if o.near(p, uint8(2-k)) {
				contact = append(contact, p)
			} else {
				core = append(core, p)
			}
		}
		step := max(1, len(core)/contactSamples)
		for i := 0; i < len(core); i += step {
			samples[k] = append(samples[k], sc.cellLab(core[i]))
		}
	}
	return samples, contact
}

// cellLab is the CIELAB colour of map cell p's pixel.
func (sc *Scene) cellLab(p int32) [3]float64 {
	px := sc.cellPixel(int(p)%sc.seg.W, int(p)/sc.seg.W)
	return colour.Lab(float64(px[0]), float64(px[1]), float64(px[2]))
}

// nearestDeltaE is the ΔE from c to the nearest of colours.
func nearestDeltaE(c [3]float64, colours [][3]float64) float64 {
	best := math.Inf(1)
	for _, s := range colours {
		best = math.Min(best, colour.DeltaE(c, s))
	}
	return best
}

// contactMargin is how much nearer (ΔE) to the other segment's colours a
// contact cell's must be for refineContact to move it: a shaded or striped
// thing's own cells vary, and a mask is more often right than wrong.
const contactMargin = 10.0

// contactSamples is how many of a segment's cells away from a contact
// refineContact compares a contact cell's colour with, at most.
const contactSamples = 64

// size is a segment's linear size in map cells: the side of a square of its area.
func (s *Segment) size() float64 {
	if s.Grounded {
		return math.Sqrt(float64((s.X1 - s.X0) * (s.Y1 - s.Y0)))
	}
	return math.Sqrt(float64(s.Cells))
}

// cellList is a segment's cells as (x, y), a grounded one's its box.
func (s *Segment) cellList(W int) [][2]int {
	if s.Grounded || len(s.cells) == 0 {
		out := make([][2]int, 0, max(0, (s.X1-s.X0)*(s.Y1-s.Y0)))
		for y := s.Y0; y < s.Y1; y++ {
			for x := s.X0; x < s.X1; x++ {
				out = append(out, [2]int{x, y})
			}
		}
		return out
	}
	out := make([][2]int, len(s.cells))
	for i, p := range s.cells {
		out[i] = [2]int{int(p) % W, int(p) / W}
	}
	return out
}

// boundary is the cells of a segment with a 4-neighbour outside it.
func (s *Segment) boundary(W int) [][2]int {
	cells := s.cellList(W)
	in := make(map[[2]int]bool, len(cells))
	for _, c := range cells {
		in[c] = true
	}
	var out [][2]int
	for _, c := range cells {
		for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
			if !in[[2]int{c[0] + d[0], c[1] + d[1]}] {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// gap is the smallest distance in map cells between the two segments'
// masks (1 when they touch).
func (sc *Scene) gap(a, b *Segment) float64 {
	// Boxes further apart than that bound the gap from below cheaply.
	dx := math.Max(0, float64(max(a.X0, b.X0)-min(a.X1, b.X1)))
	dy := math.Max(0, float64(max(a.Y0, b.Y0)-min(a.Y1, b.Y1)))
	if lower := math.Hypot(dx, dy); lower > 0.5*math.Max(a.size(), b.size())+2 {
		return lower + 1
	}
	ab, bb := a.boundary(sc.seg.W), b.boundary(sc.seg.W)
	best := math.Inf(1)
	for _, p := range ab {
		for _, q := range bb {
			if d := math.Hypot(float64(p[0]-q[0]), float64(p[1]-q[1])); d < best {
				best = d
			}
		}
	}
	return best
}

// insideHull counts a's cells that lie inside b's convex hull (a grounded
// segment's hull is its box).
func (sc *Scene) insideHull(a, b *Segment) int {
	var pts [][2]int
	for _, c := range b.boundary(sc.seg.W) {
		x, y := c[0], c[1]
		pts = append(pts, [2]int{x, y}, [2]int{x + 1, y}, [2]int{x, y + 1}, [2]int{x + 1, y + 1})
	}
	h := hull(pts)
	if len(h) < 3 {
		return 0
	}
	in := 0
	for _, c := range a.cellList(sc.seg.W) {
		// The cell's centre, doubled to stay in integers.
		px, py := 2*c[0]+1, 2*c[1]+1
		inside := true
		for i := range h {
			j := (i + 1) % len(h)
			ax, ay, bx, by := 2*h[i][0], 2*h[i][1], 2*h[j][0], 2*h[j][1]
			if (bx-ax)*(py-ay)-(by-ay)*(px-ax) < 0 {
				inside = false
				break
			}
		}
		if inside {
			in++
		}
	}
	return in
}

// hull is the convex hull of points (Andrew's monotone chain), counter-clockwise.
func hull(pts [][2]int) [][2]int {
	sort.Slice(pts, func(i, j int) bool {
		if pts[i][0] != pts[j][0] {
			return pts[i][0] < pts[j][0]
		}
		return pts[i][1] < pts[j][1]
	})
	cross := func(o, a, b [2]int) int {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	var h [][2]int
	for pass := 0; pass < 2; pass++ {
		start := len(h)
		for _, p := range pts {
			for len(h) >= start+2 && cross(h[len(h)-2], h[len(h)-1], p) <= 0 {
				h = h[:len(h)-1]
			}
			h = append(h, p)
		}
		h = h[:len(h)-1]
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	return h
}
