package segmap

import "testing"

// TestPanopticFollowsHuggingFace: four queries over a 1×8 map of 3 classes
// (0 ball: thing, 1 grass: stuff, 2 sky: stuff) and "no object": two balls
// side by side stay two instances, two grass queries fuse into one segment,
// a weak query and a "no object" query are dropped.
func TestPanopticFollowsHuggingFace(t *testing.T) {
	const C, H, W = 3, 1, 8
	big, small := float32(8), float32(-8)
	classes := []float32{
		big, small, small, small, // query 0: ball
		big, small, small, small, // query 1: ball
		small, big, small, small, // query 2: grass
		small, big, small, small, // query 3: grass
		small, small, 0.1, 0.2, // query 4: weak sky
		small, small, small, big, // query 5: no object
	}
	// Each query's mask covers its own columns.
	cover := [][]int{{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}, {0, 1, 2, 3, 4, 5, 6, 7}}
	masks := make([]float32, len(cover)*W)
	for q, cols := range cover {
		for x := range W {
			masks[q*W+x] = small
		}
		for _, x := range cols {
			masks[q*W+x] = big
		}
	}
	m := Panoptic(classes, masks, len(cover), C, H, W, []Kind{KindThing, KindStuff, KindStuff}, DefaultPanoptic())
	if len(m.Segments) != 3 {
		t.Fatalf("segments %+v, want two balls and one grass", m.Segments)
	}
	want := []uint16{1, 1, 2, 2, 3, 3, 3, 3}
	for x, id := range want {
		if m.Instances[x] != id {
			t.Errorf("instances %v, want %v", m.Instances, want)
			break
		}
	}
	if m.Labels[0] != 0 || m.Labels[2] != 0 || m.Labels[4] != 1 || m.Labels[7] != 1 {
		t.Errorf("labels %v", m.Labels)
	}
	// With no query above the threshold nothing is labelled.
	o := DefaultPanoptic()
	o.Threshold = 0.9999999
	if m := Panoptic(classes, masks, len(cover), C, H, W, nil, o); len(m.Segments) != 0 || m.Labels[0] != NoLabel {
		t.Errorf("thresholded out: %+v", m.Segments)
	}
}
