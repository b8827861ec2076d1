package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local is a folder on disk.
type Local struct {
	root string
}

// NewLocal opens (without creating) the folder at root.
func NewLocal(root string) (*Local, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	return &Local{root: abs}, nil
}

func (l *Local) path(key string) (string, error) {
	k, err := CleanKey(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(l.root, filepath.FromSlash(k)), nil
}

// URI is the object's file path.
func (l *Local) URI(key string) string {
	return filepath.Join(l.root, filepath.FromSlash(key))
}

// List walks the folder in lexical order of the whole key, one directory at
// a time, passing over the temporary files of unfinished Puts.
func (l *Local) List(ctx context.Context, prefix string, fn func(Object) error) error {
	err := walkDir(ctx, osDir(l.root), ".", prefix, func(name string) bool { return strings.HasPrefix(name, ".tmp-") }, fn)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(l.root); serr != nil {
			return fmt.Errorf("%s: %w", l.root, ErrNotExist)
		}
	}
	return err
}

// osDir is a folder as an fs.ReadDirFS that, unlike os.DirFS, lists any
// name the operating system allows: a non-UTF-8 file name is the input's to
// judge, not a reason to stop the listing.
type osDir string

func (d osDir) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

// Open opens a file below the folder.
func (d osDir) Open(name string) (fs.File, error) { return os.Open(d.path(name)) }

// ReadDir lists a folder below the folder.
func (d osDir) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(d.path(name)) }

// CleanTemp removes the temporary files of Puts that a killed process never
// finished, under dir, whose final names contain name (a run or partition
// prefix, so concurrent partitions leave each other's files alone).
func (l *Local) CleanTemp(ctx context.Context, dir, name string) (int, error) {
	n := 0
	root := filepath.Join(l.root, filepath.FromSlash(dir))
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") && strings.Contains(d.Name(), name) {
			if err := os.Remove(p); err != nil {
				return err
			}
			n++
		}
		return ctx.Err()
	})
	return n, err
}

// Get opens the file.
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", p, ErrNotExist)
	}
	return f, err
}

// Put writes to a temporary name in the same folder, syncs, then renames, so
// readers never see a partial file under the final name.
func (l *Local) Put(ctx context.Context, key string, data []byte) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// Delete removes the file.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
