package segmap

import (
	"math/rand"
	"testing"
)

// BenchmarkPanoptic384 post-processes one image of a Mask2Former-sized
// output (100 queries, 20 above the threshold, 96×96 masks) at 384×384.
func BenchmarkPanoptic384(b *testing.B) {
	const Q, C, H, W = 100, 133, 96, 96
	r := rand.New(rand.NewSource(1))
	classes := make([]float32, Q*(C+1))
	masks := make([]float32, Q*H*W)
	for q := 0; q < Q; q++ {
		for c := 0; c <= C; c++ {
			classes[q*(C+1)+c] = float32(r.NormFloat64())
		}
		if q%5 == 0 {
			classes[q*(C+1)+r.Intn(C)] += 12
		}
	}
	for i := range masks {
		masks[i] = float32(r.NormFloat64() * 4)
	}
	o := DefaultPanoptic()
	o.Upsample = 384
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Panoptic(classes, masks, Q, C, H, W, nil, o)
	}
}
