package stages

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"runtime"
	"strings"
	"time"

	"golang.org/x/image/draw"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/pipeline"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Options configure one build; zero values take the documented defaults.
type Options struct {
	In  storage.Bucket // where pairs are listed and read
	Out storage.Bucket // where the dataset is written

	// InKey is a manifest or tar shard inside In; "" reads In as a prefix.
	InKey string
	// InFormat is pairs, manifest or webdataset; "" detects it (see DetectFormat).
	InFormat                             string
	PromptColumn, ImageColumn, KeyColumn string // manifest columns; defaults prompt, image, none
	MaxManifestBytes                     int64  // default 1 GiB
	MaxShardBytes                        int64  // WebDataset shard size limit; default 4 GiB
	// OpenRef resolves an s3:// image reference of a manifest; nil refuses them.
	OpenRef func(ctx context.Context, uri string) (storage.Bucket, string, error)

	Segmenter *annotators.Segmenter
	Captioner *annotators.Captioner

	CanvasWidth  int // default 384
	CanvasHeight int // default 384
	Patch        int // default 16
	K            int // regions; default 3
	Theta        int // reflection threshold; default 90

	MaxPixels      int64  // default 40,000,000: checked from the header before decoding
	MaxImageBytes  int64  // default 64 MiB
	MaxPromptBytes int64  // default 64 KiB
	PromptField    string // JSON prompt field; default "prompt"

	MinSide      int     // shorter original side; default 128
	MinSharpness float64 // variance of the Laplacian; default 20
	MinScore     int     // mean critic score floor; default 40
	MinAlignment float64 // share of prompt objects found; default 0 (off)

	FetchWorkers    int           // default 8: reads are I/O-bound, S3 latency dominates
	DecodeWorkers   int           // default NumCPU: decoding and resizing are CPU-bound
	AnnotateWorkers int           // default 1: one session call already uses every core (or the GPU)
	ComposeWorkers  int           // default NumCPU: component labelling and JPEG encoding are CPU-bound
	BatchSize       int           // samples per annotate call; default 16
	BatchWait       time.Duration // how long a partial batch waits for more samples; default pipeline.DefaultMaxWait

	ShardRows    int // rows per shard; default 1000
	JPEGQuality  int // canvas image quality; default 95
	Overwrite    bool
	RetryRejects bool // redo inputs an earlier run rejected for transient reasons
	// PartitionIndex of PartitionCount: with a count above 1 this run takes
	// only the inputs whose key hashes to its index, writes shards named for
	// its partition into the shared output, and leaves the card and the
	// manifest to a final Merge run.
	PartitionIndex, PartitionCount int
	// Merge writes the card and manifest of a partitioned build once every
	// partition has finished; it processes no input.
	Merge        bool
	TaskPolicy   string  // which regions feed which tasks: all (default) or faithful; see Tasks
	ReflectShare float64 // target share of flawed examples among reflect rows; 0 keeps all

	ToolVersion string
	Config      map[string]any // echoed into manifest.json
	// Stop, when closed, ends the input: in-flight items finish, complete
	// rows are committed, and Build returns ErrStopped without a manifest.
	Stop      <-chan struct{}
	Progress  func(accepted, rejected int64)
	OnIgnored func(key string)
}

// WithDefaults returns a copy with every zero value replaced by its default.
func (o Options) WithDefaults() Options {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.CanvasWidth, 384)
	def(&o.CanvasHeight, 384)
	def(&o.Patch, 16)
	def(&o.K, 3)
	if o.Theta == 0 {
		o.Theta = 90
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 40_000_000
	}
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = 64 << 20
	}
	if o.MaxPromptBytes <= 0 {
		o.MaxPromptBytes = 64 << 10
	}
	if o.PromptField == "" {
		o.PromptField = "prompt"
	}
	if o.TaskPolicy == "" {
		o.TaskPolicy = PolicyAll
	}
	if o.PromptColumn == "" {
		o.PromptColumn = DefaultPromptColumn
	}
	if o.ImageColumn == "" {
		o.ImageColumn = DefaultImageColumn
	}
	if o.MaxManifestBytes <= 0 {
		o.MaxManifestBytes = 1 << 30
	}
	if o.MaxShardBytes <= 0 {
		o.MaxShardBytes = 4 << 30
	}
	def(&o.MinSide, 128)
	def(&o.FetchWorkers, 8)
	def(&o.DecodeWorkers, runtime.NumCPU())
	def(&o.AnnotateWorkers, 1)
	def(&o.ComposeWorkers, runtime.NumCPU())
	def(&o.BatchSize, 16)
	def(&o.ShardRows, 1000)
	def(&o.JPEGQuality, 95)
	if o.ToolVersion == "" {
		o.ToolVersion = "dev"
	}
	return o
}

// Validate reports option combinations that cannot produce a valid schedule.
func (o Options) Validate() error {
	switch {
	case o.CanvasWidth%o.Patch != 0 || o.CanvasHeight%o.Patch != 0:
		return fmt.Errorf("canvas %d×%d is not a multiple of --patch %d: region boundaries must fall on token rows", o.CanvasWidth, o.CanvasHeight, o.Patch)
	case o.K < 1 || o.K > o.CanvasHeight/o.Patch:
		return fmt.Errorf("--k %d must be between 1 and the %d token rows of the canvas", o.K, o.CanvasHeight/o.Patch)
	case o.PartitionCount > 1 && !o.Merge && (o.PartitionIndex < 0 || o.PartitionIndex >= o.PartitionCount):
		return fmt.Errorf("--partition-index %d must be in 0..%d for --partition-count %d", o.PartitionIndex, o.PartitionCount-1, o.PartitionCount)
	case o.PartitionCount > 1 && o.Overwrite:
		return errors.New("--overwrite cannot be combined with --partition-count: it would delete the other partitions' shards (empty the output once, before the partitions start)")
	case o.Merge && o.PartitionCount < 2:
		return errors.New("--merge needs --partition-count N (the number of partitions to merge)")
	case o.TaskPolicy != PolicyAll && o.TaskPolicy != PolicyFaithful:
		return fmt.Errorf("--task-policy %q: want all or faithful", o.TaskPolicy)
	case o.ReflectShare < 0 || o.ReflectShare >= 1:
		return fmt.Errorf("--reflect-share %v: want a share in [0, 1), 0 keeping every reflect row", o.ReflectShare)
	case o.Theta < 0 || o.Theta > 100:
		return fmt.Errorf("--theta %d must be in 0..100", o.Theta)
	case o.Segmenter == nil || o.Captioner == nil:
		return errors.New("a segmenter and a captioner are required")
	case o.In == nil || o.Out == nil:
		return errors.New("input and output are required")
	}
	return nil
}

// Summary is what a build did.
type Summary struct {
	Inputs, Accepted, Rejected int64 // the whole dataset, earlier runs included
	ByReason                   map[string]int64
	Resumed                    int64 // inputs an earlier run had already committed
	Retried                    int64 // transient rejects taken out to be redone (--retry-rejects)
	Orphans                    int   // uncommitted files of a killed run, deleted and redone
	Stats                      pipeline.Stats
	Shards                     []ShardInfo
	Tasks                      map[string]int64 // task rows by kind over the whole dataset
	ToolVersion                string
}

// Chain returns the stages in order; the benchmark runs them alone too.
func Chain(o Options) []pipeline.Stage[*Item] {
	f := &fetcher{bucket: o.In, maxImageBytes: o.MaxImageBytes, maxPromptBytes: o.MaxPromptBytes, promptField: o.PromptField}
	d := &decoder{maxPixels: o.MaxPixels, canvasW: o.CanvasWidth, canvasH: o.CanvasHeight, minSide: o.MinSide, interpolation: draw.ApproxBiLinear}
	s := &scheduler{canvasH: o.CanvasHeight, patch: o.Patch, k: o.K}
	a := &annotator{seg: o.Segmenter, cap: o.Captioner}
	c := &composer{theta: o.Theta, patch: o.Patch, segmenterID: o.Segmenter.ID(), captionerID: o.Captioner.ID(),
		labels: o.Segmenter.Labels(), toolVersion: o.ToolVersion, jpegQuality: o.JPEGQuality}
	fl := &filterer{minSharpness: o.MinSharpness, minScore: o.MinScore, minAlignment: o.MinAlignment}
	return []pipeline.Stage[*Item]{
		{Name: "fetch", Workers: o.FetchWorkers, Process: f.process},
		{Name: "decode", Workers: o.DecodeWorkers, Process: d.process},
		{Name: "schedule", Workers: 1, Process: s.process},
		{Name: "annotate", Workers: o.AnnotateWorkers, Batch: o.BatchSize, MaxWait: o.BatchWait, Process: a.process},
		{Name: "compose", Workers: o.ComposeWorkers, Process: c.process},
		{Name: "filter", Workers: 1, Process: fl.process},
	}
}

// Input formats.
const (
	FormatPairs      = "pairs"
	FormatManifest   = "manifest"
	FormatWebDataset = "webdataset"
)

// DetectFormat names the input format: by the extension of key when the
// input is one file, else by the first image or tar shard in the listing.
func DetectFormat(ctx context.Context, in storage.Bucket, key string) (string, error) {
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

// Source emits the inputs in the configured format.
func Source(o Options) func(context.Context, func(*Item) error) error {
	switch o.InFormat {
	case FormatManifest:
		return (&manifestSource{bucket: o.In, key: o.InKey, promptCol: o.PromptColumn, imageCol: o.ImageColumn,
			keyCol: o.KeyColumn, maxBytes: o.MaxManifestBytes, open: o.OpenRef}).run
	case FormatWebDataset:
		var keys []string
		if o.InKey != "" {
			keys = []string{o.InKey}
		}
		return (&tarSource{bucket: o.In, keys: keys, maxShardBytes: o.MaxShardBytes, maxImageBytes: o.MaxImageBytes,
			maxPromptBytes: o.MaxPromptBytes, promptField: o.PromptField}).run
	}
	return (&pairSource{bucket: o.In, onIgnored: o.OnIgnored}).run
}

// Count counts the inputs for a progress total; -1 when counting would cost a
// second read of the data (WebDataset shards).
func Count(ctx context.Context, o Options) (int64, error) {
	o = o.WithDefaults()
	if o.InFormat == "" {
		f, err := DetectFormat(ctx, o.In, o.InKey)
		if err != nil {
			return -1, err
		}
		o.InFormat = f
	}
	if o.InFormat == FormatWebDataset {
		return -1, nil
	}
	var n int64
	err := Source(o)(ctx, func(*Item) error { n++; return nil })
	return n, err
}

// ErrStopped is returned by Build when Options.Stop ended the input early.
var ErrStopped = errors.New("stopped before the input was finished; committed shards are kept and a rerun resumes")

// stopping wraps a source so it emits nothing once stop is closed.
func stopping(src func(context.Context, func(*Item) error) error, stop <-chan struct{}, stopped *bool) func(context.Context, func(*Item) error) error {
	return func(ctx context.Context, emit func(*Item) error) error {
		err := src(ctx, func(it *Item) error {
			select {
			case <-stop:
				*stopped = true
				return errStopSource
			default:
			}
			return emit(it)
		})
		if errors.Is(err, errStopSource) {
			return nil // the stages drain what is in flight
		}
		return err
	}
}

var errStopSource = errors.New("stop")

// skipDone wraps a source so inputs an earlier run committed are not redone.
func skipDone(src func(context.Context, func(*Item) error) error, done map[string]bool, skipped *int64) func(context.Context, func(*Item) error) error {
	return func(ctx context.Context, emit func(*Item) error) error {
		return src(ctx, func(it *Item) error {
			if done[it.Key] {
				*skipped++
				return nil
			}
			return emit(it)
		})
	}
}

// Done reports items that skip the remaining stages.
func Done(it *Item) bool { return done(it) }

// Build runs the whole pipeline and writes the dataset; manifest.json last.
// Run again on the same output after any interruption, it keeps what earlier
// runs committed, deletes what they left uncommitted and does only the rest.
func Build(ctx context.Context, o Options) (Summary, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return Summary{}, err
	}
	if err := prepareOutput(ctx, o.Out, o.Overwrite); err != nil {
		return Summary{}, err
	}
	if o.InFormat == "" {
		f, err := DetectFormat(ctx, o.In, o.InKey)
		if err != nil {
			return Summary{}, err
		}
		o.InFormat = f
	}
	digest := configDigest(o)
	prior, err := loadPrior(ctx, o.Out, digest, o.RetryRejects, o.shardPrefix(), !o.Merge)
	if err != nil {
		return Summary{}, err
	}
	if o.Merge {
		return merge(ctx, o, prior, digest)
	}
	if prior.complete && !o.partitioned() {
		// The dataset changes from here on: until the new manifest is written
		// last, nobody should take the old one for the whole dataset.
		if err := o.Out.Delete(ctx, "manifest.json"); err != nil {
			return Summary{}, err
		}
	}
	run := runID()
	if o.partitioned() {
		run = partTag(o.PartitionIndex, o.PartitionCount) + "-" + run
	}
	w := &shardWriter{bucket: o.Out, shardRows: o.ShardRows, version: o.ToolVersion, run: run, digest: digest,
		policy: o.TaskPolicy, share: o.ReflectShare, theta: o.Theta,
		byReason: map[string]int64{}, progress: o.Progress}
	var resumed int64
	var stopped bool
	base := Source(o)
	if o.partitioned() {
		all := base
		base = func(ctx context.Context, emit func(*Item) error) error {
			return all(ctx, func(it *Item) error {
				if !InPartition(it.Key, o.PartitionIndex, o.PartitionCount) {
					return nil
				}
				return emit(it)
			})
		}
	}
	src := skipDone(base, prior.done, &resumed)
	if o.Stop != nil {
		src = stopping(src, o.Stop, &stopped)
	}
	stats, err := pipeline.Run(ctx, pipeline.Config[*Item]{
		Source: src,
		Stages: Chain(o),
		Done:   done,
		Sink:   w.add,
	})
	sum := Summary{Accepted: w.accepted, Rejected: w.rejected, ByReason: w.byReason, Stats: stats, ToolVersion: o.ToolVersion,
		Resumed: resumed, Retried: prior.retried, Orphans: prior.orphans}
	if err != nil {
		sum.Inputs = sum.Accepted + sum.Rejected
		return sum, err
	}
	if err := w.finish(ctx); err != nil {
		return sum, err
	}
	if stopped {
		sum.Inputs = sum.Accepted + sum.Rejected
		return sum, ErrStopped
	}
	if o.partitioned() {
		// The partition is done: say so for the merge, and leave the card and
		// the manifest to it.
		mark := fmt.Sprintf("partitions/%s.json", partTag(o.PartitionIndex, o.PartitionCount))
		b, _ := json.Marshal(map[string]any{"partition": o.PartitionIndex, "of": o.PartitionCount, "accepted": sum.Accepted, "rejected": sum.Rejected, "config_digest": digest})
		if err := o.Out.Put(ctx, mark, b); err != nil {
			return sum, fmt.Errorf("mark partition done: %w", err)
		}
		sum.Inputs = sum.Accepted + sum.Rejected
		return sum, nil
	}
	return finishDataset(ctx, o, append(prior.shards, w.shards...), sum, digest)
}

// merge writes the card and manifest over every partition's shards once all
// partitions have marked themselves done.
func merge(ctx context.Context, o Options, prior *priorState, digest string) (Summary, error) {
	var missing []string
	for i := 0; i < o.PartitionCount; i++ {
		if _, err := o.Out.Get(ctx, fmt.Sprintf("partitions/%s.json", partTag(i, o.PartitionCount))); err != nil {
			if !storage.IsNotExist(err) {
				return Summary{}, err
			}
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		return Summary{}, fmt.Errorf("cannot merge %s: partitions %s of %d have not finished (rerun them with the same flags and --partition-index)", o.Out.URI(""), strings.Join(missing, ", "), o.PartitionCount)
	}
	if prior.complete {
		if err := o.Out.Delete(ctx, "manifest.json"); err != nil {
			return Summary{}, err
		}
	}
	return finishDataset(ctx, o, prior.shards, Summary{ToolVersion: o.ToolVersion}, digest)
}

// finishDataset totals the committed shards and writes the card, then the manifest.
func finishDataset(ctx context.Context, o Options, all []shardStats, sum Summary, digest string) (Summary, error) {
	sum.Accepted, sum.Rejected, sum.ByReason, sum.Tasks = 0, 0, map[string]int64{}, map[string]int64{}
	for _, st := range all {
		sum.Shards = append(sum.Shards, st.Files...)
		for k, n := range st.Tasks {
			sum.Tasks[k] += n
		}
		if st.Kind == "samples" {
			sum.Accepted += int64(st.Rows)
		} else {
			sum.Rejected += int64(st.Rows)
			for r, n := range st.ByReason {
				sum.ByReason[r] += n
			}
		}
	}
	sum.Inputs = sum.Accepted + sum.Rejected
	card := datasetCard(sum, o.Segmenter.ID(), o.Captioner.ID(), o.Theta, o.K)
	if err := o.Out.Put(ctx, "README.md", []byte(card)); err != nil {
		return sum, fmt.Errorf("write dataset card: %w", err)
	}
	if err := writeManifest(ctx, o, sum, digest); err != nil {
		return sum, err
	}
	return sum, nil
}

// partitioned reports whether this run is one partition of several.
func (o Options) partitioned() bool { return o.PartitionCount > 1 && !o.Merge }

// partTag names a partition in file names.
func partTag(i, n int) string { return fmt.Sprintf("p%05dof%05d", i, n) }

// shardPrefix starts the names of the shards this run may write and clean up.
func (o Options) shardPrefix() string {
	if o.partitioned() {
		return "part-" + partTag(o.PartitionIndex, o.PartitionCount) + "-"
	}
	return "part-"
}

// InPartition reports whether an input key belongs to partition i of n.
func InPartition(key string, i, n int) bool {
	if n <= 1 {
		return true
	}
	h := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(h[:8])%uint64(n) == uint64(i)
}

// runID names this invocation's shards: sortable by time, unique by chance.
func runID() string {
	var b [3]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// outputNames are what a build owns inside its output folder.
var outputNames = []string{"samples/", "tasks/", "rejects/", "stats/", "README.md", "manifest.json"}

// prepareOutput clears the output when asked to start over and proves it is
// writable before any work.
func prepareOutput(ctx context.Context, out storage.Bucket, overwrite bool) error {
	var existing []string
	for _, p := range outputNames {
		err := out.List(ctx, p, func(ob storage.Object) error {
			existing = append(existing, ob.Key)
			return nil
		})
		if err != nil && !storage.IsNotExist(err) {
			return fmt.Errorf("output %s is not writable: %w (check the path and its permissions, or the bucket and credentials)", out.URI(""), err)
		}
	}
	if overwrite {
		for _, k := range existing {
			if err := out.Delete(ctx, k); err != nil {
				return fmt.Errorf("remove old %s: %w", out.URI(k), err)
			}
		}
	}
	probe := ".twigdata-write-probe"
	if err := out.Put(ctx, probe, []byte("ok")); err != nil {
		return fmt.Errorf("output %s is not writable: %w (check the path and its permissions, or the bucket policy)", out.URI(""), err)
	}
	return out.Delete(ctx, probe)
}

func writeManifest(ctx context.Context, o Options, sum Summary, digest string) error {
	stages := map[string]any{}
	for _, st := range sum.Stats.Stages {
		stages[st.Name] = map[string]any{"workers": st.Workers, "items": st.Items, "batches": st.Batches, "busy_seconds": st.Busy.Seconds()}
	}
	m := map[string]any{
		"tool":           "twigdata",
		"tool_version":   o.ToolVersion,
		"schema_version": schema.Version,
		"created":        time.Now().UTC().Format(time.RFC3339),
		"onnxruntime":    annotators.RuntimeVersion(),
		"go":             runtime.Version(),
		"annotators": map[string]any{
			"segmenter": map[string]any{"id": o.Segmenter.ID(), "labels": o.Segmenter.Labels()},
			"captioner": map[string]any{"id": o.Captioner.ID(), "vocab_size": o.Captioner.VocabSize()},
		},
		"config":       o.Config,
		"counts":       map[string]any{"inputs": sum.Inputs, "accepted": sum.Accepted, "rejected": sum.Rejected, "rejected_by_reason": sum.ByReason},
		"tasks":        map[string]any{"policy": o.TaskPolicy, "reflect_share_target": o.ReflectShare, "rows": sum.Tasks},
		"shards":       sum.Shards,
		"stages":       stages,
		"wall_seconds": sum.Stats.Wall.Seconds(),
		"canvas":       map[string]int{"width": o.CanvasWidth, "height": o.CanvasHeight, "patch": o.Patch, "k": o.K, "theta": o.Theta},
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := o.Out.Put(ctx, "manifest.json", append(b, '\n')); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
