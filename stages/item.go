// Package stages wires a build: Config and its defaults, the pipeline's
// stages over the packages that do the work — source (list and fetch),
// imageproc (decode and schedule), the annotators behind Segmenter and
// Captioner, critic and plan (compose), the quality filter — and write, the
// sink. Run builds a dataset; nothing here knows how a stage does its work.
package stages

import (
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
	"github.com/twigdata/twigdata/stages/source"
)

// Item is one input as it moves through the stages; each stage fills in its
// part, or sets Reject and the item skips to the writer.
type Item struct {
	source.Input

	Decoded     imageproc.Decoded // the canvas and what is known of the original
	Bands       []imageproc.Band
	Parsed      prompt.Parsed       // the prompt, parsed once, by the annotate stage
	Annotations compose.Annotations // what the models said of the canvas
	Record      *schema.Sample
}

// Rejected reports whether the item skips the remaining stages.
func (it *Item) Rejected() bool { return it.Reject != nil }

// reject marks the item rejected and drops what it holds.
func (it *Item) reject(r *schema.Rejection) {
	it.Reject = schema.NewReject(it.Key, it.SourceURI, r.Reason, r.Detail)
	it.Image, it.Decoded.Canvas, it.Record = nil, nil, nil
}

// rejected is Item.Rejected as a function, for the pipeline.
func rejected(it *Item) bool { return it.Rejected() }
