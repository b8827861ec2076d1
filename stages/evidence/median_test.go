package evidence

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMedianIsTheSortedMiddle: the quickselect gives what sorting gives, on
// random values, runs of equal ones and sorted ones.
func TestMedianIsTheSortedMiddle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 60; n++ {
		for _, gen := range []struct {
			name string
			f    func(i int) float64
		}{
			{"random", func(int) float64 { return r.Float64() }},
			{"few values", func(int) float64 { return float64(r.IntN(3)) }},
			{"sorted", func(i int) float64 { return float64(i) }},
			{"reversed", func(i int) float64 { return float64(-i) }},
		} {
			v := make([]float64, n)
			for i := range v {
				v[i] = gen.f(i)
			}
			sorted := slices.Clone(v)
			slices.Sort(sorted)
			if got, want := median(v), sorted[n/2]; got != want {
				t.Errorf("%s, %d values: median %v, want %v", gen.name, n, got, want)
			}
		}
	}
}
