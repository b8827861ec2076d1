package imageproc

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/image/webp"

	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/schema"
)

// lcmsDir is where make test unpacks Little CMS and the free ICC profiles.
func lcmsDir(t *testing.T) string {
	bin := testutil.Dep(t, "../..", ".deps/lcms/usr/bin/transicc", "make lcms")
	return filepath.Dir(filepath.Dir(filepath.Dir(bin)))
}

// transicc converts 8-bit device colours with Little CMS from the profile
// at path to sRGB (relative colorimetric, clipped): the reference.
func transicc(t *testing.T, lcms, path string, gray bool, colors [][3]uint8) [][3]uint8 {
	t.Helper()
	var in bytes.Buffer
	for _, c := range colors {
		if gray {
			fmt.Fprintf(&in, "%d\n", c[0])
		} else {
			fmt.Fprintf(&in, "%d %d %d\n", c[0], c[1], c[2])
		}
	}
	cmd := exec.Command(filepath.Join(lcms, "usr/bin/transicc"), "-n", "-t1", "-s", "-i"+path, "-o*sRGB")
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(lcms, "usr/lib/x86_64-linux-gnu"))
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("transicc: %v", err)
	}
	var got [][3]uint8
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		var c [3]uint8
		for i, s := range f {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("transicc printed %q", sc.Text())
			}
			c[i] = uint8(math.Round(math.Max(0, math.Min(255, v))))
		}
		got = append(got, c)
	}
	if len(got) != len(colors) {
		t.Fatalf("transicc gave %d colours for %d", len(got), len(colors))
	}
	return got
}

// patches are the colours the conversion is measured on: the 6×6×6 cube
// and 40 random ones.
func patches(gray bool) [][3]uint8 {
	var out [][3]uint8
	if gray {
		for v := 0; v < 256; v += 5 {
			out = append(out, [3]uint8{uint8(v), uint8(v), uint8(v)})
		}
		return out
	}
	for r := 0; r < 256; r += 51 {
		for g := 0; g < 256; g += 51 {
			for b := 0; b < 256; b += 51 {
				out = append(out, [3]uint8{uint8(r), uint8(g), uint8(b)})
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 40; i++ {
		out = append(out, [3]uint8{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256))})
	}
	return out
}

// patchImage lays colours out as side×side squares, 16 to a row.
func patchImage(colors [][3]uint8, side int) *image.RGBA {
	rows := (len(colors) + 15) / 16
	img := image.NewRGBA(image.Rect(0, 0, 16*side, rows*side))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for i, c := range colors {
		x0, y0 := i%16*side, i/16*side
		for y := y0; y < y0+side; y++ {
			for x := x0; x < x0+side; x++ {
				img.Set(x, y, color.RGBA{c[0], c[1], c[2], 255})
			}
		}
	}
	return img
}

// centres reads each patch's centre pixel.
func centres(img *image.RGBA, n, side int) [][3]uint8 {
	out := make([][3]uint8, n)
	for i := range out {
		o := img.PixOffset(i%16*side+side/2, i/16*side+side/2)
		out[i] = [3]uint8{img.Pix[o], img.Pix[o+1], img.Pix[o+2]}
	}
	return out
}

// withICCP inserts an iCCP chunk holding profile after a PNG's IHDR.
func withICCP(t *testing.T, pngBytes, profile []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(profile)
	zw.Close()
	data := append([]byte("icc\x00\x00"), z.Bytes()...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "iCCP"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(append([]byte("iCCP"), data...)))
	ihdrEnd := 8 + 8 + 13 + 4
	return append(append(append([]byte{}, pngBytes[:ihdrEnd]...), chunk...), pngBytes[ihdrEnd:]...)
}

// withAPP2 inserts a profile as APP2 ICC_PROFILE segments after a JPEG's SOI,
// split in two to prove the segments are joined in sequence order.
func withAPP2(jpg, profile []byte) []byte {
	half := len(profile) / 2
	var segs []byte
	for i, part := range [][]byte{profile[:half], profile[half:]} {
		body := append([]byte("ICC_PROFILE\x00"), byte(i+1), 2)
		body = append(body, part...)
		segs = append(segs, 0xFF, 0xE2)
		segs = binary.BigEndian.AppendUint16(segs, uint16(len(body)+2))
		segs = append(segs, body...)
	}
	return append(append(append([]byte{}, jpg[:2]...), segs...), jpg[2:]...)
}

// withICCPWebP wraps a simple WebP file in an extended (VP8X) one that
// carries profile in an ICCP chunk.
func withICCPWebP(t *testing.T, simple, profile []byte) []byte {
	cfg, err := webp.DecodeConfig(bytes.NewReader(simple))
	if err != nil {
		t.Fatal(err)
	}
	vp8x := []byte{0x20, 0, 0, 0} // the ICC flag
	for _, v := range []int{cfg.Width - 1, cfg.Height - 1} {
		vp8x = append(vp8x, byte(v), byte(v>>8), byte(v>>16))
	}
	chunk := func(id string, data []byte) []byte {
		out := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		out = append(out, data...)
		if len(data)%2 == 1 {
			out = append(out, 0)
		}
		return out
	}
	body := append([]byte("WEBP"), chunk("VP8X", vp8x)...)
	body = append(body, chunk("ICCP", profile)...)
	body = append(body, simple[12:]...) // the image's own chunk
	return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
}

// displayP3 writes a Display P3 matrix/TRC profile (ICC v2): DCI-P3
// primaries, D65 white, the sRGB tone curve as parametric curves. No free
// Display P3 profile is packaged for Debian; Little CMS reads this one as it
// reads any.
func displayP3() []byte {
	cols := colorantsD50([3][2]float64{{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}, xyz(0.3127, 0.3290))
	s15 := func(v float64) []byte { return binary.BigEndian.AppendUint32(nil, uint32(int32(math.Round(v*65536)))) }
	xyzTag := func(v [3]float64) []byte {
		b := append([]byte("XYZ \x00\x00\x00\x00"), s15(v[0])...)
		return append(append(b, s15(v[1])...), s15(v[2])...)
	}
	para := []byte("para\x00\x00\x00\x00\x00\x03\x00\x00")
	for _, v := range []float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
		para = append(para, s15(v)...)
	}
	desc := append([]byte("desc\x00\x00\x00\x00"), binary.BigEndian.AppendUint32(nil, 11)...)
	desc = append(desc, "Display P3\x00"...)
	desc = append(desc, make([]byte, 4+4+2+1+67)...)
	type tag struct {
		sig  string
		data []byte
	}
	tags := []tag{{"desc", desc}, {"wtpt", xyzTag(d50)}, {"rXYZ", xyzTag([3]float64{cols[0][0], cols[1][0], cols[2][0]})},
		{"gXYZ", xyzTag([3]float64{cols[0][1], cols[1][1], cols[2][1]})}, {"bXYZ", xyzTag([3]float64{cols[0][2], cols[1][2], cols[2][2]})},
		{"rTRC", para}, {"gTRC", para}, {"bTRC", para}}
	header := make([]byte, 128)
	copy(header[4:], "none")
	binary.BigEndian.PutUint32(header[8:], 0x02100000)
	copy(header[12:], "mntr")
	copy(header[16:], "RGB XYZ ")
	copy(header[36:], "acsp")
	copy(header[68:], append(append(s15(d50[0]), s15(d50[1])...), s15(d50[2])...))
	table := binary.BigEndian.AppendUint32(nil, uint32(len(tags)))
	var data []byte
	off := 128 + 4 + 12*len(tags)
	for _, tg := range tags {
		for len(data)%4 != 0 {
			data = append(data, 0)
		}
		table = append(table, tg.sig...)
		table = binary.BigEndian.AppendUint32(table, uint32(off+len(data)))
		table = binary.BigEndian.AppendUint32(table, uint32(len(tg.data)))
		data = append(data, tg.data...)
	}
	out := append(append(header, table...), data...)
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out
}

// deltaE00 is the CIEDE2000 difference of two 8-bit sRGB colours.
func deltaE00(a, b [3]uint8) float64 {
	return colour.DeltaE2000(colour.Lab(float64(a[0]), float64(a[1]), float64(a[2])), colour.Lab(float64(b[0]), float64(b[1]), float64(b[2])))
}

// TestEmbeddedProfilesAreAppliedAsLittleCMSDoes: a PNG whose iCCP chunk
// holds each profile decodes to the sRGB Little CMS converts its colours
// to (transicc, relative colorimetric), within a mean ΔE00 of 1 — sRGB,
// Display P3, Adobe RGB, ProPhoto and gray. The figures are logged as a
// table.
func TestEmbeddedProfilesAreAppliedAsLittleCMSDoes(t *testing.T) {
	lcms := lcmsDir(t)
	icc := filepath.Join(lcms, "usr/share/color/icc")
	p3 := filepath.Join(t.TempDir(), "DisplayP3.icc")
	os.WriteFile(p3, displayP3(), 0o644)
	t.Logf("%-14s %8s %8s %8s", "profile", "patches", "mean ΔE00", "max ΔE00")
	for _, tc := range []struct {
		name, path string
		gray       bool
	}{
		{"sRGB", filepath.Join(icc, "colord/sRGB.icc"), false},
		{"Display P3", p3, false},
		{"Adobe RGB", filepath.Join(icc, "colord/AdobeRGB1998.icc"), false},
		{"ProPhoto", filepath.Join(icc, "colord/ProPhotoRGB.icc"), false},
		{"Wide Gamut", filepath.Join(icc, "colord/WideGamutRGB.icc"), false},
		{"Gray", filepath.Join(icc, "Gray.icc"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prof, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			colors := patches(tc.gray)
			const side = 4
			src := patchImage(colors, side)
			var buf bytes.Buffer
			if tc.gray {
				g := image.NewGray(src.Rect)
				for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
					for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
						g.SetGray(x, y, color.Gray{src.Pix[src.PixOffset(x, y)]})
					}
				}
				png.Encode(&buf, g)
			} else {
				png.Encode(&buf, src)
			}
			d := Decoder{MaxPixels: 1 << 30, Width: src.Rect.Dx(), Height: src.Rect.Dy(), MinSide: 1}
			got, rej := d.Decode(withICCP(t, buf.Bytes(), prof), "patches.png")
			if rej != nil {
				t.Fatalf("rejected: %+v", rej)
			}
			want := transicc(t, lcms, tc.path, tc.gray, colors)
			ours := centres(got.Canvas, len(colors), side)
			var sum, worst float64
			for i := range colors {
				e := deltaE00(ours[i], want[i])
				sum += e
				worst = math.Max(worst, e)
			}
			mean := sum / float64(len(colors))
			t.Logf("%-14s %8d %8.3f %8.3f", tc.name, len(colors), mean, worst)
			if mean >= 1 {
				t.Errorf("mean ΔE00 %.3f against Little CMS, want below 1", mean)
			}
		})
	}
}

// TestProfilesInJPEGAndWebPAreFound: the same conversion reaches the canvas
// from a JPEG's APP2 segments (split in two) and a WebP's ICCP chunk; the
// issue's ProPhoto-tagged pink (198,131,172) becomes the pink Little CMS
// gives (246,130,191), not the purple it was taken for.
func TestProfilesInJPEGAndWebPAreFound(t *testing.T) {
	lcms := lcmsDir(t)
	path := filepath.Join(lcms, "usr/share/color/icc/colord/ProPhotoRGB.icc")
	prof, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("jpeg", func(t *testing.T) {
		img := image.NewRGBA(image.Rect(0, 0, 64, 64))
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = 198, 131, 172, 255
		}
		var buf bytes.Buffer
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
		d := Decoder{MaxPixels: 1 << 30, Width: 64, Height: 64, MinSide: 1}
		plain, _ := d.Decode(buf.Bytes(), "plain.jpg")
		tagged, rej := d.Decode(withAPP2(buf.Bytes(), prof), "tagged.jpg")
		if rej != nil {
			t.Fatalf("rejected: %+v", rej)
		}
		o := tagged.Canvas.PixOffset(32, 32)
		got := [3]uint8{tagged.Canvas.Pix[o], tagged.Canvas.Pix[o+1], tagged.Canvas.Pix[o+2]}
		p := plain.Canvas.PixOffset(32, 32)
		want := transicc(t, lcms, path, false, [][3]uint8{{plain.Canvas.Pix[p], plain.Canvas.Pix[p+1], plain.Canvas.Pix[p+2]}})[0]
		if e := deltaE00(got, want); e >= 1 {
			t.Errorf("ProPhoto pink decoded to %v, Little CMS gives %v (ΔE00 %.2f)", got, want, e)
		}
		if name := colour.Name(float64(got[0]), float64(got[1]), float64(got[2])); !strings.Contains(name, "pink") {
			t.Errorf("the ball is named %q, want pink", name)
		}
	})
	t.Run("webp", func(t *testing.T) {
		simple, err := os.ReadFile("../../testdata/sample/scene-020.webp")
		if err != nil {
			t.Fatal(err)
		}
		d := Decoder{MaxPixels: 1 << 30, Width: 96, Height: 96, MinSide: 1}
		plain, _ := d.Decode(simple, "plain.webp")
		tagged, rej := d.Decode(withICCPWebP(t, simple, prof), "tagged.webp")
		if rej != nil {
			t.Fatalf("rejected: %+v", rej)
		}
		var device [][3]uint8
		var ours [][3]uint8
		for i := 0; i+3 < len(plain.Canvas.Pix); i += 4 * 37 {
			device = append(device, [3]uint8{plain.Canvas.Pix[i], plain.Canvas.Pix[i+1], plain.Canvas.Pix[i+2]})
			ours = append(ours, [3]uint8{tagged.Canvas.Pix[i], tagged.Canvas.Pix[i+1], tagged.Canvas.Pix[i+2]})
		}
		want := transicc(t, lcms, path, false, device)
		var sum float64
		for i := range ours {
			sum += deltaE00(ours[i], want[i])
		}
		if mean := sum / float64(len(ours)); mean >= 1 {
			t.Errorf("mean ΔE00 %.3f over %d pixels against Little CMS, want below 1", mean, len(ours))
		}
	})
}

// TestProfilesThatCannotBeAppliedAreRejected: a Lab lookup-table profile, a
// CMYK profile claimed by an RGB image, and a damaged profile are each a
// decode.unsupported_color_profile reject that says why — never decoded
// with colours nobody knows.
func TestProfilesThatCannotBeAppliedAreRejected(t *testing.T) {
	lcms := lcmsDir(t)
	lab, err := os.ReadFile(filepath.Join(lcms, "usr/share/color/icc/ITULab.icc"))
	if err != nil {
		t.Fatal(err)
	}
	srgb, _ := os.ReadFile(filepath.Join(lcms, "usr/share/color/icc/colord/sRGB.icc"))
	var buf bytes.Buffer
	png.Encode(&buf, patchImage(patches(false), 2))
	d := Decoder{MaxPixels: 1 << 30, Width: 32, Height: 32, MinSide: 1}
	for _, tc := range []struct {
		name    string
		profile []byte
		want    string
	}{
		{"a Lab profile", lab, "only RGB and gray matrix/TRC profiles are applied"},
		{"a damaged profile", srgb[:100], "not an ICC profile"},
		{"a profile cut inside its tags", srgb[:200], "damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rej := d.Decode(withICCP(t, buf.Bytes(), tc.profile), "x.png")
			if rej == nil || rej.Reason != schema.ReasonColorProfile || !strings.Contains(rej.Detail, tc.want) {
				t.Errorf("got %+v, want a %s reject saying %q", rej, schema.ReasonColorProfile, tc.want)
			}
		})
	}
}
