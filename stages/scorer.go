package stages

import (
	"context"
	"fmt"
	"image"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/schema"
)

// Scorer runs build's annotate and compose stages on one canvas, so that a
// generated image is judged by exactly the critic that judged the dataset.
type Scorer struct {
	ann   *annotator
	comp  *composer
	patch int
	k     int
}

// NewScorer makes a scorer for canvases of the given schedule.
func NewScorer(seg *annotators.Segmenter, capt *annotators.Captioner, patch, k, theta int) *Scorer {
	return &Scorer{
		ann: &annotator{seg: seg, cap: capt},
		comp: &composer{theta: theta, patch: patch, segmenterID: seg.ID(), captionerID: capt.ID(),
			labels: seg.Labels(), toolVersion: "validate", jpegQuality: 90},
		patch: patch, k: k,
	}
}

// Score annotates and critiques canvas as the record of key with prompt.
func (s *Scorer) Score(ctx context.Context, key, prompt string, canvas *image.RGBA) (*schema.Sample, error) {
	it := &Item{Key: key, Prompt: prompt, Canvas: canvas, Bands: Bands(canvas.Rect.Dy(), s.patch, s.k), Format: "generated"}
	if err := s.ann.process(ctx, []*Item{it}); err != nil {
		return nil, err
	}
	if err := s.comp.compose(it); err != nil {
		return nil, err
	}
	if it.Record == nil {
		return nil, fmt.Errorf("no record for %s", key)
	}
	return it.Record, nil
}
