// Package jpegenc encodes an RGBA canvas as baseline 4:2:0 JPEG with the
// bytes Go's image/jpeg writes for it, about twice as fast, and gives the
// luma plane it computes on the way to whoever measures the image.
//
// It is image/jpeg's encoder (Go 1.26; BSD licence, README.md) with the
// same colour conversion, transform, quantization tables and Huffman
// tables, and changes that keep every byte: the colour planes are computed
// once per image rather than per block, quantization divides by a
// reciprocal multiplication exact over the transform's range, a value's
// bits come from a table, and the bits gather in a 64-bit word appended to
// a byte slice rather than going through a bufio.Writer byte by byte.
// TestSameBytesAsImageJPEG holds it to image/jpeg's output.
package jpegenc

import (
	"encoding/binary"
	"errors"
	"image"
	"math/bits"
	"sync"
)

type huffIndex int

const (
	huffLuminanceDC huffIndex = iota
	huffLuminanceAC
	huffChrominanceDC
	huffChrominanceAC
	nHuffIndex
)

// theHuffmanLUT holds, for each table and value, the codeword size in the
// 8 most significant bits and the codeword in the 24 least.
// (Fixed-size tables: a byte indexes them without a bounds check.)
var theHuffmanLUT [nHuffIndex][256]uint32

func init() {
	for i, s := range theHuffmanSpec {
		var lut [256]uint32
		code, k := uint32(0), 0
		for n := range len(s.count) {
			nBits := uint32(n+1) << 24
			for j := uint8(0); j < s.count[n]; j++ {
				lut[s.value[k]] = nBits | code
				code++
				k++
			}
			code <<= 1
		}
		theHuffmanLUT[i] = lut
	}
}

// Planes are an image's luma and chroma at full resolution, each value as
// color.RGBToYCbCr computes it.
type Planes struct {
	W, H      int
	Y, Cb, Cr []uint8
}

// planePool recycles planes: a build converts one canvas after another of
// the same size, and three fresh planes each would be garbage at once.
var planePool sync.Pool

// FromRGBA converts an RGBA image (its alpha ignored, as image/jpeg does).
// Release gives the planes back when nothing reads them any more.
func FromRGBA(m *image.RGBA) *Planes {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	p, _ := planePool.Get().(*Planes)
	if p == nil || cap(p.Y) < w*h {
		p = &Planes{Y: make([]uint8, w*h), Cb: make([]uint8, w*h), Cr: make([]uint8, w*h)}
	}
	p.W, p.H, p.Y, p.Cb, p.Cr = w, h, p.Y[:w*h], p.Cb[:w*h], p.Cr[:w*h]
	for y := range h {
		row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
		row = row[:4*w]
		ys, cbs, crs := p.Y[y*w:(y+1)*w], p.Cb[y*w:(y+1)*w], p.Cr[y*w:(y+1)*w]
		cbs, crs = cbs[:len(ys)], crs[:len(ys)]
		for x := range ys {
			ys[x], cbs[x], crs[x] = toYCbCr(binary.LittleEndian.Uint32(row[4*x:]))
		}
	}
	return p
}

// toYCbCr is color.RGBToYCbCr of an RGBA pixel read as a little-endian
// word, with six multiplications instead of nine: luma and Cb are computed
// together in the two halves of one 64-bit sum. The sum is exact because
// each half's value lies in [0, 2²⁵) before its shift, so the low half
// never borrows from the high. An 8-bit colour's Cb and Cr are never below
// 0 before clamping and reach 256 at most, so only the top needs clamping.
func toYCbCr(px uint32) (uint8, uint8, uint8) {
	const (
		kr = 19595 - 11056<<32
		kg = 38470 - 21712<<32
		kb = 7471 + 32768<<32
		k0 = 1<<15 + (257<<15)<<32
	)
	r, g, b := int64(px&0xff), int64(px>>8&0xff), int64(px>>16&0xff)
	ycb := kr*r + kg*g + kb*b + k0
	cr := int32(32768*r-27440*g-5328*b+257<<15) >> 16
	return uint8(ycb >> 16), uint8(min(255, ycb>>48)), uint8(min(255, cr))
}

// Release gives the planes back for another conversion; p must not be
// used afterwards.
func (p *Planes) Release() { planePool.Put(p) }

// bufPool recycles the encoder's output buffer; Encode returns a copy of
// exactly the encoded length.
var bufPool sync.Pool

// encoder holds one encoding's state.
type encoder struct {
	out   []byte
	bits  uint64 // pending bits, the oldest in the high end
	nBits uint   // how many of bits are pending
	quant [nQuantIndex][blockSize]byte
	// recip[q][zig] divides the coefficient at zig-zag position zig by its quantizer
	// times eight: ⌊x·recip / 2⁴⁰⌋ is ⌊x / d⌋ for every x below 2⁴⁰/d, far
	// beyond what the transform yields.
	recip [nQuantIndex][blockSize]uint64
	half  [nQuantIndex][blockSize]int32
}

// Encode writes the planes as a baseline JPEG of this quality (1 to 100,
// clipped as image/jpeg clips it), 4:2:0 subsampled.
func (p *Planes) Encode(quality int) ([]byte, error) {
	if p.W >= 1<<16 || p.H >= 1<<16 {
		return nil, errors.New("jpeg: image is too large to encode")
	}
	quality = min(100, max(1, quality))
	var e encoder
	var scale int
	if quality < 50 {
		scale = 5000 / quality
	} else {
		scale = 200 - quality*2
	}
	for i := range e.quant {
		for zig := range blockSize {
			x := (int(unscaledQuant[i][zig])*scale + 50) / 100
			x = min(255, max(1, x))
			e.quant[i][zig] = uint8(x)
			d := uint64(8 * x)
			e.recip[i][zig] = (1<<40)/d + 1
			e.half[i][zig] = int32(d >> 1)
		}
	}
	if buf, ok := bufPool.Get().(*[]byte); ok {
		e.out = (*buf)[:0]
	} else {
		e.out = make([]byte, 0, 1024+p.W*p.H/2)
	}
	e.out = append(e.out, 0xff, 0xd8)
	e.writeDQT()
	e.writeSOF0(p.W, p.H)
	e.writeDHT()
	e.writeSOS(p)
	e.out = append(e.out, 0xff, 0xd9)
	out := append([]byte(nil), e.out...)
	bufPool.Put(&e.out)
	return out, nil
}

func (e *encoder) marker(marker uint8, length int) {
	e.out = append(e.out, 0xff, marker, uint8(length>>8), uint8(length))
}

func (e *encoder) writeDQT() {
	e.marker(0xdb, 2+int(nQuantIndex)*(1+blockSize))
	for i := range e.quant {
		e.out = append(e.out, uint8(i))
		e.out = append(e.out, e.quant[i][:]...)
	}
}

func (e *encoder) writeSOF0(w, h int) {
	e.marker(0xc0, 8+3*3)
	e.out = append(e.out, 8, uint8(h>>8), uint8(h), uint8(w>>8), uint8(w), 3)
	for i := range 3 {
		e.out = append(e.out, uint8(i+1), "\x22\x11\x11"[i], "\x00\x01\x01"[i])
	}
}

func (e *encoder) writeDHT() {
	length := 2
	for _, s := range theHuffmanSpec {
		length += 1 + 16 + len(s.value)
	}
	e.marker(0xc4, length)
	for i, s := range theHuffmanSpec {
		e.out = append(e.out, "\x00\x10\x01\x11"[i])
		e.out = append(e.out, s.count[:]...)
		e.out = append(e.out, s.value...)
	}
}

// emit adds the low n bits of bits (n <= 27) to the stream, writing whole
// bytes (an 0xff followed by a stuffed 0x00) once 32 are pending.
func (e *encoder) emit(bits uint32, n uint) {
	e.nBits += n
	e.bits |= uint64(bits) << (64 - e.nBits)
	if e.nBits >= 32 {
		e.drain()
	}
}

// drain writes the pending whole bytes.
func (e *encoder) drain() {
	for e.nBits >= 8 {
		e.out = appendByte(e.out, uint8(e.bits>>56))
		e.bits <<= 8
		e.nBits -= 8
	}
}

// appendByte appends b, stuffing a 0x00 after an 0xff.
func appendByte(out []byte, b uint8) []byte {
	if b == 0xff {
		return append(out, 0xff, 0x00)
	}
	return append(out, b)
}

// flush32 writes the 32 oldest of acc's bits: four bytes at once unless
// one of them is 0xff and needs its stuffed 0x00.
func flush32(out []byte, acc uint64) []byte {
	w := uint32(acc >> 32)
	if x := ^w; (x-0x01010101)&^x&0x80808080 == 0 { // no byte of w is 0xff
		return append(out, uint8(w>>24), uint8(w>>16), uint8(w>>8), uint8(w))
	}
	for i := 24; i >= 0; i -= 8 {
		out = appendByte(out, uint8(w>>i))
	}
	return out
}

// huffRLE is the code for a run of zeros and a value, and the value's own
// bits after it, as one string of bits and its length (27 bits at most).
func huffRLE(lut *[256]uint32, runLength, value int32) (uint32, uint) {
	v := valueBits[(value+valueBias)&(2*valueBias-1)]
	nBits := v >> 16
	x := lut[uint8(runLength<<4|int32(nBits))]
	return (x&(1<<24-1))<<nBits | v&0xffff, uint(x>>24) + uint(nBits)
}

// valueBias offsets a value into valueBits: a DC difference lies in
// (−2¹¹, 2¹¹), an AC coefficient in (−2¹⁰, 2¹⁰).
const valueBias = 1 << 11

// valueBits holds, for each value v (at v+valueBias), the number of bits
// JPEG writes it in (image/jpeg's bitCount of |v|) in the high 16 bits and
// those bits in the low 16: v itself, or v−1 for a negative v, masked.
var valueBits = func() (t [2 * valueBias]uint32) {
	for i := range t {
		v := int32(i - valueBias)
		a, b := v, v
		if a < 0 {
			a, b = -v, v-1
		}
		n := uint32(bits.Len32(uint32(a)))
		t[i] = n<<16 | uint32(b)&(1<<n-1)
	}
	return t
}()

// quantize is image/jpeg's div(v, 8·quant): rounded to the nearest,
// halves away from zero; without a branch on the sign, which no predictor
// guesses.
func quantize(v, half int32, recip uint64) int32 {
	sign := v >> 31
	a := (v ^ sign) - sign
	r := int32(uint64(a+half) * recip >> 40)
	return (r ^ sign) - sign
}

func (e *encoder) writeBlock(b *block, q quantIndex, prevDC int32) int32 {
	fdct(b)
	half, recip := &e.half[q], &e.recip[q]
	// Every coefficient quantized first, in zig-zag order, with a bit set
	// for each that is not zero: the run lengths are then the gaps between
	// set bits, found without a branch per coefficient.
	// Two positions a turn, each with its own mask: two independent
	// chains of ORs rather than one.
	var zz [blockSize]int32
	var nz0, nz1 uint64
	for zig := 0; zig < blockSize; zig += 2 {
		v0 := quantize(b[unzig[zig]&(blockSize-1)], half[zig], recip[zig])
		v1 := quantize(b[unzig[zig+1]&(blockSize-1)], half[zig+1], recip[zig+1])
		zz[zig], zz[zig+1] = v0, v1
		nz0 |= uint64(uint32(v0|-v0)>>31) << zig
		nz1 |= uint64(uint32(v1|-v1)>>31) << (zig + 1)
	}
	nonzero := nz0 | nz1
	// The bit accumulator lives in locals for the block (the compiler
	// keeps them in registers; through e they would go to memory on every
	// code), each code added with the same three steps as emit.
	acc, n, out := e.bits, e.nBits, e.out
	dc := zz[0]
	code, size := huffRLE(&theHuffmanLUT[(2*q)&3], 0, dc-prevDC)
	n += size
	acc |= uint64(code) << (64 - n)
	if n >= 32 {
		out, acc, n = flush32(out, acc), acc<<32, n-32
	}
	lut := &theHuffmanLUT[(2*q+1)&3]
	next := 1 // the first zig-zag position not yet written
	for ac := nonzero &^ 1; ac != 0; ac &= ac - 1 {
		zig := bits.TrailingZeros64(ac)
		runLength := int32(zig - next)
		for runLength > 15 {
			x := lut[0xf0]
			n += uint(x >> 24)
			acc |= uint64(x&(1<<24-1)) << (64 - n)
			if n >= 32 {
				out, acc, n = flush32(out, acc), acc<<32, n-32
			}
			runLength -= 16
		}
		code, size := huffRLE(lut, runLength, zz[zig])
		n += size
		acc |= uint64(code) << (64 - n)
		if n >= 32 {
			out, acc, n = flush32(out, acc), acc<<32, n-32
		}
		next = zig + 1
	}
	if next < blockSize {
		x := lut[0x00]
		n += uint(x >> 24)
		acc |= uint64(x&(1<<24-1)) << (64 - n)
		if n >= 32 {
			out, acc, n = flush32(out, acc), acc<<32, n-32
		}
	}
	e.bits, e.nBits, e.out = acc, n, out
	return dc
}

// lumaBlock fills b with the 8×8 luma block at (x0, y0), repeating the
// last row and column past the image's edge as image/jpeg does.
func (p *Planes) lumaBlock(b *block, x0, y0 int) {
	for j := range 8 {
		row := p.Y[min(y0+j, p.H-1)*p.W:]
		if x0+8 <= p.W {
			r := row[x0 : x0+8 : x0+8]
			for i := range 8 {
				b[8*j+i] = int32(r[i])
			}
			continue
		}
		for i := range 8 {
			b[8*j+i] = int32(row[min(x0+i, p.W-1)])
		}
	}
}

// chromaBlock fills b with the 16×16 region at (x0, y0) of a chroma plane,
// each value the rounded mean of a 2×2 square (image/jpeg's scale), edges
// repeated.
func (p *Planes) chromaBlock(b *block, plane []uint8, x0, y0 int) {
	for j := range 8 {
		r0 := plane[min(y0+2*j, p.H-1)*p.W:]
		r1 := plane[min(y0+2*j+1, p.H-1)*p.W:]
		if x0+16 <= p.W {
			a, c := r0[x0:x0+16:x0+16], r1[x0:x0+16:x0+16]
			for i := range 8 {
				b[8*j+i] = (int32(a[2*i]) + int32(a[2*i+1]) + int32(c[2*i]) + int32(c[2*i+1]) + 2) >> 2
			}
			continue
		}
		for i := range 8 {
			xa, xb := min(x0+2*i, p.W-1), min(x0+2*i+1, p.W-1)
			b[8*j+i] = (int32(r0[xa]) + int32(r0[xb]) + int32(r1[xa]) + int32(r1[xb]) + 2) >> 2
		}
	}
}

// sosHeader is image/jpeg's start of scan for three components.
var sosHeader = []byte{0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00}

func (e *encoder) writeSOS(p *Planes) {
	e.out = append(e.out, sosHeader...)
	var b block
	var prevY, prevCb, prevCr int32
	for y := 0; y < p.H; y += 16 {
		for x := 0; x < p.W; x += 16 {
			for i := range 4 {
				p.lumaBlock(&b, x+(i&1)*8, y+(i&2)*4)
				prevY = e.writeBlock(&b, quantIndexLuminance, prevY)
			}
			p.chromaBlock(&b, p.Cb, x, y)
			prevCb = e.writeBlock(&b, quantIndexChrominance, prevCb)
			p.chromaBlock(&b, p.Cr, x, y)
			prevCr = e.writeBlock(&b, quantIndexChrominance, prevCr)
		}
	}
	// Pad the last byte with 1's.
	e.emit(0x7f, 7)
	e.drain()
}
