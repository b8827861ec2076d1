// Package segmap post-processes the query outputs of panoptic segmenters
// (Mask2Former, MaskFormer, OneFormer, DETR-panoptic) into a label map, as
// transformers does.
package segmap

import (
	"math"

	"github.com/twigdata/twigdata/stages/evidence"
)

// PanopticOptions are the thresholds of Hugging Face's
// post_process_panoptic_segmentation, with its defaults in DefaultPanoptic.
type PanopticOptions struct {
	Threshold   float32 // a query whose best class scores at most this is dropped
	MaskThresh  float32 // a cell belongs to a query's own mask at this probability
	OverlapArea float32 // a query keeps its segment when it wins more than this share of its own mask
	// Upsample, when above 0, first resizes the mask logits bilinearly to
	// Upsample×Upsample (torch's interpolate, align_corners=False), as
	// transformers does for Mask2Former (384): the map is then that size.
	Upsample int
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
// probability × score; a query keeps the cells it wins when they are more
// than the overlap share of its own mask (the cells where probability × score
// reaches the mask threshold); queries of a stuff class are fused into one
// segment per class. Segment ids are unique, where transformers can give a
// segment after a fused one the id of an earlier one.
func Panoptic(classLogits, maskLogits []float32, Q, C, H, W int, kinds []evidence.Kind, o PanopticOptions) evidence.LabelMap {
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
	// The kept queries' mask logits, resized first when asked.
	planes := make([][]float32, len(keep))
	for k, q := range keep {
		planes[k] = maskLogits[q*H*W : (q+1)*H*W]
	}
	if o.Upsample > 0 && (o.Upsample != H || o.Upsample != W) {
		S := o.Upsample
		up := make([]float32, len(keep)*S*S)
		for k := range planes {
			resizeBilinear(planes[k], H, W, up[k*S*S:(k+1)*S*S], S, S)
			planes[k] = up[k*S*S : (k+1)*S*S]
		}
		H, W = S, S
	}
	plane := H * W
	m := evidence.LabelMap{W: W, H: H, Labels: make([]uint16, plane), Conf: make([]float32, plane), Instances: make([]uint16, plane)}
	for i := range m.Labels {
		m.Labels[i] = evidence.NoLabel
	}
	if len(keep) == 0 {
		return m
	}
	// One pass over the cells: each kept query's mask probability weighed by
	// its score, the query that wins the cell, and the size of each query's
	// own mask (the cells where its weighed probability reaches the mask
	// threshold).
	K := len(keep)
	winner := make([]int32, plane) // index into keep
	prob := make([]float32, plane)
	own := make([]int, K)
	won := make([]int, K)
	scores := make([]float32, K)
	for k, q := range keep {
		scores[k] = qs[q].score
	}
	// Tile by tile, so that the weighed probabilities of a tile stay in cache.
	const tile = 1024
	weighed := make([]float32, K*tile)
	for p0 := 0; p0 < plane; p0 += tile {
		n := min(tile, plane-p0)
		for k := range K {
			w, src, sc := weighed[k*tile:k*tile+n], planes[k][p0:p0+n], scores[k]
			c := 0
			for i, v := range src {
				w[i] = float32(1/(1+math.Exp(-float64(v)))) * sc
				if w[i] >= o.MaskThresh {
					c++
				}
			}
			own[k] += c
		}
		for i := range n {
			best, bestV := int32(0), weighed[i]
			for k := 1; k < K; k++ {
				if v := weighed[k*tile+i]; v > bestV {
					best, bestV = int32(k), v
				}
			}
			winner[p0+i], prob[p0+i] = best, bestV
			won[best]++
		}
	}
	ids := make([]uint16, K) // the segment of each kept query; 0: dropped
	stuffSeg := map[int]uint16{}
	var next uint16
	for k, q := range keep {
		if won[k] == 0 || own[k] == 0 || float32(won[k])/float32(own[k]) <= o.OverlapArea {
			continue
		}
		label := qs[q].label
		stuff := label < len(kinds) && kinds[label] == evidence.KindStuff
		id, fused := stuffSeg[label]
		if !stuff || !fused {
			next++
			id = next
			m.Segments = append(m.Segments, evidence.MapSegment{ID: id, Label: label, Score: qs[q].score})
			if stuff {
				stuffSeg[label] = id
			}
		}
		ids[k] = id
	}
	for p, k := range winner {
		if id := ids[k]; id != 0 {
			m.Instances[p], m.Labels[p], m.Conf[p] = id, uint16(qs[keep[k]].label), prob[p]
		}
	}
	return m
}

// resizeBilinear resizes one h×w plane to oh×ow as torch's interpolate does
// with mode="bilinear", align_corners=False, in float32 and in its order of
// operations, so that thresholds and argmaxes fall where transformers' do.
func resizeBilinear(in []float32, h, w int, out []float32, oh, ow int) {
	type tap struct {
		i0, i1 int
		l0, l1 float32
	}
	taps := func(in, out int) []tap {
		scale := float32(in) / float32(out)
		t := make([]tap, out)
		for d := range t {
			src := max(scale*(float32(d)+0.5)-0.5, 0)
			i0 := int(src)
			l1 := src - float32(i0)
			i1 := i0
			if i0 < in-1 {
				i1 = i0 + 1
			}
			t[d] = tap{i0, i1, 1 - l1, l1}
		}
		return t
	}
	ys, xs := taps(h, oh), taps(w, ow)
	for y, ty := range ys {
		r0, r1 := in[ty.i0*w:(ty.i0+1)*w], in[ty.i1*w:(ty.i1+1)*w]
		for x, tx := range xs {
			out[y*ow+x] = ty.l0*(tx.l0*r0[tx.i0]+tx.l1*r0[tx.i1]) + ty.l1*(tx.l0*r1[tx.i0]+tx.l1*r1[tx.i1])
		}
	}
}
