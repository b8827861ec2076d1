package write

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// maxRecord bounds the commit records, marks and manifests read to judge
// ownership: twigdata's are small, and a large file there is not one of them.
const maxRecord = 64 << 20

// Prepare makes sure the output is twigdata's to write before any work: every
// file in it must be one a twigdata build wrote — a commit record, a shard a
// commit record or a run record vouches for, a card, a manifest, a mark, a
// lock — and a folder holding anything else is refused, naming a few of the
// files, with or without --overwrite. With overwrite it then deletes the old
// dataset (not the lock the caller holds). Last it removes what a killed Put of
// the files only the caller's lock (i, n) writes left (schema.HolderFiles), and
// proves the output writable by writing and deleting the lock's probe.
func Prepare(ctx context.Context, out storage.Bucket, overwrite bool, i, n int) error {
	ours, foreign, err := classify(ctx, out)
	if err != nil {
		return err
	}
	if len(foreign) > 0 {
		shown := foreign[:min(len(foreign), 5)]
		for i, k := range shown {
			shown[i] = storage.Quote(k)
		}
		more := ""
		if len(foreign) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(foreign)-len(shown))
		}
		return fmt.Errorf("output %s holds files twigdata did not write (%s%s): a build writes only into an empty folder or prefix or into a dataset of its own, and deletes nothing else, not even when overwriting; choose another output", out.URI(""), strings.Join(shown, ", "), more)
	}
	if overwrite {
		for _, k := range ours {
			if strings.HasPrefix(k, schema.ControlDir+"lock") {
				continue
			}
			if err := out.Delete(ctx, k); err != nil {
				return fmt.Errorf("remove old %s: %w", out.URI(k), err)
			}
		}
	}
	// A Put killed before its rename leaves a temporary file, which no
	// listing shows; the caller's lock makes these files its alone.
	if c, ok := out.(storage.TempCleaner); ok {
		for _, k := range schema.HolderFiles(i, n) {
			if _, err := c.CleanTemp(ctx, path.Dir(k), path.Base(k)); err != nil {
				return fmt.Errorf("remove the temporary files of a killed build: %w", err)
			}
		}
	}
	probe := schema.ProbeKey(i, n)
	if err := out.Put(ctx, probe, []byte("ok")); err != nil {
		return fmt.Errorf("output %s is not writable: %w (check the path and its permissions, or the bucket policy)", out.URI(""), err)
	}
	return out.Delete(ctx, probe)
}

// classify splits everything in the output into what twigdata wrote and the rest.
func classify(ctx context.Context, out storage.Bucket) (ours, foreign []string, err error) {
	var keys []string
	err = out.List(ctx, "", func(o storage.Object) error {
		keys = append(keys, o.Key)
		return nil
	})
	if storage.IsNotExist(err) {
		return nil, nil, nil // a folder that does not exist yet
	}
	if err != nil {
		return nil, nil, fmt.Errorf("output %s is not readable: %w (check the path and its permissions, or the bucket and credentials)", out.URI(""), err)
	}
	v := vouchers{files: map[string]bool{}, runs: map[string]bool{}}
	var shards, damaged []string
	for _, k := range keys {
		ok, shard := v.read(ctx, out, k)
		switch {
		case shard:
			shards = append(shards, k)
		case ok:
			ours = append(ours, k)
		case isRecordKey(k):
			damaged = append(damaged, k)
		default:
			foreign = append(foreign, k)
		}
	}
	// A commit record or manifest that does not read, where twigdata's own
	// records show the output is a dataset, is a damaged one of ours: the
	// resume names it and takes it out. Alone, it proves nothing.
	if len(ours) > 0 {
		ours = append(ours, damaged...)
	} else {
		foreign = append(foreign, damaged...)
	}
	// A shard is twigdata's when a commit record or the manifest names it, or
	// when the run its name carries left a run record: a killed run's.
	for _, k := range shards {
		if v.files[k] || v.runs[schema.RunOfShard(k)] {
			ours = append(ours, k)
		} else {
			foreign = append(foreign, k)
		}
	}
	return ours, foreign, nil
}

// vouchers is what twigdata's own records in an output vouch for: the files
// commit records and the manifest name, and the runs that recorded
// themselves.
type vouchers struct{ files, runs map[string]bool }

// read judges key k: ours when it is one of twigdata's own records or
// files by its content (noting what a record vouches for), shard when it
// is a shard file, which only the records can vouch for. Its complexity is
// a flat switch, one case per kind of file a build writes.
func (v vouchers) read(ctx context.Context, out storage.Bucket, k string) (ours, shard bool) {
	switch {
	case k == schema.LegacyProbeKey || strings.HasPrefix(k, schema.ControlDir+"probe-") || strings.HasPrefix(k, schema.ControlDir+"lock"):
		return true, false
	case strings.HasPrefix(k, schema.RunsDir):
		var r schema.RunRecord
		ok := readJSON(ctx, out, k, &r) && r.Run != ""
		if ok {
			v.runs[r.Run] = true
		}
		return ok, false
	case strings.HasPrefix(k, schema.StatsDir):
		var st schema.ShardStats
		ok := readJSON(ctx, out, k, &st) && st.Shard != "" && len(st.Files) > 0
		if ok {
			for _, f := range st.Files {
				v.files[f.Path] = true
			}
		}
		return ok, false
	case strings.HasPrefix(k, "partitions/"):
		var m schema.PartitionMark
		return readJSON(ctx, out, k, &m) && m.Of > 1, false
	case k == schema.ManifestKey:
		var m schema.Manifest
		ok := readJSON(ctx, out, k, &m) && m.Tool == "twigdata"
		if ok {
			for _, f := range m.Shards {
				v.files[f.Path] = true
			}
		}
		return ok, false
	case k == schema.CardKey:
		return isCard(ctx, out), false
	case isEmptyShardKey(k):
		return isEmptyShard(ctx, out, k), false
	case schema.RunOfShard(k) != "" && isTableKey(k):
		return false, true
	}
	return false, false
}

// isRecordKey reports whether k is where twigdata keeps a commit record or
// the manifest.
func isRecordKey(k string) bool {
	return k == schema.ManifestKey || strings.HasPrefix(k, schema.StatsDir) && strings.HasSuffix(k, ".json") && !strings.Contains(k[len(schema.StatsDir):], "/")
}

// isEmptyShardKey reports whether k is where a table's 0-row file goes.
func isEmptyShardKey(k string) bool {
	for _, t := range schema.Tables() {
		if k == t.EmptyShardKey() {
			return true
		}
	}
	return false
}

// isEmptyShard reports whether k holds a 0-row Parquet file twigdata wrote.
func isEmptyShard(ctx context.Context, out storage.Reader, k string) bool {
	data, err := storage.ReadAll(ctx, out, k, 1<<20)
	if err != nil {
		return false
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	return err == nil && f.NumRows() == 0 && strings.HasPrefix(f.Metadata().CreatedBy, "twigdata")
}

func isTableKey(k string) bool {
	for _, t := range schema.Tables() {
		if strings.HasPrefix(k, t.Dir()) && !strings.Contains(k[len(t.Dir()):], "/") {
			return true
		}
	}
	return false
}

// readJSON decodes a small JSON object; false when it is not one.
func readJSON(ctx context.Context, out storage.Reader, key string, v any) bool {
	data, err := storage.ReadAll(ctx, out, key, maxRecord)
	return err == nil && json.Unmarshal(data, v) == nil
}

// cardMark is in the header of every card twigdata writes.
const cardMark = "\n- twigdata\n"

// isCard reports whether README.md is a dataset card twigdata wrote.
func isCard(ctx context.Context, out storage.Reader) bool {
	data, err := storage.ReadAll(ctx, out, schema.CardKey, maxRecord)
	if err != nil || !bytes.HasPrefix(data, []byte("---\n")) {
		return false
	}
	end := bytes.Index(data[4:], []byte("\n---\n"))
	return end > 0 && bytes.Contains(data[:end+5], []byte(cardMark)) && bytes.Contains(data, []byte("Built by twigdata"))
}
