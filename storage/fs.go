package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// FS is a Reader over an fs.FS, such as the sample embedded in the binary.
type FS struct {
	fsys fs.FS
	name string
}

// NewFS wraps fsys; name prefixes URIs (for example "bundled:sample").
func NewFS(fsys fs.FS, name string) *FS { return &FS{fsys: fsys, name: name} }

// URI is name/key.
func (f *FS) URI(key string) string { return f.name + "/" + key }

// List walks the tree in lexical order of the whole key, as Local does.
func (f *FS) List(ctx context.Context, prefix string, fn func(Object) error) error {
	return walkDir(ctx, f.fsys, ".", prefix, nil, fn)
}

// Get opens a file.
func (f *FS) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := f.fsys.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", f.URI(key), ErrNotExist)
	}
	return r, err
}
