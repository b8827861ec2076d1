package imageproc

import (
	"image"
	"io/fs"
	"os"
	"testing"

	"github.com/twigdata/twigdata"
)

func TestDecodeLayoutsToUprightCanvas(t *testing.T) {
	d := Decoder{MaxPixels: 40_000_000, Width: 384, Height: 384, MinSide: 64}
	read := func(name string) []byte {
		b, err := fs.ReadFile(twigdata.Sample(), name)
		if err != nil {
			b, err = os.ReadFile("../../testdata/fixtures/" + name)
		}
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name, file, format string
		origW, origH       int
		gray               bool
	}{
		{"jpeg", "scene-000.jpg", "jpeg", 512, 512, false},
		{"png landscape", "scene-001.png", "png", 640, 480, false},
		{"webp portrait", "scene-002.webp", "webp", 480, 640, false},
		{"grayscale png", "scene-004.png", "png", 384, 384, true},
		{"png with alpha", "scene-007.png", "png", 720, 540, false},
		{"16-bit png", "scene-010.png", "png", 480, 640, false},
		{"exif orientation 6 jpeg", "scene-013.jpg", "jpeg", 1024, 768, false},
		{"cmyk jpeg", "cmyk.jpg", "jpeg", 512, 512, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, rej := d.Decode(read(tc.file), tc.file)
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			if it.Format != tc.format || it.Width != tc.origW || it.Height != tc.origH {
				t.Errorf("format %s %dx%d, want %s %dx%d", it.Format, it.Width, it.Height, tc.format, tc.origW, tc.origH)
			}
			if b := it.Canvas.Bounds(); b != image.Rect(0, 0, 384, 384) {
				t.Fatalf("canvas %v", b)
			}
			// Upright: sky (blue above red) in the first rows, never in the last.
			top := it.Canvas.RGBAAt(192, 8)
			bottom := it.Canvas.RGBAAt(192, 376)
			if tc.gray {
				if top.R != top.G || top.G != top.B {
					t.Errorf("gray image gave a colored pixel %v", top)
				}
				return
			}
			if !(int(top.B) > int(top.R)+40) {
				t.Errorf("first rows are %v, want sky blue: the image is not upright or colors are off", top)
			}
			if int(bottom.B) > int(bottom.R)+40 {
				t.Errorf("last rows are %v, sky-colored: the image is upside down or sideways", bottom)
			}
		})
	}
}

func TestExifOrientationParsing(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want int
	}{
		{"no exif", []byte{0xFF, 0xD8, 0xFF, 0xDA, 0, 2}, 1},
		{"truncated segment", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x10, 0x00, 'E', 'x'}, 1},
		{"big-endian orientation 6", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 34}, append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"), 0, 0, 0, 0)...), 6},
		{"little-endian orientation 3", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 34}, append([]byte("Exif\x00\x00II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00\x03\x00\x00\x00"), 0, 0, 0, 0)...), 3},
		{"orientation out of range", append([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 34}, append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x09\x00\x00"), 0, 0, 0, 0)...), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := exifOrientation(tc.data); got != tc.want {
				t.Errorf("orientation %d, want %d", got, tc.want)
			}
		})
	}
}

func TestBandsFallOnTokenRows(t *testing.T) {
	tests := []struct {
		name             string
		h, patch, k      int
		wantStart, wantY []int
	}{
		{"default 384/16 k3", 384, 16, 3, []int{0, 8, 16}, []int{0, 128, 256}},
		{"uneven 400/16 k3", 400, 16, 3, []int{0, 8, 16}, []int{0, 128, 256}},
		{"k4 on 24 rows", 384, 16, 4, []int{0, 6, 12, 18}, []int{0, 96, 192, 288}},
		{"k5 on 24 rows", 384, 16, 5, []int{0, 4, 9, 14, 19}, []int{0, 64, 144, 224, 304}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bands := Bands(tc.h, tc.patch, tc.k)
			grid := tc.h / tc.patch
			for i, b := range bands {
				if b.TokenRowStart != tc.wantStart[i] || b.Y0 != tc.wantY[i] || b.Y0 != b.TokenRowStart*tc.patch || b.Y1 != b.TokenRowEnd*tc.patch {
					t.Errorf("band %d = %+v", i, b)
				}
				if i > 0 && bands[i-1].TokenRowEnd != b.TokenRowStart {
					t.Errorf("band %d does not start where band %d ends", i, i-1)
				}
			}
			if bands[len(bands)-1].TokenRowEnd != grid {
				t.Errorf("last band ends at %d, grid has %d rows", bands[len(bands)-1].TokenRowEnd, grid)
			}
		})
	}
}
