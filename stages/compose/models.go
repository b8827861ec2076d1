package compose

import (
	"context"
	"fmt"
	"image"

	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Segmenter is what composing needs of a segmentation model.
type Segmenter interface {
	// Segment returns one label map per image, in order.
	Segment(ctx context.Context, imgs []image.Image) ([]evidence.LabelMap, error)
	// Labels is the model's id2label.
	Labels() []string
	// Kinds says for each label whether it is a thing or stuff (unknown:
	// the critic judges from the map's shape).
	Kinds() []evidence.Kind
	// KindSource says where that split came from, for the manifest.
	KindSource() string
	// ID names the model by everything that changes its output: its files
	// and its options (name@sha256).
	ID() string
}

// Captioner is what composing needs of a captioning model.
type Captioner interface {
	// Caption returns one caption per image, in order.
	Caption(ctx context.Context, imgs []image.Image) ([]string, error)
	// ID names the model by everything that changes its output: its files
	// and its options (name@sha256).
	ID() string
	// VocabSize is the size of the tokenizer's vocabulary, for the manifest.
	VocabSize() int
}

// Grounder is what composing needs of a phrase-grounding model.
type Grounder interface {
	// Ground finds phrases[i] in imgs[i] and returns the phrases found, with
	// boxes in the image's pixels; an image with no phrases gets none.
	Ground(ctx context.Context, imgs []image.Image, phrases [][]string) ([][]evidence.Grounding, error)
	// ID names the model by everything that changes its output.
	ID() string
}

// Models are the annotators of a build; Grounder may be nil.
type Models struct {
	Segmenter Segmenter
	Captioner Captioner
	Grounder  Grounder
}

// Annotations are what the models said of one canvas.
type Annotations struct {
	Map          evidence.LabelMap
	Caption      string               // of the whole canvas
	BandCaptions []string             // of each band's crop, in band order
	Groundings   []evidence.Grounding // the prompt's phrases a grounder found; nil without a grounder, empty when it found none
}

// Annotate runs the models over a batch of canvases — one segmenter call,
// one captioner call for every canvas and each of its bands' crops, one
// grounder call for the phrases of each canvas — so a GPU sees full batches.
func (m Models) Annotate(ctx context.Context, canvases []*image.RGBA, bands [][]imageproc.Band, phrases [][]string) ([]Annotations, error) {
	imgs := make([]image.Image, len(canvases))
	var crops []image.Image
	for i, c := range canvases {
		imgs[i] = c
		crops = append(crops, c)
		for _, b := range bands[i] {
			crops = append(crops, c.SubImage(image.Rect(0, b.Y0, c.Rect.Dx(), b.Y1)))
		}
	}
	maps, err := m.Segmenter.Segment(ctx, imgs)
	if err != nil {
		return nil, fmt.Errorf("segmenter %s: %w", m.Segmenter.ID(), err)
	}
	caps, err := m.Captioner.Caption(ctx, crops)
	if err != nil {
		return nil, fmt.Errorf("captioner %s: %w", m.Captioner.ID(), err)
	}
	var found [][]evidence.Grounding
	if m.Grounder != nil {
		if found, err = m.Grounder.Ground(ctx, imgs, phrases); err != nil {
			return nil, fmt.Errorf("grounder: %w", err)
		}
	}
	out := make([]Annotations, len(canvases))
	k := 0
	for i := range canvases {
		out[i] = Annotations{Map: maps[i], Caption: caps[k], BandCaptions: caps[k+1 : k+1+len(bands[i])]}
		if found != nil {
			// Empty, not nil, when the grounder looked and found nothing:
			// the critic then knows a model did look.
			out[i].Groundings = append([]evidence.Grounding{}, found[i]...)
		}
		k += 1 + len(bands[i])
	}
	return out, nil
}

// Phrases are the prompt's entity phrases a grounder is asked to find.
func Phrases(p prompt.Parsed) []string { return evidence.Phrases(p.Entities) }
