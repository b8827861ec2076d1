package stages

import (
	"bytes"
	"context"
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
	"strconv"
	"strings"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// decoder turns image bytes into the normalized canvas: format sniffed from the
// bytes (not the extension), pixel count checked from the header before any
// pixel is decoded, EXIF orientation applied, alpha composited over white,
// gray, 16-bit and CMYK converted, then resized so the canvas is covered and
// center-cropped.
type decoder struct {
	maxPixels     int64
	canvasW       int
	canvasH       int
	minSide       int
	interpolation draw.Interpolator
}

func (d *decoder) process(ctx context.Context, batch []*Item) error {
	for _, it := range batch {
		d.decode(it)
	}
	return nil
}

// sniff names the format from magic bytes.
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
	}
	return ""
}

func (d *decoder) decode(it *Item) {
	raw := it.RawImage
	sum := sha256.Sum256(raw)
	it.SHA256 = hex.EncodeToString(sum[:])
	format := sniff(raw)
	var decodeCfg func(io.Reader) (image.Config, error)
	var decodeImg func(io.Reader) (image.Image, error)
	switch format {
	case "jpeg":
		decodeCfg, decodeImg = jpeg.DecodeConfig, jpeg.Decode
	case "png":
		decodeCfg, decodeImg = png.DecodeConfig, png.Decode
	case "webp":
		decodeCfg, decodeImg = webp.DecodeConfig, webp.Decode
	case "":
		it.rejectf("decode", "decode.unknown_format", "%s is not a JPEG, PNG or WebP image (its first bytes match no image format)", it.ImageKey)
		return
	default:
		it.rejectf("decode", "decode.unsupported_format", "%s is a %s image; supported formats are JPEG, PNG and WebP", it.ImageKey, strings.ToUpper(format))
		return
	}
	it.Format = format
	cfg, err := decodeCfg(bytes.NewReader(raw))
	if err != nil {
		it.rejectf("decode", reasonFor(err, "decode.corrupt_header"), "%s: cannot read the %s header: %v", it.ImageKey, format, err)
		return
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		it.rejectf("decode", "decode.corrupt_header", "%s: header gives a %d×%d image", it.ImageKey, cfg.Width, cfg.Height)
		return
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > d.maxPixels {
		it.rejectf("decode", "decode.too_many_pixels", "%s: header claims %d×%d = %d pixels, above the --max-pixels limit of %d (a decompression bomb or a very large image)", it.ImageKey, cfg.Width, cfg.Height, px, d.maxPixels)
		return
	}
	img, err := decodeImg(bytes.NewReader(raw))
	if err != nil {
		reason := reasonFor(err, "decode.corrupt")
		if !complete(format, raw) {
			reason = "decode.truncated"
			err = fmt.Errorf("%w; the file ends before the image's end marker (cut off in transfer?)", err)
		}
		it.rejectf("decode", reason, "%s: cannot decode the %s data: %v", it.ImageKey, format, err)
		return
	}
	if format == "jpeg" {
		img = orient(img, exifOrientation(raw))
	}
	b := img.Bounds()
	it.OrigW, it.OrigH = b.Dx(), b.Dy()
	if min(it.OrigW, it.OrigH) < d.minSide {
		it.rejectf("filter", "filter.resolution", "%s is %d×%d; the shorter side is below --min-side %d", it.ImageKey, it.OrigW, it.OrigH, d.minSide)
		return
	}
	it.Canvas = d.toCanvas(img)
	it.RawImage = nil // the canvas replaces the bytes from here on
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

func reasonFor(err error, fallback string) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "decode.truncated"
	}
	return fallback
}

// toCanvas scales the image so it covers the canvas, keeping its aspect ratio,
// and crops the center; transparent pixels become white.
func (d *decoder) toCanvas(img image.Image) *image.RGBA {
	b := img.Bounds()
	sw, sh := float64(b.Dx()), float64(b.Dy())
	scale := max(float64(d.canvasW)/sw, float64(d.canvasH)/sh)
	cropW, cropH := float64(d.canvasW)/scale, float64(d.canvasH)/scale
	x0 := b.Min.X + int((sw-cropW)/2+0.5)
	y0 := b.Min.Y + int((sh-cropH)/2+0.5)
	src := image.Rect(x0, y0, x0+int(cropW+0.5), y0+int(cropH+0.5)).Intersect(b)
	dst := image.NewRGBA(image.Rect(0, 0, d.canvasW, d.canvasH))
	draw.Draw(dst, dst.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	d.interpolation.Scale(dst, dst.Rect, img, src, draw.Over, nil)
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

// schedule assigns the K bands on token-row boundaries.
type scheduler struct {
	canvasH, patch, k int
}

// Bands splits grid rows as evenly as possible; band k covers token rows
// [floor(k·G/K), floor((k+1)·G/K)).
func Bands(canvasH, patch, k int) []Band {
	g := canvasH / patch
	names := []string{"upper background", "central content", "lower background"}
	out := make([]Band, k)
	for i := 0; i < k; i++ {
		s, e := i*g/k, (i+1)*g/k
		name := "band " + strconv.Itoa(i+1)
		if k == 3 {
			name = names[i]
		}
		out[i] = Band{Index: i, Name: name, TokenRowStart: s, TokenRowEnd: e, Y0: s * patch, Y1: e * patch}
	}
	return out
}

func (s *scheduler) process(ctx context.Context, batch []*Item) error {
	for _, it := range batch {
		it.Bands = Bands(s.canvasH, s.patch, s.k)
	}
	return nil
}
