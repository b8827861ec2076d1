// Package imageproc turns image bytes into the generator's canvas — format
// sniffing, bomb checks, EXIF orientation, colour conversion, cover-resize and
// center crop — measures its quality, and lays the K-band schedule on its
// token grid.
package imageproc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/twigdata/twigdata/schema"
)

// Decoder turns image bytes into the normalized canvas: format sniffed from the
// bytes (not the extension), pixel count checked from the header before any
// pixel is decoded, EXIF orientation applied, alpha composited over white,
// gray, 16-bit and CMYK converted, then resized so the canvas is covered and
// center-cropped, and its colours converted to sRGB with the embedded ICC
// profile, if any.
type Decoder struct {
	MaxPixels     int64 // most pixels a header may claim
	Width, Height int   // the canvas
	MinSide       int   // shortest accepted side of the original
}

// Decoded is one image on the canvas, with what is known of its original.
type Decoded struct {
	Format        string // jpeg, png or webp, from the bytes
	Width, Height int    // the original's size, upright
	SHA256        string // of the original bytes
	Canvas        *image.RGBA
	// Blockiness of a JPEG original (see Blockiness); 1 for other formats.
	Blockiness float64
}

// interpolation resizes originals onto the canvas: bilinear is sharp enough
// for segmentation and several times faster than Catmull-Rom.
var interpolation = draw.ApproxBiLinear

// sniff names the format from magic bytes. Its complexity is a flat
// switch, one case per format's signature.
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "png"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "webp"
	case len(b) >= 6 && (string(b[:6]) == "GIF87a" || string(b[:6]) == "GIF89a"):
		return "gif"
	case len(b) >= 2 && string(b[:2]) == "BM":
		return "bmp"
	case len(b) >= 4 && (string(b[:4]) == "II*\x00" || string(b[:4]) == "MM\x00*"):
		return "tiff"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		switch string(b[8:12]) {
		case "avif", "avis":
			return "avif"
		case "heic", "heix", "hevc", "heim", "heis", "mif1", "msf1":
			return "heic"
		}
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0x0A, len(b) >= 12 && string(b[4:12]) == "JXL \r\n\x87\n":
		return "jxl"
	}
	return ""
}

// animatedWebP reports whether a WebP file is an animation (the VP8X
// animation flag), which the decoder does not read.
func animatedWebP(b []byte) bool {
	return len(b) >= 21 && string(b[12:16]) == "VP8X" && b[20]&0x02 != 0
}

// Decode decodes raw, the bytes of the image called name (for messages), or
// says why it cannot be used.
func (d Decoder) Decode(raw []byte, name string) (Decoded, *schema.Rejection) {
	var out Decoded
	sum := sha256.Sum256(raw)
	out.SHA256 = hex.EncodeToString(sum[:])
	format := sniff(raw)
	var decodeCfg func(io.Reader) (image.Config, error)
	var decodeImg func(io.Reader) (image.Image, error)
	switch format {
	case "jpeg":
		decodeCfg, decodeImg = jpeg.DecodeConfig, jpeg.Decode
	case "png":
		decodeCfg, decodeImg = png.DecodeConfig, png.Decode
	case "webp":
		if animatedWebP(raw) {
			return out, schema.Rejectf(schema.ReasonUnsupportedFormat, "%s is an animated WebP; supported are still JPEG, PNG and WebP images", name)
		}
		decodeCfg, decodeImg = webp.DecodeConfig, webp.Decode
	case "":
		return out, schema.Rejectf(schema.ReasonUnknownFormat, "%s is not a JPEG, PNG or WebP image (its first bytes match no image format)", name)
	default:
		return out, schema.Rejectf(schema.ReasonUnsupportedFormat, "%s is a %s image; supported formats are JPEG, PNG and WebP", name, strings.ToUpper(format))
	}
	out.Format = format
	cfg, err := decodeCfg(bytes.NewReader(raw))
	if err != nil {
		return out, schema.Rejectf(reasonFor(err, schema.ReasonCorruptHeader), "%s: cannot read the %s header: %v", name, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return out, schema.Rejectf(schema.ReasonCorruptHeader, "%s: header gives a %d×%d image", name, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > d.MaxPixels {
		return out, schema.Rejectf(schema.ReasonTooManyPixels, "%s: header claims %d×%d = %d pixels, above the max-pixels limit of %d (a decompression bomb or a very large image)", name, cfg.Width, cfg.Height, px, d.MaxPixels)
	}
	prof, err := colourProfile(format, raw)
	if err != nil {
		return out, schema.Rejectf(schema.ReasonColorProfile, "%s: its embedded colour profile cannot be applied, so its colours are unknown: %v", name, err)
	}
	img, err := decodeImg(bytes.NewReader(raw))
	if err != nil {
		reason := reasonFor(err, schema.ReasonCorrupt)
		if !complete(format, raw) {
			reason = schema.ReasonTruncated
			err = fmt.Errorf("%w; the file ends before the image's end marker (cut off in transfer?)", err)
		}
		return out, schema.Rejectf(reason, "%s: cannot decode the %s data: %v", name, format, err)
	}
	out.Blockiness = 1
	if format == "jpeg" {
		out.Blockiness = Blockiness(img) // on the stored grid, before turning and resizing
		img = orient(img, exifOrientation(raw))
	}
	b := img.Bounds()
	out.Width, out.Height = b.Dx(), b.Dy()
	if min(out.Width, out.Height) < d.MinSide {
		return out, schema.Rejectf(schema.ReasonResolution, "%s is %d×%d; the shorter side is below min-side %d", name, out.Width, out.Height, d.MinSide)
	}
	out.Canvas = d.toCanvas(img)
	if prof != nil {
		prof.toSRGB(out.Canvas)
	}
	return out, nil
}

// colourProfile is the embedded ICC profile the canvas must be converted
// with: nil when there is none, or when it is sRGB's.
func colourProfile(format string, raw []byte) (*profile, error) {
	b, err := embeddedProfile(format, raw)
	if err != nil || b == nil {
		return nil, err
	}
	p, err := parseProfile(b)
	if err != nil {
		return nil, err
	}
	if p.isSRGB() {
		return nil, nil
	}
	return p, nil
}

// Footprint is the memory, in bytes, the decoded original of raw takes: its
// header's width × height × the bytes a pixel of the colour model it
// decodes to holds (8 for 16-bit colour, 3 for JPEG's YCbCr at worst);
// 0 when the header does not read, which Decode then says.
func Footprint(raw []byte) int64 {
	var cfg image.Config
	var err error
	switch sniff(raw) {
	case "jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(raw))
	case "png":
		cfg, err = png.DecodeConfig(bytes.NewReader(raw))
	case "webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(raw))
	default:
		return 0
	}
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return 0
	}
	per := int64(8)
	switch cfg.ColorModel {
	case color.GrayModel:
		per = 1
	case color.Gray16Model:
		per = 2
	case color.YCbCrModel, color.NYCbCrAModel:
		per = 4
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		per = 4
	}
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		per = 1
	}
	return int64(cfg.Width) * int64(cfg.Height) * per
}

// complete reports whether the file carries its format's end marker; decoders
// report a cut-off file as many different errors, the missing marker says it plainly.
func complete(format string, b []byte) bool {
	switch format {
	case "jpeg":
		t := bytes.TrimRight(b, "\x00")
		return len(t) >= 2 && t[len(t)-2] == 0xFF && t[len(t)-1] == 0xD9
	case "png":
		return bytes.Contains(b[max(0, len(b)-16):], []byte("IEND"))
	case "webp":
		return len(b) >= 8 && int(binary.LittleEndian.Uint32(b[4:]))+8 <= len(b)
	}
	return true
}

// reasonFor names a decoder error: an unexpected end of data is a truncated file.
func reasonFor(err error, fallback schema.Reason) schema.Reason {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return schema.ReasonTruncated
	}
	return fallback
}

// toCanvas scales the image so it covers the canvas, keeping its aspect ratio,
// and crops the center; transparent pixels become white.
func (d Decoder) toCanvas(img image.Image) *image.RGBA {
	b := img.Bounds()
	sw, sh := float64(b.Dx()), float64(b.Dy())
	scale := max(float64(d.Width)/sw, float64(d.Height)/sh)
	cropW, cropH := float64(d.Width)/scale, float64(d.Height)/scale
	x0 := b.Min.X + int((sw-cropW)/2+0.5)
	y0 := b.Min.Y + int((sh-cropH)/2+0.5)
	src := image.Rect(x0, y0, x0+int(cropW+0.5), y0+int(cropH+0.5)).Intersect(b)
	dst := image.NewRGBA(image.Rect(0, 0, d.Width, d.Height))
	draw.Draw(dst, dst.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	interpolation.Scale(dst, dst.Rect, img, src, draw.Over, nil)
	return dst
}

// exifOrientation finds the Orientation tag (1..8) in a JPEG's APP1 Exif
// segment; 1 when absent or unreadable. Only this one tag matters for pixels,
// so a full EXIF library would add weight without adding behaviour.
func exifOrientation(jpg []byte) int {
	p := 2
	for p+4 <= len(jpg) && jpg[p] == 0xFF {
		marker := jpg[p+1]
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) {
			p += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 {
			return 1 // start of scan: no Exif before the image data
		}
		n := int(binary.BigEndian.Uint16(jpg[p+2:]))
		if n < 2 || p+2+n > len(jpg) {
			return 1
		}
		seg := jpg[p+4 : p+2+n]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		p += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	n := int(bo.Uint16(t[ifd:]))
	for i := 0; i < n; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(t) {
			return 1
		}
		if bo.Uint16(t[e:]) == 0x0112 {
			v := int(bo.Uint16(t[e+8:]))
			if v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient applies an EXIF orientation so the image is upright.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.Set(dx, dy, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}
