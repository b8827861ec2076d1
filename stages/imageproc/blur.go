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
var edgeSteps = [2]int32{10, 3}

// minEdgeShare is the share of pixel pairs that must be edges for the blur
// measure to judge at all: an image with (almost) none is not called blurred.
const minEdgeShare = 0.002

// blurSums are one direction's sums for each of edgeSteps: the original
// steps at edges, nine times what a further blur took from them, and the
// number of edge pixels.
type blurSums [len(edgeSteps)]struct {
	d, v9 int64
	n     int
}

// blurOf is a no-reference perceptual blur measure after Crété-Roffet, Dolmière,
// Ladret and Nicolas ("The blur effect: perception and estimation with a new
// no-reference perceptual blur metric", SPIE 2007), the kind video tools use:
// the image is blurred again with a 9-tap box filter across each direction,
// and the measure is how little that changes its neighbour-to-neighbour
// differences — an already blurred edge loses little to a further blur, a
// crisp one a lot. Unlike the paper it sums only over edges (see
// edgeSteps), so smooth areas do not count as blur. 0 is crisp, 1 fully
// blurred; ok is false when the image has too few edges to judge.
//
// It reads the luma plane the canvas's JPEG encoding computes (integer
// Y, as color.RGBToYCbCr gives it) and counts in integers: a box sum is
// nine times the blurred value, so every comparison is exact; both edge
// steps are measured in one pass. Steps along rows are measured on every
// other row, steps down columns on every other column — an edge runs on
// across the lines skipped — which halves the cost;
// TestLumaBlurAgreesWithTheFloatMeasure holds the result to the full float
// measure on the quality calibration set.
func blurOf(g []uint8, w, h int) (blur float64, ok bool) {
	if w < 10 || h < 10 {
		return 0, false
	}
	var across, down blurSums
	horizontalBlur(g, w, h, &across)
	verticalBlur(g, w, h, &down)
	for i := range edgeSteps {
		a, d := across[i], down[i]
		if float64(a.n+d.n) >= minEdgeShare*float64(w*h) { // half the pairs are sampled
			return max(ratio(a.d, a.v9), ratio(d.d, d.v9)), true
		}
	}
	return 0, false
}

// ratio is the blur of one direction: the share of the edges' steps a
// further blur did not take.
func ratio(d, v9 int64) float64 {
	if d == 0 {
		return 0
	}
	return (float64(d) - float64(v9)/9) / float64(d)
}

// measure adds one line's neighbour steps, a[stride·i]-b[stride·i] in the
// original and (ab[i]-bb[i])/9 blurred again, where the original steps by
// an edge: every position of the lines (stride 1), or every other one
// (stride 2, the box sums holding those alone). Whether a step is an edge
// is a mask, not a branch: smooth areas and edges alternate too irregularly
// for a branch predictor.
func measure(a, b []uint8, ab, bb []int32, stride int, s *blurSums) {
	// One line's sums fit 32 bits: 65535 steps of at most 9·255.
	var d0, v0, d1, v1, n0, n1 int32
	b, bb = b[:len(a)], bb[:len(ab)]
	for i := range ab {
		d := int32(a[stride*i]) - int32(b[stride*i])
		d = (d ^ (d >> 31)) - (d >> 31)
		db := ab[i] - bb[i]
		db = (db ^ (db >> 31)) - (db >> 31)
		lost := max(0, 9*d-db)             // nine times the step a further blur took
		m1 := (edgeSteps[1] - 1 - d) >> 31 // all ones where d >= edgeSteps[1]
		m0 := (edgeSteps[0] - 1 - d) >> 31
		d1 += d & m1
		v1 += lost & m1
		n1 -= m1
		d0 += d & m0
		v0 += lost & m0
		n0 -= m0
	}
	s[0].d, s[0].v9, s[0].n = s[0].d+int64(d0), s[0].v9+int64(v0), s[0].n+int(n0)
	s[1].d, s[1].v9, s[1].n = s[1].d+int64(d1), s[1].v9+int64(v1), s[1].n+int(n1)
}

// horizontalBlur measures along rows. A row's 9-tap box sums are three
// sums of three, which need no running total (and so no chain of
// dependent additions); the row's ends are repeated.
func horizontalBlur(g []uint8, w, h int, s *blurSums) {
	box := make([]int32, w)
	three := make([]int32, w+8) // three[i+4]: the sum of pixels i-1..i+1, ends repeated
	for y := 0; y < h; y += 2 {
		line := g[y*w : (y+1)*w]
		at := func(i int) int32 { return int32(line[min(w-1, max(0, i))]) }
		// The ends, where pixels repeat, then the inside without a test.
		for i := -4; i < w+4; i++ {
			if i == 1 {
				i = w - 1
			}
			three[i+4] = at(i-1) + at(i) + at(i+1)
		}
		inner := three[5 : w+3]
		for i := range inner {
			inner[i] = int32(line[i]) + int32(line[i+1]) + int32(line[i+2])
		}
		t1, t4, t7 := three[1:w+1], three[4:w+4], three[7:w+7]
		for i := range box {
			box[i] = t1[i] + t4[i] + t7[i]
		}
		measure(line[1:], line[:w-1], box[1:], box[:w-1], 1, s)
	}
}

// verticalBlur measures down columns, walking memory row by row: the 9-tap
// box sums slide over whole rows at once, the first and last rows repeated.
func verticalBlur(g []uint8, w, h int, s *blurSums) {
	row := func(y int) []uint8 { y = min(h-1, max(0, y)); return g[y*w : (y+1)*w] }
	n := (w + 1) / 2        // the even columns, the only ones measured
	sum := make([]int32, n) // the 9 rows around y (first 0), summed column by column
	for d := -4; d <= 4; d++ {
		r := row(d)
		for i := range sum {
			sum[i] += int32(r[2*i])
		}
	}
	next := make([]int32, n) // the same around y+1, from sum
	for y := 1; y < h; y++ {
		out, in := row(y-5), row(y+4)
		out, in, next = out[:2*n-1], in[:2*n-1], next[:len(sum)]
		for i := range sum {
			next[i] = sum[i] + int32(in[2*i]) - int32(out[2*i])
		}
		measure(g[y*w:(y+1)*w], g[(y-1)*w:y*w], next, sum, 2, s)
		sum, next = next, sum
	}
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
