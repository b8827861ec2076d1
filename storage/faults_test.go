package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twigdata/twigdata/storage"
)

// TestLocalGetRefusesWhatIsNotARegularFile: a folder, a FIFO (which would
// block a plain open forever), a symbolic link and a linked folder leading out
// of the root are refused with ErrNotRegular, a name over 255 bytes with
// ErrInvalidKey — each an object fault, never a hang.
func TestLocalGetRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.jpg"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "folder.jpg"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.jpg"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "real.jpg"), []byte("x"), 0o644)
	os.Symlink(filepath.Join(dir, "real.jpg"), filepath.Join(dir, "link.jpg"))
	os.Symlink(outside, filepath.Join(dir, "out"))
	b, _ := storage.NewLocal(dir)
	tests := []struct {
		key  string
		want error
	}{
		{"folder.jpg", storage.ErrNotRegular},
		{"fifo.jpg", storage.ErrNotRegular},
		{"link.jpg", storage.ErrNotRegular},
		{"out/secret.jpg", storage.ErrNotRegular},
		{strings.Repeat("n", 300) + ".jpg", storage.ErrInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.key[:min(len(tc.key), 20)], func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := storage.ReadAll(context.Background(), b, tc.key, 1<<20)
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) || !storage.IsObjectFault(err) {
					t.Errorf("err %v, want %v", err, tc.want)
				}
				if len(err.Error()) > 600 {
					t.Errorf("a %d-byte message", len(err.Error()))
				}
			case <-time.After(5 * time.Second):
				t.Fatal("reading hung")
			}
		})
	}
	// Listed, so that an input made of them is accounted for.
	var listed []string
	b.List(context.Background(), "", func(o storage.Object) error { listed = append(listed, o.Key); return nil })
	if strings.Join(listed, ",") != "fifo.jpg,link.jpg,out,real.jpg" {
		t.Errorf("listed %v", listed)
	}
}

func TestLocalSizeLimitIsCheckedBeforeReading(t *testing.T) {
	dir := t.TempDir()
	f, _ := os.Create(filepath.Join(dir, "huge.jpg"))
	f.Truncate(300 << 20) // sparse: reading it whole would allocate 300 MB
	f.Close()
	b, _ := storage.NewLocal(dir)
	_, err := storage.ReadAll(context.Background(), b, "huge.jpg", 64<<20)
	if !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

func TestLocalPutRespectsTheUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	b, _ := storage.NewLocal(t.TempDir())
	if err := b.Put(context.Background(), "samples/a.parquet", []byte("x")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(b.URI("samples/a.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v under umask 022, want -rw-r--r--", st.Mode().Perm())
	}
}

func TestParseS3URI(t *testing.T) {
	tests := []struct {
		uri, bucket, key string
		bad              bool
	}{
		{"s3://bkt/run#1/", "bkt", "run#1/", false},
		{"s3://bkt/a?b=%41/x.jpg", "bkt", "a?b=%41/x.jpg", false},
		{"s3://my.bucket-2", "my.bucket-2", "", false},
		{"s3://Bad_Bucket!!/x.jpg", "", "", true},
		{"s3://ab/x", "", "", true},
		{"s3:///x", "", "", true},
		{"http://bkt/x", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.uri, func(t *testing.T) {
			b, k, err := storage.ParseS3URI(tc.uri)
			if tc.bad {
				if !errors.Is(err, storage.ErrInvalidKey) {
					t.Errorf("err %v, want ErrInvalidKey", err)
				}
				return
			}
			if err != nil || b != tc.bucket || k != tc.key {
				t.Errorf("got %q %q %v", b, k, err)
			}
		})
	}
}
