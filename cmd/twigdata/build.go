package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages"
	"github.com/twigdata/twigdata/storage"
)

const buildUsage = `Usage: twigdata build [--in DIR|s3://bucket/prefix] [--out DIR|s3://bucket/prefix] [flags]

Reads prompt/image pairs — a folder or prefix of <stem>.jpg|jpeg|png|webp + <stem>.txt or
<stem>.json ("prompt" field), a .jsonl/.csv/.parquet manifest, or WebDataset .tar shards —
segments and captions each canvas and its K regions with ONNX Runtime, writes a plan, a
critique (five sub-scores and r in 0..100) and a revision per region, filters by quality
and writes Parquet shards:

  <out>/samples/*.parquet   one row per accepted sample
  <out>/tasks/*.parquet     think / reflect / generate rows (3·K per sample, see --task-policy)
  <out>/rejects/*.parquet   one row per rejected input: key, stage, reason, detail
  <out>/stats/*.json        per-shard counts and timings
  <out>/README.md           dataset card (Hugging Face YAML header)
  <out>/manifest.json       written last: config, versions, model hashes, shards

Rerunning the same command after an interruption (Ctrl-C, SIGTERM, SIGKILL, a lost
machine) resumes: committed shards are kept, files a killed run left uncommitted are
deleted, and only inputs not yet in samples/ or rejects/ are processed.

--out must be empty, missing or a twigdata dataset, apart from --in: twigdata deletes
only what it wrote. A build holds a lock on --out (.twigdata/lock) while it runs; a
second build into it fails naming the first.

Every flag can also be set in --config FILE (YAML or JSON, keys are flag names
without dashes); flags on the command line win over the file.

Environment: ONNXRUNTIME_LIB (path of libonnxruntime.so), AWS_* (standard AWS
configuration for s3:// paths), AWS_ENDPOINT_URL_S3 (S3-compatible endpoint).

Exit codes: 0 done, 1 failed (the message says what to fix), 2 bad usage,
130 interrupted (SIGINT), 143 terminated (SIGTERM); committed shards are kept.

Flags:
`

type buildFlags struct {
	fs                      *flag.FlagSet
	in, out, config         string
	segmenter, captioner    string
	device, ortLib          string
	variant, labelKinds     string
	captionTask             string
	grounding               bool
	threads                 int
	overwrite               bool
	progress                string
	logEvery                time.Duration
	grace                   time.Duration
	s3Endpoint, s3Region    string
	s3PathStyle             bool
	s3Attempts              int
	s3Timeout               time.Duration
	opts                    stages.Config
	maxImageMB, maxPromptKB int64
}

func newBuildFlags(stderr io.Writer) *buildFlags {
	b := &buildFlags{fs: flag.NewFlagSet("build", flag.ContinueOnError)}
	f := b.fs
	f.SetOutput(stderr)
	d := stages.DefaultConfig()
	b.opts = d
	o := &b.opts
	f.StringVar(&b.in, "in", "", "input folder or s3://bucket/prefix of pairs (default: the sample bundled in the binary)")
	f.StringVar(&b.out, "out", "twigdata-out", "output folder or s3://bucket/prefix for the dataset")
	f.StringVar(&b.config, "config", "", "YAML or JSON file with flag values (keys are flag names)")
	f.BoolVar(&b.overwrite, "overwrite", d.Overwrite, "delete the dataset already in --out and start over (by default a rerun resumes: committed shards are kept, only missing inputs are done); only files twigdata wrote are deleted")
	f.BoolVar(&o.RetryRejects, "retry-rejects", d.RetryRejects, "also redo the inputs an earlier run rejected for transient reasons (for example an object that vanished mid-run)")
	f.StringVar(&b.segmenter, "segmenter", "", "segmenter model directory, an Optimum export or a Hub ONNX repository: model.onnx (at the root or under onnx/), config.json (id2label), preprocessor_config.json (default: bundled tiny model)")
	f.StringVar(&b.captioner, "captioner", "", "captioner model directory, an Optimum export or a Hub ONNX repository: encoder_model.onnx and decoder_model_merged.onnx or decoder_model.onnx (+ decoder_with_past_model.onnx), at the root or under onnx/; config.json, vocab.json or tokenizer.json, preprocessor_config.json; or a Florence-2 export (onnx/vision_encoder.onnx, embed_tokens.onnx, encoder_model.onnx, decoder_model_merged.onnx), which also grounds the prompt's phrases (default: bundled tiny model)")
	f.StringVar(&b.captionTask, "caption-task", "caption", "what a Florence-2 captioner writes for the canvas and each region: caption, detailed_caption or more_detailed_caption")
	f.BoolVar(&b.grounding, "grounding", true, "with a Florence-2 captioner, ground the prompt's entity phrases on each canvas (<CAPTION_TO_PHRASE_GROUNDING>); a phrase it finds counts as found where the segmenter missed it; --grounding=false saves its model calls")
	f.StringVar(&b.variant, "model-variant", "fp32", "which graph files of the model directories to load: "+strings.Join(annotators.Variants(), ", ")+" (model.onnx, model_fp16.onnx, model_quantized.onnx, model_q4.onnx, …, at the root or under onnx/)")
	f.StringVar(&b.labelKinds, "label-kinds", "", "YAML or JSON file saying for each segmenter label whether it is a thing or stuff ({sky: stuff, ball: thing}), for a label set that is neither in the model's config.json (label_kinds) nor a standard one (COCO-panoptic, Cityscapes)")
	f.StringVar(&b.device, "device", "cpu", "where models run: cpu, cuda or cuda:N (needs a CUDA build of ONNX Runtime in ONNXRUNTIME_LIB)")
	f.StringVar(&b.ortLib, "ort-lib", "", "path of libonnxruntime.so (default: $ONNXRUNTIME_LIB, then .deps/onnxruntime/ of a checkout)")
	f.IntVar(&b.threads, "threads", 0, "ONNX Runtime intra-op threads per session on CPU (0: one per core)")
	f.IntVar(&o.CanvasWidth, "canvas-width", d.CanvasWidth, "canvas width in pixels; images are resized to cover it and center-cropped")
	f.IntVar(&o.CanvasHeight, "canvas-height", d.CanvasHeight, "canvas height in pixels")
	f.IntVar(&o.Patch, "patch", d.Patch, "generator patch size in pixels: one token per patch; region boundaries fall on token rows")
	f.IntVar(&o.K, "k", d.K, "number of regions (horizontal bands) per image")
	f.IntVar(&o.Theta, "theta", d.Theta, "reflection threshold: a region scoring below it gets a revised plan")
	f.Int64Var(&o.MaxPixels, "max-pixels", d.MaxPixels, "reject images whose header claims more pixels (decompression-bomb guard)")
	f.Int64Var(&b.maxImageMB, "max-image-mb", d.MaxImageBytes>>20, "reject image files larger than this many MiB")
	f.Int64Var(&b.maxPromptKB, "max-prompt-kb", d.MaxPromptBytes>>10, "reject prompt files larger than this many KiB")
	f.StringVar(&o.PromptField, "prompt-field", d.PromptField, "field holding the prompt in <stem>.json files")
	f.StringVar(&o.InFormat, "in-format", d.InFormat, "input format: pairs (a folder or prefix of <stem>.jpg + <stem>.txt), manifest (a .jsonl, .csv or .parquet file), webdataset (.tar shards, or a folder or prefix of them); default: detected")
	f.StringVar(&o.PromptColumn, "prompt-column", d.PromptColumn, "manifest column holding the prompt")
	f.StringVar(&o.ImageColumn, "image-column", d.ImageColumn, "manifest column holding the image: a path relative to the manifest, or an s3:// URI")
	f.StringVar(&o.KeyColumn, "key-column", d.KeyColumn, "manifest column naming each input (default: the image reference without its extension)")
	f.IntVar(&o.MinSide, "min-side", d.MinSide, "reject images whose shorter side is below this many pixels")
	f.Float64Var(&o.MaxBlur, "max-blur", d.MaxBlur, "reject canvases whose blur is above this: a no-reference measure on the canvas's edges, 0 crisp to 1 blurred (an image with too few edges to judge is kept)")
	f.Float64Var(&o.MaxBlockiness, "max-blockiness", d.MaxBlockiness, "reject JPEGs whose 8×8 block grid shows above this (steps across block boundaries over steps inside blocks; 1 is none)")
	f.IntVar(&o.MinScore, "min-score", d.MinScore, "reject samples whose mean critic score is below this (0..100)")
	f.Float64Var(&o.MinAlignment, "min-alignment", d.MinAlignment, "reject samples where less than this share (0..1) of the prompt's objects was found")
	f.IntVar(&o.FetchWorkers, "fetch-workers", d.FetchWorkers, "concurrent reads from the input (I/O-bound)")
	f.IntVar(&o.DecodeWorkers, "decode-workers", d.DecodeWorkers, "concurrent image decodes (CPU-bound; default: cores)")
	f.IntVar(&o.AnnotateWorkers, "annotate-workers", d.AnnotateWorkers, "concurrent model batches (one already uses every core or the GPU)")
	f.IntVar(&o.ComposeWorkers, "compose-workers", d.ComposeWorkers, "concurrent plan/critique writers (CPU-bound; default: cores)")
	f.IntVar(&o.BatchSize, "batch-size", d.BatchSize, "most samples per model call (raise on a GPU); each sample adds its canvas and its K region crops to the captioner batch")
	f.DurationVar(&o.BatchWait, "batch-wait", d.BatchWait, "longest a partial batch waits for more samples before the models run")
	f.IntVar(&o.ShardRows, "shard-rows", d.ShardRows, "rows per Parquet shard")
	f.StringVar(&o.TaskPolicy, "task-policy", d.TaskPolicy, "which regions feed which tasks: all (think, reflect and generate from every region: 3·K rows per sample) or faithful (think and generate only from regions scoring at least --theta, reflect from all)")
	f.IntVar(&o.PartitionCount, "partition-count", d.PartitionCount, "split the input into this many partitions by a hash of each key, one per batch task (AWS Batch array job, Kubernetes Indexed Job); all write into the same --out")
	f.IntVar(&o.PartitionIndex, "partition-index", -1, "this task's partition, 0..count-1 (default: $AWS_BATCH_JOB_ARRAY_INDEX or $JOB_COMPLETION_INDEX)")
	f.BoolVar(&o.Merge, "merge", d.Merge, "after every partition finished: write the dataset card and manifest.json over all their shards (same flags, with --partition-count)")
	f.Float64Var(&o.ReflectShare, "reflect-share", d.ReflectShare, "target share (0..1) of flawed regions among reflect rows, reached by thinning the surplus kind in each shard; 0 keeps every reflect row")
	f.IntVar(&o.JPEGQuality, "jpeg-quality", d.JPEGQuality, "JPEG quality of the stored canvas image")
	f.StringVar(&o.SourceURIMode, "source-uri", d.SourceURIMode, "what the source_uri columns hold: relative (the input's path below --in, so the dataset names no folder of this machine), absolute (the full path or s3:// URI) or none (null)")
	f.StringVar(&o.License, "license", d.License, `licence the dataset card declares: the images' and prompts' licence id as the Hub spells it ("mit", "cc-by-4.0", …), unknown, or other (then also --license-name and --license-link)`)
	f.StringVar(&o.LicenseName, "license-name", d.LicenseName, "with --license other: a short id for the licence (the card's license_name)")
	f.StringVar(&o.LicenseLink, "license-link", d.LicenseLink, "with --license other: where the licence text is, a URL or a path inside the dataset (the card's license_link)")
	f.StringVar(&b.s3Endpoint, "s3-endpoint", "", "S3-compatible endpoint URL (also AWS_ENDPOINT_URL_S3); implies path-style addressing")
	f.StringVar(&b.s3Region, "s3-region", "", "AWS region (default: the AWS configuration's, else us-east-1)")
	f.BoolVar(&b.s3PathStyle, "s3-path-style", false, "use path-style S3 addressing")
	f.IntVar(&b.s3Attempts, "s3-attempts", 8, "attempts per S3 request: transient faults (503 SlowDown, 500, resets, stalled or cut bodies) are retried with capped exponential backoff and jitter")
	f.DurationVar(&b.s3Timeout, "s3-timeout", 2*time.Minute, "time limit of one S3 request attempt, body included: a stalled connection is retried, never waited on forever")
	f.StringVar(&b.progress, "progress", "auto", "progress display: auto (a bar on a terminal, log lines otherwise), bar, log or none")
	f.DurationVar(&b.logEvery, "log-every", 10*time.Second, "interval of progress log lines when not on a terminal")
	f.DurationVar(&b.grace, "grace", 30*time.Second, "after SIGINT/SIGTERM, how long in-flight work may take to finish and be committed before it is abandoned")
	f.Usage = func() {
		fmt.Fprint(f.Output(), buildUsage)
		f.PrintDefaults()
	}
	return b
}

// progressModes are the values --progress takes.
var progressModes = []string{"auto", "bar", "log", "none"}

// check refuses flag values no build can use, naming the flag and its range;
// the build settings themselves are checked by stages.Config.Validate.
func (b *buildFlags) check() error {
	set := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["in"] && strings.TrimSpace(b.in) == "":
		return errors.New("--in is empty: give a folder, a manifest or shard file, or s3://bucket/prefix (leave --in out to build the bundled sample)")
	case strings.TrimSpace(b.out) == "":
		return errors.New("--out is empty: give a folder or s3://bucket/prefix for the dataset")
	case b.logEvery <= 0:
		return fmt.Errorf("--log-every %s must be above 0 (for example 10s)", b.logEvery)
	case !slices.Contains(progressModes, b.progress):
		return fmt.Errorf("--progress %q: want one of %s", b.progress, strings.Join(progressModes, ", "))
	case b.s3Attempts < 1:
		return fmt.Errorf("--s3-attempts %d must be at least 1", b.s3Attempts)
	case b.s3Timeout <= 0:
		return fmt.Errorf("--s3-timeout %s must be above 0", b.s3Timeout)
	case b.grace < 0:
		return fmt.Errorf("--grace %s must not be negative", b.grace)
	case !slices.Contains(annotators.Variants(), b.variant):
		return fmt.Errorf("--model-variant %q: want one of %s", b.variant, strings.Join(annotators.Variants(), ", "))
	case b.threads < 0:
		return fmt.Errorf("--threads %d must not be negative (0: one per core)", b.threads)
	case b.maxImageMB < 1 || b.maxImageMB > 1<<20:
		return fmt.Errorf("--max-image-mb %d must be in 1..%d", b.maxImageMB, 1<<20)
	case b.maxPromptKB < 1 || b.maxPromptKB > 1<<20:
		return fmt.Errorf("--max-prompt-kb %d must be in 1..%d", b.maxPromptKB, 1<<20)
	case set["partition-index"] && b.opts.PartitionCount < 2 && b.opts.PartitionIndex != 0:
		return fmt.Errorf("--partition-index %d needs --partition-count above it", b.opts.PartitionIndex)
	}
	return nil
}

// applyConfig sets every flag named in the config file that was not given on the command line.
func (b *buildFlags) applyConfig() error {
	if b.config == "" {
		return nil
	}
	data, err := os.ReadFile(b.config)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil { // JSON is YAML too
		return fmt.Errorf("--config %s: not valid YAML or JSON: %w", b.config, err)
	}
	set := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.ReplaceAll(k, "_", "-")
		if name == "config" {
			return fmt.Errorf("--config %s: a config file cannot name another config file", b.config)
		}
		if b.fs.Lookup(name) == nil {
			return fmt.Errorf("--config %s: unknown setting %q (settings are build flag names, see twigdata build --help)", b.config, k)
		}
		if set[name] {
			continue
		}
		if err := b.fs.Set(name, fmt.Sprint(m[k])); err != nil {
			return fmt.Errorf("--config %s: %s: %w", b.config, k, err)
		}
	}
	return nil
}

func cmdBuild(args []string, stdout, stderr io.Writer) int {
	b := newBuildFlags(stderr)
	if err := b.fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if b.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "twigdata build: unexpected argument %q (use --in and --out)\n", b.fs.Arg(0))
		return exitUsage
	}
	if err := b.applyConfig(); err != nil {
		fmt.Fprintln(stderr, "twigdata build:", err)
		return exitUsage
	}
	if err := b.check(); err != nil {
		fmt.Fprintln(stderr, "twigdata build:", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	sig := newSignals(b.grace, func(s os.Signal) {
		log.Info("stopping: no new input; finishing and committing in-flight work", "signal", s.String(), "grace", b.grace, "again", "a second signal stops at once")
	})
	defer sig.done()
	b.opts.Stop = sig.stop
	sum, err := b.run(sig.ctx, stdout, stderr, log)
	if err != nil {
		code := exitCode(sig, err)
		if code == exitInterrupted || code == exitTerminated {
			fmt.Fprintf(stderr, "twigdata build: interrupted; %d inputs done this run, committed shards are kept; rerun the same command to resume\n", sum.Accepted+sum.Rejected)
		} else {
			fmt.Fprintln(stderr, "twigdata build:", err)
		}
		return code
	}
	if b.opts.PartitionCount > 1 && !b.opts.Merge {
		fmt.Fprintf(stdout, "\nPartition done: %d inputs (%d accepted, %d rejected) into %s.\nWhen every partition is done, run the same command with --merge instead of --partition-index to write the manifest.\n",
			sum.Inputs, sum.Accepted, sum.Rejected, b.out)
		return exitOK
	}
	printSummary(stdout, b.out, sum)
	return exitOK
}

func (b *buildFlags) run(ctx context.Context, stdout, stderr io.Writer, log *slog.Logger) (stages.Summary, error) {
	dev, err := annotators.ParseDevice(b.device)
	if err != nil {
		return stages.Summary{}, err
	}
	dev.Threads = b.threads
	if err := annotators.Init(b.ortLib); err != nil {
		return stages.Summary{}, err
	}
	sd := modelDir(b.segmenter, "segmenter", b.variant)
	if sd.LabelKinds, err = readLabelKinds(b.labelKinds); err != nil {
		return stages.Summary{}, err
	}
	seg, err := annotators.LoadSegmenter(sd, dev)
	if err != nil {
		return stages.Summary{}, err
	}
	defer seg.Close()
	task, err := annotators.ParseCaptionTask(b.captionTask)
	if err != nil {
		return stages.Summary{}, err
	}
	capt, err := annotators.OpenCaptioner(modelDir(b.captioner, "captioner", b.variant), dev, task)
	if err != nil {
		return stages.Summary{}, err
	}
	defer capt.Close()
	var ground stages.Grounder
	if g, ok := capt.(stages.Grounder); ok && b.grounding {
		ground = g
	}

	s3cfg := storage.S3Config{Endpoint: b.s3Endpoint, PathStyle: b.s3PathStyle, Region: b.s3Region, MaxAttempts: b.s3Attempts, Timeout: b.s3Timeout}
	var in storage.Reader
	var inKey string
	inName := b.in
	if b.in == "" {
		in = storage.NewFS(twigdata.Sample(), "bundled:sample")
		inName = "the bundled sample"
	} else if in, inKey, err = openInput(ctx, b.in, s3cfg); err != nil {
		return stages.Summary{}, err
	}
	out, err := storage.Open(ctx, b.out, s3cfg)
	if err != nil {
		return stages.Summary{}, err
	}
	// A hung endpoint must fail in one request's time, not after every retry.
	for _, r := range []storage.Reader{in, out} {
		if err := storage.Probe(ctx, r, b.s3Timeout); err != nil {
			return stages.Summary{}, err
		}
	}

	o := b.opts
	if o.PartitionIndex < 0 && o.PartitionCount > 1 && !o.Merge {
		for _, env := range []string{"AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"} {
			if v := os.Getenv(env); v != "" {
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 0 {
					return stages.Summary{}, fmt.Errorf("$%s=%q is not a partition index (a whole number from 0)", env, v)
				}
				o.PartitionIndex = n
				break
			}
		}
		if o.PartitionIndex < 0 {
			return stages.Summary{}, fmt.Errorf("--partition-count %d needs --partition-index (or $AWS_BATCH_JOB_ARRAY_INDEX / $JOB_COMPLETION_INDEX)", o.PartitionCount)
		}
	}
	if o.PartitionIndex < 0 {
		o.PartitionIndex = 0 // one partition, or a merge: the index is not used
	}
	o.In, o.Out, o.InKey = in, out, inKey
	o.OpenRef = refOpener(s3cfg)
	o.Segmenter, o.Captioner, o.Grounder = seg, capt, ground
	o.Overwrite = b.overwrite
	o.MaxImageBytes = b.maxImageMB << 20
	o.MaxPromptBytes = b.maxPromptKB << 10
	o.ToolVersion = twigdata.Version
	o.Runtime = annotators.RuntimeVersion()
	o.Settings = b.echo()
	o.Settings["partition-index"] = fmt.Sprint(o.PartitionIndex) // as used, from the environment too
	var ignored atomic.Int64
	o.OnIgnored = func(string) { ignored.Add(1) }

	var acc, rej atomic.Int64
	stopProgress := b.startProgress(ctx, o, stderr, log, &acc, &rej)
	o.Progress = func(a, r int64) { acc.Store(a); rej.Store(r) }
	fmt.Fprintf(stderr, "twigdata: building from %s into %s (device %s, ONNX Runtime %s)\n", inName, out.URI(""), dev, annotators.RuntimeVersion())
	sum, err := stages.Run(ctx, o)
	stopProgress()
	if n := ignored.Load(); n > 0 {
		log.Info("ignored files that are neither images nor prompts", "count", n)
	}
	return sum, err
}

// echo is the configuration recorded in the manifest: every flag but secrets-free paths only.
func (b *buildFlags) echo() map[string]any {
	m := map[string]any{}
	b.fs.VisitAll(func(f *flag.Flag) { m[f.Name] = f.Value.String() })
	if b.in == "" {
		m["in"] = "bundled:sample"
	}
	return m
}

// readLabelKinds reads a --label-kinds file: label → "thing" or "stuff".
func readLabelKinds(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--label-kinds: %w", err)
	}
	var m map[string]string
	if err := yaml.Unmarshal(data, &m); err != nil { // JSON is YAML too
		return nil, fmt.Errorf("--label-kinds %s: want a map of label to thing or stuff: %w", path, err)
	}
	for l, k := range m {
		if k != "thing" && k != "stuff" {
			return nil, fmt.Errorf("--label-kinds %s: label %q is %q; want thing or stuff", path, l, k)
		}
	}
	return m, nil
}

// modelDir opens a model directory on disk, or the bundled model of the role
// when path is ""; variant picks its graph files.
func modelDir(path, role, variant string) annotators.ModelDir {
	if path == "" {
		return annotators.ModelDir{FS: twigdata.Model(role), Name: "bundled:" + role, Variant: variant}
	}
	var fsys fs.FS = os.DirFS(path)
	return annotators.ModelDir{FS: fsys, Name: path, Path: path, Variant: variant}
}

// startProgress shows a bar on a terminal or logs periodically otherwise; the
// total is counted by a separate listing so the bar can show an ETA.
func (b *buildFlags) startProgress(ctx context.Context, o stages.Config, stderr io.Writer, log *slog.Logger, acc, rej *atomic.Int64) func() {
	mode := b.progress
	if mode == "auto" {
		mode = "log"
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	if mode == "none" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var total atomic.Int64
	total.Store(-1)
	go func() {
		n, err := stages.Count(ctx, o)
		if err == nil && n >= 0 {
			total.Store(n)
		}
	}()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		var bar *progressbar.ProgressBar
		every := b.logEvery
		if mode == "bar" {
			bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("samples"),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("samples"),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		shownMax := int64(-1)
		for {
			select {
			case <-ctx.Done():
				if bar != nil {
					bar.Finish()
				}
				return
			case <-t.C:
			}
			done := acc.Load() + rej.Load()
			if bar != nil {
				if tot := total.Load(); tot != shownMax && tot >= 0 {
					bar.ChangeMax64(tot)
					shownMax = tot
				}
				bar.Set64(done)
				continue
			}
			rate := float64(done) / time.Since(start).Seconds()
			args := []any{"done", done, "accepted", acc.Load(), "rejected", rej.Load(), "rate_per_s", fmt.Sprintf("%.1f", rate)}
			if tot := total.Load(); tot > 0 && rate > 0 {
				args = append(args, "total", tot, "eta", (time.Duration(float64(tot-done)/rate) * time.Second).Round(time.Second))
			}
			log.Info("progress", args...)
		}
	}()
	return func() { cancel(); <-finished }
}

func printSummary(w io.Writer, out string, sum stages.Summary) {
	where := out
	if !strings.HasPrefix(out, "s3://") {
		if abs, err := filepath.Abs(out); err == nil {
			where = abs
		}
	}
	fmt.Fprintf(w, "\nDataset written to %s\n", where)
	fmt.Fprintf(w, "  inputs:   %d\n  accepted: %d\n  rejected: %d\n", sum.Inputs, sum.Accepted, sum.Rejected)
	if sum.Resumed > 0 || sum.Orphans > 0 || sum.Retried > 0 {
		fmt.Fprintf(w, "  resumed:  %d inputs were already committed by an earlier run (%d uncommitted files removed, %d transient rejects retried)\n", sum.Resumed, sum.Orphans, sum.Retried)
	}
	reasons := make([]string, 0, len(sum.ByReason))
	for r := range sum.ByReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "    %-28s %d\n", r, sum.ByReason[r])
	}
	if len(sum.Tasks) > 0 {
		flawed, faithful := sum.Tasks[schema.CountReflectFlawed], sum.Tasks[schema.CountReflectFaithful]
		share := 0.0
		if flawed+faithful > 0 {
			share = float64(flawed) / float64(flawed+faithful)
		}
		fmt.Fprintf(w, "  tasks:    %d think, %d generate, %d reflect (%d flawed, %d faithful: %.1f%% flawed)\n",
			sum.Tasks[schema.CountThink], sum.Tasks[schema.CountGenerate], flawed+faithful, flawed, faithful, 100*share)
	}
	var throughput float64
	if sum.Stats.Wall > 0 {
		throughput = float64(sum.Stats.Items) / sum.Stats.Wall.Seconds()
	}
	fmt.Fprintf(w, "  took:     %s (%.1f samples/s)\n", sum.Stats.Wall.Round(time.Millisecond), throughput)
	glob := strings.TrimSuffix(where, "/")
	fmt.Fprintf(w, "\nLook at it with DuckDB:\n\n  duckdb -c \"SELECT s.prompt, r.index, r.plan, r.critic.score, r.reflected\n    FROM read_parquet('%s/samples/*.parquet') s, unnest(s.regions) t(r) LIMIT 9\"\n\n", glob)
	fmt.Fprintf(w, "  duckdb -c \"SELECT stage, reason, key, detail FROM read_parquet('%s/rejects/*.parquet')\"\n", glob)
	if !strings.HasPrefix(glob, "s3://") && sum.Accepted > 0 {
		fmt.Fprintf(w, "\nor with Hugging Face datasets (one row per sample: the image and its TwiG turns):\n\n  python -c \"from datasets import load_dataset; print(load_dataset('%s', 'training', split='train'))\"\n", glob)
	}
}

// inputFileExts are the extensions that make --in one file rather than a folder or prefix.
var inputFileExts = map[string]bool{".jsonl": true, ".ndjson": true, ".json": true, ".csv": true, ".parquet": true, ".tar": true}

// openInput opens --in: a folder or prefix, or one manifest or shard file in it.
func openInput(ctx context.Context, in string, s3cfg storage.S3Config) (storage.Reader, string, error) {
	if strings.HasPrefix(in, "s3://") {
		if ext := strings.ToLower(filepath.Ext(in)); inputFileExts[ext] {
			i := strings.LastIndex(in, "/")
			b, err := storage.Open(ctx, in[:i+1], s3cfg)
			return b, in[i+1:], err
		}
		b, err := storage.Open(ctx, in, s3cfg)
		return b, "", err
	}
	st, err := os.Stat(in)
	if err != nil {
		return nil, "", fmt.Errorf("--in %s is not a readable folder or file: %w", in, err)
	}
	if st.IsDir() {
		b, err := storage.NewLocal(in)
		return b, "", err
	}
	b, err := storage.NewLocal(filepath.Dir(in))
	return b, filepath.Base(in), err
}

// refOpener resolves the s3:// image references of a manifest, one client per bucket.
func refOpener(cfg storage.S3Config) func(context.Context, string) (storage.Reader, string, error) {
	var mu sync.Mutex
	buckets := map[string]storage.Reader{}
	return func(ctx context.Context, uri string) (storage.Reader, string, error) {
		rest := strings.TrimPrefix(uri, "s3://")
		i := strings.IndexByte(rest, '/')
		if i <= 0 || i == len(rest)-1 {
			return nil, "", fmt.Errorf("%q is not an s3://bucket/key URI", uri)
		}
		name, key := rest[:i], rest[i+1:]
		mu.Lock()
		defer mu.Unlock()
		if b, ok := buckets[name]; ok {
			return b, key, nil
		}
		b, err := storage.Open(ctx, "s3://"+name+"/", cfg)
		if err != nil {
			return nil, "", err
		}
		buckets[name] = b
		return b, key, nil
	}
}
