package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/write"
	"github.com/twigdata/twigdata/storage"
)

// These tests reproduce what a careless or hostile user did to main before
// issue 9: each failed then and passes now.

// cli runs twigdata in-process and returns the exit code and all output.
func cli(args ...string) (int, string) {
	var stdout, stderr bytes.Buffer
	if args[0] == "build" {
		args = append([]string{"build", "--progress", "none"}, args[1:]...)
	}
	code := run(args, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

// pairs writes the first n scenes of the bundled sample into dir.
func pairs(t *testing.T, dir string, n int) {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	for i := 0; i < n; i++ {
		for _, ext := range []string{".txt", ".jpg", ".png", ".webp"} {
			name := fmt.Sprintf("scene-%03d%s", i, ext)
			b, err := fs.ReadFile(twigdata.Sample(), name)
			if err != nil {
				continue
			}
			os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
	}
}

// snapshot is every file below dir with its content, to prove nothing changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = string(b)
		}
		return nil
	})
	return m
}

func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, c := range before {
		if after[p] != c {
			t.Errorf("%s was changed or deleted", p)
		}
	}
}

func rejectsOf(t *testing.T, ds string) map[string]schema.Reject {
	t.Helper()
	m := map[string]schema.Reject{}
	for _, r := range testutil.ReadTable[schema.Reject](t, ds, "rejects") {
		m[r.Key] = r
	}
	return m
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// A CSV parse error is a reject row, never a panic.
func TestCSVParseErrorIsARejectRow(t *testing.T) {
	in := t.TempDir()
	pairs(t, filepath.Join(in, "img"), 1)
	csv := "\xef\xbb\xbfprompt,image\n" + // a byte-order mark, as spreadsheets save it (item 13)
		"a pink ball and a yellow box,img/scene-000.jpg\n" +
		"a \"red\" ball,img/a.jpg\n"
	os.WriteFile(filepath.Join(in, "m.csv"), []byte(csv), 0o644)
	out := filepath.Join(t.TempDir(), "ds")
	code, text := cli("build", "--in", filepath.Join(in, "m.csv"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	if strings.Contains(text, "panic") || strings.Contains(text, "goroutine") {
		t.Fatalf("a stack trace:\n%s", text)
	}
	rj := rejectsOf(t, out)
	if len(rj) != 1 {
		t.Fatalf("rejects %v, want the one malformed row", rj)
	}
	for _, r := range rj {
		if r.Reason != string(schema.ReasonManifestRowMalformed) {
			t.Errorf("reject %+v", r)
		}
	}
	if n := len(testutil.ReadTable[schema.Sample](t, out, "samples")); n != 1 {
		t.Errorf("%d samples: the BOM hid the prompt column", n)
	}
}

// Items 2 and 3: user files deleted or overwritten, output read as input.
func TestOutputThatIsNotOursIsRefusedAndUntouched(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, in, out string) string // returns --out
		extra []string
		want  string
	}{
		{"out equal to in, with --overwrite", func(t *testing.T, in, out string) string {
			os.MkdirAll(filepath.Join(in, "samples"), 0o755)
			pairs(t, filepath.Join(in, "samples"), 1)
			return in
		}, []string{"--overwrite"}, "is the input folder"},
		{"out inside in", func(t *testing.T, in, out string) string { return filepath.Join(in, "ds") }, nil, "lies inside the input"},
		{"out containing in", func(t *testing.T, in, out string) string { return filepath.Dir(in) }, nil, "contains the input"},
		{"a user's folder, with --overwrite", func(t *testing.T, in, out string) string {
			os.MkdirAll(filepath.Join(out, "samples"), 0o755)
			os.WriteFile(filepath.Join(out, "samples", "notes.txt"), []byte("mine"), 0o644)
			os.WriteFile(filepath.Join(out, "README.md"), []byte("# my project"), 0o644)
			return out
		}, []string{"--overwrite"}, "holds files twigdata did not write"},
		{"a user's README, manifest and part- file", func(t *testing.T, in, out string) string {
			os.MkdirAll(filepath.Join(out, "samples"), 0o755)
			os.WriteFile(filepath.Join(out, "samples", "part-mine-00000.parquet"), []byte("mine"), 0o644)
			os.WriteFile(filepath.Join(out, "manifest.json"), []byte(`{"mine": true}`), 0o644)
			os.WriteFile(filepath.Join(out, "README.md"), []byte("# my project"), 0o644)
			return out
		}, nil, "holds files twigdata did not write"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			in, out := filepath.Join(root, "in"), filepath.Join(t.TempDir(), "out")
			pairs(t, in, 2)
			dst := tc.setup(t, in, out)
			before := snapshot(t, root)
			for k, v := range snapshot(t, out) {
				before[k] = v
			}
			code, text := cli(append([]string{"build", "--in", in, "--out", dst}, tc.extra...)...)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, text)
			}
			mustContain(t, text, tc.want)
			after := snapshot(t, root)
			for k, v := range snapshot(t, out) {
				after[k] = v
			}
			sameFiles(t, before, after)
		})
	}
}

// Empty --in and --out are refused, not taken for the current folder or the sample.
func TestEmptyPathsAreRefused(t *testing.T) {
	for _, args := range [][]string{{"build", "--out", ""}, {"build", "--in", "", "--out", filepath.Join(t.TempDir(), "ds")}} {
		code, text := cli(args...)
		if code != 2 || !strings.Contains(text, "is empty") {
			t.Errorf("%q: exit %d, %s", args, code, text)
		}
	}
}

// A second build into an output another holds is refused by the lock, naming the holder.
func TestASecondBuildIntoALockedOutputFailsNamingTheHolder(t *testing.T) {
	in, out := t.TempDir(), filepath.Join(t.TempDir(), "ds")
	pairs(t, in, 2)
	b, _ := storage.NewLocal(out)
	lock, err := write.Acquire(context.Background(), b, schema.LockKey(0, 1), "someone-else")
	if err != nil {
		t.Fatal(err)
	}
	code, text := cli("build", "--in", in, "--out", out)
	if code != 1 {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	mustContain(t, text, "being written by another twigdata build", "run someone-else", fmt.Sprintf("pid %d", os.Getpid()))
	lock.Release(context.Background())
	if code, text := cli("build", "--in", in, "--out", out); code != 0 {
		t.Fatalf("after the release: exit %d:\n%s", code, text)
	}
	// A lock left by a process that is gone (a SIGKILLed build) is stale at once.
	host, _ := os.Hostname()
	dead := fmt.Sprintf(`{"host":%q,"pid":%d,"run":"killed","started":"2026-01-01T00:00:00Z","renewed":%q}`, host, deadPID(t), time.Now().UTC().Format(time.RFC3339))
	os.WriteFile(filepath.Join(out, ".twigdata", "lock"), []byte(dead), 0o644)
	if code, text := cli("build", "--in", in, "--out", out); code != 0 {
		t.Fatalf("a dead holder's lock was not taken over: exit %d:\n%s", code, text)
	}
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	p.Wait()
	return p.Pid
}

// A rerun with another input or key column is refused, naming the setting.
func TestRerunWithAnotherInputOrKeyColumnIsRefused(t *testing.T) {
	a, b, out := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "ds")
	pairs(t, a, 2)
	pairs(t, b, 3)
	if code, text := cli("build", "--in", a, "--out", out); code != 0 {
		t.Fatalf("first build: exit %d:\n%s", code, text)
	}
	code, text := cli("build", "--in", b, "--out", out)
	if code != 1 {
		t.Fatalf("second input: exit %d:\n%s", code, text)
	}
	mustContain(t, text, "built with other settings", "in: "+fmt.Sprintf("%q", a)+" in the dataset", fmt.Sprintf("%q in this run", b))

	m := t.TempDir()
	pairs(t, m, 1)
	os.WriteFile(filepath.Join(m, "m.jsonl"), []byte(`{"prompt":"a pink ball","image":"scene-000.jpg","id":"x1"}`+"\n"), 0o644)
	out2 := filepath.Join(t.TempDir(), "ds")
	if code, text := cli("build", "--in", filepath.Join(m, "m.jsonl"), "--out", out2); code != 0 {
		t.Fatalf("manifest build: exit %d:\n%s", code, text)
	}
	code, text = cli("build", "--in", filepath.Join(m, "m.jsonl"), "--out", out2, "--key-column", "id")
	if code != 1 {
		t.Fatalf("another --key-column: exit %d:\n%s", code, text)
	}
	mustContain(t, text, `key-column: "" in the dataset, "id" in this run`)
}

// Any file name, non-UTF-8 included, gives shards every reader opens, and a
// Parquet file of samples given as a manifest writes no image bytes into
// reject keys.
func TestAnyNameGivesShardsEveryReaderOpens(t *testing.T) {
	in := t.TempDir()
	pairs(t, in, 1)
	os.Rename(filepath.Join(in, "scene-000.jpg"), filepath.Join(in, "caf\xe9 100%.jpg"))
	os.Rename(filepath.Join(in, "scene-000.txt"), filepath.Join(in, "caf\xe9 100%.txt"))
	out := filepath.Join(t.TempDir(), "ds")
	if code, text := cli("build", "--in", in, "--out", out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var key string
	if err := db.QueryRow(fmt.Sprintf("SELECT key FROM read_parquet('%s/samples/*.parquet')", out)).Scan(&key); err != nil {
		t.Fatalf("DuckDB cannot read the shard: %v", err)
	}
	if key != "caf%E9 100%25" {
		t.Errorf("key stored as %q", key)
	}
	if raw, _ := schema.UnescapeKey(key); raw != "caf\xe9 100%" {
		t.Errorf("the original name is not recoverable: %q", raw)
	}
	if code, text := cli("validate", out, "--sample", "0"); code != 0 {
		t.Errorf("validate: exit %d:\n%s", code, text)
	}

	// The samples shard as a manifest: its image column is a struct of bytes.
	shard, _ := filepath.Glob(filepath.Join(out, "samples", "*.parquet"))
	m := t.TempDir()
	data, _ := os.ReadFile(shard[0])
	os.WriteFile(filepath.Join(m, "samples.parquet"), data, 0o644)
	out2 := filepath.Join(t.TempDir(), "ds")
	code, text := cli("build", "--in", filepath.Join(m, "samples.parquet"), "--out", out2)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	for _, r := range rejectsOf(t, out2) {
		if r.Reason != string(schema.ReasonBadReference) || !strings.Contains(r.Detail, "holds a struct") || len(r.Key) > 100 {
			t.Errorf("reject %+v", r)
		}
	}
}

// A bad manifest row is a reject row; the run goes on.
func TestBadManifestRowsAreRejectsNotAborts(t *testing.T) {
	in := t.TempDir()
	pairs(t, in, 1)
	os.Mkdir(filepath.Join(in, "folder.jpg"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(in, "fifo.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := []map[string]any{
		{"prompt": "a pink ball", "image": "scene-000.jpg"},
		{"prompt": "a folder", "image": "folder.jpg"},
		{"prompt": "a fifo", "image": "fifo.jpg"},
		{"prompt": "a long name", "image": strings.Repeat("n", 300) + ".jpg"},
		{"prompt": "a bad bucket", "image": "s3://Bad_Bucket!!/x.jpg"},
		{"prompt": []string{"a", "list"}, "image": "scene-000.jpg", "key": "list"},
		{"prompt": 42, "image": "scene-000.jpg", "key": "number"},
	}
	var b strings.Builder
	for _, r := range rows {
		j, _ := json.Marshal(r)
		b.Write(append(j, '\n'))
	}
	os.WriteFile(filepath.Join(in, "m.jsonl"), []byte(b.String()), 0o644)
	out := filepath.Join(t.TempDir(), "ds")
	done := make(chan struct{})
	var code int
	var text string
	go func() {
		code, text = cli("build", "--in", filepath.Join(in, "m.jsonl"), "--out", out, "--key-column", "key")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the build hung")
	}
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	want := map[string]schema.Reason{"folder": schema.ReasonNotRegular, "fifo": schema.ReasonNotRegular,
		strings.Repeat("n", 300): schema.ReasonInvalidName, "s3://Bad_Bucket!!/x": schema.ReasonBadReference,
		"list": schema.ReasonPromptNotText, "number": schema.ReasonPromptNotText}
	got := rejectsOf(t, out)
	for k, reason := range want {
		r, ok := got[k]
		if !ok || r.Reason != string(reason) {
			t.Errorf("%.20s: reject %+v, want %s", k, r, reason)
		}
		if len(r.Detail) > schema.MaxDetail+40 {
			t.Errorf("%.20s: a %d-byte detail", k, len(r.Detail))
		}
	}
}

// Every out-of-range flag is refused with exit 2, naming it; none panics.
func TestEveryFlagIsChecked(t *testing.T) {
	out := filepath.Join(t.TempDir(), "ds")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--log-every", "0s"}, 2, "--log-every"},
		{[]string{"--log-every", "1us"}, 2, "--log-every 1µs must be at least 100ms"},
		{[]string{"--max-blockiness", "Inf"}, 2, "--max-blockiness +Inf: want a blocking in 1..100"},
		{[]string{"--grace", "1000000h"}, 2, "must be in 0..24h"},
		{[]string{"--s3-timeout", "1000000h"}, 2, "at most 1h"},
		{[]string{"--max-image-mb", "99999999999"}, 2, "--max-image-mb 99999999999: must be at most 4 GiB"},
		{[]string{"--shard-rows", "100000000"}, 2, "--shard-rows 100000000: must be in 1..1000000"},
		{[]string{"--batch-wait", "1h"}, 2, "--batch-wait 1h0m0s: must be in 0..1m"},
		{[]string{"--outt", "x"}, 2, "flag provided but not defined: -outt\ntwigdata build --help lists every flag"},
		{[]string{"--progress", "bogus"}, 2, "--progress"},
		{[]string{"--canvas-width", "100000", "--canvas-height", "100000"}, 2, "--canvas-width"},
		{[]string{"--k", "0"}, 2, "--k 0"},
		{[]string{"--patch", "0"}, 2, "--patch 0"},
		{[]string{"--jpeg-quality", "0"}, 2, "--jpeg-quality 0"},
		{[]string{"--shard-rows", "-1"}, 2, "--shard-rows -1"},
		{[]string{"--in-format", "nope"}, 2, "--in-format"},
		{[]string{"--partition-index", "3"}, 2, "--partition-index 3"},
		{[]string{"--s3-attempts", "0"}, 2, "--s3-attempts"},
		{[]string{"--max-image-mb", "0"}, 2, "--max-image-mb 0: must be at least 1"},
		{[]string{"--max-blur", "NaN"}, 2, "--max-blur NaN"},
		{[]string{"--reflect-share", "NaN"}, 2, "--reflect-share NaN"},
		{[]string{"--partition-count", "9223372036854775807", "--merge"}, 2, "--partition-count 9223372036854775807: must be in 1..10000"},
		{[]string{"--threads", "5000"}, 2, "--threads 5000 must be in 0..256"},
		{[]string{"--batch-size", "2000"}, 2, "--batch-size 2000: must be in 1..256"},
		{[]string{"--fetch-workers", "100000"}, 2, "--fetch-workers 100000: must be in 1..1024"},
		{[]string{"--beams", "0"}, 2, "--beams 0: want 1 (greedy) to 16 beams"},
		{[]string{"--beams", "100"}, 2, "--beams 100: want 1 (greedy) to 16 beams"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, text := cli(append([]string{"build", "--out", out}, tc.args...)...)
			if code != tc.code || !strings.Contains(text, tc.want) || strings.Contains(text, "goroutine") {
				t.Errorf("exit %d (want %d), output:\n%s", code, tc.code, text)
			}
		})
	}
	code, text := runProcess(t, []string{"AWS_BATCH_JOB_ARRAY_INDEX=1abc"}, "build", "--out", out, "--partition-count", "3", "--progress", "none")
	if code != 1 || !strings.Contains(text, `"1abc" is not a partition index`) {
		t.Errorf("AWS_BATCH_JOB_ARRAY_INDEX=1abc: exit %d, %s", code, text)
	}
}

// A merge refuses partition marks that are stale or made with other settings.
func TestStalePartitionMarksDoNotMerge(t *testing.T) {
	in, out := t.TempDir(), filepath.Join(t.TempDir(), "ds")
	pairs(t, in, 6)
	common := []string{"build", "--in", in, "--out", out, "--partition-count", "2"}
	for i := 0; i < 2; i++ {
		if code, text := cli(append(common, "--partition-index", fmt.Sprint(i))...); code != 0 {
			t.Fatalf("partition %d: exit %d:\n%s", i, code, text)
		}
	}
	if code, text := cli(append(common, "--merge")...); code != 0 {
		t.Fatalf("merge: exit %d:\n%s", code, text)
	}
	pairs(t, in, 12) // new inputs; only partition 0 is rerun
	if code, text := cli(append(common, "--partition-index", "0")...); code != 0 {
		t.Fatalf("rerun: exit %d:\n%s", code, text)
	}
	code, text := cli(append(common, "--merge")...)
	if code != 1 {
		t.Fatalf("merge over a stale mark: exit %d:\n%s", code, text)
	}
	mustContain(t, text, "inputs are in no committed shard", "rerun partitions 1 of 2")
	// A mark made with other settings is not merged either.
	if code, text := cli(append(common, "--partition-index", "1")...); code != 0 {
		t.Fatalf("rerun of partition 1: exit %d:\n%s", code, text)
	}
	markPath := filepath.Join(out, "partitions", schema.PartitionTag(1, 2)+".json")
	mark, _ := os.ReadFile(markPath)
	var m schema.PartitionMark
	json.Unmarshal(mark, &m)
	m.ConfigDigest, m.Settings["theta"] = "0000", "70"
	mark, _ = json.Marshal(m)
	os.WriteFile(markPath, mark, 0o644)
	code, text = cli(append(common, "--merge")...)
	if code != 1 {
		t.Fatalf("merge over a mark with other settings: exit %d:\n%s", code, text)
	}
	mustContain(t, text, "partition 1 of 2 was built with other settings", `theta: "70" in the dataset, "90" in this run`)
	// --overwrite clears the marks too.
	if code, text := cli("build", "--in", in, "--out", out, "--overwrite"); code != 0 {
		t.Fatalf("overwrite: exit %d:\n%s", code, text)
	}
	if _, err := os.Stat(filepath.Join(out, "partitions")); err == nil {
		if m, _ := filepath.Glob(filepath.Join(out, "partitions", "*")); len(m) > 0 {
			t.Errorf("--overwrite kept %v", m)
		}
	}
}

// Lesser hostile inputs: damaged commit records, reports inside the dataset, umask, empty input.
func TestLesserHostileInputs(t *testing.T) {
	t.Run("an empty input is an error, not an empty dataset, and leaves no run record", func(t *testing.T) {
		in, out := t.TempDir(), filepath.Join(t.TempDir(), "ds")
		os.WriteFile(filepath.Join(in, "notes.md"), []byte("x"), 0o644)
		code, text := cli("build", "--in", in, "--out", out)
		if code != 1 {
			t.Fatalf("exit %d:\n%s", code, text)
		}
		mustContain(t, text, "no inputs in it")
		if runs, _ := filepath.Glob(filepath.Join(out, ".twigdata", "runs", "*")); len(runs) > 0 {
			t.Errorf("the failed build left %v", runs)
		}
	})
	t.Run("a clean rerun of a build with no rejects removes nothing", func(t *testing.T) {
		in, out := t.TempDir(), filepath.Join(t.TempDir(), "ds")
		pairs(t, in, 2)
		for i := 0; i < 2; i++ {
			code, text := cli("build", "--in", in, "--out", out)
			if code != 0 {
				t.Fatalf("run %d: exit %d:\n%s", i, code, text)
			}
			if i == 1 && strings.Contains(text, "uncommitted files removed") && !strings.Contains(text, "(0 uncommitted files removed") {
				t.Errorf("the rerun removed files of its own dataset (the empty table's file):\n%s", text)
			}
		}
	})
	t.Run("validate will not write its report over the dataset", func(t *testing.T) {
		ds := buildSample(t)
		before := snapshot(t, ds)
		code, text := cli("validate", ds, "--report", filepath.Join(ds, "manifest.json"))
		if code != 2 {
			t.Fatalf("exit %d:\n%s", code, text)
		}
		sameFiles(t, before, snapshot(t, ds))
	})
	t.Run("a folder of symbolic links is accounted for", func(t *testing.T) {
		real, in := t.TempDir(), t.TempDir()
		pairs(t, real, 2)
		entries, _ := os.ReadDir(real)
		for _, e := range entries {
			os.Symlink(filepath.Join(real, e.Name()), filepath.Join(in, e.Name()))
		}
		out := filepath.Join(t.TempDir(), "ds")
		code, text := cli("build", "--in", in, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, text)
		}
		rj := rejectsOf(t, out)
		if len(rj) != 2 {
			t.Fatalf("rejects %v", rj)
		}
		for _, r := range rj {
			if r.Reason != string(schema.ReasonNotRegular) || !strings.Contains(r.Detail, "symbolic link") {
				t.Errorf("reject %+v", r)
			}
		}
	})
	t.Run("dataset files follow the umask", func(t *testing.T) {
		old := syscall.Umask(0o022)
		defer syscall.Umask(old)
		ds := buildSample(t)
		files, _ := filepath.Glob(filepath.Join(ds, "samples", "*.parquet"))
		if st, err := os.Stat(files[0]); err != nil || st.Mode().Perm() != 0o644 {
			t.Errorf("shard mode %v, %v", st.Mode().Perm(), err)
		}
	})
	t.Run("a damaged commit record is named and its shard redone, not a panic", func(t *testing.T) {
		ds := buildSample(t)
		stats, _ := filepath.Glob(filepath.Join(ds, "stats", "samples-*.json"))
		os.WriteFile(stats[0], []byte(`{"shard":"samples-x","kind":"samples","rows":1,"files":[]}`), 0o644)
		code, text := cli("build", "--out", ds)
		if code != 0 || strings.Contains(text, "goroutine") {
			t.Fatalf("exit %d:\n%s", code, text)
		}
		mustContain(t, text, "a damaged commit record (it names no files)")
		if d := readDataset(t, ds); len(d.samples)+len(d.rejects) != 35 {
			t.Errorf("%d samples and %d rejects after the redo, want the 35 inputs once", len(d.samples), len(d.rejects))
		}
	})
	t.Run("a manifest read with the pairs format is refused, not built from its neighbours", func(t *testing.T) {
		in := t.TempDir()
		pairs(t, in, 2)
		os.WriteFile(filepath.Join(in, "m.jsonl"), []byte(`{"prompt": "a cat", "image": "x.jpg"}`+"\n"), 0o644)
		out := filepath.Join(t.TempDir(), "ds")
		code, text := cli("build", "--in", filepath.Join(in, "m.jsonl"), "--in-format", "pairs", "--out", out)
		if code == 0 || !strings.Contains(text, "reads a folder of image and prompt files, and the input is one file (m.jsonl)") {
			t.Fatalf("exit %d:\n%s", code, text)
		}
		if strings.Contains(text, "building from") {
			t.Errorf("the refused build said it was building:\n%s", text)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("the refused build made %s", out)
		}
	})
}

// TestAHungS3EndpointFailsInTwoRequestsTime: an endpoint that accepts and
// never answers fails the build within two --s3-timeout and the probe's
// margin, never hangs it. (A process of its own, so it waits beside the
// other parallel tests.)
func TestAHungS3EndpointFailsInTwoRequestsTime(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept, never answer
		}
	}()
	t0 := time.Now()
	code, text := runProcess(t, []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test"},
		"build", "--progress", "none", "--out", "s3://bucket/ds/", "--s3-endpoint", "http://"+l.Addr().String(), "--s3-timeout", "1s")
	if code != 1 || time.Since(t0) > 30*time.Second {
		t.Fatalf("exit %d after %s:\n%s", code, time.Since(t0), text)
	}
	mustContain(t, text, "no answer: its requests timed out (--s3-timeout 1s")
}

// TestCommandsTakeOneFolderAndHelpKnowsEach: validate and models check
// given two folders are refused, naming what was left over (the second
// folder was never checked, and flags after it were ignored, with exit 0);
// help names each command's usage, and an unknown one is an error;
// validate's counts must be positive, its grid a .png, and an empty folder
// is said to be no dataset (not "a build that did not finish").
func TestCommandsTakeOneFolderAndHelpKnowsEach(t *testing.T) {
	emptyDir, building := t.TempDir(), t.TempDir()
	host, _ := os.Hostname()
	now := time.Now().UTC().Format(time.RFC3339)
	os.MkdirAll(filepath.Join(building, ".twigdata"), 0o755)
	os.WriteFile(filepath.Join(building, ".twigdata", "lock"), fmt.Appendf(nil, `{"host":%q,"pid":%d,"run":"r1","started":%q,"renewed":%q}`, host, os.Getpid(), now, now), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"validate", "good", "broken", "--sample", "3"}, 2, "takes one folder, good, and was also given broken --sample 3"},
		{[]string{"models", "check", "a", "b"}, 2, "takes one folder, a, and was also given b"},
		{[]string{"validate"}, 2, "name the folder to work on"},
		{[]string{"help", "validate"}, 0, "Usage: twigdata validate DATASET"},
		{[]string{"help", "models"}, 0, "Usage: twigdata models check DIR"},
		{[]string{"help", "build"}, 0, "Usage: twigdata build"},
		{[]string{"help", "bogus"}, 2, `no command "bogus"`},
		{[]string{"validate", "--sample", "-1", emptyDir}, 2, "--sample -1 must not be negative"},
		{[]string{"validate", "--bank", "-5", emptyDir}, 2, "--bank -5 must be at least 1"},
		{[]string{"validate", "--grid", filepath.Join(emptyDir, "..", "x.jpg"), emptyDir}, 2, "the picture is a PNG; name it .png"},
		{[]string{"validate", emptyDir}, 1, "this is no dataset"},
		{[]string{"validate", building}, 1, "is being written by another twigdata build"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, text := cli(tc.args...)
			if code != tc.code || !strings.Contains(text, tc.want) {
				t.Errorf("exit %d (want %d), output:\n%s", code, tc.code, text)
			}
		})
	}
}

// TestNoLocalPathLeavesTheMachine: reject details and manifest.json's
// config name the build machine's folders relative to the input (or by
// their last element) unless --source-uri absolute asks for them whole —
// a published dataset named the builder's home folder.
func TestNoLocalPathLeavesTheMachine(t *testing.T) {
	in := t.TempDir()
	pairs(t, in, 2)
	os.Symlink(filepath.Join(in, "img-000.jpg"), filepath.Join(in, "linked.jpg"))
	os.WriteFile(filepath.Join(in, "linked.txt"), []byte("a linked ball"), 0o644)
	for _, mode := range []string{"none", "relative", "absolute"} {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ds")
			if code, text := cli("build", "--in", in, "--out", out, "--source-uri", mode); code != 0 {
				t.Fatalf("exit %d:\n%s", code, text)
			}
			manifest, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
			var details []string
			for _, r := range rejectsOf(t, out) {
				details = append(details, r.Detail)
			}
			if len(details) == 0 {
				t.Fatal("no reject to read a detail of: the linked image should be one")
			}
			leaked := strings.Contains(string(manifest), in) || strings.Contains(strings.Join(details, "\n"), in)
			if leaked != (mode == "absolute") {
				t.Errorf("paths of %s in the dataset: %v, want %v (details %q)", in, leaked, mode == "absolute", details)
			}
		})
	}
}

// TestAPartitionIsNotAdvisedToOverwrite: a partition rerun with other
// settings is told how a partitioned output starts over — not to pass
// --overwrite, which partitions refuse.
func TestAPartitionIsNotAdvisedToOverwrite(t *testing.T) {
	in, out := t.TempDir(), filepath.Join(t.TempDir(), "ds")
	pairs(t, in, 4)
	common := []string{"build", "--in", in, "--out", out, "--partition-count", "2", "--partition-index", "0"}
	if code, text := cli(common...); code != 0 {
		t.Fatalf("partition 0: exit %d:\n%s", code, text)
	}
	code, text := cli(append(common, "--theta", "70")...)
	if code != 1 || !strings.Contains(text, "empty the output once") || strings.Contains(text, "--overwrite") {
		t.Errorf("exit %d:\n%s", code, text)
	}
}
