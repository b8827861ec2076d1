package write

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

func sample(key string, scores ...int32) *schema.Sample {
	s := &schema.Sample{ID: "id-" + key, Key: key, Prompt: "a red ball"}
	for i, r := range scores {
		s.Regions = append(s.Regions, schema.Region{Index: int32(i), Plan: fmt.Sprint("plan ", i), RevisedPlan: "revised", Critic: schema.Critic{Score: r}})
	}
	return s
}

// TestCommittedShardsResumeAndOrphansGo writes shards, leaves a file no
// stats file vouches for, and checks what a rerun finds: every committed key
// done, the orphan deleted, another digest refused.
func TestCommittedShardsResumeAndOrphansGo(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	out, err := storage.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(out, Config{ShardRows: 2, ToolVersion: "test", Run: "r1", ConfigDigest: "d1", Settings: map[string]string{"theta": "90"}, Policy: PolicyAll, Theta: 90})
	for i := 0; i < 3; i++ {
		if err := w.Add(ctx, sample(fmt.Sprint("k", i), 95, 50, 90), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Add(ctx, nil, schema.NewReject("bad", "uri", schema.ReasonTruncated, "cut")); err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(w.Shards()); got != 3 {
		t.Fatalf("%d shards committed, want 2 of samples and 1 of rejects", got)
	}
	totals := sum(w.Shards())
	if totals.Accepted != 3 || totals.Rejected != 1 || totals.ByReason["decode.truncated"] != 1 {
		t.Errorf("totals %+v", totals)
	}
	// 3 samples × 3 regions, policy all: a think, a reflect and a generate row each.
	if totals.Tasks[schema.CountThink] != 9 || totals.Tasks[schema.CountReflectFlawed] != 3 || totals.Tasks[schema.CountReflectFaithful] != 6 {
		t.Errorf("task rows %v", totals.Tasks)
	}
	orphan := schema.Samples.ShardKey(schema.ShardName("r0", 0))
	if err := out.Put(ctx, orphan, []byte("cut off")); err != nil {
		t.Fatal(err)
	}
	// A run record whose write a kill cut off leaves its temporary file.
	killedRecord := filepath.Join(root, filepath.FromSlash(schema.RunsDir), ".tmp-20261127T000000-abc.json-0123456789ab")
	os.MkdirAll(filepath.Dir(killedRecord), 0o755)
	if err := os.WriteFile(killedRecord, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	prior, err := LoadPrior(ctx, out, Resume{Digest: "d1", Settings: map[string]string{"theta": "90"}, Prefix: schema.ShardPrefix, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k0", "k1", "k2", "bad"} {
		if !prior.Done[k] {
			t.Errorf("%s is committed but not done", k)
		}
	}
	if _, err := os.Stat(killedRecord); err == nil {
		t.Error("the killed run record's temporary file is still there")
	}
	if prior.Orphans != 2 || len(prior.Shards) != 3 {
		t.Errorf("orphans %d, shards %d", prior.Orphans, len(prior.Shards))
	}
	if ok, _ := storage.Exists(ctx, out, orphan); ok {
		t.Error("the uncommitted file is still there")
	}
	if _, err := LoadPrior(ctx, out, Resume{Digest: "d2", Settings: map[string]string{"theta": "80"}, Prefix: schema.ShardPrefix, Clean: true}); err == nil || !strings.Contains(err.Error(), `theta: "90" in the dataset, "80" in this run`) {
		t.Error("a rerun with other settings was not refused")
	}
}

func TestBalanceReflectReachesTheShare(t *testing.T) {
	var rows []schema.Task
	for i := 0; i < 10; i++ {
		rows = append(rows, taskRowsOf(sample(fmt.Sprint("k", i), 95, 95, 50), PolicyAll, 90)...)
	}
	c := taskCounts(balanceReflect(rows, 0.5, 90), 90)
	if c[schema.CountReflectFlawed] != 10 || c[schema.CountReflectFaithful] != 10 || c[schema.CountThink] != 30 {
		t.Errorf("balanced counts %v, want 10 flawed, 10 faithful, 30 think", c)
	}
}

// TestResumeReadsCommitRecordsNotShards: the committed keys come from the
// commit records; of the Parquet files a resume reads only the footers,
// by ranged reads, to check them, and opens none whole, except a rejects
// shard whose transient rows --retry-rejects takes out.
func TestResumeReadsCommitRecordsNotShards(t *testing.T) {
	ctx := context.Background()
	local, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(local, Config{ShardRows: 2, ToolVersion: "test", Run: "r1", ConfigDigest: "d1", Policy: PolicyAll, Theta: 90})
	for i := 0; i < 5; i++ {
		if err := w.Add(ctx, sample(fmt.Sprint("k", i), 95, 50, 90), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, rj := range []*schema.Reject{schema.NewReject("cut", "uri", schema.ReasonTruncated, "cut"), schema.NewReject("slow", "uri", schema.ReasonImageVanished, "gone")} {
		if err := w.Add(ctx, nil, rj); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		retry     bool
		wantReads []string // Parquet files opened
		notDone   []string
	}{
		{"resume", false, nil, nil},
		{"resume with --retry-rejects", true, []string{schema.Rejects.ShardKey(schema.ShardName("r1", 0))}, []string{"slow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := storage.NewCounting(local)
			prior, err := LoadPrior(ctx, out, Resume{Digest: "d1", RetryRejects: tc.retry, Prefix: schema.ShardPrefix, Clean: true})
			if err != nil {
				t.Fatal(err)
			}
			var parquetReads []string
			for _, k := range out.Read() {
				if strings.HasSuffix(k, ".parquet") {
					parquetReads = append(parquetReads, k)
				}
			}
			if !slices.Equal(parquetReads, tc.wantReads) {
				t.Errorf("resume opened %v, want %v", parquetReads, tc.wantReads)
			}
			if out.Ranges.Load() == 0 {
				t.Error("resume read no footer: it trusted the commit records without checking the files")
			}
			for _, k := range []string{"k0", "k1", "k2", "k3", "k4", "cut", "slow"} {
				if want := !slices.Contains(tc.notDone, k); prior.Done[k] != want {
					t.Errorf("%s done %v, want %v", k, prior.Done[k], want)
				}
			}
		})
	}
}

// TestPrepareClearsWhatAKilledPutLeft: a build killed inside the Put of its
// write probe, card, manifest or an empty table's placeholder leaves a temporary file no listing shows; the
// next build under the same lock removes them, and leaves alone the probe and
// mark of a partition that may be writing them now, and a user's file.
func TestPrepareClearsWhatAKilledPutLeft(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	out, err := storage.NewLocal(root)
	if err != nil {
		t.Fatal(err)
	}
	// What Local.Put leaves when killed between writing and renaming.
	temp := func(key string) string {
		return filepath.Join(root, filepath.FromSlash(filepath.Dir(key)), ".tmp-"+filepath.Base(key)+"-0123456789ab")
	}
	killed := []string{temp(schema.ProbeKey(0, 1)), temp(schema.CardKey), temp(schema.ManifestKey), temp(schema.Rejects.EmptyShardKey()), temp(schema.LegacyProbeKey)}
	kept := []string{temp(schema.ProbeKey(2, 4)), temp(schema.PartitionMarkKey(2, 4)), filepath.Join(root, ".tmp-README.md-mine")}
	for _, p := range append(append([]string{}, killed...), kept...) {
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("o"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	if err := Prepare(ctx, out, false, 0, 1); err != nil {
		t.Fatal(err)
	}
	for _, p := range killed {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was touched: %v", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(schema.ProbeKey(0, 1)))); !os.IsNotExist(err) {
		t.Errorf("the probe was not deleted (%v)", err)
	}
}

// TestSpoolLeavesNothingInTheTemporaryFolder: a shard being spooled has no
// name in the spool folder, so a build killed mid-shard leaves nothing there;
// the shard still commits whole.
func TestSpoolLeavesNothingInTheTemporaryFolder(t *testing.T) {
	ctx := context.Background()
	spoolDir := t.TempDir()
	out, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(out, Config{ShardRows: 4, ToolVersion: "test", Run: "r1", ConfigDigest: "d1", Policy: PolicyAll, Theta: 90, SpoolDir: spoolDir})
	for i := 0; i < 3; i++ {
		if err := w.Add(ctx, sample(fmt.Sprint("k", i), 95, 50), nil); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(spoolDir); len(entries) != 0 {
		t.Errorf("the spool folder holds %d files mid-shard", len(entries))
	}
	if err := w.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	if totals := sum(w.Shards()); totals.Accepted != 3 {
		t.Errorf("%d samples committed, want 3", totals.Accepted)
	}
	rows, err := storage.ReadAll(ctx, out, schema.Samples.ShardKey(schema.ShardName("r1", 0)), 1<<30)
	if err != nil || len(rows) == 0 {
		t.Errorf("samples shard: %d bytes, %v", len(rows), err)
	}
}

// TestLockRecordsThatNoLiveBuildKeepsLapse: a lock holding garbage, naming
// no renewal, or renewed further in the future than a lease lapses (no live
// build writes or renews such a record); one renewed just now, or a little
// ahead by a skewed clock, holds; one not renewed for a lease lapses.
func TestLockRecordsThatNoLiveBuildKeepsLapse(t *testing.T) {
	rec := func(renewed time.Time) []byte {
		b, _ := json.Marshal(holder{Host: "another-host", PID: 1, Run: "r", Started: renewed.Format(time.RFC3339), Renewed: renewed.UTC().Format(time.RFC3339)})
		return b
	}
	now := time.Now()
	for _, tc := range []struct {
		name   string
		record []byte
		stale  bool
	}{
		{"garbage", []byte("\x00\x01 not json"), true},
		{"no renewal", []byte(`{"host":"another-host","pid":1,"run":"r"}`), true},
		{"renewed a year ahead", rec(now.Add(365 * 24 * time.Hour)), true},
		{"renewed a little ahead", rec(now.Add(30 * time.Second)), false},
		{"renewed just now", rec(now), false},
		{"not renewed for a lease", rec(now.Add(-LockLease - time.Minute)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := stale(tc.record); got != tc.stale {
				t.Errorf("stale = %v, want %v", got, tc.stale)
			}
		})
	}
	if s := describe(rec(now.Add(time.Hour))); !strings.Contains(s, "in the future") {
		t.Errorf("describe: %q", s)
	}
}

// TestAFullTemporaryFolderSaysSetTMPDIR: a spool whose disk is full (the
// kernel's /dev/full answers every write with ENOSPC) fails naming the
// temporary folder and what to do, not a bare "no space left on device".
func TestAFullTemporaryFolderSaysSetTMPDIR(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	s := &spool[schema.Reject]{f: f, w: schema.NewFileWriter[schema.Reject](f, "test")}
	rows := make([]schema.Reject, 200)
	for i := range rows {
		rows[i] = *schema.NewReject(fmt.Sprint("k", i), "uri", schema.ReasonTruncated, strings.Repeat("x", 1000))
	}
	err = s.add(rows...)
	if err == nil {
		local, _ := storage.NewLocal(t.TempDir())
		_, err = s.commit(context.Background(), local, "rejects/part-x.parquet", schema.Rejects)
	}
	if err == nil || !strings.Contains(err.Error(), "set TMPDIR to a folder with room") || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("spool on a full disk: %v; want ENOSPC with the TMPDIR advice", err)
	}
}
