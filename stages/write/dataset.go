package write

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// RunID names one invocation's shards: sortable by time, unique by chance.
func RunID() string {
	var b [3]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b[:])
}

// InPartition reports whether an input key belongs to partition i of n.
func InPartition(key string, i, n int) bool {
	if n <= 1 {
		return true
	}
	h := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(h[:8])%uint64(n) == uint64(i)
}

// MarkPartition tells the merge that a partition has committed all its inputs.
func MarkPartition(ctx context.Context, out storage.Bucket, m schema.PartitionMark) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := out.Put(ctx, schema.PartitionMarkKey(m.Partition, m.Of), b); err != nil {
		return fmt.Errorf("mark partition done: %w", err)
	}
	return nil
}

// UnfinishedPartitions lists the partitions of n that have not marked
// themselves done, and fails when a mark was made with other settings.
func UnfinishedPartitions(ctx context.Context, out storage.Reader, n int, digest string, settings map[string]string) ([]int, error) {
	var missing []int
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err // a signal stops a merge of many partitions at once
		}
		data, err := storage.ReadAll(ctx, out, schema.PartitionMarkKey(i, n), maxRecord)
		if storage.IsNotExist(err) {
			missing = append(missing, i)
			continue
		}
		if err != nil {
			return nil, err
		}
		var m schema.PartitionMark
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s is not a partition mark: %w", out.URI(schema.PartitionMarkKey(i, n)), err)
		}
		if m.ConfigDigest != digest {
			return nil, fmt.Errorf("partition %d of %d was built with other settings: %s; rerun it with these settings", i, n, Differences(m.Settings, settings))
		}
	}
	return missing, nil
}

// totals are what a set of committed shards holds.
type totals struct {
	Accepted, Rejected int64
	ByReason           map[string]int64   // rejects by reason code
	Tasks              map[string]int64   // task rows by schema.Count* key
	Files              []schema.ShardFile // every Parquet file
}

// sum totals committed shards.
func sum(shards []schema.ShardStats) totals {
	t := totals{ByReason: map[string]int64{}, Tasks: map[string]int64{}}
	for _, st := range shards {
		t.Files = append(t.Files, st.Files...)
		for k, n := range st.Tasks {
			t.Tasks[k] += n
		}
		if st.Kind == schema.Samples {
			t.Accepted += int64(st.Rows)
		} else {
			t.Rejected += int64(st.Rows)
			for r, n := range st.ByReason {
				t.ByReason[r] += n
			}
		}
	}
	return t
}

// Publish finishes a dataset over its committed shards: it fills m's counts,
// task rows, shards and creation time, writes the card, then the manifest —
// last, so that a manifest means a complete dataset.
func Publish(ctx context.Context, out storage.Bucket, shards []schema.ShardStats, m schema.Manifest) (schema.Manifest, error) {
	t := sum(shards)
	m.Counts = schema.ManifestCounts{Inputs: t.Accepted + t.Rejected, Accepted: t.Accepted, Rejected: t.Rejected, RejectedByReason: t.ByReason}
	m.Tasks.Rows = t.Tasks
	m.Shards = t.Files
	empties, err := emptyTables(ctx, out, t.Files, m.ToolVersion)
	if err != nil {
		return m, err
	}
	m.Shards = append(m.Shards, empties...)
	m.Created = time.Now().UTC().Format(time.RFC3339)
	if err := out.Put(ctx, schema.CardKey, []byte(card(m))); err != nil {
		return m, fmt.Errorf("write dataset card: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	if err := out.Put(ctx, schema.ManifestKey, append(b, '\n')); err != nil {
		return m, fmt.Errorf("write manifest: %w", err)
	}
	return m, nil
}

// emptyTables writes a 0-row file for every table no committed file holds
// (a build with no rejects, or with no accepted sample), so that every
// config the card declares loads — load_dataset(path, "rejects") and
// DuckDB's read_parquet('rejects/*.parquet') fail on a folder with no file —
// and removes one an earlier publish left for a table that has files now.
func emptyTables(ctx context.Context, out storage.Bucket, files []schema.ShardFile, toolVersion string) ([]schema.ShardFile, error) {
	has := map[schema.Table]bool{}
	for _, f := range files {
		has[f.Kind] = true
	}
	var written []schema.ShardFile
	for _, t := range schema.Tables() {
		key := t.EmptyShardKey()
		if has[t] {
			if err := out.Delete(ctx, key); err != nil && !storage.IsNotExist(err) {
				return nil, fmt.Errorf("remove %s: %w", out.URI(key), err)
			}
			continue
		}
		data, err := encodeEmpty(t, toolVersion)
		if err != nil {
			return nil, err
		}
		if err := out.Put(ctx, key, data); err != nil {
			return nil, fmt.Errorf("write %s: %w", out.URI(key), err)
		}
		written = append(written, shardFile(key, t, 0, data))
	}
	return written, nil
}

// encodeEmpty is a 0-row Parquet file of a table's record type.
func encodeEmpty(t schema.Table, toolVersion string) ([]byte, error) {
	switch t {
	case schema.Samples:
		return schema.Encode[schema.Sample](nil, toolVersion)
	case schema.Tasks:
		return schema.Encode[schema.Task](nil, toolVersion)
	case schema.Training:
		return schema.Encode[schema.Example](nil, toolVersion)
	case schema.Rejects:
		return schema.Encode[schema.Reject](nil, toolVersion)
	}
	return nil, fmt.Errorf("no record type for table %s", t)
}
