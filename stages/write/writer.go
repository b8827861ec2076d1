// Package write commits a build's records: Parquet shards of samples (with
// their tasks) and rejects, each committed by its stats file; resume reads
// those commit records; partitions, the merge, the dataset card and the
// manifest finish the dataset.
package write

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Config configures the shard writer of one run.
type Config struct {
	ShardRows   int    // rows per shard
	ToolVersion string // recorded as the Parquet files' creator
	// Run names this invocation's shards (see schema.ShardName).
	Run          string
	ConfigDigest string            // recorded in every stats file: resume refuses other settings
	Settings     map[string]string // the settings behind the digest, to name what differs
	Policy       string            // task policy: PolicyAll or PolicyFaithful
	ReflectShare float64           // target share of flawed reflect rows per shard; 0 keeps all
	Theta        int
	// Progress, when set, is told the run's counts after every record.
	Progress func(accepted, rejected int64)
	// SourceURI, when set, maps each row's source_uri to what is stored
	// (relative to the input root, or none).
	SourceURI func(string) string
	// Detail, when set, maps each reject's detail to what is stored (paths
	// of the build machine made relative to the input root).
	Detail func(string) string
	// SpoolDir is where a samples shard's files are written before they are
	// stored in the output; "" is the system's temporary folder.
	SpoolDir string
}

// Writer is the pipeline's sink: it gathers rows and commits a shard of
// samples (with its tasks and training rows) or of rejects whenever one is
// full. Samples and training rows go to spool files on local disk as they
// arrive; task and reject rows, small, are held until the shard is full.
// Each file is stored complete under its final name in one put; the shard's
// stats file, written last, commits it (see schema.ShardStats). It is not
// safe for concurrent use: the pipeline's sink is one goroutine.
type Writer struct {
	bucket storage.Bucket
	cfg    Config

	// The open samples shard: its samples and training rows spooled to local
	// disk as they come, its task rows (balanced per shard) and input keys.
	samples  *spool[schema.Sample]
	training *spool[schema.Example]
	tasks    []schema.Task
	keys     []string
	rejects  []schema.Reject
	nextS    int
	nextR    int
	shards   []schema.ShardStats

	accepted, rejected int64
	byReason           map[string]int64
}

// NewWriter returns a writer of shards into out.
func NewWriter(out storage.Bucket, cfg Config) *Writer {
	return &Writer{bucket: out, cfg: cfg, byReason: map[string]int64{}}
}

// Accepted and Rejected count the records this writer took.
func (w *Writer) Accepted() int64 { return w.accepted }

// Rejected counts the reject rows this writer took.
func (w *Writer) Rejected() int64 { return w.rejected }

// ByReason counts this writer's reject rows by reason code.
func (w *Writer) ByReason() map[string]int64 { return w.byReason }

// Shards are the shards this writer committed.
func (w *Writer) Shards() []schema.ShardStats { return w.shards }

// Add takes one input's outcome: its sample, or its reject when rej is set.
func (w *Writer) Add(ctx context.Context, s *schema.Sample, rej *schema.Reject) error {
	if f := w.cfg.SourceURI; f != nil {
		if rej != nil {
			rej.SourceURI = f(rej.SourceURI)
		} else {
			s.SourceURI = f(s.SourceURI)
		}
	}
	if rej != nil && w.cfg.Detail != nil {
		rej.Detail = w.cfg.Detail(rej.Detail)
	}
	if rej != nil {
		w.rejected++
		w.byReason[rej.Reason]++
		w.rejects = append(w.rejects, *rej)
		if len(w.rejects) >= w.cfg.ShardRows {
			if err := w.flushRejects(ctx); err != nil {
				return err
			}
		}
	} else {
		w.accepted++
		if w.samples == nil {
			var err error
			if w.samples, err = newSpool[schema.Sample](w.cfg.SpoolDir, w.cfg.ToolVersion); err != nil {
				return err
			}
			if w.training, err = newSpool[schema.Example](w.cfg.SpoolDir, w.cfg.ToolVersion); err != nil {
				return err
			}
		}
		if err := w.samples.add(*s); err != nil {
			return err
		}
		if err := w.training.add(exampleOf(s, w.cfg.Policy, w.cfg.Theta)); err != nil {
			return err
		}
		w.tasks = append(w.tasks, taskRowsOf(s, w.cfg.Policy, w.cfg.Theta)...)
		w.keys = append(w.keys, s.Key)
		if len(w.keys) >= w.cfg.ShardRows {
			if err := w.flushSamples(ctx); err != nil {
				return err
			}
		}
	}
	if w.cfg.Progress != nil {
		w.cfg.Progress(w.accepted, w.rejected)
	}
	return nil
}

// Discard removes the spool files of a shard left uncommitted (a failed or
// stopped run); their rows are redone by the next run.
func (w *Writer) Discard() {
	if w.samples != nil {
		w.samples.discard()
		w.training.discard()
		w.samples, w.training = nil, nil
	}
}

// Finish commits the rows still buffered.
func (w *Writer) Finish(ctx context.Context) error {
	if len(w.keys) > 0 {
		if err := w.flushSamples(ctx); err != nil {
			return err
		}
	}
	if len(w.rejects) > 0 {
		return w.flushRejects(ctx)
	}
	return nil
}

func (w *Writer) flushSamples(ctx context.Context) error {
	name := schema.ShardName(w.cfg.Run, w.nextS)
	w.nextS++
	t0 := time.Now()
	defer w.Discard()
	s, err := w.samples.commit(ctx, w.bucket, schema.Samples.ShardKey(name), schema.Samples)
	if err != nil {
		return err
	}
	tasks := balanceReflect(w.tasks, w.cfg.ReflectShare, w.cfg.Theta)
	t, err := put(ctx, w, schema.Tasks, name, tasks)
	if err != nil {
		return err
	}
	e, err := w.training.commit(ctx, w.bucket, schema.Training.ShardKey(name), schema.Training)
	if err != nil {
		return err
	}
	st := schema.ShardStats{Shard: schema.ShardID(schema.Samples, name), Kind: schema.Samples, Rows: len(w.keys), Files: []schema.ShardFile{s, t, e},
		Tasks: taskCounts(tasks, w.cfg.Theta), Keys: w.keys}
	w.tasks, w.keys = w.tasks[:0], nil
	return w.commit(ctx, st, t0)
}

func (w *Writer) flushRejects(ctx context.Context) error {
	name := schema.ShardName(w.cfg.Run, w.nextR)
	w.nextR++
	t0 := time.Now()
	r, err := put(ctx, w, schema.Rejects, name, w.rejects)
	if err != nil {
		return err
	}
	st := schema.ShardStats{Shard: schema.ShardID(schema.Rejects, name), Kind: schema.Rejects, Rows: len(w.rejects), Files: []schema.ShardFile{r}, ByReason: map[string]int64{},
		Keys: make([]string, 0, len(w.rejects))}
	for _, rj := range w.rejects {
		st.Keys = append(st.Keys, rj.Key)
		st.ByReason[rj.Reason]++
		if rj.Transient {
			st.Transient = append(st.Transient, rj.Key)
		}
	}
	w.rejects = w.rejects[:0]
	return w.commit(ctx, st, t0)
}

// put writes one table's rows as the named shard.
func put[T any](ctx context.Context, w *Writer, table schema.Table, name string, rows []T) (schema.ShardFile, error) {
	key := table.ShardKey(name)
	data, err := schema.Encode(rows, w.cfg.ToolVersion)
	if err != nil {
		return schema.ShardFile{}, fmt.Errorf("encode %s: %w", key, err)
	}
	if err := w.bucket.Put(ctx, key, data); err != nil {
		return schema.ShardFile{}, fmt.Errorf("commit shard: %w", err)
	}
	return shardFile(key, table, len(rows), data), nil
}

// shardFile describes a written Parquet file.
func shardFile(key string, table schema.Table, rows int, data []byte) schema.ShardFile {
	sum := sha256.Sum256(data)
	return schema.ShardFile{Path: key, Kind: table, Rows: rows, Bytes: len(data), SHA256: hex.EncodeToString(sum[:])}
}

// commit writes the stats file that makes the shard part of the dataset.
func (w *Writer) commit(ctx context.Context, st schema.ShardStats, t0 time.Time) error {
	st.ConfigDigest, st.Settings = w.cfg.ConfigDigest, w.cfg.Settings
	st.WriteSeconds = time.Since(t0).Seconds()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := w.bucket.Put(ctx, schema.StatsKey(st.Shard), append(b, '\n')); err != nil {
		return fmt.Errorf("commit shard: %w", err)
	}
	st.Keys, st.Transient = nil, nil // on disk now; kept, they would grow with the run
	w.shards = append(w.shards, st)
	return nil
}
