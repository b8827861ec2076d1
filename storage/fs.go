package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
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
	return f.walk(ctx, ".", prefix, fn)
}

func (f *FS) walk(ctx context.Context, dir, prefix string, fn func(Object) error) error {
	entries, err := fs.ReadDir(f.fsys, dir)
	if err != nil {
		return err
	}
	sortKeys(entries)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := path.Join(dir, e.Name())
		if e.IsDir() {
			if strings.HasPrefix(key+"/", prefix) || strings.HasPrefix(prefix, key+"/") {
				if err := f.walk(ctx, key, prefix, fn); err != nil {
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

// Get opens a file.
func (f *FS) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := f.fsys.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", f.URI(key), ErrNotExist)
	}
	return r, err
}
