package segmap

import "math"

// NoLabel marks a cell that no segment of a panoptic map covers.
const NoLabel = math.MaxUint16

// Segment is one instance (a thing) or one fused region (a class of stuff)
// of a panoptic map.
type Segment struct {
	ID    uint16 // its cells' value in Map.Instances, from 1
	Label int
	Score float32
}

// PanopticOptions are the thresholds of Hugging Face's
// post_process_panoptic_segmentation, with its defaults in DefaultPanoptic.
type PanopticOptions struct {
	Threshold   float32 // a query whose best class scores at most this is dropped
	MaskThresh  float32 // a cell belongs to a query's own mask at this probability
	OverlapArea float32 // a query keeps its segment when it wins more than this share of its own mask
}

// DefaultPanoptic are Hugging Face's defaults: 0.8, 0.5, 0.8.
func DefaultPanoptic() PanopticOptions {
	return PanopticOptions{Threshold: 0.8, MaskThresh: 0.5, OverlapArea: 0.8}
}

// Panoptic turns one image's query outputs of a Mask2Former-style (or
// DETR-panoptic) model into
// a panoptic map, as Hugging Face's post_process_panoptic_segmentation does:
// classLogits is [Q, C+1] (the last class is "no object"), maskLogits [Q, H,
// W]. Queries whose best class is "no object" or scores at most the
// threshold are dropped; each cell goes to the query with the highest mask
// probability × score; a query keeps its cells when they are more than the
// overlap share of its own mask; queries of a stuff class are fused into one
// segment per class.
func Panoptic(classLogits, maskLogits []float32, Q, C, H, W int, kinds []Kind, o PanopticOptions) Map {
	type query struct {
		label int
		score float32
	}
	var keep []int
	qs := make([]query, Q)
	for q := 0; q < Q; q++ {
		row := classLogits[q*(C+1) : (q+1)*(C+1)]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v - mx))
		}
		best := 0
		for c := range row {
			if row[c] > row[best] {
				best = c
			}
		}
		qs[q] = query{best, float32(math.Exp(float64(row[best]-mx)) / z)}
		if best != C && qs[q].score > o.Threshold {
			keep = append(keep, q)
		}
	}
	plane := H * W
	m := Map{W: W, H: H, Labels: make([]uint16, plane), Conf: make([]float32, plane), Instances: make([]uint16, plane)}
	for i := range m.Labels {
		m.Labels[i] = NoLabel
	}
	if len(keep) == 0 {
		return m
	}
	sigmoid := func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }
	winner := make([]int, plane) // index into keep
	prob := make([]float32, plane)
	for p := 0; p < plane; p++ {
		best, bestV := 0, float32(-1)
		for k, q := range keep {
			if v := sigmoid(maskLogits[q*plane+p]) * qs[q].score; v > bestV {
				best, bestV = k, v
			}
		}
		winner[p], prob[p] = best, bestV
	}
	stuffSeg := map[int]uint16{}
	var next uint16
	for k, q := range keep {
		var won, own int
		for p := 0; p < plane; p++ {
			if winner[p] == k {
				won++
			}
			if sigmoid(maskLogits[q*plane+p]) >= o.MaskThresh {
				own++
			}
		}
		if won == 0 || own == 0 || float32(won)/float32(own) <= o.OverlapArea {
			continue
		}
		label := qs[q].label
		stuff := label < len(kinds) && kinds[label] == KindStuff
		id, fused := stuffSeg[label]
		if !stuff || !fused {
			next++
			id = next
			m.Segments = append(m.Segments, Segment{ID: id, Label: label, Score: qs[q].score})
			if stuff {
				stuffSeg[label] = id
			}
		}
		for p := 0; p < plane; p++ {
			if winner[p] == k {
				m.Instances[p], m.Labels[p], m.Conf[p] = id, uint16(label), prob[p]
			}
		}
	}
	return m
}
