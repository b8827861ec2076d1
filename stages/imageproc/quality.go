package imageproc

import (
	"fmt"
	"image"
	"math"

	"github.com/twigdata/twigdata/schema"
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

// Quality returns the canvas's blur (see blurOf; -1 when it has too few edges
// to judge) and difference hash from one luma pass.
func Quality(img *image.RGBA) (float64, string) {
	g, w, h := gray(img)
	blur, ok := blurOf(g, w, h)
	if !ok {
		blur = -1
	}
	return blur, dhash(g, w, h)
}

// Gate is the quality filter's thresholds, calibrated on clean renders,
// photographs and their blurred and compressed copies (see the README).
type Gate struct {
	MaxBlur       float64 // Blur above this rejects; default 0.30
	MaxBlockiness float64 // a JPEG original's Blockiness above this rejects; default 1.45
}

// Check says why a canvas of this blur (-1: not judged) and an original of
// this blockiness must be rejected, or nil.
func (g Gate) Check(blur, blockiness float64) *schema.Rejection {
	if blur > g.MaxBlur {
		return schema.Rejectf(schema.ReasonBlur, "blur %.2f (a no-reference measure on the canvas's edges, 0 crisp to 1 blurred) is above max-blur %.2f: the image is blurred", blur, g.MaxBlur)
	}
	if blockiness > g.MaxBlockiness {
		return schema.Rejectf(schema.ReasonBlocking, "JPEG blocking %.2f (steps across the 8×8 block grid against steps inside it) is above max-blockiness %.2f: the image was compressed too hard", blockiness, g.MaxBlockiness)
	}
	return nil
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
