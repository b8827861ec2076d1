package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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
// finished, in dir (not below it), whose final names contain name (a run or
// partition prefix, so concurrent partitions leave each other's files alone).
// Only names writeTemp makes are touched: ".tmp-<final>-<12 hex digits>".
func (l *Local) CleanTemp(ctx context.Context, dir, name string) (int, error) {
	n := 0
	folder := filepath.Join(l.root, filepath.FromSlash(dir))
	entries, err := os.ReadDir(folder)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		if final, ok := tempFinal(e.Name()); ok && !e.IsDir() && strings.Contains(final, name) {
			if err := os.Remove(filepath.Join(folder, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return n, err
			}
			n++
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// tempFinal returns the final name of a temporary file writeTemp named, and
// false for any other name.
func tempFinal(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, ".tmp-")
	i := strings.LastIndexByte(rest, '-')
	if !ok || i < 0 || !isRandomSuffix(rest[i+1:]) {
		return "", false
	}
	return rest[:i], true
}

// Get opens the file. Anything but a regular file — a folder, a symbolic
// link, a FIFO, a device — is refused with ErrNotRegular without being read:
// the file is opened non-blocking, so a FIFO with no writer cannot hang.
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := l.open(key)
	return f, err
}

// ReadRange reads n bytes of key from offset off.
func (l *Local) ReadRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	f, size, err := l.open(key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n = max(0, min(n, size-off))
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}

func (l *Local) open(key string) (*os.File, int64, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, 0, err
	}
	if st, err := os.Lstat(p); err == nil && !st.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is a %s: %w", Quote(p), kind(st.Mode()), ErrNotRegular)
	}
	if !l.inside(filepath.Dir(p)) {
		return nil, 0, fmt.Errorf("%s reaches outside %s through a symbolic link: %w", Quote(p), Quote(l.root), ErrNotRegular)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, 0, fmt.Errorf("%s: %w", Quote(p), ErrNotExist)
	case errors.Is(err, syscall.ENAMETOOLONG):
		return nil, 0, fmt.Errorf("%s: %w: the name is too long for the file system", Quote(p), ErrInvalidKey)
	case errors.Is(err, syscall.ELOOP):
		return nil, 0, fmt.Errorf("%s is a symbolic link: %w", Quote(p), ErrNotRegular)
	case err != nil:
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s is a %s: %w", Quote(p), kind(st.Mode()), ErrNotRegular)
	}
	return f, st.Size(), nil
}

// inside reports whether dir, with every symbolic link resolved, is still
// within the folder: a key must not lead out of it through a linked folder.
func (l *Local) inside(dir string) bool {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return true // missing: the open reports it
	}
	root, err := filepath.EvalSymlinks(l.root)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(root, real)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// kind names a file mode for people.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "folder"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// openLimit refuses a file over limit from its size, before reading it,
// and streams it otherwise.
func (l *Local) openLimit(ctx context.Context, key string, limit int64) (io.ReadCloser, error) {
	f, size, err := l.open(key)
	if err != nil {
		return nil, err
	}
	if size > limit {
		f.Close()
		return nil, fmt.Errorf("%s has %d bytes, above the %d-byte limit: %w", Quote(l.URI(key)), size, limit, ErrTooLarge)
	}
	return &limitReadCloser{rc: f, left: limit, uri: l.URI(key), limit: limit}, nil
}

// Put writes to a temporary name in the same folder, syncs, then renames, so
// readers never see a partial file under the final name. Files are created
// 0666 less the process's umask, as any other program's are.
func (l *Local) Put(ctx context.Context, key string, data []byte) error {
	return l.PutFrom(ctx, key, bytes.NewReader(data))
}

// PutFrom is Put with the content read from r as it is written.
func (l *Local) PutFrom(ctx context.Context, key string, r io.Reader) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	tmp, err := l.writeTemp(p, r)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

// writeTemp writes what r holds, synced, to a new temporary file beside p.
func (l *Local) writeTemp(p string, r io.Reader) (string, error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return "", err
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
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
