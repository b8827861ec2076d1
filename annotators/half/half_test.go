package half

import "testing"

func TestHalfPrecisionConversion(t *testing.T) {
	for _, tc := range []struct {
		f float32
		h uint16
	}{{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {0.5, 0x3800}, {6.103515625e-05, 0x0400}, {5.960464477539063e-08, 0x0001}, {1e-9, 0}, {1e6, 0x7c00}} {
		if got := FromFloat32(tc.f); got != tc.h {
			t.Errorf("FromFloat32(%g) = %#04x, want %#04x", tc.f, got, tc.h)
		}
	}
	for h := 0; h < 0x10000; h++ {
		if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
			continue // NaN
		}
		if back := FromFloat32(ToFloat32(uint16(h))); back != uint16(h) {
			t.Fatalf("%#04x → %g → %#04x", h, ToFloat32(uint16(h)), back)
		}
	}
}
