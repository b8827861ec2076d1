package schema

import (
	"fmt"
	"strings"
)

// Table is one of the dataset's Parquet tables; its name is also its folder.
type Table string

// The dataset's tables.
const (
	Samples  Table = "samples"  // one row per accepted input
	Tasks    Table = "tasks"    // one row per supervised task
	Training Table = "training" // one row per accepted input: its image and its TwiG turns in order
	Rejects  Table = "rejects"  // one row per input that was not accepted
)

// Tables lists the tables in the order a reader loads them: tasks and
// training rows refer to samples.
func Tables() []Table { return []Table{Samples, Tasks, Training, Rejects} }

// EmptyShardKey is the 0-row file a published dataset holds for a table no
// shard wrote to (a build with no rejects), so that every table the card
// declares can be loaded; it is no shard and carries no commit record.
func (t Table) EmptyShardKey() string { return string(t) + "/" + ShardPrefix + "empty.parquet" }

// Dir is the table's folder inside a dataset, with a trailing slash.
func (t Table) Dir() string { return string(t) + "/" }

// ShardKey is where the shard with the given name of this table lives.
func (t Table) ShardKey(name string) string { return string(t) + "/" + name + ".parquet" }

// Names of the files around the tables.
const (
	ManifestKey   = "manifest.json" // written last: the dataset is complete once it exists
	CardKey       = "README.md"     // the dataset card
	StatsDir      = "stats/"        // one commit record per shard
	partitionsDir = "partitions/"   // one mark per finished partition of a partitioned build
)

// ShardPrefix starts every shard name; a partition's shards continue it with
// the partition's tag.
const ShardPrefix = "part-"

// ShardName names the seq-th shard of one table written by a run. The run id
// makes the name unique per invocation, so a resumed run never reuses one.
func ShardName(run string, seq int) string { return fmt.Sprintf("%s%s-%05d", ShardPrefix, run, seq) }

// ShardID names a shard of a table across tables: "<table>-<name>".
func ShardID(t Table, name string) string { return string(t) + "-" + name }

// StatsKey is the commit record of the shard with the given id.
func StatsKey(shardID string) string { return StatsDir + shardID + ".json" }

// PartitionTag names partition i of n in shard and mark names.
func PartitionTag(i, n int) string { return fmt.Sprintf("p%05dof%05d", i, n) }

// PartitionMarkKey is the mark a finished partition leaves for the merge.
func PartitionMarkKey(i, n int) string { return partitionsDir + PartitionTag(i, n) + ".json" }

// ControlDir holds a build's lock and its run records.
const ControlDir = ".twigdata/"

// LockKey is the lock of a whole build (and of a merge), or of partition i
// of n when n > 1.
func LockKey(i, n int) string {
	if n > 1 {
		return ControlDir + "lock-" + PartitionTag(i, n)
	}
	return ControlDir + "lock"
}

// RunKey is the record a run writes before any of its shards, so that a file
// a killed run left uncommitted is known to be twigdata's.
func RunKey(run string) string { return RunsDir + run + ".json" }

// RunsDir holds the run records.
const RunsDir = ControlDir + "runs/"

// ProbeKey is the object a build writes and deletes to prove the output
// writable: one per lock (the whole build's, or partition i of n's), so that
// a build may clear what a killed probe of its own left without touching a
// probe another partition has in flight.
func ProbeKey(i, n int) string {
	if n > 1 {
		return ControlDir + "probe-" + PartitionTag(i, n)
	}
	return ControlDir + "probe-build"
}

// HolderFiles lists the files, other than a run's shards, commit records and
// run record, that only the holder of lock (i, n) writes (see LockKey): its
// probe, and partition i's mark, or for the whole build (and the merge) the
// card, the manifest, the empty tables' placeholders and the probe earlier
// builds wrote (LegacyProbeKey).
func HolderFiles(i, n int) []string {
	if n > 1 {
		return []string{ProbeKey(i, n), PartitionMarkKey(i, n)}
	}
	files := []string{ProbeKey(i, n), CardKey, ManifestKey, LegacyProbeKey}
	for _, t := range Tables() {
		files = append(files, t.EmptyShardKey())
	}
	return files
}

// LegacyProbeKey is where earlier builds wrote their probe, at the output's
// root; one a killed build left there is still twigdata's.
const LegacyProbeKey = ".twigdata-write-probe"

// Owned reports the prefixes and files a build writes inside its output:
// the only places it ever deletes from (--overwrite clears them, except the
// lock it holds).
func Owned() []string {
	return []string{Samples.Dir(), Tasks.Dir(), Training.Dir(), Rejects.Dir(), StatsDir, partitionsDir, RunsDir, CardKey, ManifestKey}
}

// RunOfShard is the run id in a shard file's name (part-<run>-NNNNN.parquet),
// or "" when the name is no twigdata shard name.
func RunOfShard(key string) string {
	base := key[strings.LastIndexByte(key, '/')+1:]
	name, ok := strings.CutSuffix(base, ".parquet")
	if !ok || !strings.HasPrefix(name, ShardPrefix) || len(name) < len(ShardPrefix)+7 {
		return ""
	}
	seq := name[len(name)-6:]
	if seq[0] != '-' || strings.Trim(seq[1:], "0123456789") != "" {
		return ""
	}
	return name[len(ShardPrefix) : len(name)-6]
}
