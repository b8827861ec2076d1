// Package compose turns a prompt, a canvas and what the models said of it
// into the sample record: for each band the evidence the critic measures,
// the plan's thought, the critique, the revision and the objects found.
// The build, validate's replay and the held-apart evaluation all call
// Compose, so what is measured is the code that ships.
package compose

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/imageproc/jpegenc"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Composer writes records for one build: its schedule, threshold and models.
type Composer struct {
	Theta       int // reflection threshold: a region scoring below it is reflected
	Patch       int // pixels per token side
	JPEGQuality int // of the record's canvas image
	ToolVersion string
	SegmenterID string
	CaptionerID string
	Labels      []string        // the segmenter's id2label
	Kinds       []evidence.Kind // thing or stuff for each label
	Templates   plan.Templates
}

// New is the composer of a build with these models.
func New(seg Segmenter, capt Captioner, theta, patch, jpegQuality int, toolVersion string) *Composer {
	return &Composer{Theta: theta, Patch: patch, JPEGQuality: jpegQuality, ToolVersion: toolVersion, SegmenterID: seg.ID(),
		CaptionerID: capt.ID(), Labels: seg.Labels(), Kinds: seg.Kinds(), Templates: plan.DefaultTemplates()}
}

// Input is one sample as the earlier stages leave it.
type Input struct {
	Key, SourceURI string
	Prompt         string
	Parsed         prompt.Parsed // prompt.Parse(Prompt), parsed once per sample
	Decoded        imageproc.Decoded
	Bands          []imageproc.Band
}

// Compose writes the record of one sample: Regions, then the quality
// measures and the canvas image.
func (c *Composer) Compose(in Input, ann Annotations) (*schema.Sample, error) {
	canvas := in.Decoded.Canvas
	regions, scene := c.Regions(canvas, in.Parsed, in.Bands, ann)
	W, H := canvas.Rect.Dx(), canvas.Rect.Dy()
	// One colour conversion serves the quality measures (its luma) and the
	// canvas's JPEG encoding.
	planes := jpegenc.FromRGBA(canvas)
	blur, phash := imageproc.LumaQuality(planes.Y, planes.W, planes.H)
	rec := &schema.Sample{
		ID: SampleID(in.Key), Key: schema.EscapeKey(in.Key), SourceURI: schema.EscapeKey(in.SourceURI), Prompt: in.Prompt,
		Entities: in.Parsed.Entities, Relations: in.Parsed.Relations,
		OrigWidth: int32(in.Decoded.Width), OrigHeight: int32(in.Decoded.Height), OrigFormat: in.Decoded.Format, OrigSHA256: in.Decoded.SHA256,
		CanvasWidth: int32(W), CanvasHeight: int32(H), PatchSize: int32(c.Patch),
		GridRows: int32(H / c.Patch), GridCols: int32(W / c.Patch),
		Caption: strings.ToValidUTF8(ann.Caption, "\uFFFD"), Blur: float32(blur), PHash: phash, Blockiness: float32(in.Decoded.Blockiness),
		Alignment: float32(scene.Alignment()), Segmenter: c.SegmenterID, Captioner: c.CaptionerID, ToolVersion: c.ToolVersion,
		Regions: regions,
	}
	rec.UnverifiedEntities = append([]string{}, scene.Unverified()...)
	for _, a := range in.Parsed.Absent {
		// What the prompt says must not be there is never asked for; its
		// absence is not judged: said unverified, as "no <noun>".
		rec.UnverifiedEntities = append(rec.UnverifiedEntities, "no "+a.Noun)
	}
	if rec.Entities == nil {
		rec.Entities = []schema.Entity{}
	}
	if rec.Relations == nil {
		rec.Relations = []schema.Relation{}
	}
	img, err := planes.Encode(c.JPEGQuality)
	planes.Release()
	if err != nil {
		return nil, fmt.Errorf("encode canvas: %w", err)
	}
	rec.Image = schema.Image{Bytes: img, Path: rec.Key + ".jpg"}
	return rec, nil
}

// Regions writes each band's region of the record: the plan written from
// the band's evidence and caption, the critique of that plan, the revision
// when the score is below Theta, and the objects found. It returns the
// scene it measured, for the sample-wide figures.
func (c *Composer) Regions(canvas *image.RGBA, parsed prompt.Parsed, bands []imageproc.Band, ann Annotations) ([]schema.Region, *evidence.Scene) {
	scene := evidence.NewScene(canvas, ann.Map, c.Labels, c.Kinds, parsed, bands, ann.Groundings)
	wording := plan.NewWording(scene, parsed.Entities)
	sx, sy := scene.Scale()
	regions := make([]schema.Region, 0, len(bands))
	for k, b := range bands {
		caption := ""
		if k < len(ann.BandCaptions) {
			caption = ann.BandCaptions[k]
		}
		ev := scene.Band(k)           // what the critic measured
		worded := wording.Band(k, ev) // how the plan words it
		written := plan.Write(worded, caption, parsed.Entities)
		thought := written.Text
		score, fixes := critic.Score(scene, k, ev, written.Names)
		reg := schema.Region{
			Index: int32(b.Index), Name: b.Name, TokenRowStart: int32(b.TokenRowStart), TokenRowEnd: int32(b.TokenRowEnd),
			Y0: int32(b.Y0), Y1: int32(b.Y1), Caption: strings.ToValidUTF8(caption, "\uFFFD"), Plan: thought, Critic: score,
			RevisedPlan: thought, Objects: []schema.Object{},
		}
		if int(score.Score) < c.Theta {
			reg.Reflected = true
			reg.RevisedPlan = c.Templates.Revise(thought, fixes)
		}
		for _, s := range worded.Segments {
			o := object(s, parsed.Entities, sx, sy)
			o.Mask = scene.Mask(s)
			reg.Objects = append(reg.Objects, o)
		}
		regions = append(regions, reg)
	}
	return regions, scene
}

// object is the record of one segment; sx, sy scale map cells to pixels.
func object(s *evidence.Segment, ents []schema.Entity, sx, sy float64) schema.Object {
	label := s.Noun
	if s.Entity >= 0 {
		label = ents[s.Entity].Noun
	} else if n, generic := evidence.GenericNoun(s.Noun); !generic {
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

// SampleID is the stable id of an input key: the first 128 bits of sha256
// of "twigdata/sample", a zero byte and the key.
func SampleID(key string) string {
	h := sha256.Sum256([]byte("twigdata/sample\x00" + key))
	return hex.EncodeToString(h[:16])
}
