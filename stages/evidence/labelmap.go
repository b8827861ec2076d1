// Package evidence is what the models saw of a canvas and what is measured
// from it. The models' outputs arrive as plain data defined here, so that
// nothing downstream imports model code: a segmenter's label map, the
// thing/stuff split of its labels (and the standard label sets that give
// it), the phrases a grounder found. A Scene measures a canvas against them
// and the prompt — segments, their colours, shapes and tone, their
// grounding to the prompt's entities, the prompt's relations, the seams —
// and is read band by band; it does not change once built. The critic
// judges it (package critic); the plan words it (package plan).
package evidence

import (
	"math"
	"sort"
)

// NoLabel marks a cell that no segment of a panoptic map covers.
const NoLabel = math.MaxUint16

// MapSegment is one instance (a thing) or one fused region (a class of
// stuff) of a panoptic map.
type MapSegment struct {
	ID    uint16 // its cells' value in LabelMap.Instances, from 1
	Label int
	Score float32
}

// Grounding is one phrase a grounder found and the boxes it put it in, in
// pixels of the image it saw: x0, y0, x1, y1.
type Grounding struct {
	Phrase string
	Boxes  [][4]int
}

// LabelMap is one image's segmentation at the model's output resolution: the
// class of every cell and, from a panoptic model, the instance it belongs to.
type LabelMap struct {
	W, H   int
	Labels []uint16  // class per cell, row-major; NoLabel where no panoptic segment lies
	Conf   []float32 // the probability of that class
	// Instances, from a panoptic model, is the segment id of every cell (0:
	// none), Segments what each id is; nil for a semantic model.
	Instances []uint16
	Segments  []MapSegment
}

// TopClasses returns the classes covering at least minShare of the map, largest first.
func (m LabelMap) TopClasses(minShare float64) []int {
	counts := map[int]int{}
	for _, l := range m.Labels {
		if l != NoLabel {
			counts[int(l)]++
		}
	}
	var out []int
	for c, n := range counts {
		if float64(n)/float64(len(m.Labels)) >= minShare {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if counts[out[i]] != counts[out[j]] {
			return counts[out[i]] > counts[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// Sample resizes the map to w×h cells by nearest neighbour, each new cell
// taking the old cell under its centre: a panoptic map post-processed at
// 384×384 goes back to the model's mask resolution, which the critic reads.
func (m LabelMap) Sample(w, h int) LabelMap {
	if w == m.W && h == m.H {
		return m
	}
	out := LabelMap{W: w, H: h, Labels: make([]uint16, w*h), Conf: make([]float32, w*h), Segments: m.Segments}
	if m.Instances != nil {
		out.Instances = make([]uint16, w*h)
	}
	for y := 0; y < h; y++ {
		sy := min(m.H-1, (2*y+1)*m.H/(2*h))
		for x := 0; x < w; x++ {
			src := sy*m.W + min(m.W-1, (2*x+1)*m.W/(2*w))
			out.Labels[y*w+x], out.Conf[y*w+x] = m.Labels[src], m.Conf[src]
			if m.Instances != nil {
				out.Instances[y*w+x] = m.Instances[src]
			}
		}
	}
	return out
}

// Crop keeps the top-left w×h cells: the content of a padded image.
func (m LabelMap) Crop(w, h int) LabelMap {
	if w >= m.W && h >= m.H {
		return m
	}
	out := LabelMap{W: w, H: h, Labels: make([]uint16, w*h), Conf: make([]float32, w*h), Segments: m.Segments}
	if m.Instances != nil {
		out.Instances = make([]uint16, w*h)
	}
	for y := 0; y < h; y++ {
		copy(out.Labels[y*w:(y+1)*w], m.Labels[y*m.W:y*m.W+w])
		copy(out.Conf[y*w:(y+1)*w], m.Conf[y*m.W:y*m.W+w])
		if m.Instances != nil {
			copy(out.Instances[y*w:(y+1)*w], m.Instances[y*m.W:y*m.W+w])
		}
	}
	return out
}
