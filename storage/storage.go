// Package storage puts local folders and S3 prefixes behind one narrow,
// ctx-first interface. Keys are slash-separated and relative to the root the
// bucket was opened at; a key can never reach outside that root.
package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"path"
	"sort"
	"strings"
	"time"
)

// Object is one listed entry.
type Object struct {
	Key  string
	Size int64
}

// Reader is where inputs are read from.
type Reader interface {
	// List calls fn for every object under prefix in lexical (byte) order of
	// the whole key, streaming: implementations MUST NOT hold the whole
	// listing in memory. An error from fn stops the listing and is returned.
	List(ctx context.Context, prefix string, fn func(Object) error) error
	// Get opens an object for reading; the error satisfies IsNotExist when
	// absent. The caller MUST close the reader.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// URI names a key for people and records (a path or s3://bucket/key).
	URI(key string) string
}

// Bucket is a Reader that datasets are also written to.
type Bucket interface {
	Reader
	// Put stores data so that the key is visible only once complete.
	Put(ctx context.Context, key string, data []byte) error
	// PutFrom stores what r holds, read once as it is stored (a file
	// spooled to disk, never held in memory), visible only once complete.
	PutFrom(ctx context.Context, key string, r io.Reader) error
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// TempCleaner is a Bucket whose Put, when killed, can leave something no
// listing shows: a temporary file in a local folder, the parts of an
// unfinished multipart upload on S3.
type TempCleaner interface {
	// CleanTemp removes what killed Puts of keys in dir (not below it) whose
	// names contain name left, and reports how many it removed.
	CleanTemp(ctx context.Context, dir, name string) (int, error)
}

// Exists reports whether key is there, reading none of it.
func Exists(ctx context.Context, r Reader, key string) (bool, error) {
	rc, err := r.Get(ctx, key)
	if IsNotExist(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, rc.Close()
}

// ErrNotExist is wrapped by errors about missing objects.
var ErrNotExist = errors.New("object does not exist")

// IsNotExist reports whether err says an object is missing.
func IsNotExist(err error) bool { return errors.Is(err, ErrNotExist) }

// Open returns the bucket for a local path or an s3://bucket/prefix URI.
func Open(ctx context.Context, uri string, s3cfg S3Config) (Bucket, error) {
	if strings.HasPrefix(uri, "s3://") {
		return OpenS3(ctx, uri, s3cfg)
	}
	if strings.Contains(uri, "://") {
		return nil, fmt.Errorf("%q: only local paths and s3://bucket/prefix are supported", uri)
	}
	return NewLocal(uri)
}

// CleanKey validates a key: relative, slash-separated, with no "." or ".."
// elements, so that no key can name a place outside the bucket's root.
func CleanKey(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.ContainsRune(key, 0) {
		return "", fmt.Errorf("%w %s", ErrInvalidKey, Quote(key))
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." {
			return "", fmt.Errorf("%w %s: empty, . or .. path element", ErrInvalidKey, Quote(key))
		}
		if len(el) > 255 {
			return "", fmt.Errorf("%w %s: a name of %d bytes, above the 255 a file system allows", ErrInvalidKey, Quote(key), len(el))
		}
	}
	return path.Clean(key), nil
}

// ErrUnordered is wrapped by the error of a listing that is not in the
// byte order of its keys.
var ErrUnordered = errors.New("listing out of order")

// ErrTooLarge is wrapped by ReadAll when an object exceeds its limit.
var ErrTooLarge = errors.New("object exceeds the size limit")

// ErrNotRegular is wrapped by Get when a key names something that is not a
// regular file: a folder, a symbolic link, a FIFO, a device. Such a key is
// never opened for reading (a FIFO would block forever).
var ErrNotRegular = errors.New("not a regular file")

// ErrInvalidKey is wrapped by errors about keys no object can have: empty
// elements, "..", a name longer than the file system allows, a bucket name
// S3 refuses.
var ErrInvalidKey = errors.New("invalid key")

// ErrNoBucket and ErrDenied are wrapped by errors about a bucket that does
// not exist or refuses these credentials: a fault of the whole run for the
// input and output, of one input for a manifest's reference into another bucket.
var (
	ErrNoBucket = errors.New("no such bucket")
	ErrDenied   = errors.New("access denied")
)

// IsObjectFault reports whether err concerns one object — missing, too
// large, not a regular file, an impossible name — rather than the storage:
// a fault of one input, not a reason to stop a run.
func IsObjectFault(err error) bool {
	return errors.Is(err, ErrNotExist) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrNotRegular) || errors.Is(err, ErrInvalidKey)
}

// streamOpener is a Reader that can refuse an object over a size limit
// before streaming any of it.
type streamOpener interface {
	openLimit(ctx context.Context, key string, limit int64) (io.ReadCloser, error)
}

// Stream opens an object for streaming, refusing it when it is larger than
// limit bytes — where the backend can tell, before reading any byte of it
// (S3 from the response's length, a folder from the file's size); else the
// reader fails with ErrTooLarge past the limit. Nothing is held whole: an
// S3 body is read once and taken up again at its offset after a fault.
func Stream(ctx context.Context, b Reader, key string, limit int64) (io.ReadCloser, error) {
	if o, ok := b.(streamOpener); ok {
		return o.openLimit(ctx, key, limit)
	}
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return &limitReadCloser{rc: rc, left: limit, uri: b.URI(key), limit: limit}, nil
}

// limitReadCloser fails with ErrTooLarge once more than limit bytes came.
type limitReadCloser struct {
	rc          io.ReadCloser
	left, limit int64
	uri         string
}

func (l *limitReadCloser) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, fmt.Errorf("%s is larger than %d bytes: %w", Quote(l.uri), l.limit, ErrTooLarge)
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, fmt.Errorf("%s is larger than %d bytes: %w", Quote(l.uri), l.limit, ErrTooLarge)
	}
	return n, err
}

func (l *limitReadCloser) Close() error { return l.rc.Close() }

// ReadAll reads a whole object, refusing objects larger than limit bytes —
// where the backend can tell, before reading any byte of them (see Stream).
func ReadAll(ctx context.Context, b Reader, key string, limit int64) ([]byte, error) {
	rc, err := Stream(ctx, b, key, limit)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// walkDir calls fn, in lexical order of the whole key, for every entry that
// is not a folder below dir of fsys whose key starts with prefix, skipping entries whose
// names skip reports. Local folders and embedded trees list through it alike.
func walkDir(ctx context.Context, fsys fs.FS, dir, prefix string, skip func(name string) bool, fn func(Object) error) error {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return err
	}
	sortKeys(entries)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if skip != nil && skip(e.Name()) {
			continue
		}
		key := path.Join(dir, e.Name())
		if e.IsDir() {
			if strings.HasPrefix(key+"/", prefix) || strings.HasPrefix(prefix, key+"/") {
				if err := walkDir(ctx, fsys, key, prefix, skip, fn); err != nil {
					return err
				}
			}
			continue
		}
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		// Symbolic links, FIFOs and devices are listed too, so that an input
		// made of them is accounted for: Get refuses to read them.
		if err := fn(Object{Key: key, Size: info.Size()}); err != nil {
			return err
		}
	}
	return nil
}

// sortKeys orders a folder's entries as their keys sort. A folder's keys all
// start with its name and a slash, so the folder sorts as "name/":
// a-b.jpg < a.jpg < a/b.jpg, the order S3 lists in.
func sortKeys(entries []fs.DirEntry) {
	name := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	sort.Slice(entries, func(i, j int) bool { return name(entries[i]) < name(entries[j]) })
}

// maxQuoted bounds how much of a key or path an error message repeats.
const maxQuoted = 200

// Quote renders a key or path for a message: Go-quoted, so that any byte is
// visible, and cut to a readable length.
func Quote(s string) string {
	if len(s) > maxQuoted {
		return fmt.Sprintf("%q… (%d bytes)", s[:maxQuoted], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// timedOut reports an error that is, deep down, a request timing out.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Probe asks a bucket for one listing entry within two request timeouts and
// ten seconds — room for a retry after a transient fault — so that an
// endpoint that accepts connections but never answers fails in that time,
// with a message, instead of after every retry of every request. A local
// folder answers at once; a missing one is no fault here.
func Probe(ctx context.Context, r Reader, timeout time.Duration) error {
	if _, ok := r.(*S3); !ok {
		return nil
	}
	budget := 2*timeout + 10*time.Second
	pctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	stop := errors.New("enough")
	err := r.List(pctx, "", func(Object) error { return stop })
	switch {
	case err == nil, errors.Is(err, stop), IsNotExist(err):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case pctx.Err() != nil || timedOut(err):
		return fmt.Errorf("%s: no answer: its requests timed out (--s3-timeout %s; given up after at most %s): check --s3-endpoint or AWS_ENDPOINT_URL_S3, the network, or raise --s3-timeout", r.URI(""), timeout, budget)
	}
	return err
}

// RangeReader is a Reader that reads part of an object without the rest:
// a Parquet footer at the end of a shard of hundreds of megabytes.
type RangeReader interface {
	// ReadRange reads n bytes of key from offset off; fewer only at the
	// object's end. The error satisfies IsNotExist when key is absent.
	ReadRange(ctx context.Context, key string, off, n int64) ([]byte, error)
}

// ReadRange reads n bytes of key from offset off, with the reader's
// ranged read when it has one, else by streaming past the bytes before.
func ReadRange(ctx context.Context, r Reader, key string, off, n int64) ([]byte, error) {
	if rr, ok := r.(RangeReader); ok {
		return rr.ReadRange(ctx, key, off, n)
	}
	rc, err := r.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if _, err := io.CopyN(io.Discard, rc, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(rc, n))
}
