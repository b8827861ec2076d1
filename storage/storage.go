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
	"path"
	"sort"
	"strings"
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
	// Delete removes an object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// TempCleaner is a Bucket whose Put, when killed, can leave a temporary file
// behind (a local folder does; S3 keeps nothing of an unfinished upload).
type TempCleaner interface {
	// CleanTemp removes the temporary files under dir whose final names
	// contain name, and reports how many it removed.
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
		return "", fmt.Errorf("invalid key %q", key)
	}
	for _, el := range strings.Split(key, "/") {
		if el == "" || el == "." || el == ".." {
			return "", fmt.Errorf("invalid key %q: empty, . or .. path element", key)
		}
	}
	return path.Clean(key), nil
}

// ErrTooLarge is wrapped by ReadAll when an object exceeds its limit.
var ErrTooLarge = errors.New("object exceeds the size limit")

// ReadAll reads a whole object, refusing objects larger than limit bytes.
func ReadAll(ctx context.Context, b Reader, key string, limit int64) ([]byte, error) {
	rc, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", b.URI(key), limit, ErrTooLarge)
	}
	return data, nil
}

// walkDir calls fn, in lexical order of the whole key, for every regular
// file below dir of fsys whose key starts with prefix, skipping entries whose
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
		if !e.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
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
