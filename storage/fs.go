package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// FS is a read-only bucket over an fs.FS, such as the sample embedded in the binary.
type FS struct {
	fsys fs.FS
	name string
}

// NewFS wraps fsys; name prefixes URIs (for example "bundled:sample").
func NewFS(fsys fs.FS, name string) *FS { return &FS{fsys: fsys, name: name} }

// URI is name/key.
func (f *FS) URI(key string) string { return f.name + "/" + key }

// List walks the tree in lexical order.
func (f *FS) List(ctx context.Context, prefix string, fn func(Object) error) error {
	return fs.WalkDir(f.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasPrefix(p, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return fn(Object{Key: p, Size: info.Size()})
	})
}

// Get opens a file.
func (f *FS) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := f.fsys.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", f.URI(key), ErrNotExist)
	}
	return r, err
}

// Put always fails: the bucket is read-only.
func (f *FS) Put(ctx context.Context, key string, data []byte) error {
	return fmt.Errorf("%s is read-only", f.name)
}

// Delete always fails: the bucket is read-only.
func (f *FS) Delete(ctx context.Context, key string) error {
	return fmt.Errorf("%s is read-only", f.name)
}
