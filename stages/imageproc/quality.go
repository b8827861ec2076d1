package imageproc

import (
	"fmt"
	"image"
	"math"
)

// gray returns the canvas as luma values.
func gray(img *image.RGBA) ([]float64, int, int) {
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

// Quality returns the canvas's sharpness and difference hash from one luma pass.
func Quality(img *image.RGBA) (float64, string) {
	g, w, h := gray(img)
	return sharpness(g, w, h), dhash(g, w, h)
}

// sharpness is the variance of the 4-neighbour Laplacian of the luma, the
// standard blur measure: a blurred image has few strong second derivatives.
func sharpness(g []float64, w, h int) float64 {
	var sum, sq float64
	n := 0
	for y := 1; y < h-1; y++ {
		for x := 1; x < w-1; x++ {
			i := y*w + x
			l := g[i-1] + g[i+1] + g[i-w] + g[i+w] - 4*g[i]
			sum += l
			sq += l * l
			n++
		}
	}
	if n == 0 {
		return 0
	}
	mean := sum / float64(n)
	return sq/float64(n) - mean*mean
}

// dhash is a 64-bit difference hash of the canvas (9×8 luma grid), as hex;
// near-duplicates differ in few bits.
func dhash(g []float64, w, h int) string {
	cell := func(cx, cy int) float64 {
		x0, x1 := cx*w/9, (cx+1)*w/9
		y0, y1 := cy*h/8, (cy+1)*h/8
		var s float64
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				s += g[y*w+x]
			}
		}
		return s / math.Max(1, float64((x1-x0)*(y1-y0)))
	}
	var bits uint64
	for y := 0; y < 8; y++ {
		prev := cell(0, y)
		for x := 1; x < 9; x++ {
			c := cell(x, y)
			bits <<= 1
			if c > prev {
				bits |= 1
			}
			prev = c
		}
	}
	return fmt.Sprintf("%016x", bits)
}
