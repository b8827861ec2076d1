package validate

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/twigdata/twigdata/schema"
)

// similarity is the Jaccard overlap of two texts' content words.
func similarity(a, b string) float64 { return jaccard(contentWords(a), contentWords(b)) }

// bruteSpecificity is the all-pairs ranking the index must reproduce.
func bruteSpecificity(samples []*schema.Sample) (top1, top5 float64) {
	type reg struct{ plan, ev string }
	var regs []reg
	for _, s := range samples {
		for _, r := range s.Regions {
			regs = append(regs, reg{r.Plan, evidence(r)})
		}
	}
	var hit1, hit5 int
	for i, q := range regs {
		own := similarity(q.plan, q.ev)
		rank := 1
		for j, o := range regs {
			if j != i && similarity(q.plan, o.ev) >= own {
				rank++
			}
		}
		if rank == 1 {
			hit1++
		}
		if rank <= 5 {
			hit5++
		}
	}
	return float64(hit1) / float64(len(regs)), float64(hit5) / float64(len(regs))
}

// TestSpecificityIndexMatchesAllPairs: with every plan asked, the index gives
// the all-pairs figures exactly, plans matching nothing included; asked on a
// bounded sample of plans it stays near them.
func TestSpecificityIndexMatchesAllPairs(t *testing.T) {
	colors := []string{"red", "blue", "green", "yellow", "purple", "white"}
	nouns := []string{"ball", "box", "cone", "sky", "sand", "grass", "bench", "kite"}
	rng := rand.New(rand.NewPCG(3, 4))
	word := func() string { return colors[rng.IntN(len(colors))] + " " + nouns[rng.IntN(len(nouns))] }
	var samples []*schema.Sample
	idx := NewSpecificityIndex()
	for i := 0; i < 100; i++ {
		s := &schema.Sample{ID: fmt.Sprint(i)}
		for k := 0; k < 3; k++ {
			r := schema.Region{Index: int32(k), Plan: fmt.Sprintf("A %s and a %s appear.", word(), word()), Caption: word()}
			if rng.IntN(10) == 0 {
				r.Plan = "Nothing nameable." // matches no evidence
			}
			r.Objects = []schema.Object{{Color: colors[rng.IntN(len(colors))], Label: nouns[rng.IntN(len(nouns))]}}
			s.Regions = append(s.Regions, r)
		}
		samples = append(samples, s)
		idx.Add(s)
	}
	want1, want5 := bruteSpecificity(samples)
	got1, got5, n, asked := idx.Measure(0, 1)
	if got1 != want1 || got5 != want5 || n != 300 || asked != 300 {
		t.Errorf("index: top-1 %.4f top-5 %.4f over %d of %d; all pairs: %.4f %.4f", got1, got5, asked, n, want1, want5)
	}
	s1, s5, _, asked := idx.Measure(150, 1)
	if asked != 150 || s1 < want1-0.1 || s1 > want1+0.1 || s5 < want5-0.1 || s5 > want5+0.1 {
		t.Errorf("150 of 300 plans asked: top-1 %.3f top-5 %.3f, all: %.3f %.3f", s1, s5, want1, want5)
	}
}

func TestChoiceIsBoundedAndStable(t *testing.T) {
	var ids []string
	for i := 0; i < 50; i++ {
		ids = append(ids, fmt.Sprint("id", i))
	}
	if got := BankChoice(ids, 1, 100); len(got) != 50 {
		t.Errorf("bank of all 50 under a bound of 100: %d", len(got))
	}
	a, b := BankChoice(ids, 1, 10), BankChoice(append([]string(nil), ids[25:]...), 1, 10)
	if len(a) != 10 || len(b) != 10 {
		t.Fatalf("bank sizes %d, %d", len(a), len(b))
	}
	if c := Choose(ids, 1, 16); len(c) != 16 || fmt.Sprint(c) != fmt.Sprint(Choose(ids, 1, 16)) {
		t.Errorf("choice of 16: %v", c)
	}
}
