package imageproc

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// labelled is one image of the calibration set and whether the filter
// should reject it.
type labelled struct {
	name   string
	group  string
	reject bool
	raw    []byte // the encoded file, as a build would read it
}

func encode(t *testing.T, img image.Image, jpegQuality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	if jpegQuality > 0 {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	} else {
		err = png.Encode(&buf, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// renders are clean synthetic images: flat-shaded scenes of the kind
// generators produce, and the two the old Laplacian filter rejected — a
// sharp red disc on a smooth gradient and a crisp colour wheel.
func renders() map[string]image.Image {
	out := map[string]image.Image{}
	disc := image.NewRGBA(image.Rect(0, 0, 384, 384))
	wheel := image.NewRGBA(image.Rect(0, 0, 384, 384))
	for y := 0; y < 384; y++ {
		for x := 0; x < 384; x++ {
			g := uint8(80 + y*120/384)
			c := color.RGBA{g, g, uint8(min(255, int(g)+40)), 255}
			if dx, dy := float64(x-190), float64(y-200); dx*dx+dy*dy < 70*70 {
				c = color.RGBA{215, 35, 40, 255}
			}
			disc.SetRGBA(x, y, c)
			a := math.Atan2(float64(y-192), float64(x-192))
			sector := int((a + math.Pi) / (2 * math.Pi) * 12)
			r, gg, b := hsv(float64(sector)/12, 0.9, 0.95)
			wheel.SetRGBA(x, y, color.RGBA{r, gg, b, 255})
		}
	}
	out["disc-on-gradient"], out["color-wheel"] = disc, wheel
	// Flat scenes: sky, ground, a few shapes, anti-aliasing free.
	for i := 0; i < 6; i++ {
		img := image.NewRGBA(image.Rect(0, 0, 384, 384))
		horizon := 180 + 20*i
		for y := 0; y < 384; y++ {
			for x := 0; x < 384; x++ {
				c := color.RGBA{135, 195, 235, 255}
				if y >= horizon {
					c = color.RGBA{uint8(90 + 20*i), 160, 70, 255}
				}
				if dx, dy := float64(x-100-30*i), float64(y-220); dx*dx+dy*dy < 50*50 {
					c = color.RGBA{245, 212, 35, 255}
				}
				if x > 230 && x < 320 && y > 150+10*i && y < 260 {
					c = color.RGBA{35, 65, 190, 255}
				}
				img.SetRGBA(x, y, c)
			}
		}
		out[fmt.Sprintf("scene-%d", i)] = img
	}
	return out
}

func hsv(h, s, v float64) (uint8, uint8, uint8) {
	i := math.Floor(h * 6)
	f := h*6 - i
	p, q, t := v*(1-s), v*(1-f*s), v*(1-(1-f)*s)
	var r, g, b float64
	switch int(i) % 6 {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return uint8(r * 255), uint8(g * 255), uint8(b * 255)
}

// calibrationSet is every clean image with its blurred (σ 1.5 and 3) and
// hard-compressed (JPEG quality 10) copies. Photographs in dir are JPEG
// quality 95 originals; a file whose name says "motion" is blurred already.
func calibrationSet(t *testing.T, dir string, withRenders bool) []labelled {
	t.Helper()
	clean := map[string]image.Image{}
	group := map[string]string{}
	if withRenders {
		for n, img := range renders() {
			clean[n], group[n] = img, "render"
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no photographs in %s", dir)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		n := strings.TrimSuffix(filepath.Base(f), ".jpg")
		clean[n], group[n] = img, "photo"
	}
	var out []labelled
	for n, img := range clean {
		blurred := strings.Contains(n, "motion")
		q := 95
		if group[n] == "render" {
			q = 0 // a render is saved losslessly, and as a JPEG of quality 90
			out = append(out, labelled{n + " q90", "render", false, encode(t, img, 90)})
		}
		out = append(out,
			labelled{n, group[n], blurred, encode(t, img, q)},
			labelled{n + " σ1.5", "blurred σ1.5", true, encode(t, gaussian(img, 1.5), 95)},
			labelled{n + " σ3", "blurred σ3", true, encode(t, gaussian(img, 3), 95)},
			labelled{n + " q10", "jpeg q10", true, encode(t, img, 10)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// judge runs an encoded image through the build's decoder and quality gate.
func judge(t *testing.T, raw []byte, gate Gate) (rejected bool, blur, blockiness float64) {
	t.Helper()
	d := Decoder{MaxPixels: 1e8, Width: 384, Height: 384}
	dec, rej := d.Decode(raw, "calibration")
	if rej != nil {
		t.Fatal(rej.Detail)
	}
	blur, _ = quality(dec.Canvas)
	return gate.Check(blur, dec.Blockiness) != nil, blur, dec.Blockiness
}

// report runs the gate over a set and returns the precision and recall of
// the reject decision, logging every image and each group's rate.
func report(t *testing.T, set []labelled, gate Gate) (precision, recall float64, cleanRejected []string) {
	t.Helper()
	var tp, fp, fn int
	rejected := map[string][2]int{}
	for _, l := range set {
		r, blur, blk := judge(t, l.raw, gate)
		t.Logf("%-28s %-12s blur %5.2f blocking %4.2f → rejected %v (want %v)", l.name, l.group, blur, blk, r, l.reject)
		c := rejected[l.group]
		c[1]++
		if r {
			c[0]++
		}
		rejected[l.group] = c
		switch {
		case r && l.reject:
			tp++
		case r && !l.reject:
			fp++
			cleanRejected = append(cleanRejected, l.name)
		case !r && l.reject:
			fn++
		}
	}
	for g, c := range rejected {
		t.Logf("group %-12s rejected %d of %d", g, c[0], c[1])
	}
	return float64(tp) / float64(max(1, tp+fp)), float64(tp) / float64(max(1, tp+fn)), cleanRejected
}

// TestQualityGateCalibration: the default thresholds were chosen on the
// calibration photographs and renders (each render also saved as a JPEG of
// quality 90, as generators save them); the figures on them are in-sample,
// and there no clean image may be rejected. The held-apart photographs were
// not looked at before the thresholds were fixed: their figures are the
// out-of-sample ones (precision 0.900, recall 1.000 when written: the one
// clean image rejected is cell.jpg, a quantitative phase image whose edges
// are soft by nature — blur 0.76).
func TestQualityGateCalibration(t *testing.T) {
	gate := Gate{MaxBlur: 0.30, MaxBlockiness: 1.45}
	for _, tc := range []struct {
		name, dir     string
		renders       bool
		minPrecision  float64
		minRecall     float64
		cleanRejected int // at most
	}{
		// Flat renders saved at JPEG quality 10 show their grid faintly
		// (blocking 1.17–1.46 against up to 1.31 for the same renders at
		// quality 90): most pass, which costs recall here.
		{"calibration (in-sample)", "../../testdata/quality/photos", true, 0.95, 0.9, 0},
		{"held apart", "../../testdata/quality/heldout", false, 0.85, 0.9, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, r, clean := report(t, calibrationSet(t, tc.dir, tc.renders), gate)
			t.Logf("%s: precision %.3f, recall %.3f; clean images rejected: %v", tc.name, p, r, clean)
			if len(clean) > tc.cleanRejected {
				t.Errorf("clean images rejected: %v", clean)
			}
			if p < tc.minPrecision || r < tc.minRecall {
				t.Errorf("precision %.3f, recall %.3f: want at least %.2f and %.2f", p, r, tc.minPrecision, tc.minRecall)
			}
		})
	}
}

// TestGateKeepsWhatItCannotJudge: a flat fill and a smooth gradient have no
// edges to judge: they are kept, their blur recorded as -1.
func TestGateKeepsWhatItCannotJudge(t *testing.T) {
	flat := image.NewRGBA(image.Rect(0, 0, 384, 384))
	grad := image.NewRGBA(image.Rect(0, 0, 384, 384))
	for y := 0; y < 384; y++ {
		for x := 0; x < 384; x++ {
			flat.SetRGBA(x, y, color.RGBA{120, 160, 200, 255})
			v := uint8(60 + y/3)
			grad.SetRGBA(x, y, color.RGBA{v, v, 200, 255})
		}
	}
	for name, img := range map[string]*image.RGBA{"flat": flat, "gradient": grad} {
		blur, _ := quality(img)
		if blur != -1 {
			t.Errorf("%s: blur %.2f, want -1 (not judged)", name, blur)
		}
		if (Gate{MaxBlur: 0.30, MaxBlockiness: 1.45}).Check(blur, 1) != nil {
			t.Errorf("%s rejected", name)
		}
	}
}
