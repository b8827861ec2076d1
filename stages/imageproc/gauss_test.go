package imageproc

import (
	"image"
	"image/color"
	"math"
)

// gaussian blurs an image with a Gaussian of standard deviation sigma
// (separable, borders clamped), as the calibration set's blurred copies are made.
func gaussian(src image.Image, sigma float64) *image.RGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		x := float64(i - r)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	px := make([][3]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			px[y*w+x] = [3]float64{float64(c.R), float64(c.G), float64(c.B)}
		}
	}
	pass := func(in [][3]float64, dx, dy int) [][3]float64 {
		out := make([][3]float64, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var acc [3]float64
				for i, kv := range k {
					xx := min(w-1, max(0, x+(i-r)*dx))
					yy := min(h-1, max(0, y+(i-r)*dy))
					p := in[yy*w+xx]
					for c := 0; c < 3; c++ {
						acc[c] += kv * p[c]
					}
				}
				out[y*w+x] = acc
			}
		}
		return out
	}
	px = pass(pass(px, 1, 0), 0, 1)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, p := range px {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = uint8(math.Round(p[0])), uint8(math.Round(p[1])), uint8(math.Round(p[2])), 255
	}
	return img
}
