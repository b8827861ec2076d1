// Package segmap holds the label map a segmenter returns, as plain Go data: the
// critic reads it without ONNX Runtime, so it lives apart from the cgo
// package that produces it.
package segmap

import "sort"

// Map is one image's semantic segmentation at the model's output resolution.
type Map struct {
	W, H   int
	Labels []uint16  // argmax class per cell, row-major
	Conf   []float32 // softmax probability of that class
}

// TopClasses returns the classes covering at least minShare of the map, largest first.
func (m Map) TopClasses(minShare float64) []int {
	counts := map[int]int{}
	for _, l := range m.Labels {
		counts[int(l)]++
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
