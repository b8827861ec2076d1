package stages

import (
	"image"
	"io/fs"
	"os"
	"testing"

	"golang.org/x/image/draw"

	"github.com/twigdata/twigdata"
)

func TestDecodeLayoutsToUprightCanvas(t *testing.T) {
	d := &decoder{maxPixels: 40_000_000, canvasW: 384, canvasH: 384, minSide: 64, interpolation: draw.ApproxBiLinear}
	read := func(name string) []byte {
		b, err := fs.ReadFile(twigdata.Sample(), name)
		if err != nil {
			b, err = os.ReadFile("../testdata/fixtures/" + name)
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
			it := &Item{Key: tc.file, ImageKey: tc.file, RawImage: read(tc.file)}
			d.decode(it)
			if it.Reject != nil {
				t.Fatalf("rejected: %s %s", it.Reject.Reason, it.Reject.Detail)
			}
			if it.Format != tc.format || it.OrigW != tc.origW || it.OrigH != tc.origH {
				t.Errorf("format %s %dx%d, want %s %dx%d", it.Format, it.OrigW, it.OrigH, tc.format, tc.origW, tc.origH)
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

func TestParsePrompt(t *testing.T) {
	tests := []struct {
		prompt   string
		entities string
		rels     string
	}{
		{"a green bench and a red car", "1 green bench|1 red car", ""},
		{"three orange balls", "3 orange ball", ""},
		{"a pink ball on the left of a yellow box", "1 pink ball|1 yellow box", "ball on the left of box"},
		{"The blue ball was next to the orange cone on the road.", "1 blue ball|1 orange cone|1 road", "ball next to cone,cone on road"},
		{"two blue boxes and one red ball", "2 blue box|1 red ball", ""},
		{"a horse hidden by a television", "1 horse|1 television", "horse hidden by television"},
		{"A Child is playing with a kite at the park.\r\n", "1 child|1 kite|1 park", "child playing with kite,kite at park"},
		{"three women, four bees and three ships", "3 woman|4 bee|3 ship", ""},
		{"The soft yellow duckling swam near the sleek black swan.", "1 soft yellow duckling|1 sleek black swan", "duckling swam near swan"},
		{"a rubber band and a metallic knife", "1 rubber band|1 metallic knife", ""},
		{"a chicken on the top of a balloon", "1 chicken|1 balloon", "chicken on the top of balloon"},
		{"a cat to the left of a dog", "1 cat|1 dog", "cat on the left of dog"},
	}
	for _, tc := range tests {
		t.Run(tc.prompt, func(t *testing.T) {
			p := ParsePrompt(tc.prompt)
			var ents, rels []string
			for _, e := range p.Entities {
				s := itoa(int(e.Count))
				for _, a := range e.Attributes {
					s += " " + a
				}
				ents = append(ents, s+" "+e.Noun)
			}
			for _, r := range p.Relations {
				rels = append(rels, r.Subject+" "+r.Predicate+" "+r.Object)
			}
			if got := join(ents, "|"); got != tc.entities {
				t.Errorf("entities %q, want %q", got, tc.entities)
			}
			if got := join(rels, ","); got != tc.rels {
				t.Errorf("relations %q, want %q", got, tc.rels)
			}
		})
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

func join(s []string, sep string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += sep
		}
		out += x
	}
	return out
}
