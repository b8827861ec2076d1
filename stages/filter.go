package stages

import (
	"context"
)

// filterer applies the quality gates to composed samples.
type filterer struct {
	minSharpness float64
	minScore     int
	minAlignment float64
}

func (f *filterer) process(ctx context.Context, batch []*Item) error {
	for _, it := range batch {
		f.check(it)
	}
	return nil
}

func (f *filterer) check(it *Item) {
	r := it.Record
	if float64(r.Blur) < f.minSharpness {
		it.rejectf("filter", "filter.blur", "sharpness %.1f (variance of the Laplacian) is below --min-sharpness %.1f: the image is blurred", r.Blur, f.minSharpness)
		return
	}
	var sum int
	for _, reg := range r.Regions {
		if reg.Plan == "" {
			it.rejectf("filter", "filter.empty_plan", "region %d (%s) got an empty plan: nothing was recognised in it", reg.Index, reg.Name)
			return
		}
		sum += int(reg.Critic.Score)
	}
	if mean := float64(sum) / float64(len(r.Regions)); mean < float64(f.minScore) {
		it.rejectf("filter", "filter.low_score", "mean critic score %.1f is below --min-score %d", mean, f.minScore)
		return
	}
	if float64(r.Alignment) < f.minAlignment {
		it.rejectf("filter", "filter.alignment", "only %.0f%% of the prompt's objects were found, below --min-alignment %.2f", 100*r.Alignment, f.minAlignment)
	}
}
