package imageproc

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/twigdata/twigdata/stages/imageproc/jpegenc"
)

// quality is LumaQuality of an RGBA canvas, for the tests and benchmarks
// that start from one.
func quality(img *image.RGBA) (float64, string) {
	p := jpegenc.FromRGBA(img)
	defer p.Release()
	return LumaQuality(p.Y, p.W, p.H)
}

// TestSumBytes: the word-at-a-time sum equals the byte-by-byte one, at
// every length around its folds, for all-255 bytes (each lane at its
// largest) and for noise.
func TestSumBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, fill := range []string{"255", "noise"} {
		for n := 0; n <= 600; n++ {
			b := make([]uint8, n)
			var want int64
			for i := range b {
				b[i] = 255
				if fill == "noise" {
					b[i] = uint8(rng.IntN(256))
				}
				want += int64(b[i])
			}
			if got := sumBytes(b); got != want {
				t.Fatalf("%s, %d bytes: %d, want %d", fill, n, got, want)
			}
		}
	}
}
