package synth

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gen2brain/webp"
	"github.com/twigdata/twigdata/lang/english"
)

// Shape is an object's geometry.
type Shape int

// The shapes a scene can hold.
const (
	Ball Shape = iota
	Box
	Cone
)

// Noun is the prompt word for a shape.
func (s Shape) Noun() string { return [...]string{"ball", "box", "cone"}[s] }

// Plural is the prompt word for several of a shape.
func (s Shape) Plural() string { return english.Plural(s.Noun(), 2) }

// Object is one shape in a scene; coordinates are fractions of the central square.
type Object struct {
	Shape  Shape
	Class  int // index into Classes
	U, V   float64
	Radius float64
}

// Scene is one prompt/image pair before encoding.
type Scene struct {
	Stem    string
	Prompt  string
	Width   int
	Height  int
	Format  string // jpg, png or webp
	Ground  int    // class index of the ground
	Horizon float64
	Objects []Object
	Seed    uint64
	Variant string // "", "gray", "alpha", "rgba16", "exif-rotated", "blurred", "json"
}

var sizes = [][2]int{{512, 512}, {640, 480}, {480, 640}, {800, 450}, {384, 384}, {1024, 768}, {360, 480}, {720, 540}}

// NewScene deterministically builds scene i of a workload.
func NewScene(i int) Scene {
	r := rand.New(rand.NewPCG(uint64(i)+1, 0x7769_6764_6174_61))
	objs := ObjectColors()
	pickColor := func(not int) int {
		for {
			c := objs[r.IntN(len(objs))]
			if c != not {
				return c
			}
		}
	}
	grounds := []int{1, 2, 3}
	sz := sizes[i%len(sizes)]
	s := Scene{
		Stem:    fmt.Sprintf("%05d", i),
		Width:   sz[0],
		Height:  sz[1],
		Format:  []string{"jpg", "png", "webp"}[i%3],
		Ground:  grounds[r.IntN(len(grounds))],
		Horizon: 0.64 + 0.08*r.Float64(),
		Seed:    uint64(i),
	}
	c1 := pickColor(-1)
	c2 := pickColor(c1)
	s1, s2 := Shape(r.IntN(3)), Shape(r.IntN(3))
	rad := 0.09 + 0.04*r.Float64()
	v := 0.46 + 0.06*r.Float64()
	word := func(c int) string { return Classes[c].ColorWord }
	a := func(c int) string { return english.CountWord(1, word(c)) + " " + word(c) }
	ground := Classes[s.Ground].Label
	switch i % 6 {
	case 0: // attribute binding
		s.Prompt = fmt.Sprintf("%s %s and %s %s", a(c1), s1.Noun(), a(c2), s2.Noun())
		s.Objects = []Object{{s1, c1, 0.32, v, rad}, {s2, c2, 0.68, v, rad}}
	case 1: // spatial, left of
		s.Prompt = fmt.Sprintf("%s %s on the left of %s %s", a(c1), s1.Noun(), a(c2), s2.Noun())
		s.Objects = []Object{{s1, c1, 0.28, v, rad}, {s2, c2, 0.72, v, rad}}
	case 2: // numeracy
		n := 2 + r.IntN(3)
		s.Prompt = fmt.Sprintf("%s %s %s", english.CountWord(n, ""), word(c1), s1.Plural())
		rr := math.Min(rad, 0.4/float64(n))
		for k := 0; k < n; k++ {
			s.Objects = append(s.Objects, Object{s1, c1, (float64(k) + 0.5) / float64(n), v, rr})
		}
	case 3: // complex
		s.Prompt = fmt.Sprintf("The %s %s was next to the %s %s on the %s.", word(c1), s1.Noun(), word(c2), s2.Noun(), ground)
		s.Objects = []Object{{s1, c1, 0.36, v, rad}, {s2, c2, 0.64, v, rad}}
	case 4: // spatial, right of
		s.Prompt = fmt.Sprintf("%s %s on the right of %s %s", a(c1), s1.Noun(), a(c2), s2.Noun())
		s.Objects = []Object{{s2, c2, 0.3, v, rad}, {s1, c1, 0.7, v, rad}}
	default: // 3d spatial: the first object partly hides the second
		s.Prompt = fmt.Sprintf("%s %s in front of %s %s", a(c1), s1.Noun(), a(c2), s2.Noun())
		s.Objects = []Object{{s2, c2, 0.56, v - 0.03, rad * 1.1}, {s1, c1, 0.44, v + 0.03, rad}}
	}
	return s
}

// Render draws the scene at its full size.
func (s Scene) Render() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, s.Width, s.Height))
	side := math.Min(float64(s.Width), float64(s.Height))
	ox := (float64(s.Width) - side) / 2
	oy := (float64(s.Height) - side) / 2
	sky, ground := Classes[0].RGB, Classes[s.Ground].RGB
	for y := 0; y < s.Height; y++ {
		v := (float64(y) + 0.5 - oy) / side
		for x := 0; x < s.Width; x++ {
			u := (float64(x) + 0.5 - ox) / side
			c := sky
			if v >= s.Horizon {
				c = ground
			}
			for _, o := range s.Objects {
				if o.contains(u, v) {
					c = Classes[o.Class].RGB
				}
			}
			n := noise(s.Seed, x, y)
			img.SetRGBA(x, y, color.RGBA{clamp(int(c.R) + n), clamp(int(c.G) + n), clamp(int(c.B) + n), 255})
		}
	}
	return img
}

// Contains reports whether the object covers the point (u, v), fractions of
// the scene's central square: the truth the held-apart report judges plans
// of this world against.
func (o Object) Contains(u, v float64) bool { return o.contains(u, v) }

func (o Object) contains(u, v float64) bool {
	du, dv := u-o.U, v-o.V
	switch o.Shape {
	case Ball:
		return du*du+dv*dv <= o.Radius*o.Radius
	case Box:
		return math.Abs(du) <= o.Radius*0.9 && math.Abs(dv) <= o.Radius*0.9
	default: // an upright triangle
		if dv < -o.Radius || dv > o.Radius {
			return false
		}
		half := o.Radius * (dv + o.Radius) / (2 * o.Radius)
		return math.Abs(du) <= half
	}
}

// noise is a cheap deterministic per-pixel jitter so images are not flat fills.
func noise(seed uint64, x, y int) int {
	h := seed*0x9E3779B97F4A7C15 ^ uint64(x)*0xBF58476D1CE4E5B9 ^ uint64(y)*0x94D049BB133111EB
	h ^= h >> 31
	h *= 0xD6E8FEB86659FD93
	h ^= h >> 32
	return int(h%13) - 6
}

func clamp(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// Files encodes the scene as its image file and prompt file (name → bytes).
func (s Scene) Files() (map[string][]byte, error) {
	img := s.Render()
	var src image.Image = img
	switch s.Variant {
	case "gray":
		g := image.NewGray(img.Bounds())
		for y := 0; y < s.Height; y++ {
			for x := 0; x < s.Width; x++ {
				g.Set(x, y, img.At(x, y))
			}
		}
		src = g
	case "alpha":
		a := image.NewNRGBA(img.Bounds())
		for y := 0; y < s.Height; y++ {
			for x := 0; x < s.Width; x++ {
				c := img.RGBAAt(x, y)
				alpha := uint8(255)
				if x < s.Width/16 || x >= s.Width-s.Width/16 {
					alpha = 0 // transparent side margins, cropped away on a square canvas anyway
				}
				a.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, alpha})
			}
		}
		src = a
	case "rgba16":
		d := image.NewRGBA64(img.Bounds())
		for y := 0; y < s.Height; y++ {
			for x := 0; x < s.Width; x++ {
				d.Set(x, y, img.At(x, y))
			}
		}
		src = d
	case "exif-rotated":
		src = rotateCCW(img) // stored sideways; EXIF orientation 6 says "rotate 90° clockwise to view"
	case "blurred":
		src = boxBlur(img, 14)
	}
	var buf bytes.Buffer
	var err error
	switch s.Format {
	case "jpg":
		err = jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90})
	case "png":
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, src)
	case "webp":
		err = webp.Encode(&buf, src, webp.Options{Quality: 85, Method: 4})
	default:
		err = fmt.Errorf("unknown format %q", s.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", s.Stem, err)
	}
	data := buf.Bytes()
	if s.Variant == "exif-rotated" {
		data = withEXIFOrientation(data, 6)
	}
	files := map[string][]byte{s.Stem + "." + s.Format: data}
	if s.Variant == "json" {
		files[s.Stem+".json"] = mustJSON(map[string]string{"prompt": s.Prompt, "category": "color"})
	} else {
		files[s.Stem+".txt"] = []byte(strings.TrimSpace(s.Prompt) + "\n")
	}
	return files, nil
}

func rotateCCW(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			dst.SetRGBA(y, b.Dx()-1-x, src.RGBAAt(x, y))
		}
	}
	return dst
}

func boxBlur(src *image.RGBA, r int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(b)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			var sr, sg, sb, n int
			for dy := -r; dy <= r; dy += 2 {
				for dx := -r; dx <= r; dx += 2 {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= b.Dx() || yy >= b.Dy() {
						continue
					}
					c := src.RGBAAt(xx, yy)
					sr, sg, sb, n = sr+int(c.R), sg+int(c.G), sb+int(c.B), n+1
				}
			}
			dst.SetRGBA(x, y, color.RGBA{uint8(sr / n), uint8(sg / n), uint8(sb / n), 255})
		}
	}
	return dst
}

// withEXIFOrientation inserts a minimal APP1 Exif segment holding one
// Orientation tag right after the JPEG SOI marker.
func withEXIFOrientation(jpg []byte, orientation uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // big-endian header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(orientation >> 8), byte(orientation), 0, 0, // Orientation SHORT
		0, 0, 0, 0} // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// Sample returns the bundled sample: n good scenes covering every format and
// pixel layout the decoder must handle, plus inputs that must be rejected.
func Sample(n int) ([]Scene, map[string][]byte, error) {
	var scenes []Scene
	for i := 0; i < n; i++ {
		s := NewScene(i)
		s.Stem = fmt.Sprintf("scene-%03d", i)
		switch i {
		case 4:
			s.Variant, s.Format = "gray", "png"
		case 7:
			s.Variant, s.Format = "alpha", "png"
		case 10:
			s.Variant, s.Format = "rgba16", "png"
		case 13:
			s.Variant, s.Format = "exif-rotated", "jpg"
		case 16:
			s.Variant = "json"
		}
		scenes = append(scenes, s)
	}
	blurred := NewScene(n)
	blurred.Stem, blurred.Variant, blurred.Format = "reject-blurred", "blurred", "jpg"
	tiny := NewScene(n + 1)
	tiny.Stem, tiny.Width, tiny.Height, tiny.Format = "reject-tiny", 48, 36, "png"
	scenes = append(scenes, blurred, tiny)
	extra := map[string][]byte{
		"reject-no-image.txt": []byte("a purple cone on the right of a white ball\n"),
	}
	return scenes, extra, nil
}
