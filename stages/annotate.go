package stages

import (
	"context"
	"fmt"
	"image"

	"github.com/twigdata/twigdata/annotators"
)

// segmenter is what the annotate stage needs of a segmentation model.
type segmenter interface {
	Segment(ctx context.Context, imgs []image.Image) ([]annotators.SegMap, error)
	Labels() []string
	ID() string
}

// captioner is what the annotate stage needs of a captioning model.
type captioner interface {
	Caption(ctx context.Context, imgs []image.Image) ([]string, error)
	ID() string
}

// annotator segments every canvas and captions every canvas and each of its
// bands, one model call per batch of samples so a GPU sees full batches.
type annotator struct {
	seg segmenter
	cap captioner
}

func (a *annotator) process(ctx context.Context, batch []*Item) error {
	canvases := make([]image.Image, len(batch))
	var crops []image.Image
	for i, it := range batch {
		canvases[i] = it.Canvas
		crops = append(crops, it.Canvas)
		for _, b := range it.Bands {
			crops = append(crops, it.Canvas.SubImage(image.Rect(0, b.Y0, it.Canvas.Rect.Dx(), b.Y1)))
		}
	}
	maps, err := a.seg.Segment(ctx, canvases)
	if err != nil {
		return fmt.Errorf("segmenter %s: %w", a.seg.ID(), err)
	}
	caps, err := a.cap.Caption(ctx, crops)
	if err != nil {
		return fmt.Errorf("captioner %s: %w", a.cap.ID(), err)
	}
	k := 0
	for i, it := range batch {
		it.Seg = maps[i]
		it.Caption = caps[k]
		it.BandCaptions = caps[k+1 : k+1+len(it.Bands)]
		k += 1 + len(it.Bands)
	}
	return nil
}
