package stages

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/twigdata/twigdata/annotators/florence"
	"github.com/twigdata/twigdata/annotators/segmap"
	"github.com/twigdata/twigdata/pipeline"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/source"
	"github.com/twigdata/twigdata/stages/write"
	"github.com/twigdata/twigdata/storage"
)

// Segmenter is what a build needs of a segmentation model.
type Segmenter interface {
	// Segment returns one label map per image, in order.
	Segment(ctx context.Context, imgs []image.Image) ([]segmap.Map, error)
	// Labels is the model's id2label.
	Labels() []string
	// Kinds says for each label whether it is a thing or stuff (unknown:
	// the critic judges from the map's shape).
	Kinds() []segmap.Kind
	// KindSource says where that split came from, for the manifest.
	KindSource() string
	// ID names the model and its weights (name@sha256).
	ID() string
}

// Captioner is what a build needs of a captioning model.
type Captioner interface {
	// Caption returns one caption per image, in order.
	Caption(ctx context.Context, imgs []image.Image) ([]string, error)
	// ID names the model and its weights (name@sha256).
	ID() string
	// VocabSize is the size of the tokenizer's vocabulary, for the manifest.
	VocabSize() int
}

// Grounder is what a build needs of a phrase-grounding model.
type Grounder interface {
	// Ground finds phrases[i] in imgs[i] and returns the phrases found, with
	// boxes in the image's pixels; an image with no phrases gets none.
	Ground(ctx context.Context, imgs []image.Image, phrases [][]string) ([][]florence.Grounding, error)
}

// Config configures one build. Start from DefaultConfig: every field holds
// its value, zero included — nothing is filled in later.
type Config struct {
	In  storage.Reader // where inputs are listed and read
	Out storage.Bucket // where the dataset is written

	InKey    string // a manifest or tar shard inside In; "" reads In as a prefix
	InFormat string // one of source.Formats(); "" detects it from InKey or the listing

	PromptColumn     string // manifest column holding the prompt; default "prompt"
	ImageColumn      string // manifest column holding the image reference; default "image"
	KeyColumn        string // manifest column naming the input; "" (default) names it by its image reference
	PromptField      string // the prompt's field in <stem>.json files; default "prompt"
	MaxManifestBytes int64  // default 1073741824 (1 GiB)
	MaxShardBytes    int64  // WebDataset shard size limit; default 4294967296 (4 GiB)
	MaxImageBytes    int64  // default 67108864 (64 MiB)
	MaxPromptBytes   int64  // default 65536 (64 KiB)
	MaxPixels        int64  // checked from the header before decoding; default 40000000
	// OpenRef resolves an s3:// image reference of a manifest; nil refuses them.
	OpenRef func(ctx context.Context, uri string) (storage.Reader, string, error)

	Segmenter Segmenter
	Captioner Captioner
	// Grounder, when set, grounds the prompt's entity phrases on the canvas;
	// a phrase it finds counts as found where the segmenter missed it.
	Grounder Grounder
	Runtime  string // the ONNX Runtime version, for the manifest

	CanvasWidth  int // default 384
	CanvasHeight int // default 384
	Patch        int // pixels per token side; default 16
	K            int // regions per image; default 3
	Theta        int // reflection threshold, 0..100; default 90

	MinSide       int     // shortest original side in pixels; default 128
	MaxBlur       float64 // blur of the canvas, 0..1 (see imageproc.Quality); default 0.3
	MaxBlockiness float64 // JPEG blocking of the original (see imageproc.Blockiness); default 1.45
	MinScore      int     // mean critic score floor; default 40
	MinAlignment  float64 // share of prompt objects found, 0..1; default 0 (off)

	FetchWorkers    int           // default 8: reads are I/O-bound, S3 latency dominates
	DecodeWorkers   int           // default: the number of CPUs (decoding and resizing are CPU-bound)
	AnnotateWorkers int           // default 1: one session call already uses every core (or the GPU)
	ComposeWorkers  int           // default: the number of CPUs (component labelling and JPEG encoding are CPU-bound)
	BatchSize       int           // samples per annotate call; default 16
	BatchWait       time.Duration // how long a partial batch waits for more samples; default 20ms

	ShardRows    int  // rows per shard; default 1000
	JPEGQuality  int  // canvas image quality, 1..100; default 95
	Overwrite    bool // delete the dataset in Out and start over; default false (resume)
	RetryRejects bool // redo inputs an earlier run rejected for transient reasons; default false
	// PartitionIndex of PartitionCount: with a count above 1 this run takes
	// only the inputs whose key hashes to its index, writes shards named for
	// its partition into the shared output, and leaves the card and the
	// manifest to a final Merge run. Default 0 of 1: the whole input.
	PartitionIndex, PartitionCount int
	// Merge writes the card and manifest of a partitioned build once every
	// partition has finished; it processes no input.
	Merge        bool
	TaskPolicy   string  // which regions feed which tasks: write.PolicyAll (default) or write.PolicyFaithful
	ReflectShare float64 // target share of flawed examples among reflect rows; default 0 keeps all
	// SourceURIMode is what the source_uri columns hold: SourceURIRelative
	// (default: the input's path below the input root, so a published
	// dataset names no folder of the build machine), SourceURIAbsolute
	// (the full path or s3:// URI) or SourceURINone (null).
	SourceURIMode string
	// License is the dataset card's licence: an SPDX-style id the Hub
	// knows, "unknown" (default) or "other", which needs LicenseName and
	// LicenseLink.
	License, LicenseName, LicenseLink string

	ToolVersion string         // default "dev"
	Settings    map[string]any // the settings as the user gave them, echoed into manifest.json
	// Stop, when closed, ends the input: in-flight items finish, complete
	// rows are committed, and Run returns ErrStopped without a manifest.
	Stop <-chan struct{}
	// Progress, when set, is told the run's counts after every record.
	Progress func(accepted, rejected int64)
	// OnIgnored, when set, is told about listed objects that are neither
	// images nor prompts.
	OnIgnored func(key string)
}

// What the source_uri columns hold (Config.SourceURIMode).
const (
	SourceURIRelative = "relative"
	SourceURIAbsolute = "absolute"
	SourceURINone     = "none"
)

// SourceURIModes lists the values of --source-uri.
func SourceURIModes() []string { return []string{SourceURIRelative, SourceURIAbsolute, SourceURINone} }

// sourceURI maps a source_uri as the source wrote it (absolute, escaped)
// to what the mode keeps.
func (c Config) sourceURI() func(string) string {
	switch c.SourceURIMode {
	case SourceURINone:
		return func(string) string { return "" }
	case SourceURIRelative:
		root := schema.EscapeKey(c.In.URI(""))
		if !strings.HasSuffix(root, "/") {
			root += "/"
		}
		return func(u string) string { return strings.TrimPrefix(u, root) }
	}
	return func(u string) string { return u }
}

// MaxCanvasSide bounds the canvas: each canvas is held decoded in memory by
// every stage at once, and generators train at 256 to 1024 pixels.
const MaxCanvasSide = 4096

// DefaultConfig returns the defaults the CLI, config files, the benchmark and
// the tests start from; the doc comments of Config name the same values.
func DefaultConfig() Config {
	return Config{
		PromptColumn:     source.DefaultPromptColumn,
		ImageColumn:      source.DefaultImageColumn,
		PromptField:      "prompt",
		MaxManifestBytes: 1 << 30,
		MaxShardBytes:    4 << 30,
		MaxImageBytes:    64 << 20,
		MaxPromptBytes:   64 << 10,
		MaxPixels:        40_000_000,
		CanvasWidth:      384,
		CanvasHeight:     384,
		Patch:            16,
		K:                3,
		Theta:            90,
		MinSide:          128,
		MaxBlur:          0.30,
		MaxBlockiness:    1.45,
		MinScore:         40,
		MinAlignment:     0,
		FetchWorkers:     8,
		DecodeWorkers:    runtime.NumCPU(),
		AnnotateWorkers:  1,
		ComposeWorkers:   runtime.NumCPU(),
		BatchSize:        16,
		BatchWait:        pipeline.DefaultMaxWait,
		ShardRows:        1000,
		JPEGQuality:      95,
		PartitionIndex:   0,
		PartitionCount:   1,
		TaskPolicy:       write.PolicyAll,
		SourceURIMode:    SourceURIRelative,
		License:          "unknown",
		ToolVersion:      "dev",
	}
}

// Validate reports settings that cannot produce a valid dataset, naming the
// flag to fix.
func (c Config) Validate() error {
	positive := []struct {
		flag string
		v    int64
	}{
		{"--canvas-width", int64(c.CanvasWidth)}, {"--canvas-height", int64(c.CanvasHeight)}, {"--patch", int64(c.Patch)},
		{"--fetch-workers", int64(c.FetchWorkers)}, {"--decode-workers", int64(c.DecodeWorkers)},
		{"--annotate-workers", int64(c.AnnotateWorkers)}, {"--compose-workers", int64(c.ComposeWorkers)},
		{"--batch-size", int64(c.BatchSize)}, {"--shard-rows", int64(c.ShardRows)}, {"--max-pixels", c.MaxPixels},
		{"--max-image-mb", c.MaxImageBytes}, {"--max-prompt-kb", c.MaxPromptBytes}, {"--partition-count", int64(c.PartitionCount)},
	}
	for _, p := range positive {
		if p.v < 1 {
			return fmt.Errorf("%s %d must be at least 1", p.flag, p.v)
		}
	}
	switch {
	case c.CanvasWidth > MaxCanvasSide || c.CanvasHeight > MaxCanvasSide:
		return fmt.Errorf("canvas %d×%d: --canvas-width and --canvas-height must be in 1..%d", c.CanvasWidth, c.CanvasHeight, MaxCanvasSide)
	case c.CanvasWidth%c.Patch != 0 || c.CanvasHeight%c.Patch != 0:
		return fmt.Errorf("canvas %d×%d is not a multiple of --patch %d: region boundaries must fall on token rows", c.CanvasWidth, c.CanvasHeight, c.Patch)
	case c.K < 1 || c.K > c.CanvasHeight/c.Patch:
		return fmt.Errorf("--k %d must be between 1 and the %d token rows of the canvas", c.K, c.CanvasHeight/c.Patch)
	case c.Theta < 0 || c.Theta > 100:
		return fmt.Errorf("--theta %d must be in 0..100", c.Theta)
	case c.JPEGQuality < 1 || c.JPEGQuality > 100:
		return fmt.Errorf("--jpeg-quality %d must be in 1..100", c.JPEGQuality)
	case c.MinSide < 0 || c.MinScore < 0 || c.MinScore > 100:
		return errors.New("--min-side must not be negative, --min-score must be in 0..100")
	case c.MaxBlur < 0 || c.MaxBlur > 1 || c.MaxBlockiness < 1:
		return fmt.Errorf("--max-blur %v must be in 0..1 and --max-blockiness %v at least 1", c.MaxBlur, c.MaxBlockiness)
	case c.MinAlignment < 0 || c.MinAlignment > 1:
		return fmt.Errorf("--min-alignment %v: want a share in [0, 1]", c.MinAlignment)
	case c.BatchWait < 0:
		return fmt.Errorf("--batch-wait %s must not be negative", c.BatchWait)
	case c.InFormat != "" && !slices.Contains(source.Formats(), c.InFormat):
		return fmt.Errorf("--in-format %q: want one of %s", c.InFormat, strings.Join(source.Formats(), ", "))
	case c.PartitionIndex < 0 || c.PartitionIndex >= c.PartitionCount:
		return fmt.Errorf("--partition-index %d must be in 0..%d for --partition-count %d", c.PartitionIndex, c.PartitionCount-1, c.PartitionCount)
	case c.PartitionCount > 1 && c.Overwrite:
		return errors.New("--overwrite cannot be combined with --partition-count: it would delete the other partitions' shards (empty the output once, before the partitions start)")
	case c.Merge && c.PartitionCount < 2:
		return errors.New("--merge needs --partition-count N (the number of partitions to merge)")
	case c.TaskPolicy != write.PolicyAll && c.TaskPolicy != write.PolicyFaithful:
		return fmt.Errorf("--task-policy %q: want %s or %s", c.TaskPolicy, write.PolicyAll, write.PolicyFaithful)
	case !slices.Contains(SourceURIModes(), c.SourceURIMode):
		return fmt.Errorf("--source-uri %q: want one of %s", c.SourceURIMode, strings.Join(SourceURIModes(), ", "))
	case strings.TrimSpace(c.License) == "":
		return errors.New(`--license is empty: give the licence id of the images and prompts ("mit", "cc-by-4.0", …), "unknown", or "other" with --license-name and --license-link`)
	case c.License == "other" && (c.LicenseName == "" || c.LicenseLink == ""):
		return errors.New(`--license other needs --license-name (a short id, such as "my-terms") and --license-link (the licence text's URL or path): the Hub shows them on the card`)
	case c.ReflectShare < 0 || c.ReflectShare >= 1:
		return fmt.Errorf("--reflect-share %v: want a share in [0, 1), 0 keeping every reflect row", c.ReflectShare)
	case c.Segmenter == nil || c.Captioner == nil:
		return errors.New("a segmenter and a captioner are required")
	case c.In == nil || c.Out == nil:
		return errors.New("input and output are required")
	}
	return nil
}

// partitioned reports whether this run is one partition of several.
func (c Config) partitioned() bool { return c.PartitionCount > 1 && !c.Merge }

// shardPrefix starts the names of the shards this run may write and clean up.
func (c Config) shardPrefix() string {
	if c.partitioned() {
		return schema.ShardPrefix + partitionTag(c) + "-"
	}
	return schema.ShardPrefix
}

// source is the input side of the configuration.
func (c Config) source() source.Config {
	return source.Config{In: c.In, Key: c.InKey, Format: c.InFormat, PromptColumn: c.PromptColumn, ImageColumn: c.ImageColumn,
		KeyColumn: c.KeyColumn, PromptField: c.PromptField, MaxManifestBytes: c.MaxManifestBytes, MaxShardBytes: c.MaxShardBytes,
		MaxImageBytes: c.MaxImageBytes, MaxPromptBytes: c.MaxPromptBytes, OpenRef: c.OpenRef, OnIgnored: c.OnIgnored}
}
