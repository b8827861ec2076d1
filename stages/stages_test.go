//go:build cgo

// These tests build datasets with the bundled models, which need ONNX
// Runtime through cgo.

package stages_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages"
	"github.com/twigdata/twigdata/storage"
)

var (
	seg  *segmenter.Model
	capt *captioner.Model
)

func TestMain(m *testing.M) {
	err := annotators.Init("")
	if err == nil {
		seg, err = segmenter.Load(annotators.ModelDir{FS: twigdata.Model("segmenter"), Name: "bundled:segmenter"}, annotators.Device{})
	}
	if err == nil {
		capt, err = captioner.Load(annotators.ModelDir{FS: twigdata.Model("captioner"), Name: "bundled:captioner"}, annotators.Device{})
	}
	if err != nil {
		os.Stderr.WriteString("stages tests: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func sampleFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(twigdata.Sample(), name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pngHeader is a valid PNG signature and IHDR chunk claiming w×h pixels, and
// nothing else: the shape of a decompression bomb as the header sees it.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func build(t *testing.T, ctx context.Context, in, out string, mod func(*stages.Config)) (stages.Summary, error) {
	t.Helper()
	inB, err := storage.NewLocal(in)
	if err != nil {
		t.Fatal(err)
	}
	outB, err := storage.NewLocal(out)
	if err != nil {
		t.Fatal(err)
	}
	o := stages.DefaultConfig()
	o.Source.In, o.Output.Out, o.Models.Segmenter, o.Models.Captioner = inB, outB, seg, capt
	if mod != nil {
		mod(&o)
	}
	return stages.Run(ctx, o)
}

func readRejects(t *testing.T, out string) map[string]schema.Reject {
	t.Helper()
	got := map[string]schema.Reject{}
	for _, r := range testutil.ReadTable[schema.Reject](t, out, "rejects") {
		if _, dup := got[r.Key]; dup {
			t.Errorf("key %s rejected twice", r.Key)
		}
		got[r.Key] = r
	}
	return got
}

func TestBadLocalInputsBecomeRejectRows(t *testing.T) {
	in := t.TempDir()
	good := sampleFile(t, "scene-000.jpg")
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(in, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prompt := []byte("a red ball and a blue box\r\n")
	cases := []struct {
		key    string
		files  map[string][]byte
		reason string
		detail string
	}{
		{"truncated", map[string][]byte{"truncated.jpg": good[:len(good)/2], "truncated.txt": prompt}, "decode.truncated", "truncated.jpg"},
		{"zero-byte", map[string][]byte{"zero-byte.png": {}, "zero-byte.txt": prompt}, "decode.empty_file", "0 bytes"},
		{"image-without-prompt", map[string][]byte{"image-without-prompt.jpg": good}, "source.no_prompt", "no prompt"},
		{"prompt-without-image", map[string][]byte{"prompt-without-image.txt": prompt}, "source.no_image", "no image"},
		{"empty-prompt", map[string][]byte{"empty-prompt.jpg": good, "empty-prompt.txt": []byte(" \r\n\t")}, "source.empty_prompt", "no prompt text"},
		{"non-utf8-prompt", map[string][]byte{"non-utf8-prompt.jpg": good, "non-utf8-prompt.txt": {'a', ' ', 0xff, 0xfe, 'b'}}, "source.prompt_not_utf8", "UTF-8"},
		{"bomb", map[string][]byte{"bomb.png": pngHeader(50000, 50000), "bomb.txt": prompt}, "decode.too_many_pixels", "50000×50000"},
		{"random-bytes", map[string][]byte{"random-bytes.png": bytes.Repeat([]byte{0x13, 0x37, 0x42}, 100), "random-bytes.txt": prompt}, "decode.unknown_format", "not a JPEG, PNG or WebP"},
		{"json-without-prompt", map[string][]byte{"json-without-prompt.jpg": good, "json-without-prompt.json": []byte(`{"caption":"x"}`)}, "source.prompt_json_no_field", `"prompt"`},
		// Formats the decoder does not read pair with their prompt and are
		// rejected naming the format (they were "a prompt with no image").
		{"phone-photo", map[string][]byte{"phone-photo.heic": append([]byte("\x00\x00\x00\x18ftypheic"), make([]byte, 64)...), "phone-photo.txt": prompt}, "decode.unsupported_format", "HEIC"},
		{"web-photo", map[string][]byte{"web-photo.avif": append([]byte("\x00\x00\x00\x1cftypavif"), make([]byte, 64)...), "web-photo.txt": prompt}, "decode.unsupported_format", "AVIF"},
		{"scan", map[string][]byte{"scan.tif": append([]byte("II*\x00"), make([]byte, 64)...), "scan.txt": prompt}, "decode.unsupported_format", "TIFF"},
		{"paint", map[string][]byte{"paint.bmp": append([]byte("BM"), make([]byte, 64)...), "paint.txt": prompt}, "decode.unsupported_format", "BMP"},
		{"animation", map[string][]byte{"animation.webp": append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02"), make([]byte, 64)...), "animation.txt": prompt}, "decode.unsupported_format", "animated WebP"},
	}
	for _, c := range cases {
		for name, data := range c.files {
			write(name, data)
		}
	}
	write("ok.jpg", good)
	write("ok.txt", prompt)
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := build(t, context.Background(), in, out, nil)
	if err != nil {
		t.Fatalf("the run must succeed despite bad inputs: %v", err)
	}
	if sum.Accepted != 1 || sum.Rejected != int64(len(cases)) {
		t.Errorf("accepted %d rejected %d, want 1 and %d", sum.Accepted, sum.Rejected, len(cases))
	}
	got := readRejects(t, out)
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			r, ok := got[c.key]
			if !ok {
				t.Fatalf("no reject row for %s", c.key)
			}
			if r.Reason != c.reason {
				t.Errorf("reason %q (%s), want %q", r.Reason, r.Detail, c.reason)
			}
			if !strings.Contains(r.Detail, c.detail) {
				t.Errorf("detail %q does not mention %q", r.Detail, c.detail)
			}
			if !strings.HasPrefix(r.Reason, r.Stage+".") {
				t.Errorf("stage %q does not match reason %q", r.Stage, r.Reason)
			}
		})
	}
}

func TestCancelMidRunLeavesOnlyCompleteShards(t *testing.T) {
	// 12 copies of the bundled sample: enough work that cancel lands mid-run.
	in := t.TempDir()
	testutil.CopySample(t, in, 12)
	out := filepath.Join(t.TempDir(), "ds")
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen atomic.Int64
	var cancelledAt time.Time
	_, err := build(t, ctx, in, out, func(o *stages.Config) {
		o.Output.ShardRows = 16
		o.Hooks.Progress = func(a, r int64) {
			if seen.Add(1) == 100 {
				cancelledAt = time.Now()
				cancel()
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if took := time.Since(cancelledAt); took > 3*time.Second {
		t.Errorf("Build took %s to return after cancel", took)
	}
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after cancel, %d before", n, before)
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err == nil {
		t.Error("manifest.json written by a cancelled run")
	}
	shards := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		if strings.HasSuffix(p, ".parquet") {
			shards++
			b, _ := os.ReadFile(p)
			var n int
			switch filepath.Base(filepath.Dir(p)) {
			case "samples":
				rows, err := schema.Decode[schema.Sample](bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Errorf("%s is not a complete Parquet file: %v", p, err)
				}
				n = len(rows)
			case "tasks":
				rows, err := schema.Decode[schema.Task](bytes.NewReader(b), int64(len(b)))
				if err != nil {
					t.Errorf("%s is not a complete Parquet file: %v", p, err)
				}
				ids := map[string]bool{}
				for _, r := range rows {
					ids[r.SampleID] = true
				}
				n = len(ids)
			default:
				return nil
			}
			if n != 16 {
				t.Errorf("%s holds %d samples, a full shard holds 16", p, n)
			}
		}
		return nil
	})
	if shards == 0 {
		t.Log("cancel landed before the first shard was committed")
	}
}

// vanishing hides some objects from Get, as if they were deleted between the
// listing and the read.
type vanishing struct {
	storage.Bucket
	gone map[string]bool
}

func (v vanishing) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if v.gone[key] {
		return nil, fmt.Errorf("%s: %w", key, storage.ErrNotExist)
	}
	return v.Bucket.Get(ctx, key)
}

func TestRetryRejectsRedoesOnlyTransientRejects(t *testing.T) {
	in := t.TempDir()
	testutil.CopySample(t, in, 1)
	out := filepath.Join(t.TempDir(), "ds")
	local, _ := storage.NewLocal(in)
	outB, _ := storage.NewLocal(out)
	opts := func(b storage.Bucket, retry bool) stages.Config {
		o := stages.DefaultConfig()
		o.Source.In, o.Output.Out, o.Models.Segmenter, o.Models.Captioner, o.Output.RetryRejects, o.Output.ShardRows = b, outB, seg, capt, retry, 8
		return o
	}
	gone := vanishing{local, map[string]bool{"copy00/scene-003.jpg": true, "copy00/scene-006.jpg": true}}
	first, err := stages.Run(context.Background(), opts(gone, false))
	if err != nil {
		t.Fatal(err)
	}
	if first.ByReason["source.image_vanished"] != 2 {
		t.Fatalf("first run rejects: %v", first.ByReason)
	}
	// A plain rerun keeps the transient rejects; --retry-rejects redoes them.
	again, err := stages.Run(context.Background(), opts(local, false))
	if err != nil || again.Resumed != 35 || again.ByReason["source.image_vanished"] != 2 {
		t.Fatalf("plain rerun: %+v %v", again, err)
	}
	retried, err := stages.Run(context.Background(), opts(local, true))
	if err != nil {
		t.Fatal(err)
	}
	if retried.Retried != 2 || retried.Resumed != 33 || retried.ByReason["source.image_vanished"] != 0 || retried.Accepted != first.Accepted+2 || retried.Inputs != 35 {
		t.Fatalf("after --retry-rejects: %+v", retried)
	}
	rejects := readRejects(t, out)
	for k, r := range rejects {
		if r.Transient {
			t.Errorf("%s still rejected as transient", k)
		}
	}
	if len(rejects) != int(retried.Rejected) {
		t.Errorf("%d reject rows, summary says %d", len(rejects), retried.Rejected)
	}
}
