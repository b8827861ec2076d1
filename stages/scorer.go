package stages

import (
	"context"
	"fmt"
	"image"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/imageproc"
)

// Scorer runs build's annotate and compose stages on one canvas, so that a
// generated image is judged by exactly the critic that judged the dataset.
type Scorer struct {
	ann   annotator
	comp  *composer
	patch int
	k     int
}

// NewScorer makes a scorer for canvases of the given schedule; ground may
// be nil (no grounder), as in the build it replays.
func NewScorer(seg Segmenter, capt Captioner, ground Grounder, patch, k, theta int) *Scorer {
	return &Scorer{
		ann:   annotator{seg: seg, cap: capt, ground: ground},
		comp:  newComposer(seg, capt, theta, patch, 90, "validate"),
		patch: patch, k: k,
	}
}

// Score annotates and critiques canvas as the record of key with prompt.
func (s *Scorer) Score(ctx context.Context, key, prompt string, canvas *image.RGBA) (*schema.Sample, error) {
	it := &Item{Bands: imageproc.Bands(canvas.Rect.Dy(), s.patch, s.k)}
	it.Key, it.Prompt = key, prompt
	it.Decoded = imageproc.Decoded{Format: "generated", Canvas: canvas}
	if err := s.ann.annotate(ctx, []*Item{it}); err != nil {
		return nil, err
	}
	if err := s.comp.compose(ctx, it); err != nil {
		return nil, err
	}
	if it.Record == nil {
		return nil, fmt.Errorf("no record for %s", key)
	}
	return it.Record, nil
}
