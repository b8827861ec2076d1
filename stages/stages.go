package stages

import (
	"context"
	"image"
	"runtime"

	"golang.org/x/sync/semaphore"

	"github.com/twigdata/twigdata/pipeline"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
	"github.com/twigdata/twigdata/stages/source"
)

// Stages returns the build's stages in order, each with its worker count and
// batch size; the benchmark also runs them one at a time.
func Stages(c Config) []pipeline.Stage[*Item] {
	f := fetcher{c.source()}
	d := decoder{d: imageproc.Decoder{MaxPixels: c.Source.MaxPixels, Width: c.Canvas.Width, Height: c.Canvas.Height, MinSide: c.Filter.MinSide},
		budget: semaphore.NewWeighted(int64(c.Workers.DecodeMB) << 20), max: int64(c.Workers.DecodeMB) << 20}
	s := scheduler{imageproc.Bands(c.Canvas.Height, c.Canvas.Patch, c.Canvas.K)}
	a := annotator{compose.Models{Segmenter: c.Models.Segmenter, Captioner: c.Models.Captioner, Grounder: c.Models.Grounder}}
	co := composer{compose.New(c.Models.Segmenter, c.Models.Captioner, c.Canvas.Theta, c.Canvas.Patch, c.Canvas.JPEGQuality, c.Output.ToolVersion)}
	fl := filterer{gate: imageproc.Gate{MaxBlur: c.Filter.MaxBlur, MaxBlockiness: c.Filter.MaxBlockiness}, minScore: c.Filter.MinScore, minAlignment: c.Filter.MinAlignment}
	return []pipeline.Stage[*Item]{
		{Name: "fetch", Workers: c.Workers.Fetch, Process: each(f.fetch)},
		{Name: "decode", Workers: c.Workers.Decode, Process: each(d.decode)},
		{Name: "schedule", Workers: 1, Process: each(s.schedule)},
		{Name: "annotate", Workers: c.Workers.Annotate, Batch: c.Workers.BatchSize, MaxWait: c.Workers.BatchWait, Process: a.annotate},
		{Name: "compose", Workers: c.Workers.Compose, Process: each(co.compose)},
		{Name: "filter", Workers: 1, Process: each(fl.filter)},
	}
}

// each makes a per-item step a pipeline process function.
func each(step func(ctx context.Context, it *Item) error) func(context.Context, []*Item) error {
	return func(ctx context.Context, batch []*Item) error {
		for _, it := range batch {
			if err := step(ctx, it); err != nil {
				return err
			}
		}
		return nil
	}
}

// Inputs emits the configured inputs as items; the format must be set.
func Inputs(c Config) func(context.Context, func(*Item) error) error {
	src := c.source()
	return func(ctx context.Context, emit func(*Item) error) error {
		return src.Each(ctx, func(in *source.Input) error { return emit(&Item{Input: *in}) })
	}
}

// fetcher reads each input's bytes.
type fetcher struct{ src source.Config }

func (f fetcher) fetch(ctx context.Context, it *Item) error { return f.src.Fetch(ctx, &it.Input) }

// decoder turns the bytes into the canvas, with at most max bytes of
// decoded originals in flight across its workers: a 6000×6000 16-bit PNG
// of 450 KB decodes to 288 MB, so memory follows pixels, not files.
type decoder struct {
	d      imageproc.Decoder
	budget *semaphore.Weighted
	max    int64
}

// bigDecode is the decoded size past which the memory is handed back to
// the collector before the next original takes the budget.
const bigDecode = 32 << 20

func (d decoder) decode(ctx context.Context, it *Item) error {
	need := min(imageproc.Footprint(it.Image), d.max) // one larger than the budget decodes alone
	if err := d.budget.Acquire(ctx, need); err != nil {
		return err
	}
	dec, rej := d.d.Decode(it.Image, it.ImageKey)
	if need > bigDecode {
		runtime.GC() // the original is garbage now: reuse its memory, not more
	}
	d.budget.Release(need)
	if rej != nil {
		it.reject(rej)
		return nil
	}
	it.Decoded, it.Image = dec, nil // the canvas replaces the bytes from here on
	return nil
}

// scheduler assigns the K bands; every canvas has the same schedule.
type scheduler struct{ bands []imageproc.Band }

func (s scheduler) schedule(_ context.Context, it *Item) error {
	it.Bands = s.bands
	return nil
}

// annotator parses each sample's prompt and runs the models over a batch:
// one call of each model per batch of samples, so a GPU sees full batches.
type annotator struct{ models compose.Models }

func (a annotator) annotate(ctx context.Context, batch []*Item) error {
	canvases := make([]*image.RGBA, len(batch))
	bands := make([][]imageproc.Band, len(batch))
	var phrases [][]string
	for i, it := range batch {
		it.Parsed = prompt.Parse(it.Prompt)
		canvases[i], bands[i] = it.Decoded.Canvas, it.Bands
		if a.models.Grounder != nil {
			phrases = append(phrases, compose.Phrases(it.Parsed))
		}
	}
	anns, err := a.models.Annotate(ctx, canvases, bands, phrases)
	if err != nil {
		return err
	}
	for i, it := range batch {
		it.Annotations = anns[i]
	}
	return nil
}

// composer writes each sample's record.
type composer struct{ c *compose.Composer }

func (c composer) compose(_ context.Context, it *Item) error {
	rec, err := c.c.Compose(compose.Input{Key: it.Key, SourceURI: it.SourceURI, Prompt: it.Prompt, Parsed: it.Parsed,
		Decoded: it.Decoded, Bands: it.Bands}, it.Annotations)
	if err != nil {
		return err
	}
	it.Record, it.Decoded.Canvas, it.Annotations = rec, nil, compose.Annotations{}
	return nil
}

// filterer applies the quality gates to composed samples.
type filterer struct {
	gate         imageproc.Gate
	minScore     int
	minAlignment float64
}

func (f filterer) filter(_ context.Context, it *Item) error {
	r := it.Record
	if rej := f.gate.Check(float64(r.Blur), float64(r.Blockiness)); rej != nil {
		it.reject(rej)
		return nil
	}
	var sum int
	for _, reg := range r.Regions {
		if reg.Plan == "" {
			it.reject(schema.Rejectf(schema.ReasonEmptyPlan, "region %d (%s) got an empty plan: nothing was recognised in it", reg.Index, reg.Name))
			return nil
		}
		sum += int(reg.Critic.Score)
	}
	if mean := float64(sum) / float64(len(r.Regions)); mean < float64(f.minScore) {
		it.reject(schema.Rejectf(schema.ReasonLowScore, "mean critic score %.1f is below min-score %d", mean, f.minScore))
		return nil
	}
	if float64(r.Alignment) < f.minAlignment {
		it.reject(schema.Rejectf(schema.ReasonAlignment, "only %.0f%% of the prompt's objects were found, below min-alignment %.2f", 100*r.Alignment, f.minAlignment))
	}
	return nil
}
