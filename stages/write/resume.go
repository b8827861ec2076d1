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
	Retried  int64    // transient rejects taken out to be redone
	Orphans  int      // uncommitted files deleted
	Complete bool     // a manifest.json was there
	Redone   []string // damaged shards and commit records taken out, why, their inputs redone
}

// Resume says what a run may do with what earlier runs left.
type Resume struct {
	Digest   string            // the run's settings fingerprint
	Settings map[string]string // its record-changing settings, to name differences
	// RetryRejects takes transient rejects out of their shards to be redone.
	RetryRejects bool
	// Prefix names the shard files this run may own (its partition's);
	// Clean is false for a merge, which must not touch partitions' files.
	Prefix string
	Clean  bool
	// Verify checks every committed file's sha256, not only that it is
	// there, of its size, and that its Parquet footer reads.
	Verify bool
	// Partitioned is set for a partition or a merge, which cannot overwrite:
	// advice to start over says how they can.
	Partitioned bool
}

// startOver says how this run's output can be started over.
func (o Resume) startOver() string {
	if o.Partitioned {
		return "empty the output once (a partition cannot overwrite: it would delete the others' shards) and run every partition again"
	}
	return "set overwrite (--overwrite) to start over"
}

// maxStats bounds a commit record: its keys make most of it (a shard of
// 10,000 rows with 4 KiB keys stays under it).
const maxStats = 64 << 20

// LoadPrior reads the committed shards of earlier runs and checks that
// every file a commit record names is there, of its size, with a footer
// that reads (and with Verify, its sha256). A shard this run owns that is
// damaged is taken out — its commit record, then its files — so that its
// inputs are redone exactly once; so is a commit record that does not
// read. It then deletes files that were never committed and, with
// RetryRejects, takes transient rejects out of their shards.
func LoadPrior(ctx context.Context, out storage.Bucket, o Resume) (*Prior, error) {
	p := &Prior{Done: map[string]bool{}}
	complete, err := storage.Exists(ctx, out, schema.ManifestKey)
	if err != nil {
		return nil, err
	}
	p.Complete = complete
	if complete {
		// The manifest is written anew when the run ends; one that does not
		// read is said, not trusted.
		var m schema.Manifest
		data, err := storage.ReadAll(ctx, out, schema.ManifestKey, maxStats)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", out.URI(schema.ManifestKey), err)
		}
		if err := json.Unmarshal(data, &m); err != nil || m.Tool != "twigdata" {
			p.Redone = append(p.Redone, schema.ManifestKey+": damaged (not a twigdata manifest), written anew when the build ends")
		}
	}
	shards, err := p.readCommits(ctx, out, o)
	if err != nil {
		return nil, err
	}
	if err := p.verify(ctx, out, shards, o); err != nil {
		return nil, err
	}
	committed := map[string]bool{}
	for _, st := range p.Shards {
		for _, f := range st.Files {
			committed[f.Path] = true
		}
	}
	if o.Clean {
		if p.Orphans, err = removeUncommitted(ctx, out, committed, o.Prefix); err != nil {
			return nil, err
		}
	}
	// The committed keys come from the commit records; a shard's Parquet
	// file is read only to take transient rejects out of it.
	for i := range p.Shards {
		retried, err := p.markDone(ctx, out, &p.Shards[i], o)
		if err != nil {
			return nil, err
		}
		p.Retried += retried
	}
	sort.Slice(p.Shards, func(i, j int) bool { return p.Shards[i].Shard < p.Shards[j].Shard })
	return p, nil
}

// readCommits reads every commit record of out, refusing one made with
// another fingerprint. A record that does not read is taken out when this
// run owns its shard (its files, committed by nothing then, go with the
// uncommitted ones) and refused otherwise, naming it and what to do.
func (p *Prior) readCommits(ctx context.Context, out storage.Bucket, o Resume) ([]schema.ShardStats, error) {
	var statKeys []string
	err := out.List(ctx, schema.StatsDir, func(obj storage.Object) error {
		if strings.HasSuffix(obj.Key, ".json") {
			statKeys = append(statKeys, obj.Key)
		}
		return nil
	})
	if err != nil && !storage.IsNotExist(err) {
		return nil, err
	}
	var shards []schema.ShardStats
	for _, k := range statKeys {
		data, err := storage.ReadAll(ctx, out, k, maxStats)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", out.URI(k), err)
		}
		st, why := parseStats(data)
		if why != "" {
			if !o.Clean || !strings.Contains(path.Base(k), "-"+o.Prefix) {
				return nil, fmt.Errorf("%s is a damaged commit record (%s): rerun the build (or the partition) that wrote it, which redoes its inputs, or %s", out.URI(k), why, o.startOver())
			}
			if err := out.Delete(ctx, k); err != nil {
				return nil, fmt.Errorf("remove damaged commit record %s: %w", out.URI(k), err)
			}
			p.Redone = append(p.Redone, fmt.Sprintf("%s: a damaged commit record (%s), taken out; its shard's inputs are redone", k, why))
			continue
		}
		if st.ConfigDigest != o.Digest {
			return nil, fmt.Errorf("output %s was built with other settings: %s; rerun with the dataset's settings to resume, or %s",
				out.URI(""), Differences(st.Settings, o.Settings), o.startOver())
		}
		shards = append(shards, st)
	}
	return shards, nil
}

// parseStats reads a commit record; why says what is wrong with one that
// does not read.
func parseStats(data []byte) (st schema.ShardStats, why string) {
	switch err := json.Unmarshal(data, &st); {
	case len(bytes.TrimSpace(data)) == 0:
		return st, "empty"
	case err != nil:
		return st, "not JSON: " + err.Error()
	case st.Shard == "" || len(st.Files) == 0:
		return st, "it names no files"
	}
	return st, ""
}

// verify keeps in p.Shards the shards whose files are whole; a damaged one
// this run owns is taken out to be redone, one it does not (another
// partition's, or any in a merge) is refused, naming the file.
func (p *Prior) verify(ctx context.Context, out storage.Bucket, shards []schema.ShardStats, o Resume) error {
	have, err := sizes(ctx, out)
	if err != nil {
		return fmt.Errorf("list %s: %w", out.URI(""), err)
	}
	for _, st := range shards {
		why, err := damage(ctx, out, st, have, o.Verify)
		if err != nil {
			return fmt.Errorf("check committed shard %s: %w", st.Shard, err)
		}
		switch {
		case why == "":
			p.Shards = append(p.Shards, st)
		case o.Clean && ownShard(st, o.Prefix):
			if err := uncommit(ctx, out, st); err != nil {
				return err
			}
			p.Redone = append(p.Redone, fmt.Sprintf("shard %s: %s; its %d inputs are redone", st.Shard, why, st.Rows))
		default:
			return fmt.Errorf("committed shard %s of %s is damaged: %s; rerun the build (or the partition) that wrote it, which redoes its %d inputs", st.Shard, out.URI(""), why, st.Rows)
		}
	}
	return nil
}

// removeUncommitted deletes what killed runs left of the files this run may
// own (named with prefix): temporary files of unfinished writes, and shard
// files no commit record vouches for, whose inputs are then redone. It
// returns how many it removed.
func removeUncommitted(ctx context.Context, out storage.Bucket, committed map[string]bool, prefix string) (int, error) {
	n := 0
	// A killed Put leaves a temporary file behind on local disk, and an
	// unfinished multipart upload on S3.
	if c, ok := out.(storage.TempCleaner); ok {
		for _, dir := range []string{schema.Samples.Dir(), schema.Tasks.Dir(), schema.Training.Dir(), schema.Rejects.Dir(), schema.StatsDir, schema.RunsDir} {
			name := prefix
			if dir == schema.RunsDir { // run records are named for the run alone: "<partition tag>-<run>.json"
				name = strings.TrimPrefix(prefix, schema.ShardPrefix)
			}
			removed, err := c.CleanTemp(ctx, strings.TrimSuffix(dir, "/"), name)
			if err != nil {
				return n, fmt.Errorf("remove temporary files of a killed run: %w", err)
			}
			n += removed
		}
	}
	for _, t := range schema.Tables() {
		var orphans []string
		err := out.List(ctx, t.Dir(), func(o storage.Object) error {
			// A table's 0-row file is the publish's, which rewrites or
			// removes it: no killed run's leftover.
			if !committed[o.Key] && strings.HasPrefix(path.Base(o.Key), prefix) && o.Key != t.EmptyShardKey() {
				orphans = append(orphans, o.Key)
			}
			return nil
		})
		if err != nil && !storage.IsNotExist(err) {
			return n, err
		}
		for _, k := range orphans {
			if err := out.Delete(ctx, k); err != nil {
				return n, fmt.Errorf("remove uncommitted %s: %w", out.URI(k), err)
			}
			n++
		}
	}
	return n, nil
}

// markDone records a committed shard's input keys as done — but its
// transient rejects with retryRejects, which are taken out of the shard to
// be redone — and returns how many were taken out.
func (p *Prior) markDone(ctx context.Context, out storage.Bucket, st *schema.ShardStats, o Resume) (int64, error) {
	retryRejects := o.RetryRejects
	if len(st.Keys) != st.Rows {
		return 0, fmt.Errorf("%s lists %d input keys for %d rows: it was written by an older twigdata or damaged; delete it and the shard files named after it to redo that shard's inputs, or %s",
			out.URI(schema.StatsKey(st.Shard)), len(st.Keys), st.Rows, o.startOver())
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
	var retried int64
	if retry {
		main := st.Files[0].Path
		data, err := storage.ReadAll(ctx, out, main, 1<<34)
		if err != nil {
			return 0, fmt.Errorf("read committed shard %s: %w", out.URI(main), err)
		}
		if err := dropTransient(ctx, out, st, data); err != nil {
			return 0, fmt.Errorf("committed shard %s: %w (delete it and its stats file to redo its inputs)", out.URI(main), err)
		}
		retried = int64(len(transient))
	}
	st.Keys, st.Transient = nil, nil // in Done now; the shards list is kept for the counts
	return retried, nil
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
