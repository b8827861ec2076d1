package write

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// sizes lists the objects of the output's table folders with their sizes:
// one listing per table, the files a resume checks its commit records
// against.
func sizes(ctx context.Context, out storage.Reader) (map[string]int64, error) {
	got := map[string]int64{}
	for _, t := range schema.Tables() {
		err := out.List(ctx, t.Dir(), func(o storage.Object) error {
			got[o.Key] = o.Size
			return nil
		})
		if err != nil && !storage.IsNotExist(err) {
			return nil, err
		}
	}
	return got, nil
}

// damage says what is wrong with a committed shard's files, "" when
// nothing is: a file missing, of another size than its commit record says,
// whose Parquet footer does not read or counts other rows — and, with
// full, whose sha256 differs. Only a fault of the storage itself is an
// error.
func damage(ctx context.Context, out storage.Reader, st schema.ShardStats, have map[string]int64, full bool) (string, error) {
	for _, f := range st.Files {
		size, ok := have[f.Path]
		switch {
		case !ok:
			return fmt.Sprintf("%s is missing", f.Path), nil
		case size != int64(f.Bytes):
			return fmt.Sprintf("%s has %d bytes, its commit record %d", f.Path, size, f.Bytes), nil
		}
		pf, err := parquet.OpenFile(&rangeReaderAt{ctx: ctx, r: out, key: f.Path}, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
		if err != nil {
			if fault := storageFault(err); fault != nil {
				return "", fault
			}
			return fmt.Sprintf("%s does not read as Parquet (%v)", f.Path, err), nil
		}
		if pf.NumRows() != int64(f.Rows) {
			return fmt.Sprintf("%s holds %d rows, its commit record %d", f.Path, pf.NumRows(), f.Rows), nil
		}
		if !full {
			continue
		}
		sum, err := sha256Of(ctx, out, f.Path)
		if err != nil {
			return "", err
		}
		if sum != f.SHA256 {
			return fmt.Sprintf("%s has sha256 %s, its commit record %s", f.Path, sum, f.SHA256), nil
		}
	}
	return "", nil
}

// storageFault is err's fault of the storage (a denied read, a bucket gone,
// retries spent), nil when err is about the file's content.
func storageFault(err error) error {
	var f *faultError
	if errors.As(err, &f) {
		return f.err
	}
	return nil
}

// faultError marks an error of the storage read under a Parquet reader.
type faultError struct{ err error }

func (e *faultError) Error() string { return e.err.Error() }
func (e *faultError) Unwrap() error { return e.err }

// rangeReaderAt reads an object by ranged reads, as parquet.OpenFile reads
// a footer: a few small reads at its end, not the whole shard.
type rangeReaderAt struct {
	ctx context.Context
	r   storage.Reader
	key string
}

func (r *rangeReaderAt) ReadAt(p []byte, off int64) (int, error) {
	data, err := storage.ReadRange(r.ctx, r.r, r.key, off, int64(len(p)))
	if err != nil {
		return 0, &faultError{err}
	}
	n := copy(p, data)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// sha256Of streams an object through sha256.
func sha256Of(ctx context.Context, r storage.Reader, key string) (string, error) {
	rc, err := r.Get(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", fmt.Errorf("read %s: %w", r.URI(key), err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// uncommit takes a damaged shard out of the dataset: its commit record
// first, so that its files are uncommitted and a crash before they go
// leaves them to the next run's clean-up, then its files.
func uncommit(ctx context.Context, out storage.Bucket, st schema.ShardStats) error {
	if err := out.Delete(ctx, schema.StatsKey(st.Shard)); err != nil {
		return fmt.Errorf("remove the commit record of damaged shard %s: %w", st.Shard, err)
	}
	for _, f := range st.Files {
		if err := out.Delete(ctx, f.Path); err != nil {
			return fmt.Errorf("remove %s of damaged shard %s: %w", out.URI(f.Path), st.Shard, err)
		}
	}
	return nil
}

// ownShard reports whether a shard's files carry prefix (this run's
// partition owns them).
func ownShard(st schema.ShardStats, prefix string) bool {
	for _, f := range st.Files {
		if !strings.HasPrefix(f.Path[strings.LastIndexByte(f.Path, '/')+1:], prefix) {
			return false
		}
	}
	return true
}
