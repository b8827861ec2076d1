package stages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// shardStats is stats/<name>.json. Its presence is what commits a shard: a
// samples shard is committed once its samples file, its tasks file and then
// this file are written, so a crash at any point leaves either a committed
// shard or files that a rerun deletes and redoes.
type shardStats struct {
	Shard        string           `json:"shard"`
	Kind         string           `json:"kind"` // samples (with its tasks) or rejects
	Rows         int              `json:"rows"`
	Files        []ShardInfo      `json:"files"`
	ByReason     map[string]int64 `json:"rejected_by_reason,omitempty"`
	Tasks        map[string]int64 `json:"tasks,omitempty"` // task rows by kind, reflect split into flawed and faithful
	ConfigDigest string           `json:"config_digest"`
	WriteSeconds float64          `json:"write_seconds"`
}

// priorState is what earlier runs into the same output committed.
type priorState struct {
	done     map[string]bool // keys already in a committed shard
	shards   []shardStats
	retried  int64 // transient rejects taken out to be redone
	orphans  int   // uncommitted files deleted
	complete bool  // a manifest.json was there
}

// keyRow reads just the key (and transient flag) columns of a shard.
type keyRow struct {
	Key       string `parquet:"key"`
	Transient bool   `parquet:"transient"`
}

// configDigest fingerprints every option that changes records, so a rerun
// with other settings cannot mix two kinds of records in one dataset.
func configDigest(o Options) string {
	b, _ := json.Marshal([]any{o.CanvasWidth, o.CanvasHeight, o.Patch, o.K, o.Theta, o.MinSide, o.MinSharpness,
		o.MinScore, o.MinAlignment, o.MaxPixels, o.MaxImageBytes, o.MaxPromptBytes, o.PromptField, o.JPEGQuality,
		o.Segmenter.ID(), o.Captioner.ID(), o.ToolVersion, schema.Version, o.TaskPolicy, o.ReflectShare})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// loadPrior reads the committed shards of earlier runs, deletes files that
// were never committed and, with retryRejects, takes transient rejects out of
// their shards so that they are redone.
//
// prefix limits the clean-up to the files this run may own (its partition's
// shards); clean is false for a merge, which must not touch running
// partitions' files.
func loadPrior(ctx context.Context, out storage.Bucket, digest string, retryRejects bool, prefix string, clean bool) (*priorState, error) {
	p := &priorState{done: map[string]bool{}}
	if _, err := out.Get(ctx, "manifest.json"); err == nil {
		p.complete = true
	}
	committed := map[string]bool{}
	var statKeys []string
	err := out.List(ctx, "stats/", func(o storage.Object) error {
		if strings.HasSuffix(o.Key, ".json") {
			statKeys = append(statKeys, o.Key)
		}
		return nil
	})
	if err != nil && !storage.IsNotExist(err) {
		return nil, err
	}
	for _, k := range statKeys {
		data, err := storage.ReadAll(ctx, out, k, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", out.URI(k), err)
		}
		var st shardStats
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("%s is not a twigdata stats file: %w", out.URI(k), err)
		}
		if st.ConfigDigest != digest {
			return nil, fmt.Errorf("output %s was built with other settings or models (config digest %s, this run %s): rerun with the same settings to resume, or pass --overwrite to start over",
				out.URI(""), st.ConfigDigest, digest)
		}
		for _, f := range st.Files {
			committed[f.Path] = true
		}
		p.shards = append(p.shards, st)
	}
	// A killed Put leaves a temporary file behind on local disk (S3 keeps
	// nothing of an upload that did not complete).
	if c, ok := out.(interface {
		CleanTemp(context.Context, string, string) (int, error)
	}); ok && clean {
		for _, dir := range []string{"samples", "tasks", "rejects", "stats"} {
			n, err := c.CleanTemp(ctx, dir, prefix)
			if err != nil {
				return nil, fmt.Errorf("remove temporary files of a killed run: %w", err)
			}
			p.orphans += n
		}
	}
	// Files no stats file vouches for were cut off by a crash: redo their inputs.
	for _, dir := range []string{"samples/", "tasks/", "rejects/"} {
		var orphans []string
		err := out.List(ctx, dir, func(o storage.Object) error {
			if clean && !committed[o.Key] && strings.HasPrefix(path.Base(o.Key), prefix) {
				orphans = append(orphans, o.Key)
			}
			return nil
		})
		if err != nil && !storage.IsNotExist(err) {
			return nil, err
		}
		for _, k := range orphans {
			if err := out.Delete(ctx, k); err != nil {
				return nil, fmt.Errorf("remove uncommitted %s: %w", out.URI(k), err)
			}
			p.orphans++
		}
	}
	for i := range p.shards {
		st := &p.shards[i]
		main := st.Files[0].Path
		data, err := storage.ReadAll(ctx, out, main, 1<<34)
		if err != nil {
			return nil, fmt.Errorf("read committed shard %s: %w", out.URI(main), err)
		}
		rows, err := schema.Decode[keyRow](bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("committed shard %s is unreadable: %w (delete it and its stats file to redo its inputs)", out.URI(main), err)
		}
		var retry int
		for _, r := range rows {
			if st.Kind == "rejects" && retryRejects && r.Transient {
				retry++
				continue
			}
			p.done[r.Key] = true
		}
		if retry > 0 {
			if err := dropTransient(ctx, out, st, data); err != nil {
				return nil, err
			}
			p.retried += int64(retry)
		}
	}
	sort.Slice(p.shards, func(i, j int) bool { return p.shards[i].Shard < p.shards[j].Shard })
	return p, nil
}

// dropTransient rewrites a rejects shard without its transient rows, then its
// stats. A crash in between leaves the shard committed with fewer rows; the
// dropped keys are in no shard, so the next run redoes them.
func dropTransient(ctx context.Context, out storage.Bucket, st *shardStats, data []byte) error {
	rows, err := schema.Decode[schema.Reject](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	var keep []schema.Reject
	st.ByReason = map[string]int64{}
	for _, r := range rows {
		if !r.Transient {
			keep = append(keep, r)
			st.ByReason[r.Reason]++
		}
	}
	enc, err := schema.Encode(keep, "retry-rejects")
	if err != nil {
		return err
	}
	if err := out.Put(ctx, st.Files[0].Path, enc); err != nil {
		return err
	}
	sum := sha256.Sum256(enc)
	st.Rows = len(keep)
	st.Files[0] = ShardInfo{Path: st.Files[0].Path, Kind: "rejects", Rows: len(keep), Bytes: len(enc), SHA256: hex.EncodeToString(sum[:])}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return out.Put(ctx, statsKey(st.Shard), append(b, '\n'))
}

func statsKey(shard string) string { return "stats/" + shard + ".json" }
