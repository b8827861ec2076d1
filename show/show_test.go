package show

import (
	"testing"

	"github.com/twigdata/twigdata/schema"
)

// TestCellsCoverTheMask: the rectangles drawn for a mask cover exactly its
// cells, runs that wrap into the next column included.
func TestCellsCoverTheMask(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   func(x, y int) bool
	}{
		{"empty", func(x, y int) bool { return false }},
		{"full", func(x, y int) bool { return true }},
		{"a box", func(x, y int) bool { return x >= 2 && x < 5 && y >= 1 && y < 4 }},
		{"a run wrapping columns", func(x, y int) bool { return x == 1 && y >= 4 || x == 2 && y < 3 }},
		{"a diagonal", func(x, y int) bool { return x == y }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const w, h, cell = 7, 6, 10
			m := schema.NewMask(w, h, tc.in)
			covered := map[[2]int]bool{}
			for _, r := range cells(m, w*cell, h*cell) {
				for x := r[0]; x < r[0]+r[2]; x += cell {
					for y := r[1]; y < r[1]+r[3]; y += cell {
						covered[[2]int{int(x) / cell, int(y) / cell}] = true
					}
				}
			}
			for x := 0; x < w; x++ {
				for y := 0; y < h; y++ {
					if covered[[2]int{x, y}] != tc.in(x, y) {
						t.Errorf("cell (%d,%d): drawn %v, in the mask %v", x, y, covered[[2]int{x, y}], tc.in(x, y))
					}
				}
			}
		})
	}
}

// TestHistogramBins: values land in their bin, the top of the range in the
// last one, and values outside are counted apart.
func TestHistogramBins(t *testing.T) {
	h := newHistogram("score", 0, 100, 10)
	for _, v := range []float64{0, 9.9, 10, 55, 100, -1, 101} {
		h.add(v)
	}
	want := []int{2, 1, 0, 0, 0, 1, 0, 0, 0, 1}
	for i, c := range want {
		if h.Counts[i] != c {
			t.Errorf("bin %d (%s) holds %d, want %d", i, h.Labels[i], h.Counts[i], c)
		}
	}
	if h.Skipped != 2 {
		t.Errorf("%d values outside the range, want 2", h.Skipped)
	}
}
