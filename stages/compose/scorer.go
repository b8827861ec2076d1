package compose

import (
	"context"
	"image"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Scorer annotates and composes one canvas at a time, so that a generated
// image is judged by exactly the models and critic that judged the dataset.
type Scorer struct {
	models   Models
	composer *Composer
	patch, k int
}

// NewScorer makes a scorer for canvases of the given schedule; m.Grounder
// may be nil (no grounder), as in the build it replays.
func NewScorer(m Models, patch, k, theta int) *Scorer {
	return &Scorer{models: m, composer: New(m.Segmenter, m.Captioner, theta, patch, 90, "validate"), patch: patch, k: k}
}

// Score annotates and critiques canvas as the record of key with prompt.
func (s *Scorer) Score(ctx context.Context, key, promptText string, canvas *image.RGBA) (*schema.Sample, error) {
	parsed := prompt.Parse(promptText)
	bands := imageproc.Bands(canvas.Rect.Dy(), s.patch, s.k)
	var phrases [][]string
	if s.models.Grounder != nil {
		phrases = [][]string{Phrases(parsed)}
	}
	ann, err := s.models.Annotate(ctx, []*image.RGBA{canvas}, [][]imageproc.Band{bands}, phrases)
	if err != nil {
		return nil, err
	}
	in := Input{Key: key, Prompt: promptText, Parsed: parsed, Bands: bands, Decoded: imageproc.Decoded{Format: "generated", Canvas: canvas}}
	return s.composer.Compose(in, ann[0])
}
