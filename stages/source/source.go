// Package source lists the inputs of a build — pairs by stem, a JSONL, CSV or
// Parquet manifest, WebDataset tar shards — and fetches each input's bytes
// with size limits. An input that cannot be used becomes a reject with a
// registered reason, never an error; errors are infrastructure failures.
package source

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Input is one prompt/image pair as a source lists it and Fetch reads it.
type Input struct {
	Key       string // names the input, unique within the input location
	SourceURI string // where it came from, for people
	ImageKey  string
	PromptKey string

	Prompt string
	Image  []byte // the image file's bytes, once fetched

	// Reject is set when the input cannot be used; it then skips to the writer.
	Reject *schema.Reject

	promptReady bool           // the source gave the prompt inline (manifest, tar)
	imageReady  bool           // the source gave the image bytes (tar)
	imageBucket storage.Reader // where ImageKey lives when not the input (s3:// references)
	imageSize   int64          // the image's size from the listing; 0 when unknown
}

// reject marks the input rejected with a registered reason and drops its bytes.
func (in *Input) reject(reason schema.Reason, format string, args ...any) {
	in.rejectWith(schema.Rejectf(reason, format, args...))
}

func (in *Input) rejectWith(r *schema.Rejection) {
	in.Reject = schema.NewReject(in.Key, in.SourceURI, r.Reason, r.Detail)
	in.Image = nil
}

// Input formats.
const (
	FormatPairs      = "pairs"
	FormatManifest   = "manifest"
	FormatWebDataset = "webdataset"
)

// Formats lists the input formats --in-format takes.
func Formats() []string { return []string{FormatPairs, FormatManifest, FormatWebDataset} }

// Manifest columns default to these names.
const (
	DefaultPromptColumn = "prompt"
	DefaultImageColumn  = "image"
)

// Config says where the inputs are and how they are read.
type Config struct {
	In storage.Reader
	// Key is a manifest or tar shard inside In; "" reads In as a prefix.
	Key string
	// Format is one of Formats; Detect names it when the user did not.
	Format                               string
	PromptColumn, ImageColumn, KeyColumn string // manifest columns
	PromptField                          string // the prompt's field in <stem>.json files
	MaxManifestBytes                     int64
	MaxShardBytes                        int64 // a WebDataset shard is read whole
	MaxImageBytes                        int64
	MaxPromptBytes                       int64
	// OpenRef resolves an s3:// image reference of a manifest; nil refuses them.
	OpenRef func(ctx context.Context, uri string) (storage.Reader, string, error)
	// OnIgnored, when set, is told about listed objects that are neither
	// images nor prompts.
	OnIgnored func(key string)
}

// imageExts are the image extensions a pair may use, lower-cased: those
// decoded, and those of formats that are not (AVIF, HEIC, TIFF, BMP, GIF,
// JPEG XL), which pair with their prompt so that the decoder rejects them
// naming the format, rather than leave the prompt "with no image".
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".webp": true,
	".avif": true, ".heic": true, ".heif": true, ".tif": true, ".tiff": true, ".bmp": true, ".gif": true, ".jxl": true}

// promptExts are the prompt file extensions.
var promptExts = map[string]bool{".txt": true, ".json": true}

// Detect names the input format: by the extension of key when the input is
// one file, else by the first image or tar shard in the listing.
func Detect(ctx context.Context, in storage.Reader, key string) (string, error) {
	if key != "" {
		switch strings.ToLower(path.Ext(key)) {
		case ".tar":
			return FormatWebDataset, nil
		case ".jsonl", ".ndjson", ".json", ".csv", ".parquet":
			return FormatManifest, nil
		}
		return "", fmt.Errorf("%s: a single input file must be a manifest (.jsonl, .csv, .parquet) or a WebDataset shard (.tar)", in.URI(key))
	}
	format := FormatPairs
	stop := errors.New("found")
	err := in.List(ctx, "", func(o storage.Object) error {
		ext := strings.ToLower(path.Ext(o.Key))
		switch {
		case ext == ".tar":
			format = FormatWebDataset
			return stop
		case imageExts[ext]:
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return "", err
	}
	return format, nil
}

// Each calls emit for every input, in the order of the listing (or the
// manifest); emit's error stops it and is returned.
func (c Config) Each(ctx context.Context, emit func(*Input) error) error {
	switch c.Format {
	case FormatManifest:
		return (&manifestSource{bucket: c.In, key: c.Key, promptCol: c.PromptColumn, imageCol: c.ImageColumn,
			keyCol: c.KeyColumn, maxBytes: c.MaxManifestBytes, open: c.OpenRef}).run(ctx, emit)
	case FormatWebDataset:
		var keys []string
		if c.Key != "" {
			keys = []string{c.Key}
		}
		return (&tarSource{bucket: c.In, keys: keys, maxShardBytes: c.MaxShardBytes, maxImageBytes: c.MaxImageBytes,
			maxPromptBytes: c.MaxPromptBytes, promptField: c.PromptField}).run(ctx, emit)
	case FormatPairs:
		return (&pairSource{bucket: c.In, onIgnored: c.OnIgnored}).run(ctx, emit)
	}
	return fmt.Errorf("input format %q: want one of %s", c.Format, strings.Join(Formats(), ", "))
}

// Count counts the inputs for a progress total; -1 when counting would cost a
// second read of the data (WebDataset shards).
func (c Config) Count(ctx context.Context) (int64, error) {
	if c.Format == FormatWebDataset {
		return -1, nil
	}
	c.OnIgnored = nil
	var n int64
	err := c.Each(ctx, func(*Input) error { n++; return nil })
	return n, err
}
