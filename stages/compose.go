package stages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"strings"

	"github.com/twigdata/twigdata/annotators/segmap"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/stages/prompt"
)

// composer assembles the sample record: the critic's evidence and scores for
// each band, the plan's thought and revision, the objects found, the canvas.
type composer struct {
	theta       int
	patch       int
	segmenterID string
	captionerID string
	labels      []string
	kinds       []segmap.Kind
	toolVersion string
	jpegQuality int
	templates   plan.Templates
}

func newComposer(seg Segmenter, capt Captioner, theta, patch, jpegQuality int, toolVersion string) *composer {
	return &composer{theta: theta, patch: patch, segmenterID: seg.ID(), captionerID: capt.ID(), labels: seg.Labels(), kinds: seg.Kinds(),
		toolVersion: toolVersion, jpegQuality: jpegQuality, templates: plan.DefaultTemplates()}
}

func (c *composer) compose(_ context.Context, it *Item) error {
	canvas := it.Decoded.Canvas
	parsed := prompt.Parse(it.Prompt)
	scene := critic.NewScene(canvas, it.Seg, c.labels, c.kinds, parsed, it.Bands, it.Groundings)
	W, H := canvas.Rect.Dx(), canvas.Rect.Dy()
	blur, phash := imageproc.Quality(canvas)
	rec := &schema.Sample{
		ID: sampleID(it.Key), Key: schema.EscapeKey(it.Key), SourceURI: schema.EscapeKey(it.SourceURI), Prompt: it.Prompt,
		Entities: parsed.Entities, Relations: parsed.Relations,
		OrigWidth: int32(it.Decoded.Width), OrigHeight: int32(it.Decoded.Height), OrigFormat: it.Decoded.Format, OrigSHA256: it.Decoded.SHA256,
		CanvasWidth: int32(W), CanvasHeight: int32(H), PatchSize: int32(c.patch),
		GridRows: int32(H / c.patch), GridCols: int32(W / c.patch),
		Caption: strings.ToValidUTF8(it.Caption, "\uFFFD"), Blur: float32(blur), PHash: phash, Blockiness: float32(it.Decoded.Blockiness),
		Alignment: float32(scene.Alignment()), Segmenter: c.segmenterID, Captioner: c.captionerID, ToolVersion: c.toolVersion,
	}
	rec.UnverifiedEntities = append([]string{}, scene.Unverified()...)
	if rec.Entities == nil {
		rec.Entities = []schema.Entity{}
	}
	if rec.Relations == nil {
		rec.Relations = []schema.Relation{}
	}
	sx, sy := scene.Scale()
	for k, b := range it.Bands {
		ev := scene.Band(k)
		thought := plan.Write(ev, it.BandCaptions[k], parsed.Entities)
		score, fixes := scene.Score(k, ev, thought)
		reg := schema.Region{
			Index: int32(b.Index), Name: b.Name, TokenRowStart: int32(b.TokenRowStart), TokenRowEnd: int32(b.TokenRowEnd),
			Y0: int32(b.Y0), Y1: int32(b.Y1), Caption: strings.ToValidUTF8(it.BandCaptions[k], "\uFFFD"), Plan: thought, Critic: score,
			RevisedPlan: thought, Objects: []schema.Object{},
		}
		if int(score.Score) < c.theta {
			reg.Reflected = true
			reg.RevisedPlan = c.templates.Revise(thought, fixes)
		}
		for _, s := range ev.Segments {
			o := object(s, parsed.Entities, sx, sy)
			o.Mask = scene.Mask(s)
			reg.Objects = append(reg.Objects, o)
		}
		rec.Regions = append(rec.Regions, reg)
	}
	img, err := encodeJPEG(canvas, c.jpegQuality)
	if err != nil {
		return fmt.Errorf("encode canvas: %w", err)
	}
	rec.Image = schema.Image{Bytes: img, Path: rec.Key + ".jpg"}
	it.Record = rec
	it.Decoded.Canvas = nil
	return nil
}

// object is the record of one segment; sx, sy scale map cells to pixels.
func object(s *critic.Segment, ents []schema.Entity, sx, sy float64) schema.Object {
	label := s.Noun
	if s.Entity >= 0 {
		label = ents[s.Entity].Noun
	} else if n, generic := critic.GenericNoun(s.Noun); !generic {
		label = n
	}
	kind := "thing"
	if s.Stuff {
		kind = "stuff"
	}
	o := schema.Object{
		Label: label, Class: s.Noun, Kind: kind, Score: float32(s.Conf), PixelFraction: float32(s.Fraction), Color: s.Color,
		BBox:   schema.BBox{X0: int32(float64(s.X0) * sx), Y0: int32(float64(s.Y0) * sy), X1: int32(float64(s.X1) * sx), Y1: int32(float64(s.Y1) * sy)},
		Source: schema.SourceSegmenter,
	}
	if s.Stuff && s.Colors != "" {
		o.Color = s.Colors // scenery by the shade its plan gives it ("pale blue")
	}
	if s.Grounded {
		o.Class, o.Source = "", schema.SourceGrounder
	}
	return o
}

// sampleID is the stable id of an input key.
func sampleID(key string) string {
	h := sha256.Sum256([]byte("twigdata/sample\x00" + key))
	return hex.EncodeToString(h[:16])
}

func encodeJPEG(img *image.RGBA, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
