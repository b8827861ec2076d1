package imageproc

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/twigdata/twigdata/schema"
)

// LumaQuality returns the canvas's blur (see blurOf; -1 when it has too few
// edges to judge) and difference hash, read from its luma plane (Y of
// color.RGBToYCbCr, as the canvas's JPEG encoding computes it: compose
// measures the plane it encodes).
func LumaQuality(y []uint8, w, h int) (float64, string) {
	blur, ok := blurOf(y, w, h)
	if !ok {
		blur = -1
	}
	return blur, dhash(y, w, h)
}

// Gate is the quality filter's thresholds, calibrated on clean renders,
// photographs and their blurred and compressed copies (see the README).
type Gate struct {
	MaxBlur       float64 // Blur above this rejects; default 0.30
	MaxBlockiness float64 // a JPEG original's Blockiness above this rejects; default 1.45
}

// Check says why a canvas of this blur (-1: not judged) and an original of
// this blockiness must be rejected, or nil.
func (g Gate) Check(blur, blockiness float64) *schema.Rejection {
	if blur > g.MaxBlur {
		return schema.Rejectf(schema.ReasonBlur, "blur %.2f (a no-reference measure on the canvas's edges, 0 crisp to 1 blurred) is above max-blur %.2f: the image is blurred", blur, g.MaxBlur)
	}
	if blockiness > g.MaxBlockiness {
		return schema.Rejectf(schema.ReasonBlocking, "JPEG blocking %.2f (steps across the 8×8 block grid against steps inside it) is above max-blockiness %.2f: the image was compressed too hard", blockiness, g.MaxBlockiness)
	}
	return nil
}

// dhash is a 64-bit difference hash of the canvas (9×8 luma grid), as hex;
// near-duplicates differ in few bits.
func dhash(g []uint8, w, h int) string {
	cell := func(cx, cy int) float64 {
		x0, x1 := cx*w/9, (cx+1)*w/9
		y0, y1 := cy*h/8, (cy+1)*h/8
		var s int64
		for y := y0; y < y1; y++ {
			s += sumBytes(g[y*w+x0 : y*w+x1])
		}
		return float64(s) / math.Max(1, float64((x1-x0)*(y1-y0)))
	}
	var bits uint64
	for y := 0; y < 8; y++ {
		prev := cell(0, y)
		for x := 1; x < 9; x++ {
			c := cell(x, y)
			bits <<= 1
			if c > prev {
				bits |= 1
			}
			prev = c
		}
	}
	return fmt.Sprintf("%016x", bits)
}

// sumBytes is the sum of b, eight bytes at a time: a word's even and odd
// bytes add into four 16-bit lanes, folded into the total every 32 words
// (the fold adds the lanes in the top one: 32·4·510 < 2¹⁶).
func sumBytes(b []uint8) int64 {
	const lanes = 0x00ff00ff00ff00ff
	var total int64
	for len(b) >= 8 {
		var acc uint64
		for n := 0; n < 32 && len(b) >= 8; n++ {
			v := binary.LittleEndian.Uint64(b)
			acc += v&lanes + v>>8&lanes
			b = b[8:]
		}
		total += int64(acc * 0x0001000100010001 >> 48) // the four lanes' sum, in the top lane
	}
	for _, v := range b {
		total += int64(v)
	}
	return total
}
