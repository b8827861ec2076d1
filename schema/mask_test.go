package schema

import "testing"

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
