package write

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Prior is what earlier runs into the same output committed.
type Prior struct {
	Done     map[string]bool // keys already in a committed shard
	Shards   []schema.ShardStats
	Retried  int64 // transient rejects taken out to be redone
	Orphans  int   // uncommitted files deleted
	Complete bool  // a manifest.json was there
}

// maxStats bounds a commit record: its keys make most of it (a shard of
// 10,000 rows with 4 KiB keys stays under it).
const maxStats = 64 << 20

// LoadPrior reads the committed shards of earlier runs, deletes files that
// were never committed and, with retryRejects, takes transient rejects out of
// their shards so that they are redone.
//
// prefix limits the clean-up to the files this run may own (its partition's
// shards); clean is false for a merge, which must not touch running
// partitions' files.
func LoadPrior(ctx context.Context, out storage.Bucket, digest string, settings map[string]string, retryRejects bool, prefix string, clean bool) (*Prior, error) {
	p := &Prior{Done: map[string]bool{}}
	complete, err := storage.Exists(ctx, out, schema.ManifestKey)
	if err != nil {
		return nil, err
	}
	p.Complete = complete
	committed := map[string]bool{}
	var statKeys []string
	err = out.List(ctx, schema.StatsDir, func(o storage.Object) error {
		if strings.HasSuffix(o.Key, ".json") {
			statKeys = append(statKeys, o.Key)
		}
		return nil
	})
	if err != nil && !storage.IsNotExist(err) {
		return nil, err
	}
	for _, k := range statKeys {
		data, err := storage.ReadAll(ctx, out, k, maxStats)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", out.URI(k), err)
		}
		var st schema.ShardStats
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("%s is not a twigdata stats file: %w", out.URI(k), err)
		}
		if st.Shard == "" || len(st.Files) == 0 {
			return nil, fmt.Errorf("%s is a damaged commit record (it names no files): delete it, and the shard files named after it, to redo that shard's inputs", out.URI(k))
		}
		if st.ConfigDigest != digest {
			return nil, fmt.Errorf("output %s was built with other settings: %s; rerun with the dataset's settings to resume, or set overwrite (--overwrite) to start over",
				out.URI(""), Differences(st.Settings, settings))
		}
		for _, f := range st.Files {
			committed[f.Path] = true
		}
		p.Shards = append(p.Shards, st)
	}
	// A killed Put leaves a temporary file behind on local disk, and an
	// unfinished multipart upload on S3.
	if c, ok := out.(storage.TempCleaner); ok && clean {
		for _, dir := range []string{schema.Samples.Dir(), schema.Tasks.Dir(), schema.Training.Dir(), schema.Rejects.Dir(), schema.StatsDir, schema.RunsDir} {
			name := prefix
			if dir == schema.RunsDir { // run records are named for the run alone: "<partition tag>-<run>.json"
				name = strings.TrimPrefix(prefix, schema.ShardPrefix)
			}
			n, err := c.CleanTemp(ctx, strings.TrimSuffix(dir, "/"), name)
			if err != nil {
				return nil, fmt.Errorf("remove temporary files of a killed run: %w", err)
			}
			p.Orphans += n
		}
	}
	// Files no stats file vouches for were cut off by a crash: redo their inputs.
	for _, t := range schema.Tables() {
		dir := t.Dir()
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
			p.Orphans++
		}
	}
	// The committed keys come from the commit records; a shard's Parquet
	// file is read only to take transient rejects out of it.
	for i := range p.Shards {
		st := &p.Shards[i]
		if len(st.Keys) != st.Rows {
			return nil, fmt.Errorf("%s lists %d input keys for %d rows: it was written by an older twigdata or damaged; delete it and the shard files named after it to redo that shard's inputs, or set overwrite (--overwrite) to start over",
				out.URI(schema.StatsKey(st.Shard)), len(st.Keys), st.Rows)
		}
		retry := st.Kind == schema.Rejects && retryRejects && len(st.Transient) > 0
		transient := map[string]bool{}
		if retry {
			for _, k := range st.Transient {
				transient[k] = true
			}
		}
		for _, k := range st.Keys {
			if !transient[k] {
				p.Done[k] = true
			}
		}
		if retry {
			main := st.Files[0].Path
			data, err := storage.ReadAll(ctx, out, main, 1<<34)
			if err != nil {
				return nil, fmt.Errorf("read committed shard %s: %w", out.URI(main), err)
			}
			if err := dropTransient(ctx, out, st, data); err != nil {
				return nil, fmt.Errorf("committed shard %s: %w (delete it and its stats file to redo its inputs)", out.URI(main), err)
			}
			p.Retried += int64(len(transient))
		}
		st.Keys, st.Transient = nil, nil // in Done now; the shards list is kept for the counts
	}
	sort.Slice(p.Shards, func(i, j int) bool { return p.Shards[i].Shard < p.Shards[j].Shard })
	return p, nil
}

// dropTransient rewrites a rejects shard without its transient rows, then its
// stats. A crash in between leaves the shard committed with fewer rows; the
// dropped keys are in no shard, so the next run redoes them.
func dropTransient(ctx context.Context, out storage.Bucket, st *schema.ShardStats, data []byte) error {
	rows, err := schema.Decode[schema.Reject](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	var keep []schema.Reject
	st.ByReason, st.Keys, st.Transient = map[string]int64{}, nil, nil
	for _, r := range rows {
		if !r.Transient {
			keep = append(keep, r)
			st.ByReason[r.Reason]++
			st.Keys = append(st.Keys, r.Key)
		}
	}
	enc, err := schema.Encode(keep, "retry-rejects")
	if err != nil {
		return err
	}
	if err := out.Put(ctx, st.Files[0].Path, enc); err != nil {
		return err
	}
	st.Rows = len(keep)
	st.Files[0] = shardFile(st.Files[0].Path, schema.Rejects, len(keep), enc)
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return out.Put(ctx, schema.StatsKey(st.Shard), append(b, '\n'))
}

// Differences names the settings that differ between a dataset and this run.
func Differences(dataset, run map[string]string) string {
	var diffs []string
	keys := make([]string, 0, len(run))
	for k := range run {
		keys = append(keys, k)
	}
	for k := range dataset {
		if _, ok := run[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if dataset[k] != run[k] {
			diffs = append(diffs, fmt.Sprintf("%s: %s in the dataset, %s in this run", k, storage.Quote(dataset[k]), storage.Quote(run[k])))
		}
	}
	if len(diffs) == 0 {
		return "its commit records carry another config digest (made by another twigdata version)"
	}
	return strings.Join(diffs, "; ")
}
