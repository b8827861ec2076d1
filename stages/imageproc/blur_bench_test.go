package imageproc

import (
	"image"
	"image/color"
	"testing"
)

// BenchmarkQuality measures the blur measure and hash of one 384×384 canvas.
func BenchmarkQuality(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 384, 384))
	for y := 0; y < 384; y++ {
		for x := 0; x < 384; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * y % 251), uint8(x + y), uint8(3 * x), 255})
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Quality(img)
	}
}
