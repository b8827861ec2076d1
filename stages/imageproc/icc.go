package imageproc

// Colour management: an image's embedded ICC profile says what its pixel
// values mean; the canvas is sRGB, as the critic's colour names and every
// reader of the dataset assume. No Go colour-management library is served
// to this build (the module proxy refuses the ones that exist), and a
// matrix/TRC profile — what sRGB, Display P3, Adobe RGB, ProPhoto and camera
// RGB profiles are — is a 3×3 matrix and three tone curves (ICC.1:2010
// §F.3), so it is read here and checked against Little CMS in the tests.
// Lookup-table and CMYK profiles are refused, never approximated.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"sort"
	"sync"
)

// maxProfile bounds an embedded profile: matrix/TRC profiles are a few KB,
// and a compressed one must not inflate without end.
const maxProfile = 4 << 20

// errProfile is wrapped by every error about a profile that cannot be
// applied.
var errProfile = errors.New("colour profile")

// embeddedProfile returns the ICC profile an image file carries — JPEG APP2
// ICC_PROFILE segments in sequence order, the PNG iCCP chunk, the WebP ICCP
// chunk — or nil when it carries none.
func embeddedProfile(format string, raw []byte) ([]byte, error) {
	switch format {
	case "jpeg":
		return jpegProfile(raw)
	case "png":
		return pngProfile(raw)
	case "webp":
		return webpProfile(raw), nil
	}
	return nil, nil
}

// jpegProfile gathers the APP2 ICC_PROFILE segments before the scan.
func jpegProfile(b []byte) ([]byte, error) {
	type part struct {
		seq  int
		data []byte
	}
	var parts []part
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			break
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			break
		}
		if marker >= 0xD0 && marker <= 0xD7 || marker == 0x01 { // no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			break
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE2 && len(seg) >= 14 && string(seg[:12]) == "ICC_PROFILE\x00" {
			parts = append(parts, part{int(seg[12]), seg[14:]})
		}
		i += 2 + n
	}
	if len(parts) == 0 {
		return nil, nil
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].seq < parts[j].seq })
	var out []byte
	for _, p := range parts {
		out = append(out, p.data...)
	}
	return out, nil
}

// pngProfile inflates the iCCP chunk, which comes before the image data.
func pngProfile(b []byte) ([]byte, error) {
	for i := 8; i+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || i+12+n > len(b) || typ == "IDAT" {
			return nil, nil
		}
		if typ == "iCCP" {
			data := b[i+8 : i+8+n]
			z := bytes.IndexByte(data, 0)
			if z < 0 || z+2 > len(data) || data[z+1] != 0 {
				return nil, fmt.Errorf("%w: the PNG iCCP chunk is malformed", errProfile)
			}
			r, err := zlib.NewReader(bytes.NewReader(data[z+2:]))
			if err != nil {
				return nil, fmt.Errorf("%w: the PNG iCCP chunk does not inflate: %v", errProfile, err)
			}
			defer r.Close()
			p, err := io.ReadAll(io.LimitReader(r, maxProfile+1))
			if err != nil {
				return nil, fmt.Errorf("%w: the PNG iCCP chunk does not inflate: %v", errProfile, err)
			}
			if len(p) > maxProfile {
				return nil, fmt.Errorf("%w: the PNG iCCP chunk inflates past %d MiB", errProfile, maxProfile>>20)
			}
			return p, nil
		}
		i += 12 + n
	}
	return nil, nil
}

// webpProfile finds the ICCP chunk of an extended (VP8X) WebP file.
func webpProfile(b []byte) []byte {
	for i := 12; i+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || i+8+n > len(b) {
			return nil
		}
		if string(b[i:i+4]) == "ICCP" {
			return b[i+8 : i+8+n]
		}
		i += 8 + n + n&1
	}
	return nil
}

// profile is a matrix/TRC profile reduced to what converting 8-bit pixels
// to sRGB takes: each channel's value → linear light, and the linear
// device → linear sRGB matrix (relative colorimetric, through the D50
// connection space, as Little CMS converts matrix/TRC profiles).
type profile struct {
	desc string
	gray bool
	lin  [3][256]float64
	m    [3][3]float64
}

// parseProfile reads an ICC profile; an error wrapping errProfile says why
// it cannot be applied.
func parseProfile(b []byte) (*profile, error) {
	if len(b) < 132 || string(b[36:40]) != "acsp" {
		return nil, fmt.Errorf("%w: not an ICC profile (no acsp signature)", errProfile)
	}
	space, pcs := string(b[16:20]), string(b[20:24])
	tags, err := tagTable(b)
	if err != nil {
		return nil, err
	}
	p := &profile{desc: description(tags["desc"])}
	switch {
	case space == "GRAY" && tags["kTRC"] != nil:
		p.gray = true
		c, err := curve(tags["kTRC"])
		if err != nil {
			return nil, err
		}
		for i := range p.lin {
			p.lin[i] = c
		}
		p.m = [3][3]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
		return p, nil
	case space != "RGB ":
		return nil, fmt.Errorf("%w: a %s profile (%s); only RGB and gray matrix/TRC profiles are applied", errProfile, bytes.TrimSpace([]byte(space)), p.desc)
	case pcs != "XYZ " || tags["rXYZ"] == nil || tags["rTRC"] == nil:
		return nil, fmt.Errorf("%w: a lookup-table profile (%s); only matrix/TRC profiles are applied", errProfile, p.desc)
	}
	return p, p.matrixTRC(tags)
}

// tagTable indexes a profile's tags by signature.
func tagTable(b []byte) (map[string][]byte, error) {
	tags := map[string][]byte{}
	count := int(binary.BigEndian.Uint32(b[128:]))
	if count > 1000 || 132+12*count > len(b) {
		return nil, fmt.Errorf("%w: the profile's tag table is damaged", errProfile)
	}
	for i := 0; i < count; i++ {
		e := b[132+12*i:]
		off, n := int(binary.BigEndian.Uint32(e[4:])), int(binary.BigEndian.Uint32(e[8:]))
		if off < 0 || n < 0 || off+n > len(b) || off+n < off {
			return nil, fmt.Errorf("%w: tag %q lies outside the profile", errProfile, e[:4])
		}
		tags[string(e[:4])] = b[off : off+n]
	}
	return tags, nil
}

// matrixTRC reads an RGB profile's colorants and tone curves into p.
func (p *profile) matrixTRC(tags map[string][]byte) error {
	var cols [3][3]float64
	for i, ch := range []string{"r", "g", "b"} {
		xyz, err := xyzTag(tags[ch+"XYZ"])
		if err != nil {
			return err
		}
		cols[i] = xyz
		if p.lin[i], err = curve(tags[ch+"TRC"]); err != nil {
			return err
		}
	}
	dev := [3][3]float64{} // device linear → PCS XYZ (D50): the colorants are its columns
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			dev[r][c] = cols[c][r]
		}
	}
	p.m = mul(srgbFromD50(), dev)
	return nil
}

// description is the text of a desc tag (textDescriptionType or
// multiLocalizedUnicodeType), for messages.
func description(t []byte) string {
	switch {
	case len(t) >= 12 && string(t[:4]) == "desc":
		n := int(binary.BigEndian.Uint32(t[8:]))
		if 12+n <= len(t) && n > 0 {
			return string(bytes.TrimRight(t[12:12+n], "\x00"))
		}
	case len(t) >= 28 && string(t[:4]) == "mluc":
		n, off := int(binary.BigEndian.Uint32(t[20:])), int(binary.BigEndian.Uint32(t[24:]))
		if off+n <= len(t) {
			u := t[off : off+n]
			r := make([]rune, 0, len(u)/2)
			for i := 0; i+1 < len(u); i += 2 {
				r = append(r, rune(binary.BigEndian.Uint16(u[i:])))
			}
			return string(r)
		}
	}
	return "no description"
}

// xyzTag reads an XYZType tag.
func xyzTag(t []byte) ([3]float64, error) {
	if len(t) < 20 || string(t[:4]) != "XYZ " {
		return [3]float64{}, fmt.Errorf("%w: a colorant tag is damaged", errProfile)
	}
	var v [3]float64
	for i := range v {
		v[i] = s15(t[8+4*i:])
	}
	return v, nil
}

func s15(b []byte) float64 { return float64(int32(binary.BigEndian.Uint32(b))) / 65536 }

// curve tabulates a tone curve (curveType or parametricCurveType) over the
// 256 8-bit values.
func curve(t []byte) ([256]float64, error) {
	var out [256]float64
	bad := fmt.Errorf("%w: a tone curve is damaged", errProfile)
	if len(t) < 12 {
		return out, bad
	}
	var f func(x float64) float64
	switch string(t[:4]) {
	case "curv":
		n := int(binary.BigEndian.Uint32(t[8:]))
		switch {
		case n == 0:
			f = func(x float64) float64 { return x }
		case n == 1 && len(t) >= 14:
			g := float64(binary.BigEndian.Uint16(t[12:])) / 256
			f = func(x float64) float64 { return math.Pow(x, g) }
		case n > 1 && len(t) >= 12+2*n:
			table := make([]float64, n)
			for i := range table {
				table[i] = float64(binary.BigEndian.Uint16(t[12+2*i:])) / 65535
			}
			f = func(x float64) float64 { // linear interpolation, as the spec reads a table
				pos := x * float64(n-1)
				i := min(int(pos), n-2)
				return table[i] + (pos-float64(i))*(table[i+1]-table[i])
			}
		default:
			return out, bad
		}
	case "para":
		kind := int(binary.BigEndian.Uint16(t[8:]))
		need := []int{1, 3, 4, 5, 7}
		if kind > 4 || len(t) < 12+4*need[kind] {
			return out, bad
		}
		var g [7]float64
		for i := 0; i < need[kind]; i++ {
			g[i] = s15(t[12+4*i:])
		}
		f = parametric(kind, g)
	default:
		return out, bad
	}
	for i := range out {
		v := f(float64(i) / 255)
		if math.IsNaN(v) {
			return out, bad // a curve of no value (0 to a negative power and the like)
		}
		out[i] = math.Max(0, math.Min(1, v))
	}
	return out, nil
}

// parametric is the function of a parametricCurveType of the given kind
// with parameters g, a, b, c, d, e, f (ICC.1:2010 table 65).
func parametric(kind int, p [7]float64) func(float64) float64 {
	g, a, b, c, d, e, f := p[0], p[1], p[2], p[3], p[4], p[5], p[6]
	pow := func(v float64) float64 { return math.Pow(math.Max(v, 0), g) }
	switch kind {
	case 0:
		return func(x float64) float64 { return pow(x) }
	case 1:
		return func(x float64) float64 {
			if a != 0 && x >= -b/a {
				return pow(a*x + b)
			}
			return 0
		}
	case 2:
		return func(x float64) float64 {
			if a != 0 && x >= -b/a {
				return pow(a*x+b) + c
			}
			return c
		}
	case 3:
		return func(x float64) float64 {
			if x >= d {
				return pow(a*x + b)
			}
			return c * x
		}
	}
	return func(x float64) float64 {
		if x >= d {
			return pow(a*x+b) + e
		}
		return c*x + f
	}
}

// Colorimetry of the conversion: the ICC connection space's white (D50),
// sRGB's primaries and white (D65), and the Bradford cone response.
var (
	d50      = [3]float64{0.9642, 1.0, 0.8249}
	bradford = [3][3]float64{{0.8951, 0.2664, -0.1614}, {-0.7502, 1.7135, 0.0367}, {0.0389, -0.0685, 1.0296}}
)

// srgbFromD50 is the matrix from D50 connection-space XYZ to linear sRGB:
// the inverse of sRGB's colorants adapted to D50, as an sRGB profile holds
// them.
var srgbFromD50 = sync.OnceValue(func() [3][3]float64 {
	return inverse(colorantsD50([3][2]float64{{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}}, xyz(0.3127, 0.3290)))
})

// colorantsD50 is the matrix from linear RGB to D50 XYZ of a space with
// primaries of chromaticities xy and the given white (R=G=B=1), adapted to
// D50 with Bradford: its columns are what a matrix/TRC profile's colorant
// tags hold.
func colorantsD50(xy [3][2]float64, white [3]float64) [3][3]float64 {
	var prim [3][3]float64 // columns: the primaries' XYZ of unit luminance
	for c := range xy {
		v := xyz(xy[c][0], xy[c][1])
		for r := 0; r < 3; r++ {
			prim[r][c] = v[r]
		}
	}
	s := apply(inverse(prim), white) // scale so that R=G=B=1 is the white
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			prim[r][c] *= s[c]
		}
	}
	src, dst := apply(bradford, white), apply(bradford, d50)
	scale := [3][3]float64{{dst[0] / src[0], 0, 0}, {0, dst[1] / src[1], 0}, {0, 0, dst[2] / src[2]}}
	return mul(mul(inverse(bradford), mul(scale, bradford)), prim)
}

// xyz is the XYZ of chromaticity x, y at luminance 1.
func xyz(x, y float64) [3]float64 { return [3]float64{x / y, 1, (1 - x - y) / y} }

func mul(a, b [3][3]float64) [3][3]float64 {
	var out [3][3]float64
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			for k := 0; k < 3; k++ {
				out[r][c] += a[r][k] * b[k][c]
			}
		}
	}
	return out
}

func apply(m [3][3]float64, v [3]float64) [3]float64 {
	return [3]float64{m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2], m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2], m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2]}
}

func inverse(m [3][3]float64) [3][3]float64 {
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var out [3][3]float64
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			// The cofactor of (c, r), over the determinant.
			r1, r2 := (c+1)%3, (c+2)%3
			c1, c2 := (r+1)%3, (r+2)%3
			out[r][c] = (m[r1][c1]*m[r2][c2] - m[r1][c2]*m[r2][c1]) / det
		}
	}
	return out
}

// srgbEncode tabulates the sRGB transfer function over linear light in
// steps of 1/65535, to 8-bit values.
var srgbEncode = sync.OnceValue(func() []uint8 {
	t := make([]uint8, 65536)
	for i := range t {
		v := float64(i) / 65535
		if v <= 0.0031308 {
			v *= 12.92
		} else {
			v = 1.055*math.Pow(v, 1/2.4) - 0.055
		}
		t[i] = uint8(math.Round(255 * v))
	}
	return t
})

// isSRGB reports whether applying p would leave every 8-bit pixel as it is
// (an sRGB profile): the canvas is then not touched at all.
func (p *profile) isSRGB() bool {
	enc := srgbEncode()
	for ch := 0; ch < 3; ch++ {
		for i := 0; i < 256; i += 5 {
			var v [3]float64
			v[ch] = p.lin[ch][i]
			out := apply(p.m, v)
			for k := 0; k < 3; k++ {
				want := 0
				if k == ch {
					want = i
				}
				if d := int(enc[int(math.Round(math.Max(0, math.Min(1, out[k]))*65535))]) - want; d < -1 || d > 1 {
					return false
				}
			}
		}
	}
	return true
}

// toSRGB converts the canvas's pixels from the profile's colours to sRGB in
// place (clipping what lies outside sRGB's gamut); alpha is untouched.
func (p *profile) toSRGB(img *image.RGBA) {
	enc := srgbEncode()
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		row := img.Pix[img.PixOffset(img.Rect.Min.X, y):img.PixOffset(img.Rect.Max.X, y)]
		for i := 0; i+3 < len(row); i += 4 {
			v := [3]float64{p.lin[0][row[i]], p.lin[1][row[i+1]], p.lin[2][row[i+2]]}
			out := apply(p.m, v)
			for k := 0; k < 3; k++ {
				row[i+k] = enc[int(math.Round(math.Max(0, math.Min(1, out[k]))*65535))]
			}
		}
	}
}
