package jpegenc

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	_ "image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// canvases are images of the kinds a build encodes — noise, gradients,
// flat fills, hard edges — at sizes on and off the 16-pixel grid, one of
// them a sub-image that does not start at the origin.
func canvases() map[string]*image.RGBA {
	r := rand.New(rand.NewPCG(1, 2))
	out := map[string]*image.RGBA{}
	for _, sz := range []image.Point{{1, 1}, {7, 13}, {16, 16}, {17, 33}, {300, 200}, {384, 384}} {
		noise := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
		for i := range noise.Pix {
			noise.Pix[i] = uint8(r.IntN(256))
		}
		out[fmt.Sprintf("noise %dx%d", sz.X, sz.Y)] = noise
		grad := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
		for y := range sz.Y {
			for x := range sz.X {
				grad.SetRGBA(x, y, color.RGBA{uint8(x * 255 / max(1, sz.X-1)), uint8(y * 255 / max(1, sz.Y-1)), uint8((x + y) % 256), 255})
			}
		}
		out[fmt.Sprintf("gradient %dx%d", sz.X, sz.Y)] = grad
		shapes := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
		for y := range sz.Y {
			for x := range sz.X {
				c := color.RGBA{255, 255, 255, 255}
				if (x-sz.X/2)*(x-sz.X/2)+(y-sz.Y/3)*(y-sz.Y/3) < sz.X*sz.Y/16 {
					c = color.RGBA{220, 20, 30, 255}
				} else if y > sz.Y*2/3 {
					c = color.RGBA{30, 90, 200, 128} // alpha is ignored, as image/jpeg ignores it
				}
				shapes.SetRGBA(x, y, c)
			}
		}
		out[fmt.Sprintf("shapes %dx%d", sz.X, sz.Y)] = shapes
	}
	out["sub-image"] = out["noise 300x200"].SubImage(image.Rect(13, 7, 250, 199)).(*image.RGBA)
	return out
}

// TestSameBytesAsImageJPEG: for every canvas and quality, the bytes are
// image/jpeg's (the Go this was forked from), and the luma plane is what
// image/jpeg's colour conversion gives.
func TestSameBytesAsImageJPEG(t *testing.T) {
	for name, m := range canvases() {
		for _, q := range []int{0, 1, 10, 50, 75, 90, 95, 100, 101} {
			t.Run(fmt.Sprintf("%s q%d", name, q), func(t *testing.T) {
				var want bytes.Buffer
				if err := jpeg.Encode(&want, m, &jpeg.Options{Quality: q}); err != nil {
					t.Fatal(err)
				}
				p := FromRGBA(m)
				got, err := p.Encode(q)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want.Bytes()) {
					at := 0
					for at < min(len(got), want.Len()) && got[at] == want.Bytes()[at] {
						at++
					}
					t.Fatalf("%d bytes, image/jpeg %d; first difference at byte %d", len(got), want.Len(), at)
				}
				b := m.Bounds()
				for y := b.Min.Y; y < b.Max.Y; y += 5 {
					for x := b.Min.X; x < b.Max.X; x += 3 {
						c := m.RGBAAt(x, y)
						yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
						i := (y-b.Min.Y)*p.W + x - b.Min.X
						if p.Y[i] != yy || p.Cb[i] != cb || p.Cr[i] != cr {
							t.Fatalf("(%d,%d): %d,%d,%d, color.RGBToYCbCr %d,%d,%d", x, y, p.Y[i], p.Cb[i], p.Cr[i], yy, cb, cr)
						}
					}
				}
			})
		}
	}
}

// TestConversionIsRGBToYCbCr: every one of the 2²⁴ colours converts as
// color.RGBToYCbCr converts it.
func TestConversionIsRGBToYCbCr(t *testing.T) {
	m := image.NewRGBA(image.Rect(0, 0, 4096, 4096))
	for i := range 1 << 24 {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2] = uint8(i>>16), uint8(i>>8), uint8(i)
	}
	p := FromRGBA(m)
	defer p.Release()
	for i := range 1 << 24 {
		yy, cb, cr := color.RGBToYCbCr(uint8(i>>16), uint8(i>>8), uint8(i))
		if p.Y[i] != yy || p.Cb[i] != cb || p.Cr[i] != cr {
			t.Fatalf("colour %06x: %d,%d,%d, color.RGBToYCbCr %d,%d,%d", i, p.Y[i], p.Cb[i], p.Cr[i], yy, cb, cr)
		}
	}
}

// TestQuantizeIsImageJPEGsDivision: the reciprocal quantization equals
// image/jpeg's rounded division for every quantizer and every coefficient
// the transform can yield (|v| < 2¹⁶; the DCT's bound is under 2¹⁴).
func TestQuantizeIsImageJPEGsDivision(t *testing.T) {
	div := func(a, b int32) int32 {
		if a >= 0 {
			return (a + (b >> 1)) / b
		}
		return -((-a + (b >> 1)) / b)
	}
	for q := 1; q <= 255; q++ {
		d := uint64(8 * q)
		recip, half := (1<<40)/d+1, int32(d>>1)
		for v := int32(-1 << 16); v < 1<<16; v++ {
			if got, want := quantize(v, half, recip), div(v, int32(d)); got != want {
				t.Fatalf("%d / %d: %d, want %d", v, d, got, want)
			}
		}
	}
}

// benchCanvases are the first 64 pairs `make bench` generated
// (.deps/bench), each image's centre 384×384 as an RGBA canvas (a build's
// canvases are all 384×384), or without them a synthetic one.
func benchCanvases(b *testing.B) []*image.RGBA {
	files, _ := filepath.Glob("../../../.deps/bench/in-2000/000[0-6]?.*g")
	var out []*image.RGBA
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			b.Fatal(err)
		}
		m, _, err := image.Decode(r)
		r.Close()
		if err != nil {
			b.Fatal(err)
		}
		rgba := image.NewRGBA(image.Rect(0, 0, 384, 384))
		c := m.Bounds().Min.Add(image.Pt((m.Bounds().Dx()-384)/2, (m.Bounds().Dy()-384)/2))
		draw.Draw(rgba, rgba.Rect, m, c, draw.Src)
		out = append(out, rgba)
	}
	if len(out) == 0 {
		out = append(out, canvases()["shapes 384x384"])
	}
	return out
}

// BenchmarkEncode compares encoding canvases at quality 95 with
// image/jpeg's, the colour conversion included.
func BenchmarkEncode(b *testing.B) {
	imgs := benchCanvases(b)
	b.Run("jpegenc", func(b *testing.B) {
		i := 0
		for b.Loop() {
			p := FromRGBA(imgs[i%len(imgs)])
			if _, err := p.Encode(95); err != nil {
				b.Fatal(err)
			}
			p.Release()
			i++
		}
	})
	b.Run("image-jpeg", func(b *testing.B) {
		i := 0
		for b.Loop() {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, imgs[i%len(imgs)], &jpeg.Options{Quality: 95}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkFromRGBA is the colour conversion alone.
func BenchmarkFromRGBA(b *testing.B) {
	imgs := benchCanvases(b)
	i := 0
	for b.Loop() {
		FromRGBA(imgs[i%len(imgs)]).Release()
		i++
	}
}

// TestValueBitsAreImageJPEGs: for every value a block can hold, the table
// gives image/jpeg's bit count and bits (emitHuffRLE's arithmetic).
func TestValueBitsAreImageJPEGs(t *testing.T) {
	for v := int32(-valueBias + 1); v < valueBias; v++ {
		a, b := v, v
		if a < 0 {
			a, b = -v, v-1
		}
		n := uint32(0)
		for x := a; x > 0; x >>= 1 {
			n++
		}
		want := n<<16 | uint32(b)&(1<<n-1)
		if got := valueBits[(v+valueBias)&(2*valueBias-1)]; got != want {
			t.Fatalf("value %d: %#x, want %#x", v, got, want)
		}
	}
}
