package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/internal/s3test"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/write"
	"github.com/twigdata/twigdata/storage"
)

var (
	s3Once   sync.Once
	s3Server *s3test.Server
	s3Err    error
)

// s3 starts the shared S3 test server on first use; TestMain stops it.
func s3(t *testing.T) *s3test.Server {
	t.Helper()
	s3Once.Do(func() { s3Server, s3Err = s3test.Start() })
	if s3Err != nil {
		t.Fatalf("S3 test server: %v", s3Err)
	}
	return s3Server
}

// dataset is what a finished build holds, by input key.
type dataset struct {
	samples map[string]string // key → digest of the whole record
	rejects map[string]string // key → reason
}

// readDataset loads a dataset folder, failing on any key seen twice.
func readDataset(t *testing.T, dir string) dataset {
	t.Helper()
	d := dataset{samples: map[string]string{}, rejects: map[string]string{}}
	for _, r := range testutil.ReadTable[schema.Sample](t, dir, "samples") {
		if _, dup := d.samples[r.Key]; dup {
			t.Errorf("key %s in samples twice", r.Key)
		}
		j, _ := json.Marshal(r)
		d.samples[r.Key] = fmt.Sprintf("%x", sha256.Sum256(j))
	}
	for _, r := range testutil.ReadTable[schema.Reject](t, dir, "rejects") {
		if _, dup := d.rejects[r.Key]; dup {
			t.Errorf("key %s in rejects twice", r.Key)
		}
		if _, dup := d.samples[r.Key]; dup {
			t.Errorf("key %s in samples and in rejects", r.Key)
		}
		d.rejects[r.Key] = r.Reason
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Errorf("no manifest.json after a completed build")
	}
	return d
}

// mirror copies an S3 prefix into a local folder.
func mirror(t *testing.T, uri string) string {
	t.Helper()
	ctx := context.Background()
	b, err := storage.Open(ctx, uri, storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	err = b.List(ctx, "", func(o storage.Object) error {
		data, err := storage.ReadAll(ctx, b, o.Key, 1<<30)
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(o.Key))
		os.MkdirAll(filepath.Dir(p), 0o755)
		return os.WriteFile(p, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func compare(t *testing.T, got, want dataset) {
	t.Helper()
	if len(got.samples) != len(want.samples) || len(got.rejects) != len(want.rejects) {
		t.Errorf("%d samples and %d rejects, want %d and %d", len(got.samples), len(got.rejects), len(want.samples), len(want.rejects))
	}
	for k, v := range want.samples {
		if got.samples[k] != v {
			t.Errorf("sample %s differs from the uninterrupted run's", k)
		}
	}
	for k, v := range want.rejects {
		if got.rejects[k] != v {
			t.Errorf("reject %s: %q, want %q", k, got.rejects[k], v)
		}
	}
}

func TestSIGKILLAtRandomMomentsThenRerunLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: kills and reruns builds for 8 s")
	}
	t.Parallel()
	in := t.TempDir()
	testutil.CopySample(t, in, 5)
	exe, _ := os.Executable()
	common := []string{"build", "--in", in, "--progress", "none", "--shard-rows", "16"}

	refOut := filepath.Join(t.TempDir(), "ref")
	start := time.Now()
	if code, out := runProcess(t, nil, append(common, "--out", refOut)...); code != 0 {
		t.Fatalf("reference build: exit %d\n%s", code, out)
	}
	full := time.Since(start)
	want := readDataset(t, refOut)
	if len(want.samples)+len(want.rejects) != 5*35 {
		t.Fatalf("reference holds %d inputs, want %d", len(want.samples)+len(want.rejects), 5*35)
	}

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 7))
	t.Logf("kill times drawn with seed %d over a %s build", seed, full.Round(time.Millisecond))

	// Trials alternate between the backends until the time budget is spent
	// (TWIGDATA_KILL_SECONDS, default 8; at least two trials each).
	budget := 8 * time.Second
	if v, err := strconv.Atoi(os.Getenv("TWIGDATA_KILL_SECONDS")); err == nil && v > 0 {
		budget = time.Duration(v) * time.Second
	}
	resumedTrials, trials := 0, 0
	began := time.Now()
	for ; trials < 4 || time.Since(began) < budget; trials++ {
		backend, trial := []string{"local", "s3"}[trials%2], trials/2
		{
			t.Run(fmt.Sprintf("%s trial %d", backend, trial), func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "ds")
				if backend == "s3" {
					srv := s3(t)
					bucket := fmt.Sprintf("kill-%d-%d", trial, time.Now().UnixNano()%1e9)
					if err := srv.CreateBucket(context.Background(), bucket); err != nil {
						t.Fatal(err)
					}
					out = "s3://" + bucket + "/twig"
				}
				// One or two kills at random moments, then a rerun to completion.
				tmp := "TMPDIR=" + t.TempDir() // where the killed builds spool their shards
				kills := 1 + trial%2           // one or two kills
				for k := 0; k < kills; k++ {
					cmd := exec.Command(exe, append(common, "--out", out)...)
					cmd.Env = append(os.Environ(), "TWIGDATA_MAIN=1", tmp)
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					// After a quarter of the reference build's time at the
					// earliest: under a loaded machine's timing an earlier
					// kill often lands before the first commit, which tests
					// nothing that a later trial does not.
					time.Sleep(time.Duration((0.25 + 0.65*rng.Float64()) * float64(full)))
					cmd.Process.Signal(syscall.SIGKILL)
					cmd.Wait()
				}
				if left, _ := os.ReadDir(strings.TrimPrefix(tmp, "TMPDIR=")); len(left) > 0 {
					t.Errorf("the killed builds left %d files in their temporary folder, %s first", len(left), left[0].Name())
				}
				code, log := runProcess(t, nil, append(common, "--out", out)...)
				if code != 0 {
					t.Fatalf("rerun: exit %d\n%s", code, log)
				}
				for _, line := range strings.Split(log, "\n") {
					if strings.Contains(line, "resumed:") {
						t.Log(strings.TrimSpace(line))
						resumedTrials++
					}
				}
				dir := out
				if backend == "s3" {
					dir = mirror(t, out)
				}
				compare(t, readDataset(t, dir), want)
				filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
						t.Errorf("temporary file left: %s", p)
					}
					return nil
				})
			})
		}
	}
	t.Logf("%d trials in %s", trials, time.Since(began).Round(time.Second))
	if resumedTrials < (trials+2)/3 {
		t.Errorf("only %d of %d reruns found committed work to keep: the kills landed too early to test resuming", resumedTrials, trials)
	}
}

func TestRerunOfACompleteBuildDoesNothing(t *testing.T) {
	out := buildSample(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "--out", out, "--progress", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "resumed:  35 inputs were already committed") {
		t.Errorf("rerun output:\n%s", stdout.String())
	}
	d := readDataset(t, out)
	if len(d.samples)+len(d.rejects) != 35 {
		t.Errorf("%d inputs after a rerun, want 35", len(d.samples)+len(d.rejects))
	}
	// Other settings must not mix into the same dataset.
	if code := run([]string{"build", "--out", out, "--progress", "none", "--theta", "50"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "other settings") {
		t.Errorf("rerun with another theta: exit %d, stderr %q", code, stderr.String())
	}
}

// uploadSample puts the bundled sample (n copies) under s3://bucket/prefix.
func uploadSample(t *testing.T, bucket, prefix string, n int) string {
	t.Helper()
	ctx := context.Background()
	if err := s3(t).CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	testutil.CopySample(t, local, n)
	uri := "s3://" + bucket + "/" + prefix
	b, err := storage.Open(ctx, uri, storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(local, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(local, p)
		data, _ := os.ReadFile(p)
		return b.Put(ctx, filepath.ToSlash(rel), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	return uri
}

func TestBuildFromS3ToS3MatchesLocal(t *testing.T) {
	in := uploadSample(t, fmt.Sprintf("in-%d", time.Now().UnixNano()%1e9), "pairs", 2)
	outBucket := fmt.Sprintf("out-%d", time.Now().UnixNano()%1e9)
	if err := s3(t).CreateBucket(context.Background(), outBucket); err != nil {
		t.Fatal(err)
	}
	out := "s3://" + outBucket + "/datasets/twig"
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "--in", in, "--out", out, "--progress", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Dataset written to "+out) {
		t.Errorf("output does not name the S3 dataset:\n%s", stdout.String())
	}
	got := readDataset(t, mirror(t, out))

	localIn := t.TempDir()
	testutil.CopySample(t, localIn, 2)
	localOut := filepath.Join(t.TempDir(), "ds")
	if code := run([]string{"build", "--in", localIn, "--out", localOut, "--progress", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("local build: exit %d: %s", code, stderr.String())
	}
	want := readDataset(t, localOut)
	// Records name their source; everything else must match the local build.
	if len(got.samples) != len(want.samples) || len(got.rejects) != len(want.rejects) || len(got.samples) != 64 {
		t.Fatalf("S3 build: %d samples %d rejects; local: %d and %d", len(got.samples), len(got.rejects), len(want.samples), len(want.rejects))
	}
	for k, v := range want.rejects {
		if got.rejects[k] != v {
			t.Errorf("reject %s: %q on S3, %q locally", k, got.rejects[k], v)
		}
	}
	dir := mirror(t, out)
	for _, f := range []string{"manifest.json", "README.md"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{s3test.SecretKey, s3test.AccessKey} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s contains a credential", f)
			}
		}
	}
	if strings.Contains(stdout.String()+stderr.String(), s3test.SecretKey) {
		t.Error("the build printed a credential")
	}
	t.Run("the summary's and the card's S3 reader lines run as written", func(t *testing.T) {
		card, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		summary := regexp.MustCompile("(?s)```python\n(.*?)```").FindAllStringSubmatch(stdout.String(), -1)
		if len(summary) < 3 {
			t.Fatalf("the summary gives %d Python readers for an s3:// output, want datasets, pyarrow and polars:\n%s", len(summary), stdout.String())
		}
		if !strings.Contains(stdout.String(), "ENDPOINT '"+strings.TrimPrefix(s3(t).Endpoint, "http://")+"'") || !strings.Contains(stdout.String(), "URL_STYLE 'path'") {
			t.Errorf("the summary's DuckDB secret lacks the endpoint or the URL style:\n%s", stdout.String())
		}
		python := interopTool(t, ".deps/py/bin/python", "scripts/fetch-pyenv.sh")
		var blocks []string
		for _, m := range summary {
			blocks = append(blocks, m[1])
		}
		for _, b := range codeBlocks(t, filepath.Join(dir, "README.md"), "python") {
			if strings.Contains(b, "s3://") || strings.Contains(b, "S3FileSystem") {
				blocks = append(blocks, b)
			}
		}
		if len(blocks) < 6 || !strings.Contains(string(card), "CREATE OR REPLACE SECRET") {
			t.Errorf("the card gives %d S3 readers in all, want the summary's three and its own", len(blocks))
		}
		// DuckDB's lines, as written, with its extensions from .deps/py-duckdb.
		sqls := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(stdout.String(), -1)
		for _, b := range codeBlocks(t, filepath.Join(dir, "README.md"), "sql") {
			if strings.Contains(b, "SECRET") {
				sqls = append(sqls, []string{"", b})
			}
		}
		if len(sqls) != 2 {
			t.Errorf("%d DuckDB S3 blocks in the summary and the card, want one each", len(sqls))
		}
		duckdb := interopTool(t, ".deps/py-duckdb/duckdb", "make pyenv-duckdb")
		for i, m := range sqls {
			file := filepath.Join(t.TempDir(), "read.sql")
			if err := os.WriteFile(file, []byte(m[1]), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(python, filepath.Join(repoRoot, "scripts", "duckdb_sql.py"), file)
			cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Dir(duckdb))
			b, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(b), "[(64,)]") {
				t.Errorf("DuckDB S3 block %d (%v) does not count the 64 samples:\n%s\n%s", i+1, err, m[1], b)
			}
		}
		for i, code := range blocks {
			script := filepath.Join(t.TempDir(), "read.py")
			if err := os.WriteFile(script, []byte(code), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(python, script)
			// Not offline: datasets counts s3:// as the network, and the
			// only network here is the test's own S3 server.
			cmd.Env = append(os.Environ(), "HF_HOME="+t.TempDir(), "HF_HUB_OFFLINE=0", "HF_HUB_DISABLE_TELEMETRY=1")
			b, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(b), "64") {
				t.Errorf("S3 reader %d (%v) does not read the 64 samples:\n%s\n%s", i+1, err, code, b)
			}
		}
	})
}

func TestS3FaultsAreRetriedAndChangeNothing(t *testing.T) {
	t.Parallel()
	srv := s3(t)
	suffix := time.Now().UnixNano() % 1e9
	in := uploadSample(t, fmt.Sprintf("fin-%d", suffix), "pairs", 2)
	for _, b := range []string{"fclean", "ffault"} {
		if err := srv.CreateBucket(context.Background(), fmt.Sprintf("%s-%d", b, suffix)); err != nil {
			t.Fatal(err)
		}
	}
	clean := fmt.Sprintf("s3://fclean-%d/twig", suffix)
	faulty := fmt.Sprintf("s3://ffault-%d/twig", suffix)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "--in", in, "--out", clean, "--progress", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("fault-free build: exit %d: %s", code, stderr.String())
	}

	const rate = 0.06 // of every request, for each of the five kinds: 30% fail
	seed := uint64(time.Now().UnixNano())
	proxy, err := s3test.NewFaultProxy(srv.Endpoint, rate, seed)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.StallFor = 5 * time.Second
	args := []string{"build", "--in", in, "--out", faulty, "--progress", "none",
		"--s3-endpoint", proxy.URL, "--s3-timeout", "1s", "--s3-attempts", "12"}
	start := time.Now()
	stdout.Reset()
	stderr.Reset()
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("build through the fault proxy (seed %d): exit %d: %s", seed, code, stderr.String())
	}
	t.Logf("through the proxy (seed %d): %d requests in %s", seed, proxy.Requests(), time.Since(start).Round(time.Millisecond))
	for _, k := range s3test.Kinds {
		n := proxy.Count(k)
		t.Logf("  %-18s %4d (%.1f%%)", k, n, 100*float64(n)/float64(proxy.Requests()))
		if n == 0 {
			t.Errorf("no %s was injected: the test proves nothing about it", k)
		}
	}
	compare(t, readDataset(t, mirror(t, faulty)), readDataset(t, mirror(t, clean)))
}

func TestS3PermanentFaultsFailTheBuildFast(t *testing.T) {
	s3(t)
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"missing output bucket", []string{"--out", "s3://no-such-twig-bucket/ds"}, nil, []string{`bucket "no-such-twig-bucket" does not exist`}},
		{"missing input bucket", []string{"--in", "s3://no-such-input-bucket/pairs/"}, nil, []string{`bucket "no-such-input-bucket" does not exist`}},
		{"wrong credentials", []string{"--in", "s3://no-such-input-bucket/pairs/"}, []string{"AWS_SECRET_ACCESS_KEY=wrong-secret"}, []string{"access denied", "check the AWS credentials"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"build", "--out", filepath.Join(t.TempDir(), "ds"), "--progress", "none"}, tc.args...)
			start := time.Now()
			code, out := runProcess(t, tc.env, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1:\n%s", code, out)
			}
			if took := time.Since(start); took > 15*time.Second {
				t.Errorf("took %s to fail", took)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "wrong-secret") || strings.Contains(out, s3test.SecretKey) {
				t.Errorf("a credential was printed:\n%s", out)
			}
		})
	}
}

func TestS3ManifestWithS3References(t *testing.T) {
	ctx := context.Background()
	suffix := time.Now().UnixNano() % 1e9
	images := uploadSample(t, fmt.Sprintf("imgs-%d", suffix), "raw", 1)
	manBucket := fmt.Sprintf("man-%d", suffix)
	if err := s3(t).CreateBucket(ctx, manBucket); err != nil {
		t.Fatal(err)
	}
	var rows strings.Builder
	for _, stem := range []string{"scene-000.jpg", "scene-001.png", "scene-002.webp"} {
		p, err := fs.ReadFile(twigdata.Sample(), strings.TrimSuffix(stem, filepath.Ext(stem))+".txt")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&rows, "{\"image\": %q, \"prompt\": %q}\n", images+"/copy00/"+stem, strings.TrimSpace(string(p)))
	}
	fmt.Fprintf(&rows, "{\"image\": %q, \"prompt\": \"a missing object\"}\n", images+"/copy00/nope.jpg")
	b, err := storage.Open(ctx, "s3://"+manBucket+"/lists/", storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "train.jsonl", []byte(rows.String())); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "ds")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "--in", "s3://" + manBucket + "/lists/train.jsonl", "--out", out, "--progress", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	d := readDataset(t, out)
	if len(d.samples) != 3 || len(d.rejects) != 1 {
		t.Fatalf("%d samples, %d rejects (%v), want 3 and 1", len(d.samples), len(d.rejects), d.rejects)
	}
	for k, r := range d.rejects {
		if r != "source.no_image" || !strings.Contains(k, "nope") {
			t.Errorf("reject %s: %s", k, r)
		}
	}
}

func TestValidateReadsADatasetOnS3(t *testing.T) {
	srv := s3(t)
	bucket := fmt.Sprintf("val-%d", time.Now().UnixNano()%1e9)
	if err := srv.CreateBucket(context.Background(), bucket); err != nil {
		t.Fatal(err)
	}
	out := "s3://" + bucket + "/twig"
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "--out", out, "--progress", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("build: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"validate", out, "--sample", "4"}, &stdout, &stderr); code != 0 {
		t.Fatalf("validate: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"32 samples, 286 tasks, 32 training rows, 3 rejects", "replay (bank-composite", "of 4 samples", "loads cleanly"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("validate output lacks %q:\n%s", want, stdout.String())
		}
	}
	// show streams it from S3 too.
	stdout.Reset()
	page := filepath.Join(t.TempDir(), "report.html")
	if code := run([]string{"show", out, "--out", page, "--sample", "5"}, &stdout, &stderr); code != 0 {
		t.Fatalf("show: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	html, err := os.ReadFile(page)
	if want := "32 samples (5 in the gallery), 96 regions"; err != nil || !strings.Contains(stdout.String(), want) || bytes.Count(html, []byte(`class="card"`)) != 5 {
		t.Errorf("show of an S3 dataset: %q, want %q and 5 gallery cards (%v)", stdout.String(), want, err)
	}
}

func TestPartitionsRunConcurrentlyThenMerge(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	testutil.CopySample(t, in, 3)
	ref := filepath.Join(t.TempDir(), "ref")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"build", "--in", in, "--out", ref, "--progress", "none"}, &stdout, &stderr); code != 0 {
		t.Fatalf("reference: exit %d: %s", code, stderr.String())
	}
	out := filepath.Join(t.TempDir(), "ds")
	common := []string{"build", "--in", in, "--out", out, "--progress", "none", "--partition-count", "3", "--shard-rows", "10"}
	// Merging before the partitions ran names what is missing.
	if code := run(append(common, "--merge"), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "partitions 0, 1, 2 of 3 have not finished") {
		t.Fatalf("early merge: exit %d, stderr %q", code, stderr.String())
	}
	var wg sync.WaitGroup
	codes := make([]int, 3)
	outs := make([]string, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var so, se bytes.Buffer
			args := append(append([]string{}, common...), "--partition-index", fmt.Sprint(i))
			if i == 2 {
				// The last one takes its index from the batch scheduler's environment.
				args = append([]string{}, common...)
			}
			codes[i] = runWithEnv(args, &so, &se, i == 2)
			outs[i] = so.String() + se.String()
		}(i)
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 || !strings.Contains(outs[i], "Partition done") {
			t.Fatalf("partition %d: exit %d\n%s", i, c, outs[i])
		}
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err == nil {
		t.Fatal("a partition wrote manifest.json")
	}
	stdout.Reset()
	if code := run(append(common, "--merge"), &stdout, &stderr); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr.String())
	}
	compare(t, readDataset(t, out), readDataset(t, ref))
	if code := run([]string{"validate", out, "--sample", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("validate after merge: exit %d\n%s", code, stdout.String())
	}
}

var envMu sync.Mutex

// runWithEnv runs the CLI, with AWS_BATCH_JOB_ARRAY_INDEX=2 set when asked.
func runWithEnv(args []string, stdout, stderr *bytes.Buffer, batchIndex bool) int {
	if !batchIndex {
		return run(args, stdout, stderr)
	}
	envMu.Lock()
	os.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", "2")
	defer func() { os.Unsetenv("AWS_BATCH_JOB_ARRAY_INDEX"); envMu.Unlock() }()
	return run(args, stdout, stderr)
}

// Items 5 and 9 on S3: "#" in the output prefix was cut off as a URL
// fragment, and a second build into a held output is refused.
func TestS3OutputPrefixWithHashAndItsLock(t *testing.T) {
	ctx := context.Background()
	bucket := fmt.Sprintf("hash-%d", time.Now().UnixNano()%1e9)
	if err := s3(t).CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	in := t.TempDir()
	pairs(t, in, 2)
	out := "s3://" + bucket + "/run#1/"
	if code, text := cli("build", "--in", in, "--out", out); code != 0 {
		t.Fatalf("exit %d:\n%s", code, text)
	}
	b, err := storage.Open(ctx, "s3://"+bucket+"/", storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := storage.Exists(ctx, b, "run#1/manifest.json"); !ok || err != nil {
		t.Fatalf("no manifest under run#1/: %v", err)
	}
	outB, _ := storage.Open(ctx, out, storage.S3Config{})
	lock, err := write.Acquire(ctx, outB, schema.LockKey(0, 1), "other-run")
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release(ctx)
	code, text := cli("build", "--in", in, "--out", out)
	if code != 1 || !strings.Contains(text, "being written by another twigdata build (run other-run") {
		t.Fatalf("a build into a held S3 output: exit %d:\n%s", code, text)
	}
}

// TestS3StoreThatIgnoresConditionsIsRefused: on s3rver, which answers a
// PUT with If-None-Match: * on an existing key with 200, two builds into
// one output would both run; the build refuses the store, naming what it
// does and the opt-out, before writing anything. With --s3-unenforced-lock
// it builds, and manifest.json records the opt-out.
func TestS3StoreThatIgnoresConditionsIsRefused(t *testing.T) {
	t.Parallel()
	s3(t) // the reference server sets the test credentials
	srv, err := s3test.StartImpl(s3test.S3rver)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.CreateBucket(context.Background(), "loose"); err != nil {
		t.Fatal(err)
	}
	args := []string{"build", "--out", "s3://loose/ds", "--s3-endpoint", srv.Endpoint, "--progress", "none"}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "accepted a PUT with If-None-Match: * on an existing key") || !strings.Contains(stderr.String(), "--s3-unenforced-lock") {
		t.Fatalf("build on s3rver: exit %d, %s; want exit 1 naming the store's behaviour and the opt-out", code, stderr.String())
	}
	var left []string
	out, err := storage.Open(context.Background(), "s3://loose/ds", storage.S3Config{Endpoint: srv.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	out.List(context.Background(), "", func(o storage.Object) error { left = append(left, o.Key); return nil })
	if len(left) > 0 {
		t.Errorf("the refused build left %v", left)
	}
	stderr.Reset()
	if code := run(append(args, "--s3-unenforced-lock"), &stdout, &stderr); code != 0 {
		t.Fatalf("build with --s3-unenforced-lock: exit %d, %s", code, stderr.String())
	}
	data, err := storage.ReadAll(context.Background(), out, schema.ManifestKey, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var m schema.Manifest
	if err := json.Unmarshal(data, &m); err != nil || m.Config["s3-unenforced-lock"] != "true" {
		t.Errorf("manifest config s3-unenforced-lock = %v (%v), want \"true\"", m.Config["s3-unenforced-lock"], err)
	}
}
