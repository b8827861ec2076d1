package evidence

import "testing"

// TestRelationsAreMeasuredOrUnverified: every predicate either has a
// measurement that can fail or is reported unverified.
func TestRelationsAreMeasuredOrUnverified(t *testing.T) {
	sc := &Scene{seg: LabelMap{W: 40, H: 40}}
	box := func(x0, y0, x1, y1 int) *Segment {
		s := &Segment{X0: x0, Y0: y0, X1: x1, Y1: y1, Cells: (x1 - x0) * (y1 - y0)}
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				s.cells = append(s.cells, int32(y*40+x))
			}
		}
		return s
	}
	// An L: a square with a corner bitten out, as a thing partly hidden looks.
	bitten := box(20, 10, 30, 20)
	var kept []int32
	for _, p := range bitten.cells {
		if x, y := int(p)%40, int(p)/40; !(x < 24 && y >= 16) {
			kept = append(kept, p)
		}
	}
	bitten.cells, bitten.Cells = kept, len(kept)
	front := box(16, 16, 24, 24) // covers the bitten corner
	tests := []struct {
		pred          string
		a, b          *Segment
		holds, measur bool
	}{
		{"on the left of", box(0, 0, 5, 5), box(20, 0, 25, 5), true, true},
		{"on the left of", box(20, 0, 25, 5), box(0, 0, 5, 5), false, true},
		{"next to", box(0, 0, 5, 5), box(6, 0, 11, 5), true, true},
		{"next to", box(0, 0, 5, 5), box(30, 30, 35, 35), false, true},
		{"near", box(0, 0, 5, 5), box(30, 30, 35, 35), false, true},
		{"in", box(12, 12, 14, 14), box(10, 10, 20, 20), true, true},
		{"in", box(0, 0, 5, 5), box(10, 10, 20, 20), false, true},
		{"in front of", front, bitten, true, true},
		{"in front of", bitten, front, false, true},
		{"behind", bitten, front, true, true},
		{"in front of", box(0, 0, 5, 5), box(30, 30, 35, 35), false, false}, // they do not touch: no depth order
		{"playing with", box(0, 0, 5, 5), box(6, 0, 11, 5), false, false},
	}
	for _, tc := range tests {
		holds, measured := sc.relation(tc.pred, tc.a, tc.b)
		if holds != tc.holds || measured != tc.measur {
			t.Errorf("%s %v %v: holds %v measured %v, want %v %v", tc.pred, tc.a.X0, tc.b.X0, holds, measured, tc.holds, tc.measur)
		}
	}
}
