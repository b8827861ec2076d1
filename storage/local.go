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

// List walks the folder in lexical order, one directory at a time.
func (l *Local) List(ctx context.Context, prefix string, fn func(Object) error) error {
	return l.walk(ctx, "", prefix, fn)
}

func (l *Local) walk(ctx context.Context, rel, prefix string, fn func(Object) error) error {
	dir := filepath.Join(l.root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && rel == "" {
			return fmt.Errorf("%s: %w", l.root, ErrNotExist)
		}
		return err
	}
	sortKeys(entries)
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		key := e.Name()
		if rel != "" {
			key = rel + "/" + e.Name()
		}
		if strings.HasPrefix(e.Name(), ".tmp-") {
			continue // an unfinished Put
		}
		if e.IsDir() {
			if strings.HasPrefix(key+"/", prefix) || strings.HasPrefix(prefix, key+"/") {
				if err := l.walk(ctx, key, prefix, fn); err != nil {
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
