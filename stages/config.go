package stages

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/twigdata/twigdata/pipeline"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/source"
	"github.com/twigdata/twigdata/stages/write"
	"github.com/twigdata/twigdata/storage"
)

// Optioned is a model whose output depends on options beyond its files. Its
// ID already covers them; the fingerprint also records each by name, so a
// refusal can say which one differs.
type Optioned interface {
	// Options are the model's output-changing options by setting name
	// ("caption-task": "caption").
	Options() map[string]string
}

// Config configures one build. It is composed of parts, one per concern;
// each part owns its defaults (Default…), its checks and, in the `setting`
// tag of every field, the setting's name and whether it changes records:
//
//	setting:"name,record"  a setting whose value changes the records
//	setting:"name"         a setting that changes how, not what, is built
//	setting:"-"            not a setting (a hook, an echo)
//
// The fingerprint that commit records, partition marks and the manifest
// carry is computed from the record-changing settings (Fingerprint), so a
// new field cannot be forgotten: TestEveryConfigFieldIsClassified fails on
// a field without a tag. Start from DefaultConfig: every field holds its
// value, zero included — nothing is filled in later.
type Config struct {
	Source  SourceConfig
	Canvas  CanvasConfig
	Models  ModelConfig
	Filter  FilterConfig
	Output  OutputConfig
	Workers WorkerConfig
	Hooks   Hooks
}

// SourceConfig says where the inputs are, how they are read and the limits
// that guard reading them.
type SourceConfig struct {
	In     storage.Reader `setting:"in,record"`        // where inputs are listed and read
	Key    string         `setting:"in-key,record"`    // a manifest or tar shard inside In; default "" reads In as a prefix
	Format string         `setting:"in-format,record"` // one of source.Formats(); default "" detects it from Key or the listing

	PromptColumn     string `setting:"prompt-column,record"`      // manifest column holding the prompt; default "prompt"
	ImageColumn      string `setting:"image-column,record"`       // manifest column holding the image reference; default "image"
	KeyColumn        string `setting:"key-column,record"`         // manifest column naming the input; default "" names it by its image reference
	PromptField      string `setting:"prompt-field,record"`       // the prompt's field in <stem>.json files; default "prompt"
	MaxManifestBytes int64  `setting:"max-manifest-bytes,record"` // default 1073741824 (1 GiB)
	MaxShardBytes    int64  `setting:"max-shard-bytes,record"`    // WebDataset shard size limit; default 4294967296 (4 GiB)
	MaxImageBytes    int64  `setting:"max-image-bytes,record"`    // default 67108864 (64 MiB)
	MaxPromptBytes   int64  `setting:"max-prompt-bytes,record"`   // default 65536 (64 KiB)
	MaxPixels        int64  `setting:"max-pixels,record"`         // checked from the header before decoding; default 40000000
	// OpenRef resolves an s3:// image reference of a manifest; nil refuses
	// them. Where the references point is recorded with the manifest's rows.
	OpenRef func(ctx context.Context, uri string) (storage.Reader, string, error) `setting:"-"`
}

// DefaultSource returns the source defaults; In must still be set.
func DefaultSource() SourceConfig {
	return SourceConfig{
		PromptColumn:     source.DefaultPromptColumn,
		ImageColumn:      source.DefaultImageColumn,
		PromptField:      "prompt",
		MaxManifestBytes: 1 << 30,
		MaxShardBytes:    4 << 30,
		MaxImageBytes:    64 << 20,
		MaxPromptBytes:   64 << 10,
		MaxPixels:        40_000_000,
	}
}

// Upper bounds of the source limits: past them a limit guards nothing a
// machine could hold (a manifest or shard of 1 TiB, an image of 4 GiB or
// a gigapixel, a prompt of 16 MiB).
const (
	maxLimitBytes  = 1 << 40
	maxImageBytes  = 4 << 30
	maxPromptBytes = 16 << 20
	maxPixels      = 1 << 30
)

func (s SourceConfig) validate() error {
	for _, p := range []struct {
		name   string
		v, max int64
		most   string
	}{{"max-manifest-bytes", s.MaxManifestBytes, maxLimitBytes, "1 TiB"}, {"max-shard-bytes", s.MaxShardBytes, maxLimitBytes, "1 TiB"},
		{"max-image-bytes", s.MaxImageBytes, maxImageBytes, "4 GiB"}, {"max-prompt-bytes", s.MaxPromptBytes, maxPromptBytes, "16 MiB"},
		{"max-pixels", s.MaxPixels, maxPixels, "1073741824 pixels"}} {
		switch {
		case p.v < 1:
			return settingErr(p.name, p.v, "must be at least 1")
		case p.v > p.max:
			return settingErr(p.name, p.v, "must be at most "+p.most)
		}
	}
	if s.Format != "" && !slices.Contains(source.Formats(), s.Format) {
		return settingErr("in-format", s.Format, "want one of "+strings.Join(source.Formats(), ", "))
	}
	return nil
}

// fitsInput refuses a format that cannot read the input as given: pairs
// read a folder, a manifest is one file — rather than read the folder of
// a manifest named with the pairs format, building from its neighbours.
func (s SourceConfig) fitsInput() error {
	switch {
	case s.Format == source.FormatPairs && s.Key != "":
		return settingErr("in-format", s.Format, fmt.Sprintf("reads a folder of image and prompt files, and the input is one file (%s): give its folder, or the file's format (%s, %s)", s.Key, source.FormatManifest, source.FormatWebDataset))
	case s.Format == source.FormatManifest && s.Key == "":
		return settingErr("in-format", s.Format, "reads one manifest file (.jsonl, .csv, .parquet), and the input is a folder: give the manifest's path")
	}
	return nil
}

// CanvasConfig is the generator's canvas and the TwiG schedule on it.
type CanvasConfig struct {
	Width       int `setting:"canvas-width,record"`  // default 384
	Height      int `setting:"canvas-height,record"` // default 384
	Patch       int `setting:"patch,record"`         // pixels per token side; default 16
	K           int `setting:"k,record"`             // regions per image; default 3
	Theta       int `setting:"theta,record"`         // reflection threshold, 0..100; default 90
	JPEGQuality int `setting:"jpeg-quality,record"`  // canvas image quality, 1..100; default 95
}

// MaxCanvasSide bounds the canvas: each canvas is held decoded in memory by
// every stage at once, and generators train at 256 to 1024 pixels.
const MaxCanvasSide = 4096

// DefaultCanvas returns TwiG's schedule: a 384×384 canvas of 16-pixel
// patches in 3 regions, reflecting below 90.
func DefaultCanvas() CanvasConfig {
	return CanvasConfig{Width: 384, Height: 384, Patch: 16, K: 3, Theta: critic.DefaultTheta, JPEGQuality: 95}
}

func (c CanvasConfig) validate() error {
	switch {
	case c.Width < 1 || c.Width > MaxCanvasSide:
		return settingErr("canvas-width", c.Width, fmt.Sprintf("must be in 1..%d", MaxCanvasSide))
	case c.Height < 1 || c.Height > MaxCanvasSide:
		return settingErr("canvas-height", c.Height, fmt.Sprintf("must be in 1..%d", MaxCanvasSide))
	case c.Patch < 1:
		return settingErr("patch", c.Patch, "must be at least 1")
	case c.Width%c.Patch != 0 || c.Height%c.Patch != 0:
		return settingErr("patch", c.Patch, fmt.Sprintf("the canvas %d×%d is not a multiple of it: region boundaries must fall on token rows", c.Width, c.Height))
	case c.K < 1 || c.K > c.Height/c.Patch:
		return settingErr("k", c.K, fmt.Sprintf("must be between 1 and the %d token rows of the canvas", c.Height/c.Patch))
	case c.Theta < 0 || c.Theta > 100:
		return settingErr("theta", c.Theta, "must be in 0..100")
	case c.JPEGQuality < 1 || c.JPEGQuality > 100:
		return settingErr("jpeg-quality", c.JPEGQuality, "must be in 1..100")
	}
	return nil
}

// ModelConfig holds the models. Each is recorded by its ID, which covers
// every file and option that changes its output, and by its Options.
type ModelConfig struct {
	Segmenter compose.Segmenter `setting:"segmenter,record"`
	Captioner compose.Captioner `setting:"captioner,record"`
	// Grounder, when set, grounds the prompt's entity phrases on the canvas;
	// a phrase it finds counts as found where the segmenter missed it.
	// Recorded as "off" when nil.
	Grounder compose.Grounder `setting:"grounding,record"`
	// Runtime is the ONNX Runtime version, for the manifest. It is not
	// recorded: runtimes agree to rounding, as devices do, and a dataset
	// built by tasks on different machines is one dataset.
	Runtime string `setting:"-"`
	// Provenance says where each model came from, for the manifest and the
	// card; the models' ids already record what changes records.
	Provenance []schema.ManifestModel `setting:"-"`
	// Warnings are shown at the top of the card and kept in the manifest
	// (demonstration models annotating inputs other than the bundled
	// sample); they change no record.
	Warnings []string `setting:"-"`
}

// FilterConfig holds the quality gates a composed sample must pass.
type FilterConfig struct {
	MinSide       int     `setting:"min-side,record"`       // shortest original side in pixels; default 128
	MaxBlur       float64 `setting:"max-blur,record"`       // blur of the canvas, 0..1 (see imageproc.LumaQuality); default 0.3
	MaxBlockiness float64 `setting:"max-blockiness,record"` // JPEG blocking of the original (see imageproc.Blockiness); default 1.45
	MinScore      int     `setting:"min-score,record"`      // mean critic score floor, 0..100; default 40
	MinAlignment  float64 `setting:"min-alignment,record"`  // share of prompt objects found, 0..1; default 0 (off)
}

// DefaultFilter returns the default gates.
func DefaultFilter() FilterConfig {
	return FilterConfig{MinSide: 128, MaxBlur: 0.30, MaxBlockiness: 1.45, MinScore: 40, MinAlignment: 0}
}

func (f FilterConfig) validate() error {
	switch {
	case f.MinSide < 0 || f.MinSide > 65535:
		return settingErr("min-side", f.MinSide, "must be in 0..65535")
	case math.IsNaN(f.MaxBlur) || f.MaxBlur < 0 || f.MaxBlur > 1:
		return settingErr("max-blur", f.MaxBlur, "want a blur in 0..1")
	case math.IsNaN(f.MaxBlockiness) || f.MaxBlockiness < 1 || f.MaxBlockiness > 100:
		return settingErr("max-blockiness", f.MaxBlockiness, "want a blocking in 1..100 (1 is no blocking)")
	case f.MinScore < 0 || f.MinScore > 100:
		return settingErr("min-score", f.MinScore, "must be in 0..100")
	case math.IsNaN(f.MinAlignment) || f.MinAlignment < 0 || f.MinAlignment > 1:
		return settingErr("min-alignment", f.MinAlignment, "want a share in 0..1")
	}
	return nil
}

// OutputConfig says where and how the dataset is written: its shards, its
// tables, its partitions and its card.
type OutputConfig struct {
	Out          storage.Bucket `setting:"out"`           // where the dataset is written
	ShardRows    int            `setting:"shard-rows"`    // rows per shard; default 1000
	Overwrite    bool           `setting:"overwrite"`     // delete the dataset in Out and start over; default false (resume)
	RetryRejects bool           `setting:"retry-rejects"` // redo inputs an earlier run rejected for transient reasons; default false
	// Verify has a resume check every committed file's sha256 against its
	// commit record; without it a resume checks that each is there, of its
	// size, with a Parquet footer that reads. Default false.
	Verify bool `setting:"verify"`
	// PartitionIndex of PartitionCount: with a count above 1 this run takes
	// only the inputs whose key hashes to its index, writes shards named for
	// its partition into the shared output, and leaves the card and the
	// manifest to a final Merge run. Default 0 of 1: the whole input.
	// Partition marks carry both and the merge checks them.
	PartitionIndex int `setting:"partition-index"` // default 0
	PartitionCount int `setting:"partition-count"` // default 1
	// Merge writes the card and manifest of a partitioned build once every
	// partition has finished; it processes no input.
	Merge        bool    `setting:"merge"`                // default false
	TaskPolicy   string  `setting:"task-policy,record"`   // which regions feed which tasks: write.PolicyAll or write.PolicyFaithful; default "faithful"
	ReflectShare float64 `setting:"reflect-share,record"` // target share of flawed examples among reflect rows; default 0 keeps all
	// SourceURIMode is what the source_uri columns hold: SourceURIRelative
	// (the input's path below the input root, so a published dataset names
	// no folder of the build machine), SourceURIAbsolute (the full path or
	// s3:// URI) or SourceURINone (null); default "relative".
	SourceURIMode string `setting:"source-uri,record"`
	// License is the dataset card's licence: an SPDX-style id the Hub knows,
	// "unknown" or "other", which needs LicenseName and LicenseLink; default
	// "unknown". The card is rewritten by every publish, so it is not
	// recorded.
	License     string `setting:"license"`
	LicenseName string `setting:"license-name"`        // default ""
	LicenseLink string `setting:"license-link"`        // default ""
	ToolVersion string `setting:"tool-version,record"` // default "dev"
	// Echo is the configuration as the user gave it, written into
	// manifest.json for people; the fingerprint is computed, not echoed.
	Echo map[string]any `setting:"-"`
	// S3 is how readers reach an s3:// output (its endpoint, region and
	// addressing), for the card's and the summary's examples; nil
	// otherwise.
	S3 *schema.ManifestS3 `setting:"-"`
}

// DefaultOutput returns the output defaults; Out must still be set.
func DefaultOutput() OutputConfig {
	return OutputConfig{ShardRows: 1000, PartitionIndex: 0, PartitionCount: 1, TaskPolicy: write.PolicyFaithful,
		SourceURIMode: SourceURIRelative, License: "unknown", ToolVersion: "dev"}
}

// validate checks each output setting; its complexity is a flat switch,
// one case per setting's rule.
func (o OutputConfig) validate() error {
	switch {
	case o.ShardRows < 1 || o.ShardRows > 1_000_000:
		return settingErr("shard-rows", o.ShardRows, "must be in 1..1000000 (a shard is spooled whole before it is stored)")
	case o.PartitionCount < 1 || o.PartitionCount > MaxPartitionCount:
		return settingErr("partition-count", o.PartitionCount, fmt.Sprintf("must be in 1..%d", MaxPartitionCount))
	case o.PartitionIndex < 0 || o.PartitionIndex >= o.PartitionCount:
		return settingErr("partition-index", o.PartitionIndex, fmt.Sprintf("must be in 0..%d for a partition-count of %d", o.PartitionCount-1, o.PartitionCount))
	case o.PartitionCount > 1 && o.Overwrite:
		return settingErr("overwrite", o.Overwrite, "cannot be combined with a partition-count above 1: it would delete the other partitions' shards (empty the output once, before the partitions start)")
	case o.Merge && o.PartitionCount < 2:
		return settingErr("merge", o.Merge, "needs a partition-count (the number of partitions to merge)")
	case o.TaskPolicy != write.PolicyAll && o.TaskPolicy != write.PolicyFaithful:
		return settingErr("task-policy", o.TaskPolicy, "want "+write.PolicyAll+" or "+write.PolicyFaithful)
	case math.IsNaN(o.ReflectShare) || o.ReflectShare < 0 || o.ReflectShare >= 1:
		return settingErr("reflect-share", o.ReflectShare, "want a share in [0, 1), 0 keeping every reflect row")
	case !slices.Contains(SourceURIModes(), o.SourceURIMode):
		return settingErr("source-uri", o.SourceURIMode, "want one of "+strings.Join(SourceURIModes(), ", "))
	case strings.TrimSpace(o.License) == "":
		return settingErr("license", o.License, `give the licence id of the images and prompts ("mit", "cc-by-4.0", …), "unknown", or "other" with license-name and license-link`)
	case o.License == "other" && (o.LicenseName == "" || o.LicenseLink == ""):
		return settingErr("license", o.License, `needs license-name (a short id, such as "my-terms") and license-link (the licence text's URL or path): the Hub shows them on the card`)
	}
	return nil
}

// WorkerConfig sets each stage's concurrency and the model batches.
type WorkerConfig struct {
	Fetch     int           `setting:"fetch-workers"`    // default 8: reads are I/O-bound, S3 latency dominates
	Decode    int           `setting:"decode-workers"`   // default: the number of CPUs (decoding and resizing are CPU-bound)
	Annotate  int           `setting:"annotate-workers"` // default 1: one session call already uses every core (or the GPU)
	Compose   int           `setting:"compose-workers"`  // default: the number of CPUs (component labelling and JPEG encoding are CPU-bound)
	BatchSize int           `setting:"batch-size"`       // samples per annotate call; default 16
	BatchWait time.Duration `setting:"batch-wait"`       // how long a partial batch waits for more samples; default 20ms
	// DecodeMB bounds the decoded originals in flight across the decode
	// workers, in MiB; an original larger than it decodes alone. Default
	// 256: a 6000×6000 16-bit image (288 MB) at a time, for a 512 MiB job.
	DecodeMB int `setting:"decode-mb"`
}

// DefaultWorkers returns worker counts for this machine.
func DefaultWorkers() WorkerConfig {
	return WorkerConfig{Fetch: 8, Decode: runtime.NumCPU(), Annotate: 1, Compose: runtime.NumCPU(), BatchSize: 16, BatchWait: pipeline.DefaultMaxWait, DecodeMB: 256}
}

// Bounds of the worker settings: past them a value starts more goroutines,
// sessions or decoded canvases than any machine uses, and memory goes
// first (each sample of a batch holds its canvas and its model inputs,
// about 12 MB with the bundled models).
const (
	MaxWorkers        = 1024
	MaxAnnotators     = 64
	MaxBatchSize      = 256
	MaxPartitionCount = 10000
)

func (w WorkerConfig) validate() error {
	for _, p := range []struct {
		name string
		v    int
		max  int
	}{{"fetch-workers", w.Fetch, MaxWorkers}, {"decode-workers", w.Decode, MaxWorkers}, {"annotate-workers", w.Annotate, MaxAnnotators},
		{"compose-workers", w.Compose, MaxWorkers}, {"batch-size", w.BatchSize, MaxBatchSize}, {"decode-mb", w.DecodeMB, 1 << 20}} {
		if p.v < 1 || p.v > p.max {
			return settingErr(p.name, p.v, fmt.Sprintf("must be in 1..%d", p.max))
		}
	}
	if w.BatchWait < 0 || w.BatchWait > time.Minute {
		return settingErr("batch-wait", w.BatchWait, "must be in 0..1m")
	}
	return nil
}

// Hooks are how a caller follows and stops a run; none is a setting.
type Hooks struct {
	// Stop, when closed, ends the input: in-flight items finish, complete
	// rows are committed, and Run returns ErrStopped without a manifest.
	Stop <-chan struct{} `setting:"-"`
	// Progress, when set, is told the run's counts after every record.
	Progress func(accepted, rejected int64) `setting:"-"`
	// OnIgnored, when set, is told about listed objects that are neither
	// images nor prompts.
	OnIgnored func(key string) `setting:"-"`
	// Started, when set, is called once the run holds its output and has
	// read what earlier runs left: from here on it builds (or merges), so a
	// refusal never follows it.
	Started func() `setting:"-"`
}

// DefaultConfig returns the defaults the CLI, config files, the benchmark and
// the tests start from: every part's Default….
func DefaultConfig() Config {
	return Config{Source: DefaultSource(), Canvas: DefaultCanvas(), Filter: DefaultFilter(), Output: DefaultOutput(), Workers: DefaultWorkers()}
}

// SettingError is a setting no build can use. Setting is its name (the
// `setting` tag, also the config-file key); a CLI maps it to its flag.
type SettingError struct {
	Setting string
	Value   any // nil when the setting is missing
	Problem string
}

func (e *SettingError) Error() string {
	switch v := e.Value.(type) {
	case nil:
		return e.Setting + ": " + e.Problem
	case string:
		return fmt.Sprintf("%s %q: %s", e.Setting, v, e.Problem)
	}
	return fmt.Sprintf("%s %v: %s", e.Setting, e.Value, e.Problem)
}

func settingErr(name string, v any, problem string) error {
	return &SettingError{Setting: name, Value: v, Problem: problem}
}

// ValidateSettings reports the first setting value that cannot produce a
// valid dataset as a *SettingError, part by part; it does not need the
// input, the output or the models, so a CLI can check before opening them.
func (c Config) ValidateSettings() error {
	for _, check := range []func() error{c.Canvas.validate, c.Filter.validate, c.Workers.validate, c.Output.validate, c.Source.validate} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// Validate is ValidateSettings, then that the input, the output and the
// models are there.
func (c Config) Validate() error {
	if err := c.ValidateSettings(); err != nil {
		return err
	}
	switch {
	case c.Source.In == nil:
		return settingErr("in", nil, "an input is required")
	case c.Output.Out == nil:
		return settingErr("out", nil, "an output is required")
	case c.Models.Segmenter == nil:
		return settingErr("segmenter", nil, "a segmenter is required")
	case c.Models.Captioner == nil:
		return settingErr("captioner", nil, "a captioner is required")
	}
	return nil
}

// What the source_uri columns hold (OutputConfig.SourceURIMode).
const (
	SourceURIRelative = "relative"
	SourceURIAbsolute = "absolute"
	SourceURINone     = "none"
)

// SourceURIModes lists the values of the source-uri setting.
func SourceURIModes() []string { return []string{SourceURIRelative, SourceURIAbsolute, SourceURINone} }

// sourceURI maps a source_uri as the source wrote it (absolute, escaped)
// to what the mode keeps.
func (c Config) sourceURI() func(string) string {
	switch c.Output.SourceURIMode {
	case SourceURINone:
		return func(string) string { return "" }
	case SourceURIRelative:
		root := schema.EscapeKey(c.Source.In.URI(""))
		if !strings.HasSuffix(root, "/") {
			root += "/"
		}
		return func(u string) string { return strings.TrimPrefix(u, root) }
	}
	return func(u string) string { return u }
}

// detailPaths maps a reject's detail to what is stored: unless source_uri
// is absolute, the input root's path is cut from it, so that a published
// dataset names no folder of the build machine.
func (c Config) detailPaths() func(string) string {
	if c.Output.SourceURIMode == SourceURIAbsolute {
		return nil
	}
	root := strings.TrimSuffix(c.Source.In.URI(""), "/")
	if root == "" || !strings.HasPrefix(root, "/") {
		return nil // an s3:// URI the user chose, or no local path
	}
	return func(d string) string {
		return strings.ReplaceAll(strings.ReplaceAll(d, root+"/", ""), root, ".")
	}
}

// partitioned reports whether this run is one partition of several.
func (c Config) partitioned() bool { return c.Output.PartitionCount > 1 && !c.Output.Merge }

// shardPrefix starts the names of the shards this run may write and clean up.
func (c Config) shardPrefix() string {
	if c.partitioned() {
		return schema.ShardPrefix + partitionTag(c) + "-"
	}
	return schema.ShardPrefix
}

// source is the input side of the configuration.
func (c Config) source() source.Config {
	s := c.Source
	return source.Config{In: s.In, Key: s.Key, Format: s.Format, PromptColumn: s.PromptColumn, ImageColumn: s.ImageColumn,
		KeyColumn: s.KeyColumn, PromptField: s.PromptField, MaxManifestBytes: s.MaxManifestBytes, MaxShardBytes: s.MaxShardBytes,
		MaxImageBytes: s.MaxImageBytes, MaxPromptBytes: s.MaxPromptBytes, OpenRef: s.OpenRef, OnIgnored: c.Hooks.OnIgnored}
}
