package imageproc

import (
	"image"
	"math"
)

// edgeSteps are the luma steps between neighbouring pixels (of 255) that
// count as an edge, tried in turn: the blur measure looks only there, so a
// smooth render with a few crisp edges is judged by those edges, not by its
// smooth areas; an image with no step of 10 (a photograph blurred hard) is
// judged on its gentler steps; one without even those (a flat fill, a
// gradient) is not judged.
var edgeSteps = []float64{10, 3}

// minEdgeShare is the share of pixel pairs that must be edges for the blur
// measure to judge at all: an image with (almost) none is not called blurred.
const minEdgeShare = 0.002

// blurOf is a no-reference perceptual blur measure after Crété-Roffet, Dolmière,
// Ladret and Nicolas ("The blur effect: perception and estimation with a new
// no-reference perceptual blur metric", SPIE 2007), the kind video tools use:
// the image is blurred again with a 9-tap box filter across each direction,
// and the measure is how little that changes its neighbour-to-neighbour
// differences — an already blurred edge loses little to a further blur, a
// crisp one a lot. Unlike the paper it sums only over edges (see
// edgeSteps), so smooth areas do not count as blur. 0 is crisp, 1 fully
// blurred; ok is false when the image has too few edges to judge.
func blurOf(g []float64, w, h int) (blur float64, ok bool) {
	if w < 10 || h < 10 {
		return 0, false
	}
	for _, step := range edgeSteps {
		// Across rows (vertical differences) and across columns.
		bv, nv := directionalBlur(g, w, h, true, step)
		bh, nh := directionalBlur(g, w, h, false, step)
		if float64(nv+nh) >= minEdgeShare*float64(2*w*h) {
			return math.Max(bv, bh), true
		}
	}
	return 0, false
}

// directionalBlur measures along rows, or down columns when vertical. It returns the blur and the number of edge pixels it was
// measured on. Both directions walk memory row by row: down the columns the
// 9-tap box sums slide over whole rows at once.
func directionalBlur(g []float64, w, h int, vertical bool, edgeStep float64) (float64, int) {
	var sumD, sumV float64
	edges := 0
	// measure adds one line's neighbour steps (a-b, original) and (ab-bb,
	// blurred again, times scale) where the original steps by an edge; its
	// sums stay local so the loop keeps them in registers.
	measure := func(a, b, ab, bb []float64, scale float64) {
		var d0, v0 float64
		n := 0
		for x := range a {
			d := a[x] - b[x]
			if d < 0 {
				d = -d
			}
			if d < edgeStep {
				continue
			}
			db := (ab[x] - bb[x]) * scale
			if db < 0 {
				db = -db
			}
			d0 += d
			if d > db {
				v0 += d - db
			}
			n++
		}
		sumD, sumV, edges = sumD+d0, sumV+v0, edges+n
	}
	clampRow := func(y int) []float64 { y = min(h-1, max(0, y)); return g[y*w : (y+1)*w] }
	if !vertical {
		blurred := make([]float64, w)
		prefix := make([]float64, w+1)
		for y := 0; y < h; y++ {
			line := g[y*w : (y+1)*w]
			for i, v := range line {
				prefix[i+1] = prefix[i] + v
			}
			for i := range line {
				lo, hi := max(0, i-4), min(w-1, i+4)
				blurred[i] = (prefix[hi+1] - prefix[lo] + float64(lo-(i-4))*line[0] + float64(i+4-hi)*line[w-1]) / 9
			}
			measure(line[1:], line[:w-1], blurred[1:], blurred[:w-1], 1)
		}
	} else {
		sum := make([]float64, w) // the 9 rows around y, summed column by column
		for d := -4; d <= 4; d++ {
			for x, v := range clampRow(d) {
				sum[x] += v
			}
		}
		prev := make([]float64, w)
		copy(prev, sum)
		for y := 1; y < h; y++ {
			out, in := clampRow(y-5), clampRow(y+4)
			for x := range sum {
				sum[x] += in[x] - out[x]
			}
			measure(g[y*w:(y+1)*w], g[(y-1)*w:y*w], sum, prev, 1.0/9)
			copy(prev, sum)
		}
	}
	if sumD == 0 {
		return 0, 0
	}
	return (sumD - sumV) / sumD, edges
}

// Blockiness is how much stronger luma steps are across the 8×8 block
// boundaries of a JPEG's grid than inside the blocks (each mean step plus
// one level): about 1 for an image without blocking, well above it for one
// compressed hard. It reads the
// decoded JPEG before any resizing, while the grid is still at multiples of 8.
func Blockiness(img image.Image) float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 16 || h < 16 {
		return 1
	}
	// The luma plane: a JPEG decodes to YCbCr, whose Y is read directly.
	lum := make([]float64, w*h)
	if yc, ok := img.(*image.YCbCr); ok {
		for y := 0; y < h; y++ {
			row := yc.Y[yc.YOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				lum[y*w+x] = float64(row[x])
			}
		}
	} else {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				lum[y*w+x] = (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
			}
		}
	}
	var atB, inB float64
	var nB, nI int
	for y := 0; y < h; y++ {
		row := lum[y*w : (y+1)*w]
		for x := 1; x < w; x++ {
			d := math.Abs(row[x] - row[x-1])
			if x%8 == 0 {
				atB += d
				nB++
			} else {
				inB += d
				nI++
			}
		}
	}
	for y := 1; y < h; y++ {
		row, up := lum[y*w:(y+1)*w], lum[(y-1)*w:y*w]
		boundary := y%8 == 0
		for x := 0; x < w; x++ {
			d := math.Abs(row[x] - up[x])
			if boundary {
				atB += d
				nB++
			} else {
				inB += d
				nI++
			}
		}
	}
	if nB == 0 || nI == 0 {
		return 1
	}
	// One luma level added to both means keeps a flat render, whose steps
	// inside blocks are near zero, from reading a faint grid as blocking.
	return (atB/float64(nB) + 1) / (inB/float64(nI) + 1)
}
