package imageproc

import (
	"image"
	"math"
	"testing"
)

// The blur measure as it was before it read the encoder's integer luma
// plane: float luma (0.299, 0.587, 0.114) and float sums, one pass per
// edge step. TestLumaBlurAgreesWithTheFloatMeasure holds the shipped
// measure to it.

// grayFloat returns the canvas as float luma values.
func grayFloat(img *image.RGBA) ([]float64, int, int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y):]
		for x := 0; x < w; x++ {
			p := row[4*x:]
			out[y*w+x] = 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		}
	}
	return out, w, h
}

// blurFloat is the float measure (see blurOf).
func blurFloat(g []float64, w, h int) (blur float64, ok bool) {
	if w < 10 || h < 10 {
		return 0, false
	}
	for _, step := range []float64{10, 3} {
		// Across rows (vertical differences) and across columns.
		bv, nv := directionalBlurFloat(g, w, h, true, step)
		bh, nh := directionalBlurFloat(g, w, h, false, step)
		if float64(nv+nh) >= minEdgeShare*float64(2*w*h) {
			return math.Max(bv, bh), true
		}
	}
	return 0, false
}

// directionalBlur measures along rows, or down columns when vertical. It returns the blur and the number of edge pixels it was
// measured on. Both directions walk memory row by row: down the columns the
// 9-tap box sums slide over whole rows at once.
func directionalBlurFloat(g []float64, w, h int, vertical bool, edgeStep float64) (float64, int) {
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

// TestLumaBlurAgreesWithTheFloatMeasure: on every image of the quality
// calibration set and the held-apart photographs (clean, blurred, JPEG
// compressed: 96), the shipped measure — integer luma, integer sums — is
// the float one within 0.04 (0.0385 when written: rounding luma to whole
// levels moves a few pixel pairs across the edge steps of 10 and 3), both
// judge an image or neither does, and the gate (blur and blocking at the
// default thresholds) decides every image alike. Two JPEG q10 images cross
// the blur threshold one way or the other; blocking rejects both either way.
func TestLumaBlurAgreesWithTheFloatMeasure(t *testing.T) {
	gate := Gate{MaxBlur: 0.30, MaxBlockiness: 1.45}
	var worst float64
	n, crossed := 0, 0
	for _, dir := range []string{"../../testdata/quality/photos", "../../testdata/quality/heldout"} {
		for _, l := range calibrationSet(t, dir, dir == "../../testdata/quality/photos") {
			d := Decoder{MaxPixels: 1e8, Width: 384, Height: 384}
			dec, rej := d.Decode(l.raw, "calibration")
			if rej != nil {
				t.Fatal(rej.Detail)
			}
			got, _ := quality(dec.Canvas)
			g, w, h := grayFloat(dec.Canvas)
			want, ok := blurFloat(g, w, h)
			if !ok {
				want = -1
			}
			diff := math.Abs(got - want)
			worst = max(worst, diff)
			n++
			if (got > gate.MaxBlur) != (want > gate.MaxBlur) {
				crossed++
			}
			if diff > 0.04 || (got < 0) != (want < 0) || (gate.Check(got, dec.Blockiness) == nil) != (gate.Check(want, dec.Blockiness) == nil) {
				t.Errorf("%s: blur %.4f, the float measure %.4f (blocking %.2f)", l.name, got, want, dec.Blockiness)
			}
		}
	}
	t.Logf("%d images: the largest difference from the float measure is %.5f; %d cross the blur threshold, the gate decides all alike", n, worst, crossed)
}
