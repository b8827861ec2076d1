package schema

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMaskIsCOCORLE: runs go down the columns and start outside, as COCO's
// uncompressed RLE does; Contains decodes what NewMask encodes.
func TestMaskIsCOCORLE(t *testing.T) {
	// A 3×2 grid (w 3, h 2) with cells (1,0), (1,1) and (2,1) inside:
	// column-major 0 0 | 1 1 | 0 1 → runs 2 outside, 2 inside, 1 outside, 1 inside.
	in := map[[2]int]bool{{1, 0}: true, {1, 1}: true, {2, 1}: true}
	m := NewMask(3, 2, func(x, y int) bool { return in[[2]int{x, y}] })
	want := []int32{2, 2, 1, 1}
	if len(m.Counts) != len(want) || m.Width != 3 || m.Height != 2 {
		t.Fatalf("mask %+v, want counts %v", m, want)
	}
	for i := range want {
		if m.Counts[i] != want[i] {
			t.Fatalf("counts %v, want %v", m.Counts, want)
		}
	}
	for x := range 3 {
		for y := range 2 {
			if m.Contains(x, y) != in[[2]int{x, y}] {
				t.Errorf("cell (%d,%d): %v", x, y, m.Contains(x, y))
			}
		}
	}
	// The first cell inside: the first run is empty.
	if m := NewMask(2, 1, func(x, y int) bool { return x == 0 }); len(m.Counts) != 3 || m.Counts[0] != 0 || m.Counts[1] != 1 || m.Counts[2] != 1 {
		t.Errorf("counts %v, want [0 1 1]", m.Counts)
	}
}

// TestMaskOfCellsIsNewMask: the mask of a list of cells is NewMask's of
// the same cells, whatever their shape: none, all, the first or last cell,
// scattered cells, whole columns, in any order.
func TestMaskOfCellsIsNewMask(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for _, tc := range []struct {
		name string
		w, h int
		in   func(x, y int) bool
	}{
		{"none", 5, 4, func(x, y int) bool { return false }},
		{"all", 5, 4, func(x, y int) bool { return true }},
		{"the first cell", 5, 4, func(x, y int) bool { return x == 0 && y == 0 }},
		{"the last cell", 5, 4, func(x, y int) bool { return x == 4 && y == 3 }},
		{"whole columns", 6, 3, func(x, y int) bool { return x == 2 || x == 3 }},
		{"a disc", 40, 30, func(x, y int) bool { return (x-20)*(x-20)+(y-15)*(y-15) < 100 }},
		{"scattered", 37, 23, func(x, y int) bool { return r.IntN(3) == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inside := map[int]bool{}
			var cells []int32
			for y := range tc.h {
				for x := range tc.w {
					if tc.in(x, y) {
						inside[y*tc.w+x] = true
						cells = append(cells, int32(y*tc.w+x))
					}
				}
			}
			r.Shuffle(len(cells), func(i, j int) { cells[i], cells[j] = cells[j], cells[i] })
			want := NewMask(tc.w, tc.h, func(x, y int) bool { return inside[y*tc.w+x] })
			got := MaskOfCells(tc.w, tc.h, cells)
			if !slices.Equal(got.Counts, want.Counts) || got.Width != want.Width || got.Height != want.Height {
				t.Errorf("counts %v, NewMask %v", got.Counts, want.Counts)
			}
		})
	}
}
