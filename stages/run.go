package stages

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/twigdata/twigdata/pipeline"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/source"
	"github.com/twigdata/twigdata/stages/write"
	"github.com/twigdata/twigdata/storage"
)

// Summary is what a build did.
type Summary struct {
	Inputs, Accepted, Rejected int64 // the whole dataset, earlier runs included
	ByReason                   map[string]int64
	Resumed                    int64 // inputs an earlier run had already committed
	Retried                    int64 // transient rejects taken out to be redone (--retry-rejects)
	Orphans                    int   // uncommitted files of a killed run, deleted and redone
	// Committed counts the inputs in the shards this run committed (a
	// stopped run's may be fewer than it took).
	Committed int64
	// Redone are the damaged shards and commit records a resume took out,
	// each with what was wrong; their inputs were redone.
	Redone      []string
	Stats       pipeline.Stats
	Shards      []schema.ShardFile
	Tasks       map[string]int64 // task rows by schema.Count* key over the whole dataset
	ToolVersion string
}

// ErrStopped is returned by Run when Config.Stop ended the input early.
var ErrStopped = errors.New("stopped before the input was finished; committed shards are kept and a rerun resumes")

// errStopSource ends a source early; the stages drain what is in flight.
var errStopSource = errors.New("stop")

// partitionTag names this run's partition.
func partitionTag(c Config) string {
	return schema.PartitionTag(c.Output.PartitionIndex, c.Output.PartitionCount)
}

// Count counts the inputs for a progress total; -1 when counting would cost a
// second read of the data (WebDataset shards).
func Count(ctx context.Context, c Config) (int64, error) {
	src := c.source()
	if src.Format == "" {
		f, err := source.Detect(ctx, c.Source.In, c.Source.Key)
		if err != nil {
			return -1, err
		}
		src.Format = f
	}
	return src.Count(ctx)
}

// Run runs the whole pipeline and writes the dataset, manifest.json last.
// Run again on the same output after any interruption, it keeps what earlier
// runs committed, deletes what they left uncommitted and does only the rest.
// It holds an exclusive lock on the output (or its partition) while it runs.
func Run(ctx context.Context, c Config) (sum Summary, err error) {
	if err := c.Validate(); err != nil {
		return Summary{}, err
	}
	if err := checkOverlap(c); err != nil {
		return Summary{}, err
	}
	if c.Source.Format == "" {
		f, err := source.Detect(ctx, c.Source.In, c.Source.Key)
		if err != nil {
			return Summary{}, err
		}
		c.Source.Format = f
	}
	if err := c.Source.fitsInput(); err != nil {
		return Summary{}, err
	}
	run := write.RunID()
	if c.partitioned() {
		run = partitionTag(c) + "-" + run
	}
	lock, err := takeLock(ctx, c, run)
	if err != nil {
		return Summary{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lock.Keep(cancel)
	defer func() {
		rctx, done := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer done()
		if rerr := lock.Release(rctx); rerr != nil && err == nil {
			err = fmt.Errorf("release the output lock: %w", rerr)
		}
		if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause // the lock was lost: say so, not "context canceled"
		}
	}()
	prior, fp, err := prepare(ctx, c)
	if err != nil {
		return Summary{}, err
	}
	if c.Hooks.Started != nil {
		c.Hooks.Started()
	}
	if c.Output.Merge {
		return merge(ctx, c, prior, fp.Digest(), fp)
	}
	return build(ctx, c, run, prior, fp)
}

// prepare readies the locked output for this run — clears it with
// overwrite, removes a killed run's files — and reads what earlier runs
// committed, refusing them if they were built with another fingerprint.
func prepare(ctx context.Context, c Config) (*write.Prior, Fingerprint, error) {
	i, n := 0, 1 // the lock takeLock took
	if c.partitioned() {
		i, n = c.Output.PartitionIndex, c.Output.PartitionCount
	}
	if err := write.Prepare(ctx, c.Output.Out, c.Output.Overwrite, i, n); err != nil {
		return nil, nil, err
	}
	fp := c.Fingerprint()
	prior, err := write.LoadPrior(ctx, c.Output.Out, write.Resume{Digest: fp.Digest(), Settings: fp, RetryRejects: c.Output.RetryRejects,
		Prefix: c.shardPrefix(), Clean: !c.Output.Merge, Verify: c.Output.Verify, Partitioned: c.Output.PartitionCount > 1})
	return prior, fp, err
}

// build processes the inputs earlier runs did not commit and writes their
// shards; a whole build then publishes the card and manifest, a partition
// marks itself done.
func build(ctx context.Context, c Config, run string, prior *write.Prior, fp Fingerprint) (Summary, error) {
	if prior.Complete && !c.partitioned() {
		// The dataset changes from here on: until the new manifest is written
		// last, nobody should take the old one for the whole dataset.
		if err := c.Output.Out.Delete(ctx, schema.ManifestKey); err != nil {
			return Summary{}, err
		}
	}
	if err := write.RecordRun(ctx, c.Output.Out, run); err != nil {
		return Summary{}, err
	}
	digest := fp.Digest()
	w := write.NewWriter(c.Output.Out, write.Config{ShardRows: c.Output.ShardRows, ToolVersion: c.Output.ToolVersion, Run: run, ConfigDigest: digest,
		Settings: fp, Policy: c.Output.TaskPolicy, ReflectShare: c.Output.ReflectShare, Theta: c.Canvas.Theta, Progress: c.Hooks.Progress, SourceURI: c.sourceURI(), Detail: c.detailPaths()})
	defer w.Discard() // a failed or stopped run leaves no spool file
	var todo inputsToDo
	stats, err := pipeline.Run(ctx, pipeline.Config[*Item]{
		Source: todo.source(c, prior),
		Stages: Stages(c),
		Done:   rejected,
		Sink:   func(ctx context.Context, it *Item) error { return w.Add(ctx, it.Record, it.Reject) },
	})
	sum := Summary{Accepted: w.Accepted(), Rejected: w.Rejected(), ByReason: w.ByReason(), Stats: stats, ToolVersion: c.Output.ToolVersion,
		Resumed: todo.resumed, Retried: prior.Retried, Orphans: prior.Orphans, Redone: prior.Redone}
	sum.Inputs = sum.Accepted + sum.Rejected
	committed := func() int64 {
		var n int64
		for _, st := range w.Shards() {
			n += int64(st.Rows)
		}
		return n
	}
	if err != nil {
		sum.Committed = committed()
		return sum, err
	}
	err = w.Finish(ctx)
	sum.Committed = committed()
	if err != nil {
		return sum, err
	}
	if todo.stopped {
		return sum, ErrStopped
	}
	if todo.listed == 0 {
		// Nothing was written: the run record goes too, leaving the output
		// as it was.
		if derr := c.Output.Out.Delete(ctx, schema.RunKey(run)); derr != nil {
			return sum, derr
		}
		return sum, settingErr("in", c.Source.In.URI(c.Source.Key), "no inputs in it: "+emptyInput(c.Source.Format)+"; check it (and in-format)")
	}
	if c.partitioned() {
		// The partition is done: say so for the merge, and leave the card and
		// the manifest to it.
		err := write.MarkPartition(ctx, c.Output.Out, schema.PartitionMark{Partition: c.Output.PartitionIndex, Of: c.Output.PartitionCount,
			Accepted: sum.Accepted, Rejected: sum.Rejected, ConfigDigest: digest, Settings: fp})
		return sum, err
	}
	return publish(ctx, c, append(prior.Shards, w.Shards()...), sum)
}

// inputsToDo counts, as the pipeline's source runs, the inputs listed,
// those an earlier run committed (resumed) and whether Stop ended the input.
type inputsToDo struct {
	listed, resumed int64
	stopped         bool
}

// source emits the inputs of this run's partition that no earlier run
// committed, until the input ends or Stop is closed.
func (t *inputsToDo) source(c Config, prior *write.Prior) func(context.Context, func(*Item) error) error {
	all := Inputs(c)
	return func(ctx context.Context, emit func(*Item) error) error {
		err := all(ctx, func(it *Item) error {
			t.listed++
			if c.partitioned() && !write.InPartition(it.Key, c.Output.PartitionIndex, c.Output.PartitionCount) {
				return nil
			}
			if prior.Done[schema.EscapeKey(it.Key)] {
				t.resumed++
				return nil
			}
			if c.Hooks.Stop != nil {
				select {
				case <-c.Hooks.Stop:
					t.stopped = true
					return errStopSource
				default:
				}
			}
			return emit(it)
		})
		if errors.Is(err, errStopSource) {
			return nil // the stages drain what is in flight
		}
		return err
	}
}

// emptyInput says what an input of the format should have held.
func emptyInput(format string) string {
	switch format {
	case source.FormatManifest:
		return "the manifest has no rows"
	case source.FormatWebDataset:
		return "there are no .tar shards, or they hold no members"
	}
	return "it holds no <stem>.jpg|jpeg|png|webp or <stem>.txt|json files"
}

// takeLock locks the output for this run: the whole output, or one
// partition of it — and makes sure no build of the other kind is writing.
func takeLock(ctx context.Context, c Config, run string) (*write.Lock, error) {
	if c.partitioned() {
		if err := write.Check(ctx, c.Output.Out, schema.LockKey(0, 1)); err != nil {
			return nil, err
		}
		return write.Acquire(ctx, c.Output.Out, schema.LockKey(c.Output.PartitionIndex, c.Output.PartitionCount), run)
	}
	lock, err := write.Acquire(ctx, c.Output.Out, schema.LockKey(0, 1), run)
	if err != nil {
		return nil, err
	}
	var held []string
	err = c.Output.Out.List(ctx, schema.ControlDir+"lock-", func(o storage.Object) error {
		held = append(held, o.Key)
		return nil
	})
	if err != nil && !storage.IsNotExist(err) {
		lock.Release(ctx)
		return nil, err
	}
	for _, k := range held {
		if err := write.Check(ctx, c.Output.Out, k); err != nil {
			lock.Release(ctx)
			return nil, err
		}
	}
	return lock, nil
}

// checkOverlap refuses an output that is, contains or lies inside the input
// a listing reads: the dataset would be read as input, or the input deleted
// as old output. One input file (a manifest, a shard) may sit beside it.
func checkOverlap(c Config) error {
	in, out := location(c.Source.In.URI("")), location(c.Output.Out.URI(""))
	switch {
	case in == "" || out == "":
		return nil
	case in == out:
		return settingErr("out", c.Output.Out.URI(""), "is the input folder: choose an output folder apart from the input")
	case strings.HasPrefix(in, out):
		return settingErr("out", c.Output.Out.URI(""), fmt.Sprintf("contains the input %s: choose an output folder apart from the input", c.Source.In.URI("")))
	case strings.HasPrefix(out, in) && c.Source.Key == "":
		return settingErr("out", c.Output.Out.URI(""), fmt.Sprintf("lies inside the input %s: a rerun would read the dataset as input; choose an output folder outside it", c.Source.In.URI("")))
	}
	return nil
}

// location is a comparable form of a bucket root ending in "/": s3://b/p/, or
// a local path with links resolved as far as it exists; "" for others.
func location(uri string) string {
	if strings.HasPrefix(uri, "s3://") {
		return strings.TrimSuffix(uri, "/") + "/"
	}
	if !filepath.IsAbs(uri) {
		return ""
	}
	p := filepath.Clean(uri)
	rest := ""
	for {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(real, rest) + string(filepath.Separator)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Clean(uri) + string(filepath.Separator)
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// merge writes the card and manifest over every partition's shards once all
// partitions have marked themselves done with these settings and every input
// is in a committed shard.
func merge(ctx context.Context, c Config, prior *write.Prior, digest string, settings Fingerprint) (Summary, error) {
	missing, err := write.UnfinishedPartitions(ctx, c.Output.Out, c.Output.PartitionCount, digest, settings)
	if err != nil {
		return Summary{}, err
	}
	if len(missing) > 0 {
		return Summary{}, fmt.Errorf("cannot merge %s: partitions %s of %d have not finished (rerun them with the same settings and their partition-index)",
			c.Output.Out.URI(""), joinInts(missing), c.Output.PartitionCount)
	}
	// Every input accounted for: a partition marked done before inputs were
	// added has not seen them.
	lacking := map[int]int{}
	var example string
	err = Inputs(c)(ctx, func(it *Item) error {
		if !prior.Done[schema.EscapeKey(it.Key)] {
			for i := 0; i < c.Output.PartitionCount; i++ {
				if write.InPartition(it.Key, i, c.Output.PartitionCount) {
					lacking[i]++
				}
			}
			if example == "" {
				example = it.Key
			}
		}
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	if len(lacking) > 0 {
		parts := make([]int, 0, len(lacking))
		n := 0
		for p, k := range lacking {
			parts = append(parts, p)
			n += k
		}
		sort.Ints(parts)
		return Summary{}, fmt.Errorf("cannot merge %s: %d inputs are in no committed shard (for example %s); rerun partitions %s of %d with the same flags, then merge",
			c.Output.Out.URI(""), n, storage.Quote(example), joinInts(parts), c.Output.PartitionCount)
	}
	if prior.Complete {
		if err := c.Output.Out.Delete(ctx, schema.ManifestKey); err != nil {
			return Summary{}, err
		}
	}
	return publish(ctx, c, prior.Shards, Summary{ToolVersion: c.Output.ToolVersion})
}

func joinInts(v []int) string {
	const shown = 20 // a message names a few, not a million
	s := make([]string, 0, min(len(v), shown))
	for _, n := range v[:min(len(v), shown)] {
		s = append(s, fmt.Sprint(n))
	}
	if len(v) > shown {
		return strings.Join(s, ", ") + fmt.Sprintf(" and %d more", len(v)-shown)
	}
	return strings.Join(s, ", ")
}

// publish totals the committed shards and writes the card, then the manifest.
func publish(ctx context.Context, c Config, shards []schema.ShardStats, sum Summary) (Summary, error) {
	stages := map[string]schema.StageStats{}
	for _, st := range sum.Stats.Stages {
		stages[st.Name] = schema.StageStats{Workers: st.Workers, Items: st.Items, Batches: st.Batches, BusySeconds: st.Busy.Seconds()}
	}
	m, err := write.Publish(ctx, c.Output.Out, shards, schema.Manifest{
		Tool:          "twigdata",
		ToolVersion:   c.Output.ToolVersion,
		SchemaVersion: schema.Version,
		ONNXRuntime:   c.Models.Runtime,
		Go:            runtime.Version(),
		Annotators: schema.ManifestAnnotators{
			Segmenter: schema.ManifestSegmenter{ID: c.Models.Segmenter.ID(), Labels: c.Models.Segmenter.Labels(), LabelKinds: kindNames(c.Models.Segmenter.Kinds()), KindSource: c.Models.Segmenter.KindSource()},
			Captioner: schema.ManifestCaptioner{ID: c.Models.Captioner.ID(), VocabSize: c.Models.Captioner.VocabSize()},
			Models:    c.Models.Provenance,
		},
		Config:      c.Output.Echo,
		Tasks:       schema.ManifestTasks{Policy: c.Output.TaskPolicy, ReflectShareTarget: c.Output.ReflectShare},
		Stages:      stages,
		WallSeconds: sum.Stats.Wall.Seconds(),
		Canvas:      schema.ManifestCanvas{Width: c.Canvas.Width, Height: c.Canvas.Height, Patch: c.Canvas.Patch, K: c.Canvas.K, Theta: c.Canvas.Theta},
		License:     schema.ManifestLicense{ID: c.Output.License, Name: c.Output.LicenseName, Link: c.Output.LicenseLink},
		Warnings:    c.Models.Warnings,
		Out:         s3URI(c.Output.Out),
		S3:          c.Output.S3,
	})
	sum.Accepted, sum.Rejected, sum.Inputs = m.Counts.Accepted, m.Counts.Rejected, m.Counts.Inputs
	sum.ByReason, sum.Tasks, sum.Shards = m.Counts.RejectedByReason, m.Tasks.Rows, m.Shards
	return sum, err
}

// s3URI is the output's s3:// URI, or "" for a folder: a folder of the
// build machine is not the dataset's to publish.
func s3URI(out storage.Bucket) string {
	if u := out.URI(""); strings.HasPrefix(u, "s3://") {
		return u
	}
	return ""
}

// kindNames spells the thing/stuff split for the manifest.
func kindNames(kinds []evidence.Kind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.String()
	}
	return out
}
