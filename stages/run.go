package stages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/twigdata/twigdata/pipeline"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/source"
	"github.com/twigdata/twigdata/stages/write"
)

// Summary is what a build did.
type Summary struct {
	Inputs, Accepted, Rejected int64 // the whole dataset, earlier runs included
	ByReason                   map[string]int64
	Resumed                    int64 // inputs an earlier run had already committed
	Retried                    int64 // transient rejects taken out to be redone (--retry-rejects)
	Orphans                    int   // uncommitted files of a killed run, deleted and redone
	Stats                      pipeline.Stats
	Shards                     []schema.ShardFile
	Tasks                      map[string]int64 // task rows by schema.Count* key over the whole dataset
	ToolVersion                string
}

// ErrStopped is returned by Run when Config.Stop ended the input early.
var ErrStopped = errors.New("stopped before the input was finished; committed shards are kept and a rerun resumes")

// errStopSource ends a source early; the stages drain what is in flight.
var errStopSource = errors.New("stop")

// partitionTag names this run's partition.
func partitionTag(c Config) string { return schema.PartitionTag(c.PartitionIndex, c.PartitionCount) }

// Count counts the inputs for a progress total; -1 when counting would cost a
// second read of the data (WebDataset shards).
func Count(ctx context.Context, c Config) (int64, error) {
	src := c.source()
	if src.Format == "" {
		f, err := source.Detect(ctx, c.In, c.InKey)
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
func Run(ctx context.Context, c Config) (Summary, error) {
	if err := c.Validate(); err != nil {
		return Summary{}, err
	}
	if err := write.Prepare(ctx, c.Out, c.Overwrite); err != nil {
		return Summary{}, err
	}
	if c.InFormat == "" {
		f, err := source.Detect(ctx, c.In, c.InKey)
		if err != nil {
			return Summary{}, err
		}
		c.InFormat = f
	}
	digest := configDigest(c)
	prior, err := write.LoadPrior(ctx, c.Out, digest, c.RetryRejects, c.shardPrefix(), !c.Merge)
	if err != nil {
		return Summary{}, err
	}
	if c.Merge {
		return merge(ctx, c, prior)
	}
	if prior.Complete && !c.partitioned() {
		// The dataset changes from here on: until the new manifest is written
		// last, nobody should take the old one for the whole dataset.
		if err := c.Out.Delete(ctx, schema.ManifestKey); err != nil {
			return Summary{}, err
		}
	}
	run := write.RunID()
	if c.partitioned() {
		run = partitionTag(c) + "-" + run
	}
	w := write.NewWriter(c.Out, write.Config{ShardRows: c.ShardRows, ToolVersion: c.ToolVersion, Run: run, ConfigDigest: digest,
		Policy: c.TaskPolicy, ReflectShare: c.ReflectShare, Theta: c.Theta, Progress: c.Progress})
	var resumed int64
	var stopped bool
	all := Inputs(c)
	src := func(ctx context.Context, emit func(*Item) error) error {
		err := all(ctx, func(it *Item) error {
			if c.partitioned() && !write.InPartition(it.Key, c.PartitionIndex, c.PartitionCount) {
				return nil
			}
			if prior.Done[it.Key] {
				resumed++
				return nil
			}
			if c.Stop != nil {
				select {
				case <-c.Stop:
					stopped = true
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
	stats, err := pipeline.Run(ctx, pipeline.Config[*Item]{
		Source: src,
		Stages: Stages(c),
		Done:   rejected,
		Sink:   func(ctx context.Context, it *Item) error { return w.Add(ctx, it.Record, it.Reject) },
	})
	sum := Summary{Accepted: w.Accepted(), Rejected: w.Rejected(), ByReason: w.ByReason(), Stats: stats, ToolVersion: c.ToolVersion,
		Resumed: resumed, Retried: prior.Retried, Orphans: prior.Orphans}
	sum.Inputs = sum.Accepted + sum.Rejected
	if err != nil {
		return sum, err
	}
	if err := w.Finish(ctx); err != nil {
		return sum, err
	}
	if stopped {
		return sum, ErrStopped
	}
	if c.partitioned() {
		// The partition is done: say so for the merge, and leave the card and
		// the manifest to it.
		err := write.MarkPartition(ctx, c.Out, schema.PartitionMark{Partition: c.PartitionIndex, Of: c.PartitionCount,
			Accepted: sum.Accepted, Rejected: sum.Rejected, ConfigDigest: digest})
		return sum, err
	}
	return publish(ctx, c, append(prior.Shards, w.Shards()...), sum)
}

// merge writes the card and manifest over every partition's shards once all
// partitions have marked themselves done.
func merge(ctx context.Context, c Config, prior *write.Prior) (Summary, error) {
	missing, err := write.UnfinishedPartitions(ctx, c.Out, c.PartitionCount)
	if err != nil {
		return Summary{}, err
	}
	if len(missing) > 0 {
		names := make([]string, len(missing))
		for i, p := range missing {
			names[i] = fmt.Sprint(p)
		}
		return Summary{}, fmt.Errorf("cannot merge %s: partitions %s of %d have not finished (rerun them with the same flags and --partition-index)",
			c.Out.URI(""), strings.Join(names, ", "), c.PartitionCount)
	}
	if prior.Complete {
		if err := c.Out.Delete(ctx, schema.ManifestKey); err != nil {
			return Summary{}, err
		}
	}
	return publish(ctx, c, prior.Shards, Summary{ToolVersion: c.ToolVersion})
}

// publish totals the committed shards and writes the card, then the manifest.
func publish(ctx context.Context, c Config, shards []schema.ShardStats, sum Summary) (Summary, error) {
	stages := map[string]schema.StageStats{}
	for _, st := range sum.Stats.Stages {
		stages[st.Name] = schema.StageStats{Workers: st.Workers, Items: st.Items, Batches: st.Batches, BusySeconds: st.Busy.Seconds()}
	}
	m, err := write.Publish(ctx, c.Out, shards, schema.Manifest{
		Tool:          "twigdata",
		ToolVersion:   c.ToolVersion,
		SchemaVersion: schema.Version,
		ONNXRuntime:   c.Runtime,
		Go:            runtime.Version(),
		Annotators: schema.ManifestAnnotators{
			Segmenter: schema.ManifestSegmenter{ID: c.Segmenter.ID(), Labels: c.Segmenter.Labels()},
			Captioner: schema.ManifestCaptioner{ID: c.Captioner.ID(), VocabSize: c.Captioner.VocabSize()},
		},
		Config:      c.Settings,
		Tasks:       schema.ManifestTasks{Policy: c.TaskPolicy, ReflectShareTarget: c.ReflectShare},
		Stages:      stages,
		WallSeconds: sum.Stats.Wall.Seconds(),
		Canvas:      schema.ManifestCanvas{Width: c.CanvasWidth, Height: c.CanvasHeight, Patch: c.Patch, K: c.K, Theta: c.Theta},
	})
	sum.Accepted, sum.Rejected, sum.Inputs = m.Counts.Accepted, m.Counts.Rejected, m.Counts.Inputs
	sum.ByReason, sum.Tasks, sum.Shards = m.Counts.RejectedByReason, m.Tasks.Rows, m.Shards
	return sum, err
}

// configDigest fingerprints every setting that changes records, so a rerun
// with other settings cannot mix two kinds of records in one dataset.
func configDigest(c Config) string {
	b, _ := json.Marshal([]any{c.CanvasWidth, c.CanvasHeight, c.Patch, c.K, c.Theta, c.MinSide, c.MinSharpness,
		c.MinScore, c.MinAlignment, c.MaxPixels, c.MaxImageBytes, c.MaxPromptBytes, c.PromptField, c.JPEGQuality,
		c.Segmenter.ID(), c.Captioner.ID(), c.ToolVersion, schema.Version, c.TaskPolicy, c.ReflectShare})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}
