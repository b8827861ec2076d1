package stages

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// ShardInfo describes one committed Parquet file in the manifest.
type ShardInfo struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"` // samples, tasks or rejects
	Rows   int    `json:"rows"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// shardWriter is the sink: it buffers rows and commits a shard of samples
// (with its tasks) or of rejects whenever one is full. Each file is written
// complete under its final name in one Put; the shard's stats file, written
// last, commits it (see shardStats).
type shardWriter struct {
	bucket    storage.Bucket
	shardRows int
	version   string
	run       string // unique per invocation, so a resumed run never reuses a name
	digest    string

	samples []schema.Sample
	tasks   []schema.Task
	rejects []schema.Reject
	nextS   int
	nextR   int
	shards  []shardStats

	accepted, rejected int64
	byReason           map[string]int64
	progress           func(accepted, rejected int64)
}

func (w *shardWriter) add(ctx context.Context, it *Item) error {
	if it.Reject != nil {
		w.rejected++
		w.byReason[it.Reject.Reason]++
		w.rejects = append(w.rejects, *it.Reject)
		if len(w.rejects) >= w.shardRows {
			if err := w.flushRejects(ctx); err != nil {
				return err
			}
		}
	} else {
		w.accepted++
		w.samples = append(w.samples, *it.Record)
		w.tasks = append(w.tasks, Tasks(it.Record)...)
		if len(w.samples) >= w.shardRows {
			if err := w.flushSamples(ctx); err != nil {
				return err
			}
		}
	}
	if w.progress != nil {
		w.progress(w.accepted, w.rejected)
	}
	return nil
}

func (w *shardWriter) finish(ctx context.Context) error {
	if len(w.samples) > 0 {
		if err := w.flushSamples(ctx); err != nil {
			return err
		}
	}
	if len(w.rejects) > 0 {
		return w.flushRejects(ctx)
	}
	return nil
}

func (w *shardWriter) flushSamples(ctx context.Context) error {
	name := fmt.Sprintf("part-%s-%05d", w.run, w.nextS)
	w.nextS++
	t0 := time.Now()
	s, err := put(ctx, w, "samples/"+name+".parquet", "samples", w.samples)
	if err != nil {
		return err
	}
	t, err := put(ctx, w, "tasks/"+name+".parquet", "tasks", w.tasks)
	if err != nil {
		return err
	}
	st := shardStats{Shard: "samples-" + name, Kind: "samples", Rows: len(w.samples), Files: []ShardInfo{s, t}}
	w.samples, w.tasks = w.samples[:0], w.tasks[:0]
	return w.commit(ctx, st, t0)
}

func (w *shardWriter) flushRejects(ctx context.Context) error {
	name := fmt.Sprintf("part-%s-%05d", w.run, w.nextR)
	w.nextR++
	t0 := time.Now()
	r, err := put(ctx, w, "rejects/"+name+".parquet", "rejects", w.rejects)
	if err != nil {
		return err
	}
	st := shardStats{Shard: "rejects-" + name, Kind: "rejects", Rows: len(w.rejects), Files: []ShardInfo{r}, ByReason: map[string]int64{}}
	for _, rj := range w.rejects {
		st.ByReason[rj.Reason]++
	}
	w.rejects = w.rejects[:0]
	return w.commit(ctx, st, t0)
}

func put[T any](ctx context.Context, w *shardWriter, key, kind string, rows []T) (ShardInfo, error) {
	data, err := schema.Encode(rows, w.version)
	if err != nil {
		return ShardInfo{}, fmt.Errorf("encode %s: %w", key, err)
	}
	if err := w.bucket.Put(ctx, key, data); err != nil {
		return ShardInfo{}, fmt.Errorf("commit shard: %w", err)
	}
	sum := sha256.Sum256(data)
	return ShardInfo{Path: key, Kind: kind, Rows: len(rows), Bytes: len(data), SHA256: hex.EncodeToString(sum[:])}, nil
}

// commit writes the stats file that makes the shard part of the dataset.
func (w *shardWriter) commit(ctx context.Context, st shardStats, t0 time.Time) error {
	st.ConfigDigest = w.digest
	st.WriteSeconds = time.Since(t0).Seconds()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := w.bucket.Put(ctx, statsKey(st.Shard), append(b, '\n')); err != nil {
		return fmt.Errorf("commit shard: %w", err)
	}
	w.shards = append(w.shards, st)
	return nil
}

// Tasks expands a sample into its 3·K supervised rows: think, reflect and
// generate for every region.
func Tasks(s *schema.Sample) []schema.Task {
	var out []schema.Task
	var thoughts []string
	for _, r := range s.Regions {
		ctxText := strings.Join(thoughts, "\n")
		row := func(task, input, target string, score int32) schema.Task {
			return schema.Task{
				ID: fmt.Sprintf("%s/%s/%d", s.ID, task, r.Index), SampleID: s.ID, Task: task, Region: r.Index,
				Prompt: s.Prompt, Context: ctxText, Input: input, Target: target, Score: score,
				TokenRowStart: r.TokenRowStart, TokenRowEnd: r.TokenRowEnd, Y0: r.Y0, Y1: r.Y1,
			}
		}
		out = append(out, row(schema.TaskThink, s.Prompt, r.Plan, 0))
		out = append(out, row(schema.TaskReflect, r.Plan, fmt.Sprintf("score: %d\nrevision: %s", r.Critic.Score, r.RevisedPlan), r.Critic.Score))
		thoughts = append(thoughts, r.Plan)
		out = append(out, row(schema.TaskGenerate, strings.Join(thoughts, "\n"), "", 0))
	}
	return out
}
