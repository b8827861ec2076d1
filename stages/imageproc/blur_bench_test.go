package imageproc

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/twigdata/twigdata/stages/imageproc/jpegenc"
)

// benchCanvases are canvases as a build makes them: the first 64 pairs
// `make bench` generated (.deps/bench), decoded to 384×384, or without
// them one synthetic canvas.
func benchCanvases(b *testing.B) []*image.RGBA {
	files, _ := filepath.Glob("../../.deps/bench/in-2000/000[0-6]?.*g")
	var out []*image.RGBA
	d := Decoder{MaxPixels: 1e8, Width: 384, Height: 384}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if dec, rej := d.Decode(raw, f); rej == nil {
			out = append(out, dec.Canvas)
		}
	}
	if len(out) > 0 {
		return out
	}
	img := image.NewRGBA(image.Rect(0, 0, 384, 384))
	for y := 0; y < 384; y++ {
		for x := 0; x < 384; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * y % 251), uint8(x + y), uint8(3 * x), 255})
		}
	}
	return []*image.RGBA{img}
}

// BenchmarkQuality measures the blur measure and hash of a 384×384 canvas:
// from its RGBA pixels, and from the luma plane compose shares with the
// canvas's encoding.
func BenchmarkQuality(b *testing.B) {
	imgs := benchCanvases(b)
	b.Run("rgba", func(b *testing.B) {
		i := 0
		for b.Loop() {
			quality(imgs[i%len(imgs)])
			i++
		}
	})
	planes := make([]*jpegenc.Planes, len(imgs))
	for i, m := range imgs {
		planes[i] = jpegenc.FromRGBA(m)
	}
	b.Run("luma", func(b *testing.B) {
		i := 0
		for b.Loop() {
			p := planes[i%len(planes)]
			LumaQuality(p.Y, p.W, p.H)
			i++
		}
	})
}
