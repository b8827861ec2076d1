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

// Prepare clears the output when asked to start over and proves it is
// writable before any work.
func Prepare(ctx context.Context, out storage.Bucket, overwrite bool) error {
	var existing []string
	for _, p := range schema.Owned() {
		err := out.List(ctx, p, func(ob storage.Object) error {
			existing = append(existing, ob.Key)
			return nil
		})
		if err != nil && !storage.IsNotExist(err) {
			return fmt.Errorf("output %s is not writable: %w (check the path and its permissions, or the bucket and credentials)", out.URI(""), err)
		}
	}
	if overwrite {
		for _, k := range existing {
			if err := out.Delete(ctx, k); err != nil {
				return fmt.Errorf("remove old %s: %w", out.URI(k), err)
			}
		}
	}
	probe := ".twigdata-write-probe"
	if err := out.Put(ctx, probe, []byte("ok")); err != nil {
		return fmt.Errorf("output %s is not writable: %w (check the path and its permissions, or the bucket policy)", out.URI(""), err)
	}
	return out.Delete(ctx, probe)
}

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

// UnfinishedPartitions lists the partitions of n that have not marked themselves done.
func UnfinishedPartitions(ctx context.Context, out storage.Reader, n int) ([]int, error) {
	var missing []int
	for i := 0; i < n; i++ {
		ok, err := storage.Exists(ctx, out, schema.PartitionMarkKey(i, n))
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, i)
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
