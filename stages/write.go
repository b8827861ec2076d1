package stages

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
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
	policy    string
	share     float64
	theta     int

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
		w.tasks = append(w.tasks, Tasks(it.Record, w.policy, w.theta)...)
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
	tasks := balanceReflect(w.tasks, w.share, w.theta)
	t, err := put(ctx, w, "tasks/"+name+".parquet", "tasks", tasks)
	if err != nil {
		return err
	}
	st := shardStats{Shard: "samples-" + name, Kind: "samples", Rows: len(w.samples), Files: []ShardInfo{s, t}, Tasks: taskCounts(tasks, w.theta)}
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

// Task policies: which regions feed which supervised tasks.
//
//   - all (default): every region gives a think, a reflect and a generate row,
//     3·K rows per sample, the TwiG-50K layout.
//   - faithful: think and generate rows only from regions whose score reaches
//     θ — a thought the image does not satisfy would teach the generator to
//     ignore its plan — and reflect rows from every region: faithful ones
//     teach "high score, keep the plan", flawed ones "low score, revise".
//
// With a reflect share s in (0,1) the reflect rows of each committed shard
// are balanced toward s flawed: the surplus kind is thinned, keeping the rows
// with the smallest hash of their task id, so the choice does not depend on
// arrival order within the shard.
const (
	PolicyAll      = "all"
	PolicyFaithful = "faithful"
)

// Tasks expands a sample into its supervised rows under a policy.
func Tasks(s *schema.Sample, policy string, theta int) []schema.Task {
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
		faithful := int(r.Critic.Score) >= theta
		use := policy != PolicyFaithful || faithful
		if use {
			out = append(out, row(schema.TaskThink, s.Prompt, r.Plan, 0))
		}
		out = append(out, row(schema.TaskReflect, r.Plan, fmt.Sprintf("score: %d\nrevision: %s", r.Critic.Score, r.RevisedPlan), r.Critic.Score))
		thoughts = append(thoughts, r.Plan)
		if use {
			out = append(out, row(schema.TaskGenerate, strings.Join(thoughts, "\n"), "", 0))
		}
	}
	return out
}

// balanceReflect thins the reflect rows toward a share of flawed ones
// (score below theta); share <= 0 keeps every row.
func balanceReflect(rows []schema.Task, share float64, theta int) []schema.Task {
	if share <= 0 || share >= 1 {
		return rows
	}
	var flawed, faithful []int
	for i, r := range rows {
		if r.Task != schema.TaskReflect {
			continue
		}
		if int(r.Score) < theta {
			flawed = append(flawed, i)
		} else {
			faithful = append(faithful, i)
		}
	}
	f, g := float64(len(flawed)), float64(len(faithful))
	drop := map[int]bool{}
	thin := func(idx []int, keep int) {
		sort.Slice(idx, func(a, b int) bool { return taskHash(rows[idx[a]].ID) < taskHash(rows[idx[b]].ID) })
		for _, i := range idx[min(keep, len(idx)):] {
			drop[i] = true
		}
	}
	switch {
	case f+g == 0:
		return rows
	case f/(f+g) < share:
		thin(faithful, int(math.Round(f*(1-share)/share)))
	case f/(f+g) > share:
		thin(flawed, int(math.Round(g*share/(1-share))))
	}
	out := rows[:0:0]
	for i, r := range rows {
		if !drop[i] {
			out = append(out, r)
		}
	}
	return out
}

func taskHash(id string) uint64 {
	h := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint64(h[:8])
}

// taskCounts tallies a shard's task rows for the stats and the manifest.
func taskCounts(rows []schema.Task, theta int) map[string]int64 {
	c := map[string]int64{}
	for _, r := range rows {
		k := r.Task
		if r.Task == schema.TaskReflect {
			if int(r.Score) < theta {
				k = "reflect_flawed"
			} else {
				k = "reflect_faithful"
			}
		}
		c[k]++
	}
	return c
}
