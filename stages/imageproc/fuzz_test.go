package imageproc

import (
	"image"
	"io/fs"
	"os"
	"testing"

	"github.com/twigdata/twigdata"
)

// seeds are the bundled sample's images (JPEG, PNG, WebP, EXIF-rotated,
// 16-bit, alpha, gray), the CMYK fixture and cut-off copies of each.
func seeds(f *testing.F) [][]byte {
	var out [][]byte
	fs.WalkDir(twigdata.Sample(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := fs.ReadFile(twigdata.Sample(), p); err == nil && len(b) > 0 && p[len(p)-4:] != ".txt" {
				// Whole images only when small: each seed is decoded on every
				// fuzzing start, and cut-off copies exercise the same headers.
				if len(b) < 64<<10 {
					out = append(out, b)
				}
				out = append(out, b[:min(len(b)/3, 16<<10)])
			}
		}
		return nil
	})
	if b, err := os.ReadFile("../../testdata/fixtures/cmyk.jpg"); err == nil {
		out = append(out, b)
	}
	return out
}

func FuzzDecode(f *testing.F) {
	for _, b := range seeds(f) {
		f.Add(b)
	}
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	d := Decoder{MaxPixels: 4_000_000, Width: 64, Height: 64, MinSide: 8}
	f.Fuzz(func(t *testing.T, raw []byte) {
		dec, rej := d.Decode(raw, "fuzz")
		if rej == nil && (dec.Canvas == nil || dec.Canvas.Rect.Dx() != 64 || dec.Canvas.Rect.Dy() != 64) {
			t.Fatalf("accepted without a 64×64 canvas: %+v", dec)
		}
		if rej != nil && rej.Reason.Stage() != "decode" && rej.Reason.Stage() != "filter" {
			t.Fatalf("reason %s", rej.Reason)
		}
	})
}

func FuzzExifOrientation(f *testing.F) {
	for _, b := range seeds(f) {
		if len(b) > 4096 {
			b = b[:4096] // the Exif segment is at the start
		}
		f.Add(b)
	}
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 0x2a, 0, 0, 0, 8, 0, 1, 1, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0})
	f.Fuzz(func(t *testing.T, jpg []byte) {
		if o := exifOrientation(jpg); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// FuzzColourProfile feeds profiles of any content to the ICC reader and,
// when one parses, converts a canvas with it: no input may panic, and a
// parsed profile yields colours in range.
func FuzzColourProfile(f *testing.F) {
	if b, err := os.ReadFile("../../testdata/fixtures/prophoto.icc"); err == nil {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add(displayP3())
	f.Add([]byte("acsp"))
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseProfile(b)
		if err != nil {
			return
		}
		c := *img
		c.Pix = append([]byte(nil), img.Pix...)
		p.toSRGB(&c)
		p.isSRGB()
	})
}
