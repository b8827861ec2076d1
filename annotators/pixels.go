package annotators

import (
	"image"

	"golang.org/x/image/draw"
)

// tensorPixels resizes each image to the model's input size and lays the batch
// out as normalized float32 NCHW, the layout pixel_values expects.
func tensorPixels(imgs []image.Image, p preprocess) []float32 {
	plane := p.H * p.W
	out := make([]float32, len(imgs)*3*plane)
	var lut [3][256]float32
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			lut[c][v] = (float32(v)*p.Scale - p.Mean[c]) / p.Std[c]
		}
	}
	for i, img := range imgs {
		rgba, ok := img.(*image.RGBA)
		if !ok || rgba.Rect.Dx() != p.W || rgba.Rect.Dy() != p.H {
			dst := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
			draw.ApproxBiLinear.Scale(dst, dst.Rect, img, img.Bounds(), draw.Src, nil)
			rgba = dst
		}
		base := i * 3 * plane
		for y := 0; y < p.H; y++ {
			row := rgba.Pix[rgba.PixOffset(rgba.Rect.Min.X, rgba.Rect.Min.Y+y):]
			for x := 0; x < p.W; x++ {
				px := row[4*x : 4*x+3]
				o := base + y*p.W + x
				out[o] = lut[0][px[0]]
				out[o+plane] = lut[1][px[1]]
				out[o+2*plane] = lut[2][px[2]]
			}
		}
	}
	return out
}
