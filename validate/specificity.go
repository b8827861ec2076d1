package validate

import (
	"sort"

	"github.com/twigdata/twigdata/schema"
)

// SpecificityIndex gathers what plan specificity needs of every region as
// the samples stream by — each region's plan and evidence as sets of word
// ids, and an inverted index from evidence words to regions — so that a
// dataset of any size is measured without holding its samples and without
// comparing all pairs of regions.
type SpecificityIndex struct {
	vocab    map[string]uint32
	plans    [][]uint32 // per region, sorted
	evidence [][]uint32
	postings map[uint32][]int32 // evidence word → regions
}

// NewSpecificityIndex starts an empty index.
func NewSpecificityIndex() *SpecificityIndex {
	return &SpecificityIndex{vocab: map[string]uint32{}, postings: map[uint32][]int32{}}
}

// ids turns a word set into sorted word ids.
func (x *SpecificityIndex) ids(words map[string]bool) []uint32 {
	out := make([]uint32, 0, len(words))
	for w := range words {
		id, ok := x.vocab[w]
		if !ok {
			id = uint32(len(x.vocab))
			x.vocab[w] = id
		}
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Add indexes the regions of a sample.
func (x *SpecificityIndex) Add(s *schema.Sample) {
	for _, r := range s.Regions {
		i := int32(len(x.plans))
		ev := x.ids(contentWords(evidence(r)))
		x.plans = append(x.plans, x.ids(contentWords(r.Plan)))
		x.evidence = append(x.evidence, ev)
		for _, w := range ev {
			x.postings[w] = append(x.postings[w], i)
		}
	}
}

// Regions is the number of regions indexed.
func (x *SpecificityIndex) Regions() int { return len(x.plans) }

// jaccardIDs is the Jaccard overlap of two sorted id sets (0 for two empty ones).
func jaccardIDs(a, b []uint32) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	inter := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// Measure ranks, for each query region, every region of the dataset by how
// well its evidence matches the query's plan; a region counts as found at
// rank n when fewer than n regions match at least as well (ties count
// against it). Up to maxQueries regions are asked, chosen by seed (every
// region when there are no more): only regions sharing a word with the plan
// are compared — the others match with 0, below any plan that matches its
// own evidence at all — so the cost follows the index, not all pairs.
func (x *SpecificityIndex) Measure(maxQueries int, seed int64) (top1, top5 float64, regions, asked int) {
	n := len(x.plans)
	if n == 0 {
		return 0, 0, 0, 0
	}
	queries := make([]int, n)
	for i := range queries {
		queries[i] = i
	}
	if maxQueries > 0 && n > maxQueries {
		sort.Slice(queries, func(a, b int) bool { return tieBreak(seed, "query", queries[a]) < tieBreak(seed, "query", queries[b]) })
		queries = queries[:maxQueries]
	}
	var hit1, hit5 int
	seen := make([]int32, n) // the query that last saw each region, +1
	for qi, i := range queries {
		plan := x.plans[i]
		own := jaccardIDs(plan, x.evidence[i])
		rank := 1
		if own == 0 {
			rank = n // every other region matches at least as well
		} else {
			for _, w := range plan {
				for _, j := range x.postings[w] {
					if int(j) == i || seen[j] == int32(qi+1) {
						continue
					}
					seen[j] = int32(qi + 1)
					if jaccardIDs(plan, x.evidence[j]) >= own {
						rank++
					}
				}
			}
		}
		if rank == 1 {
			hit1++
		}
		if rank <= 5 {
			hit5++
		}
	}
	return float64(hit1) / float64(len(queries)), float64(hit5) / float64(len(queries)), n, len(queries)
}
