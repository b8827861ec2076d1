package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/twigdata/twigdata/internal/s3test"
	"github.com/twigdata/twigdata/storage"
	"github.com/twigdata/twigdata/storage/storagetest"
)

// server is the reference S3 server (versitygw), which the environment
// points at; servers are every implementation of the suite.
var (
	server  *s3test.Server
	servers = map[s3test.Impl]*s3test.Server{}
)

func TestMain(m *testing.M) {
	var err error
	server, err = s3test.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "storage tests need the S3 test server:", err)
		os.Exit(1)
	}
	servers[s3test.Versitygw] = server
	for _, impl := range s3test.Impls[1:] {
		if servers[impl], err = s3test.StartImpl(impl); err != nil {
			fmt.Fprintln(os.Stderr, "storage tests need the S3 test servers:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	for _, s := range servers {
		s.Stop()
	}
	os.Exit(code)
}

var bucketSeq atomic.Int64

// newBucket creates a fresh bucket on the reference server and opens a
// prefix in it.
func newBucket(t *testing.T) (storage.Bucket, string) {
	t.Helper()
	return newBucketOn(t, server, storage.S3Config{})
}

// newBucketOn creates a fresh bucket on srv and opens a prefix in it with cfg.
func newBucketOn(t *testing.T, srv *s3test.Server, cfg storage.S3Config) (storage.Bucket, string) {
	t.Helper()
	name := fmt.Sprintf("twig-%d-%d", time.Now().UnixNano()%1e6, bucketSeq.Add(1))
	if err := srv.CreateBucket(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	cfg.Endpoint = srv.Endpoint
	b, err := storage.Open(context.Background(), "s3://"+name+"/some/prefix", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, name
}

// TestS3 runs the storage contract against each S3 implementation.
func TestS3(t *testing.T) {
	for _, impl := range s3test.Impls {
		t.Run(string(impl), func(t *testing.T) {
			storagetest.Run(t, func(t *testing.T) storage.Bucket {
				b, _ := newBucketOn(t, servers[impl], storage.S3Config{})
				return b
			})
		})
	}
}

// TestS3Lock runs the lock contract against each S3 implementation that
// enforces conditional writes; one that does not (s3rver) has its lock
// refused, naming what the store does, and takes a best-effort lock only
// when asked to (UnenforcedLock).
func TestS3Lock(t *testing.T) {
	for _, impl := range s3test.Impls {
		t.Run(string(impl), func(t *testing.T) {
			if impl == s3test.S3rver {
				b, _ := newBucketOn(t, servers[impl], storage.S3Config{})
				_, err := b.(storage.Locker).Lock(context.Background(), ".twigdata/lock", []byte("run A"), func([]byte) bool { return false })
				if !errors.Is(err, storage.ErrConditionsIgnored) || !strings.Contains(err.Error(), "If-None-Match") || !strings.Contains(err.Error(), "--s3-unenforced-lock") {
					t.Fatalf("lock on a store that ignores conditional writes: %v, want ErrConditionsIgnored naming the behaviour and the opt-out", err)
				}
				unenforced, _ := newBucketOn(t, servers[impl], storage.S3Config{UnenforcedLock: true})
				lease, err := unenforced.(storage.Locker).Lock(context.Background(), ".twigdata/lock", []byte("run A"), func([]byte) bool { return false })
				if err != nil {
					t.Fatalf("best-effort lock: %v", err)
				}
				if _, err := unenforced.(storage.Locker).Lock(context.Background(), ".twigdata/lock", []byte("run B"), func([]byte) bool { return false }); !errors.Is(err, storage.ErrLocked) {
					t.Errorf("a held best-effort lock let a second holder in: %v", err)
				}
				lease.Release(context.Background())
				return
			}
			storagetest.RunLocker(t, func(t *testing.T) storage.Bucket {
				b, _ := newBucketOn(t, servers[impl], storage.S3Config{})
				return b
			})
		})
	}
}

func TestS3MultipartUploadAboveThePartSize(t *testing.T) {
	b, _ := newBucket(t)
	data := bytes.Repeat([]byte("twigdata!"), 2<<20) // 18 MiB: several parts
	if err := b.Put(context.Background(), "big.bin", data); err != nil {
		t.Fatal(err)
	}
	got, err := storage.ReadAll(context.Background(), b, "big.bin", int64(len(data)))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (%v), want %d", len(got), err, len(data))
	}
}

// TestS3CleanTempAbortsAKilledRunsUploads: a process killed inside a large
// Put leaves a multipart upload no listing of objects shows; CleanTemp aborts
// those of the named run in the folder, and no other run's or folder's.
func TestS3CleanTempAbortsAKilledRunsUploads(t *testing.T) {
	ctx := context.Background()
	b, bucket := newBucket(t)
	client := server.Client()
	keys := map[string]bool{ // key below the prefix: aborted
		"samples/part-r1-00000.parquet":     true,
		"samples/part-r2-00000.parquet":     false,
		"samples/old/part-r1-00000.parquet": false,
	}
	for k := range keys {
		up, err := client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("some/prefix/" + k)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(bucket), Key: aws.String("some/prefix/" + k), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(bytes.Repeat([]byte("x"), 1024))})
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := b.(storage.TempCleaner).CleanTemp(ctx, "samples", "part-r1-")
	if err != nil || n != 1 {
		t.Fatalf("CleanTemp aborted %d uploads (%v), want 1", n, err)
	}
	left, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, u := range left.Uploads {
		got[strings.TrimPrefix(aws.ToString(u.Key), "some/prefix/")] = true
	}
	for k, aborted := range keys {
		if got[k] == aborted {
			t.Errorf("upload of %s: still there %v, want %v", k, got[k], !aborted)
		}
	}

	// Credentials that may not list uploads skip the cleanup, not the build.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-value")
	denied, err := storage.Open(ctx, "s3://"+bucket+"/some/prefix", storage.S3Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := denied.(storage.TempCleaner).CleanTemp(ctx, "samples", "part-r2-"); n != 0 || err != nil {
		t.Errorf("denied CleanTemp: %d, %v; want 0, nil", n, err)
	}
}

func TestS3PermanentFaultsFailFastWithAdvice(t *testing.T) {
	ctx := context.Background()
	_, good := newBucket(t)
	tests := []struct {
		name string
		uri  string
		env  map[string]string
		want []string
	}{
		{"missing bucket", "s3://no-such-bucket-here/x", nil, []string{`bucket "no-such-bucket-here" does not exist`}},
		{"wrong credentials", "s3://" + good + "/x", map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong-secret-value"}, []string{"access denied", "check the AWS credentials", good}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			b, err := storage.Open(ctx, tc.uri, storage.S3Config{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = b.Put(ctx, "probe", []byte("x"))
			if err == nil {
				t.Fatal("put succeeded")
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s to fail: permanent faults must not be retried", took)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{s3test.SecretKey, "wrong-secret-value", s3test.AccessKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks a credential: %q", err)
				}
			}
		})
	}
}

func TestS3ListingPaginates(t *testing.T) {
	b, _ := newBucket(t)
	ctx := context.Background()
	const n = 1100 // more than one ListObjectsV2 page of 1000
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := b.Put(ctx, fmt.Sprintf("p/%05d.txt", i), []byte("x")); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	got := 0
	prev := ""
	err := b.List(ctx, "p/", func(o storage.Object) error {
		if o.Key <= prev {
			t.Errorf("listing out of order: %s after %s", o.Key, prev)
		}
		prev = o.Key
		got++
		return nil
	})
	if err != nil || got != n {
		t.Fatalf("listed %d of %d objects (%v)", got, n, err)
	}
}

// TestS3SizeLimitIsCheckedBeforeTheBody: an object over the limit is refused
// from the response's length — allocating next to nothing, not its size.
func TestS3SizeLimitIsCheckedBeforeTheBody(t *testing.T) {
	b, _ := newBucket(t)
	ctx := context.Background()
	if err := b.Put(ctx, "big.jpg", bytes.Repeat([]byte{7}, 24<<20)); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := storage.ReadAll(ctx, b, "big.jpg", 1<<20)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("refusing a 24 MiB object allocated %d MiB", alloc>>20)
	}
}

// TestS3StreamsBodiesAndResumesThemAtTheirOffset: an object read through a
// proxy that cuts and stalls bodies arrives whole and unchanged, taken up
// again with Range requests; reading it holds no copy of it; an object
// replaced between two parts fails instead of mixing two versions.
func TestS3StreamsBodiesAndResumesThemAtTheirOffset(t *testing.T) {
	b, name := newBucket(t)
	ctx := context.Background()
	data := make([]byte, 6<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	if err := b.Put(ctx, "shard.tar", data); err != nil {
		t.Fatal(err)
	}
	proxy, err := s3test.NewFaultProxy(server.Endpoint, 0.15, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.StallFor = 3 * time.Second
	faulty, err := storage.Open(ctx, "s3://"+name+"/some/prefix", storage.S3Config{Endpoint: proxy.URL, Timeout: time.Second, MaxAttempts: 12})
	if err != nil {
		t.Fatal(err)
	}
	for trial := 0; trial < 6; trial++ {
		rc, err := storage.Stream(ctx, faulty, "shard.tar", 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		h1, h2 := sha256.New(), sha256.New()
		if _, err := io.CopyBuffer(h1, rc, make([]byte, 64<<10)); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		rc.Close()
		h2.Write(data)
		if !bytes.Equal(h1.Sum(nil), h2.Sum(nil)) {
			t.Fatalf("trial %d: the streamed body differs from the object", trial)
		}
	}
	// Streamed, not held: reading the object allocates far less than its size
	// (measured without the proxy, which buffers responses in this process).
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rc, err := storage.Stream(ctx, b, "shard.tar", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.CopyBuffer(io.Discard, rc, make([]byte, 64<<10))
	rc.Close()
	runtime.ReadMemStats(&after)
	if err != nil || n != int64(len(data)) {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Errorf("streaming a 6 MiB object allocated %d KiB", alloc>>10)
	}
	cuts := proxy.Count(s3test.Truncated) + proxy.Count(s3test.Stall)
	t.Logf("%d requests, %d bodies cut or stalled", proxy.Requests(), cuts)
	if cuts == 0 {
		t.Error("no body was cut or stalled: the test proves nothing")
	}

	// Replaced between two parts: the second part's ETag no longer matches.
	rc, err = storage.Stream(ctx, b, "shard.tar", 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadFull(rc, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "shard.tar", bytes.Repeat([]byte{1}, 6<<20)); err != nil {
		t.Fatal(err)
	}
	storage.CutForTest(rc)
	_, err = io.Copy(io.Discard, rc)
	if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
		t.Errorf("reading on after the object was replaced: %v, want it refused", err)
	}
}

// notImplemented is a proxy before the reference server that answers 501
// NotImplemented to multipart-upload listings and, with conditional, to
// conditional PUTs, as some S3-compatible stores do.
func notImplemented(t *testing.T, conditional bool) string {
	t.Helper()
	target, _ := url.Parse(server.Endpoint)
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, uploads := r.URL.Query()["uploads"]
		cond := r.Method == http.MethodPut && (r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Match") != "")
		if (uploads && r.Method == http.MethodGet) || (conditional && cond) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusNotImplemented)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestS3NotImplementedIsHandledAsDocumented: a store that answers the
// listing of multipart uploads with 501 skips the clean-up of a killed
// run's uploads, as the README says, instead of failing the build; one
// that answers a conditional PUT with 501 has its lock refused as a store
// that does not enforce conditions — not given advice about permissions.
func TestS3NotImplementedIsHandledAsDocumented(t *testing.T) {
	ctx := context.Background()
	_, name := newBucket(t)
	for _, tc := range []struct {
		name        string
		conditional bool
	}{{"multipart listing", false}, {"conditional PUT", true}} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := storage.Open(ctx, "s3://"+name+"/p", storage.S3Config{Endpoint: notImplemented(t, tc.conditional)})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := b.(storage.TempCleaner).CleanTemp(ctx, "samples", "part-"); err != nil || n != 0 {
				t.Errorf("clean-up on a store without multipart listing: %d, %v; want it skipped", n, err)
			}
			_, err = b.(storage.Locker).Lock(ctx, "lock", []byte("run A"), func([]byte) bool { return false })
			switch {
			case tc.conditional && (!errors.Is(err, storage.ErrConditionsIgnored) || !strings.Contains(err.Error(), "501") || strings.Contains(err.Error(), "denied")):
				t.Errorf("lock where conditional PUTs answer 501: %v, want ErrConditionsIgnored naming the 501", err)
			case !tc.conditional && err != nil:
				t.Errorf("lock: %v", err)
			}
		})
	}
}

// TestS3WrongRegionSaysWhichFlag: a store that answers as S3 does when the
// bucket lives in another region (400 AuthorizationHeaderMalformed, 301
// PermanentRedirect) is explained with the flag to set, not the SDK's raw
// error.
func TestS3WrongRegionSaysWhichFlag(t *testing.T) {
	for _, tc := range []struct{ code, xml string }{
		{"400", `<Error><Code>AuthorizationHeaderMalformed</Code><Message>the region 'us-east-1' is wrong; expecting 'eu-west-1'</Message></Error>`},
		{"301", `<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>`},
	} {
		t.Run(tc.code, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/xml")
				code, _ := strconv.Atoi(tc.code)
				w.WriteHeader(code)
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>`+tc.xml)
			}))
			defer srv.Close()
			b, err := storage.Open(context.Background(), "s3://far-away/p", storage.S3Config{Endpoint: srv.URL, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, err = storage.ReadAll(context.Background(), b, "x", 10)
			if err == nil || !strings.Contains(err.Error(), "pass --s3-region with the bucket's region") {
				t.Errorf("read in the wrong region: %v", err)
			}
		})
	}
}
