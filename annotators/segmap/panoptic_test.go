package segmap

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/twigdata/twigdata/stages/evidence"
)

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
	m := Panoptic(classes, masks, len(cover), C, H, W, []evidence.Kind{evidence.KindThing, evidence.KindStuff, evidence.KindStuff}, DefaultPanoptic())
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
	if m := Panoptic(classes, masks, len(cover), C, H, W, nil, o); len(m.Segments) != 0 || m.Labels[0] != evidence.NoLabel {
		t.Errorf("thresholded out: %+v", m.Segments)
	}
}

// TestPanopticMatchesTransformers: on seeded random query outputs,
// transformers' own post_process_panoptic_segmentation (Mask2Former's, with
// its 384×384 upsampling, and DETR's; scripts/panoptic_golden.py) and Panoptic
// give the same segments and the same segment in every cell.
func TestPanopticMatchesTransformers(t *testing.T) {
	data, err := os.ReadFile("testdata/panoptic.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Q, C, H, W     int
		Classes, Masks []float32
		Results        []struct {
			Family       string
			Upsample     int
			Threshold    float32
			Height       int
			Width        int
			Segmentation [][2]int
			Segments     []struct {
				ID, Label int
				Score     float64
			}
		}
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		for _, r := range c.Results {
			t.Run(fmt.Sprintf("%s/%d", r.Family, i), func(t *testing.T) {
				o := DefaultPanoptic()
				o.Threshold, o.Upsample = r.Threshold, r.Upsample
				m := Panoptic(c.Classes, append([]float32(nil), c.Masks...), c.Q, c.C, c.H, c.W, nil, o)
				if m.W != r.Width || m.H != r.Height {
					t.Fatalf("map %d×%d, transformers %d×%d", m.W, m.H, r.Width, r.Height)
				}
				if len(m.Segments) != len(r.Segments) {
					t.Fatalf("segments %+v, transformers %+v", m.Segments, r.Segments)
				}
				for k, s := range r.Segments {
					g := m.Segments[k]
					if int(g.ID) != s.ID || g.Label != s.Label || math.Abs(float64(g.Score)-s.Score) > 1e-6 {
						t.Errorf("segment %d: %+v, transformers %+v", k, g, s)
					}
				}
				p, diff := 0, 0
				for _, run := range r.Segmentation {
					for range run[1] {
						if int(m.Instances[p]) != run[0] {
							diff++
						}
						p++
					}
				}
				if diff > 0 {
					t.Errorf("%d of %d cells in another segment than transformers put them", diff, p)
				}
			})
		}
	}
}
