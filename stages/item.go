// Package stages implements twigdata's concrete pipeline stages — source,
// fetch, decode, schedule, annotate, compose, filter and write — over the
// generic runner in package pipeline.
package stages

import (
	"fmt"
	"image"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Item is one input pair as it moves through the stages; each stage fills in
// its part, or sets Reject and the item skips to the writer.
type Item struct {
	Key       string // the input's stem, relative to the input root
	SourceURI string
	ImageKey  string
	PromptKey string

	Prompt   string
	RawImage []byte

	promptReady bool           // the source gave the prompt inline (manifest, tar)
	imageReady  bool           // the source gave the image bytes (tar)
	imageBucket storage.Bucket // where ImageKey lives when not the input bucket (s3:// references)

	Format       string
	OrigW, OrigH int
	SHA256       string
	Canvas       *image.RGBA

	Bands []Band

	Seg          annotators.SegMap
	Caption      string
	BandCaptions []string

	Parsed ParsedPrompt
	Record *schema.Sample
	Reject *schema.Reject
}

// Band is one region of the static TwiG schedule.
type Band struct {
	Index                      int
	Name                       string
	TokenRowStart, TokenRowEnd int
	Y0, Y1                     int
}

// rejectf marks the item rejected by stage with a stable reason code.
func (it *Item) rejectf(stage, reason, format string, args ...any) {
	it.Reject = &schema.Reject{
		Key: it.Key, SourceURI: it.SourceURI, Stage: stage, Reason: reason,
		Detail: fmt.Sprintf(format, args...),
	}
	it.RawImage, it.Canvas, it.Record = nil, nil, nil
}

// done reports whether the item skips the remaining stages.
func done(it *Item) bool { return it.Reject != nil }
