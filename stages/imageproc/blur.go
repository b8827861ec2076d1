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

// Blur is a no-reference perceptual blur measure after Crété-Roffet, Dolmière,
// Ladret and Nicolas ("The blur effect: perception and estimation with a new
// no-reference perceptual blur metric", SPIE 2007), the kind video tools use:
// the image is blurred again with a 9-tap box filter across each direction,
// and the measure is how little that changes its neighbour-to-neighbour
// differences — an already blurred edge loses little to a further blur, a
// crisp one a lot. Unlike the paper it sums only over edges (steps of at
// least edgeStep), so smooth areas do not count as blur. 0 is crisp, 1 fully
// blurred; ok is false when the image has too few edges to judge.
func Blur(img *image.RGBA) (blur float64, ok bool) {
	g, w, h := gray(img)
	return blurOf(g, w, h)
}

func blurOf(g []float64, w, h int) (float64, bool) {
	if w < 10 || h < 10 {
		return 0, false
	}
	for _, step := range edgeSteps {
		// Across rows (vertical differences) and across columns.
		bv, nv := directionalBlur(g, w, h, w, 1, step)
		bh, nh := directionalBlur(g, w, h, 1, w, step)
		if float64(nv+nh) >= minEdgeShare*float64(2*w*h) {
			return math.Max(bv, bh), true
		}
	}
	return 0, false
}

// directionalBlur measures along one direction: step is the index offset of
// the next pixel in it, across the offset along the other direction. It
// returns the blur and the number of edge pixels it was measured on.
func directionalBlur(g []float64, w, h, step, across int, edgeStep float64) (float64, int) {
	n, m := h, w // pixels along the direction, lines across it
	if step == 1 {
		n, m = w, h
	}
	blurred := make([]float64, n)
	line := make([]float64, n)
	var sumD, sumV float64
	edges := 0
	for l := 0; l < m; l++ {
		for i := 0; i < n; i++ {
			line[i] = g[l*across+i*step]
		}
		// A 9-tap box blur along the line, borders clamped.
		for i := 0; i < n; i++ {
			var s float64
			for d := -4; d <= 4; d++ {
				s += line[min(n-1, max(0, i+d))]
			}
			blurred[i] = s / 9
		}
		for i := 1; i < n; i++ {
			d := math.Abs(line[i] - line[i-1])
			if d < edgeStep {
				continue
			}
			db := math.Abs(blurred[i] - blurred[i-1])
			sumD += d
			sumV += math.Max(0, d-db)
			edges++
		}
	}
	if sumD == 0 {
		return 0, 0
	}
	return (sumD - sumV) / sumD, edges
}

// Blockiness is how much stronger luma steps are across the 8×8 block
// boundaries of a JPEG's grid than inside the blocks: about 1 for an image
// without blocking, well above it for one compressed hard. It reads the
// decoded JPEG before any resizing, while the grid is still at multiples of 8.
func Blockiness(img image.Image) float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 16 || h < 16 {
		return 1
	}
	luma := func(x, y int) float64 {
		if yc, ok := img.(*image.YCbCr); ok {
			return float64(yc.Y[yc.YOffset(b.Min.X+x, b.Min.Y+y)])
		}
		r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
	}
	var atB, inB float64
	var nB, nI int
	for y := 0; y < h; y++ {
		for x := 1; x < w; x++ {
			d := math.Abs(luma(x, y) - luma(x-1, y))
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
		for x := 0; x < w; x++ {
			d := math.Abs(luma(x, y) - luma(x, y-1))
			if y%8 == 0 {
				atB += d
				nB++
			} else {
				inB += d
				nI++
			}
		}
	}
	if nB == 0 || inB == 0 {
		return 1
	}
	return (atB / float64(nB)) / (inB / float64(nI))
}
