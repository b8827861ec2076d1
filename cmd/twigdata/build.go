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
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/florence2"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/storage"
)

const buildUsage = `Usage: twigdata build [--in DIR|s3://bucket/prefix] [--out DIR|s3://bucket/prefix] [flags]

Reads prompt/image pairs — a folder or prefix of <stem>.jpg|jpeg|png|webp + <stem>.txt or
<stem>.json ("prompt" field), a .jsonl/.csv/.parquet manifest, or WebDataset .tar shards —
segments and captions each canvas and its K regions with ONNX Runtime, writes a plan, a
critique (five sub-scores and r in 0..100) and a revision per region, filters by quality
and writes Parquet shards:

  <out>/samples/*.parquet   one row per accepted sample
  <out>/tasks/*.parquet     think / reflect / generate rows (up to 3·K per sample, see --task-policy)
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

// buildFlags are the build command's flags: the settings of stages.Config,
// bound from their table (flags.go), and the flags the CLI owns.
type buildFlags struct {
	fs              *flag.FlagSet
	in, out, config string
	// readS3 and warnings are what the summary tells readers, set by run.
	readS3               *schema.ManifestS3
	warnings             []string
	segmenter, captioner string
	device, ortLib       string
	variant, labelKinds  string
	captionTask          string
	beams                int
	grounding            bool
	threads              int
	partitionIndex       int
	progress             string
	logEvery             time.Duration
	grace                time.Duration
	s3Endpoint, s3Region string
	s3PathStyle          bool
	s3UnenforcedLock     bool
	s3Attempts           int
	s3Timeout            time.Duration
	opts                 stages.Config
}

func newBuildFlags(stderr io.Writer) *buildFlags {
	b := &buildFlags{fs: flag.NewFlagSet("build", flag.ContinueOnError), opts: stages.DefaultConfig()}
	f := b.fs
	f.SetOutput(stderr)
	bindSettings(f, &b.opts)
	f.StringVar(&b.in, "in", "", "input folder or s3://bucket/prefix of pairs, or one manifest or .tar shard file (default: the sample bundled in the binary)")
	f.StringVar(&b.out, "out", "twigdata-out", "output folder or s3://bucket/prefix for the dataset")
	f.StringVar(&b.config, "config", "", "YAML or JSON file with flag values (keys are flag names)")
	f.StringVar(&b.segmenter, "segmenter", "", "segmenter model directory, an Optimum export or a Hub ONNX repository: model.onnx (at the root or under onnx/), config.json (id2label), preprocessor_config.json (default: bundled tiny model)")
	f.StringVar(&b.captioner, "captioner", "", "captioner model directory, an Optimum export or a Hub ONNX repository: encoder_model.onnx and decoder_model_merged.onnx or decoder_model.onnx (+ decoder_with_past_model.onnx), at the root or under onnx/; config.json, vocab.json or tokenizer.json, preprocessor_config.json; or a Florence-2 export (onnx/vision_encoder.onnx, embed_tokens.onnx, encoder_model.onnx, decoder_model_merged.onnx), which also grounds the prompt's phrases (default: bundled tiny model)")
	f.StringVar(&b.captionTask, "caption-task", "caption", "what a Florence-2 captioner writes for the canvas and each region: caption, detailed_caption or more_detailed_caption")
	f.IntVar(&b.beams, "beams", 1, "with a Florence-2 captioner, decode captions and groundings with a beam search of N beams (1..16), as transformers' generate(num_beams=N) does with the model's length_penalty and early_stopping (Florence-2's own config asks for 3); 1 decodes greedily, the fastest")
	f.BoolVar(&b.grounding, "grounding", true, "with a Florence-2 captioner, ground the prompt's entity phrases on each canvas (<CAPTION_TO_PHRASE_GROUNDING>); a phrase it finds counts as found where the segmenter missed it; --grounding=false saves its model calls")
	f.StringVar(&b.variant, "model-variant", "fp32", "which graph files of the model directories to load: "+strings.Join(annotators.Variants(), ", ")+" (model.onnx, model_fp16.onnx, model_quantized.onnx, model_q4.onnx, …, at the root or under onnx/)")
	f.StringVar(&b.labelKinds, "label-kinds", "", "YAML or JSON file saying for each segmenter label whether it is a thing or stuff ({sky: stuff, ball: thing}), for a label set that is neither in the model's config.json (label_kinds) nor a standard one (COCO-panoptic, Cityscapes)")
	f.StringVar(&b.device, "device", "cpu", "where models run: cpu, cuda or cuda:N (needs a CUDA build of ONNX Runtime in ONNXRUNTIME_LIB)")
	f.StringVar(&b.ortLib, "ort-lib", "", "path of libonnxruntime.so (default: $ONNXRUNTIME_LIB, then .deps/onnxruntime/ of a checkout)")
	f.IntVar(&b.threads, "threads", 0, "ONNX Runtime intra-op threads per session on CPU (0: one per core; at most 256)")
	f.IntVar(&b.partitionIndex, "partition-index", -1, "this task's partition, 0..count-1 (default: $AWS_BATCH_JOB_ARRAY_INDEX or $JOB_COMPLETION_INDEX)")
	f.StringVar(&b.s3Endpoint, "s3-endpoint", "", "S3-compatible endpoint URL (also AWS_ENDPOINT_URL_S3); implies path-style addressing")
	f.StringVar(&b.s3Region, "s3-region", "", "AWS region (default: the AWS configuration's, else us-east-1)")
	f.BoolVar(&b.s3PathStyle, "s3-path-style", false, "use path-style S3 addressing")
	f.IntVar(&b.s3Attempts, "s3-attempts", 8, "attempts per S3 request: transient faults (503 SlowDown, 500, resets, stalled or cut bodies) are retried with capped exponential backoff and jitter (1..100)")
	f.BoolVar(&b.s3UnenforcedLock, "s3-unenforced-lock", false, "build on an S3 store that does not enforce conditional writes (If-None-Match, If-Match), with a best-effort lock: two builds started together into one output can then both write; manifest.json records it. Without it such a store is refused")
	f.DurationVar(&b.s3Timeout, "s3-timeout", 2*time.Minute, "time limit of one S3 request attempt, body included: a stalled connection is retried, never waited on forever (up to 1h)")
	f.StringVar(&b.progress, "progress", "auto", "progress display: auto (a bar on a terminal, log lines otherwise), bar, log or none")
	f.DurationVar(&b.logEvery, "log-every", 10*time.Second, "interval of progress log lines when not on a terminal (100ms..24h)")
	f.DurationVar(&b.grace, "grace", 30*time.Second, "after SIGINT/SIGTERM, how long in-flight work may take to finish and be committed before it is abandoned (0..24h; a second signal stops at once)")
	// A mistyped flag gets the flag package's one line and a pointer to
	// --help, not the 90 lines of every flag; --help gets them.
	f.Usage = func() {}
	return b
}

// maxThreads bounds --threads: ONNX Runtime starts that many threads per
// session, and past the cores of any machine they only contend.
const maxThreads = 256

// progressModes are the values --progress takes.
var progressModes = []string{"auto", "bar", "log", "none"}

// check refuses flag values no build can use, naming the flag and its range:
// the CLI's own, then the settings (stages.Config.ValidateSettings).
func (b *buildFlags) check() error {
	set := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["in"] && strings.TrimSpace(b.in) == "":
		return errors.New("--in is empty: give a folder, a manifest or shard file, or s3://bucket/prefix (leave --in out to build the bundled sample)")
	case strings.TrimSpace(b.out) == "":
		return errors.New("--out is empty: give a folder or s3://bucket/prefix for the dataset")
	case b.beams < 1 || b.beams > 16:
		return fmt.Errorf("--beams %d: want 1 (greedy) to 16 beams", b.beams)
	case b.logEvery < 100*time.Millisecond:
		return fmt.Errorf("--log-every %s must be at least 100ms (for example 10s): each interval writes a line", b.logEvery)
	case !slices.Contains(progressModes, b.progress):
		return fmt.Errorf("--progress %q: want one of %s", b.progress, strings.Join(progressModes, ", "))
	case b.logEvery > 24*time.Hour:
		return fmt.Errorf("--log-every %s must be at most 24h", b.logEvery)
	case b.s3Attempts < 1 || b.s3Attempts > 100:
		return fmt.Errorf("--s3-attempts %d must be in 1..100", b.s3Attempts)
	case b.s3Timeout <= 0 || b.s3Timeout > time.Hour:
		return fmt.Errorf("--s3-timeout %s must be above 0 and at most 1h", b.s3Timeout)
	case b.grace < 0 || b.grace > 24*time.Hour:
		return fmt.Errorf("--grace %s must be in 0..24h", b.grace)
	case !slices.Contains(annotators.Variants(), b.variant):
		return fmt.Errorf("--model-variant %q: want one of %s", b.variant, strings.Join(annotators.Variants(), ", "))
	case b.threads < 0 || b.threads > maxThreads:
		return fmt.Errorf("--threads %d must be in 0..%d (0: one per core)", b.threads, maxThreads)
	case set["partition-index"] && b.opts.Output.PartitionCount < 2 && b.partitionIndex != 0:
		return fmt.Errorf("--partition-index %d needs --partition-count above it", b.partitionIndex)
	}
	probe := b.opts
	probe.Output.PartitionIndex = max(b.partitionIndex, 0)
	return flagError(probe.ValidateSettings())
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
	spelt := map[string]string{} // flag name → the key that set it
	for _, k := range keys {
		name := strings.ReplaceAll(k, "_", "-")
		f := b.fs.Lookup(name)
		switch {
		case name == "config":
			return fmt.Errorf("--config %s: a config file cannot name another config file", b.config)
		case f == nil:
			return fmt.Errorf("--config %s: unknown setting %q (settings are build flag names, see twigdata build --help)", b.config, k)
		case spelt[name] != "":
			return fmt.Errorf("--config %s: %s is set twice, as %q and %q: keep one", b.config, name, spelt[name], k)
		}
		spelt[name] = k
		v, err := configValue(k, m[k], f)
		if err != nil {
			return fmt.Errorf("--config %s: %w", b.config, err)
		}
		if set[name] {
			continue
		}
		if err := b.fs.Set(name, v); err != nil {
			return fmt.Errorf("--config %s: %s: %q is not %s", b.config, k, v, flagKind(f))
		}
	}
	return nil
}

// configValue is a config file's value as its flag takes it: a scalar, with
// $VAR and ${VAR} of a string expanded from the environment ($HOME). A key
// with no value (null) or a list or map is an error naming the key.
func configValue(k string, v any, f *flag.Flag) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", fmt.Errorf("%s has no value: give one (%s), or leave the key out for the default (%q)", k, flagKind(f), f.DefValue)
	case string:
		return os.ExpandEnv(x), nil
	case []any, map[string]any:
		return "", fmt.Errorf("%s: want a single value (%s), not a list or map", k, flagKind(f))
	}
	return fmt.Sprint(v), nil
}

// flagKind says what values a flag takes, for messages.
func flagKind(f *flag.Flag) string {
	switch f.Value.(type) {
	case interface{ IsBoolFlag() bool }:
		return "true or false"
	}
	switch fmt.Sprintf("%T", f.Value) {
	case "*flag.intValue", "*flag.int64Value", "*flag.uintValue":
		return "a whole number"
	case "*flag.float64Value":
		return "a number"
	case "*flag.durationValue":
		return "a duration with its unit, such as 30s or 2m"
	}
	return "a string"
}

func cmdBuild(args []string, stdout, stderr io.Writer) int {
	b := newBuildFlags(stderr)
	if err := b.fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fmt.Fprint(stderr, buildUsage)
			b.fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintln(stderr, "twigdata build --help lists every flag")
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
	b.opts.Hooks.Stop = sig.stop
	sum, err := b.run(sig.ctx, stdout, stderr, log)
	if err != nil {
		code := exitCode(sig, err)
		if code == exitInterrupted || code == exitTerminated {
			fmt.Fprintf(stderr, "twigdata build: interrupted; this run committed %d inputs, which are kept (the %d it had not committed are redone); rerun the same command to resume\n",
				sum.Committed, max(0, sum.Accepted+sum.Rejected-sum.Committed))
		} else {
			fmt.Fprintln(stderr, "twigdata build:", flagError(err))
		}
		return code
	}
	if b.opts.Output.PartitionCount > 1 && !b.opts.Output.Merge {
		fmt.Fprintf(stdout, "\nPartition done: %d inputs (%d accepted, %d rejected) into %s.\nWhen every partition is done, run the same command with --merge instead of --partition-index to write the manifest.\n",
			sum.Inputs, sum.Accepted, sum.Rejected, b.out)
		return exitOK
	}
	printSummary(stdout, b.out, sum, b.readS3, b.warnings)
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
	seg, err := segmenter.Load(sd, dev)
	if err != nil {
		return stages.Summary{}, err
	}
	defer seg.Close()
	task, err := florence2.ParseTask(b.captionTask)
	if err != nil {
		return stages.Summary{}, err
	}
	cd := modelDir(b.captioner, "captioner", b.variant)
	capt, err := captioner.Open(cd, dev, task)
	if err != nil {
		return stages.Summary{}, err
	}
	defer capt.Close()
	if fl, ok := capt.(*florence2.Model); ok {
		fl.SetBeams(b.beams)
	} else if b.beams > 1 {
		return stages.Summary{}, fmt.Errorf("--beams %d: the captioner %s decodes greedily; beam search is for Florence-2 captioners", b.beams, cd.Name)
	}
	var ground compose.Grounder
	if g, ok := capt.(compose.Grounder); ok && b.grounding {
		ground = g
	}

	s3cfg := storage.S3Config{Endpoint: b.s3Endpoint, PathStyle: b.s3PathStyle, Region: b.s3Region, MaxAttempts: b.s3Attempts, Timeout: b.s3Timeout, UnenforcedLock: b.s3UnenforcedLock}
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
	index, err := b.partition()
	if err != nil {
		return stages.Summary{}, err
	}
	o.Output.PartitionIndex = index
	o.Source.In, o.Source.Key, o.Source.OpenRef = in, inKey, storage.RefOpener(s3cfg)
	o.Output.Out = out
	o.Models = stages.ModelConfig{Segmenter: seg, Captioner: capt, Grounder: ground, Runtime: annotators.RuntimeVersion(),
		Provenance: []schema.ManifestModel{provenance(sd, "segmenter", seg.ID()), provenance(cd, "captioner", capt.ID())}}
	if ground != nil {
		o.Models.Provenance = append(o.Models.Provenance, provenance(cd, "grounder", ground.ID()))
	}
	if strings.HasPrefix(b.out, "s3://") {
		// How readers reach it: the endpoint the build used, none of it secret.
		o.Output.S3 = &schema.ManifestS3{Endpoint: firstOf(b.s3Endpoint, os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("AWS_ENDPOINT_URL")),
			Region: firstOf(b.s3Region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION")), PathStyle: b.s3PathStyle}
		b.readS3 = o.Output.S3
	}
	if b.in != "" && (b.segmenter == "" || b.captioner == "") {
		// The demonstration models on someone's photographs write a dataset
		// of "gray road" and "a white bench" that looks like data.
		o.Models.Warnings = append(o.Models.Warnings, DemonstrationWarning)
		fmt.Fprintf(stderr, "twigdata: warning: the dataset will be %s.\n", DemonstrationWarning)
		b.warnings = o.Models.Warnings
	}
	o.Output.ToolVersion = twigdata.Version
	o.Output.Echo = b.echo()
	o.Output.Echo["partition-index"] = fmt.Sprint(index) // as used, from the environment too
	var ignored atomic.Int64
	o.Hooks.OnIgnored = func(string) { ignored.Add(1) }

	var acc, rej atomic.Int64
	stopProgress := b.startProgress(ctx, o, stderr, log, &acc, &rej)
	o.Hooks.Progress = func(a, r int64) { acc.Store(a); rej.Store(r) }
	o.Hooks.Started = func() {
		fmt.Fprintf(stderr, "twigdata: building from %s into %s (device %s, ONNX Runtime %s)\n", inName, out.URI(""), dev, annotators.RuntimeVersion())
	}
	sum, err := stages.Run(ctx, o)
	stopProgress()
	if n := ignored.Load(); n > 0 {
		log.Info("ignored files that are neither images nor prompts", "count", n)
	}
	return sum, err
}

// firstOf is the first of vs that is not empty.
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// partition is this task's partition index: --partition-index, else the
// batch engine's index variable; 0 for a whole build or a merge.
func (b *buildFlags) partition() (int, error) {
	out := b.opts.Output
	if b.partitionIndex >= 0 || out.PartitionCount < 2 || out.Merge {
		return max(b.partitionIndex, 0), nil
	}
	for _, env := range []string{"AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"} {
		if v := os.Getenv(env); v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 0 {
				return 0, fmt.Errorf("$%s=%q is not a partition index (a whole number from 0)", env, v)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("--partition-count %d needs --partition-index (or $AWS_BATCH_JOB_ARRAY_INDEX / $JOB_COMPLETION_INDEX)", out.PartitionCount)
}

// echo is the configuration recorded in the manifest: every flag but secrets-free paths only.
func (b *buildFlags) echo() map[string]any {
	m := map[string]any{}
	b.fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		if pathFlags[f.Name] && v != "" && !strings.HasPrefix(v, "s3://") && b.opts.Output.SourceURIMode != stages.SourceURIAbsolute {
			v = filepath.Base(v) // a folder of this machine is not the dataset's to publish
		}
		m[f.Name] = v
	})
	if b.in == "" {
		m["in"] = "bundled:sample"
	}
	return m
}

// pathFlags are the flags that name files or folders of the build machine:
// manifest.json's config keeps only their last element, unless source_uri
// is absolute.
var pathFlags = map[string]bool{"in": true, "out": true, "config": true, "segmenter": true, "captioner": true, "label-kinds": true, "ort-lib": true}

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
