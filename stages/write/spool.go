package write

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// spool is one Parquet file of a shard being written to a temporary file
// on local disk as its rows arrive, then stored in the output in one
// streamed put: the rows of a shard with its images are never all held in
// memory, nor is the encoded file.
type spool[T any] struct {
	f *os.File
	w *schema.FileWriter[T]
}

// newSpool starts a spool file in dir (the system's temporary folder when "").
// Its name is removed at once where the system allows it (the file lives on
// through the open handle), so a killed build leaves nothing in the
// temporary folder; elsewhere discard removes it.
func newSpool[T any](dir, createdBy string) (*spool[T], error) {
	f, err := os.CreateTemp(dir, "twigdata-spool-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("spool a shard to local disk: %w (set TMPDIR to a folder with room)", err)
	}
	os.Remove(f.Name())
	return &spool[T]{f: f, w: schema.NewFileWriter[T](f, createdBy)}, nil
}

// add writes rows to the spool.
func (s *spool[T]) add(rows ...T) error {
	if err := s.w.Write(rows...); err != nil {
		return spoolErr(fmt.Errorf("spool %s: %w", s.f.Name(), err))
	}
	return nil
}

// spoolErr adds to an error of the spool file's disk what to do: the
// temporary folder is full, or not writable.
func spoolErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: the temporary folder (%s) is full; set TMPDIR to a folder with room (a shard of images is spooled there before it is stored)", err, os.TempDir())
	}
	return err
}

// commit finishes the file and stores it under key, hashing it on the way.
// The spool is gone afterwards, whatever the outcome.
func (s *spool[T]) commit(ctx context.Context, out storage.Bucket, key string, table schema.Table) (schema.ShardFile, error) {
	defer s.discard()
	if err := s.w.Close(); err != nil {
		return schema.ShardFile{}, spoolErr(fmt.Errorf("encode %s: %w", key, err))
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return schema.ShardFile{}, err
	}
	h := sha256.New()
	n := &countWriter{}
	if err := out.PutFrom(ctx, key, io.TeeReader(s.f, io.MultiWriter(h, n))); err != nil {
		return schema.ShardFile{}, fmt.Errorf("commit shard: %w", err)
	}
	return schema.ShardFile{Path: key, Kind: table, Rows: s.w.Rows(), Bytes: n.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// discard removes the spool file.
func (s *spool[T]) discard() {
	if s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
		s.f = nil
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
