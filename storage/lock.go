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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// ErrLocked is wrapped by Lock when another holder has the lock; the error
// is a *LockedError carrying the holder's record.
var ErrLocked = errors.New("locked by another run")

// ErrLockLost is returned by Renew when the lock was taken over: another
// run judged this holder gone.
var ErrLockLost = errors.New("the lock was taken over by another run")

// LockedError says who holds a lock.
type LockedError struct {
	Key    string // the lock's URI
	Holder []byte // the holder's record, as it wrote it
}

// Error names the lock; the caller renders the holder.
func (e *LockedError) Error() string { return e.Key + " is " + ErrLocked.Error() }

// Unwrap makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Unwrap() error { return ErrLocked }

// Locker is a Bucket that can hold an exclusive lock on a key.
type Locker interface {
	// Lock creates key holding the holder record unless it exists. When it
	// exists, stale decides from its record whether its holder is gone; a
	// stale lock is taken over atomically, so that of two runs taking it
	// over at once exactly one wins. Otherwise the error is a *LockedError.
	Lock(ctx context.Context, key string, holder []byte, stale func(record []byte) bool) (Lease, error)
}

// Lease is a held lock.
type Lease interface {
	// Renew replaces the holder record, proving the holder alive; it fails
	// with ErrLockLost if another run has taken the lock over.
	Renew(ctx context.Context, holder []byte) error
	// Release removes the lock if this lease still holds it.
	Release(ctx context.Context) error
}

// Lock takes a lock in a local folder: the record is written to a temporary
// file and hard-linked to the lock's name, which fails if the name exists —
// an atomic create with complete content. A stale lock is renamed aside (only
// one of two renames of the same file succeeds) and checked to be the one
// judged stale before the new lock is created.
func (l *Local) Lock(ctx context.Context, key string, holder []byte, stale func([]byte) bool) (Lease, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tmp, err := l.writeTemp(p, bytes.NewReader(holder))
		if err != nil {
			return nil, fmt.Errorf("write lock %s: %w", p, err)
		}
		err = os.Link(tmp, p)
		os.Remove(tmp)
		if err == nil {
			clearKilled(p)
			return &localLease{path: p, record: holder, l: l}, nil
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // the holder that just took it cleared our temporary file
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create lock %s: %w", p, err)
		}
		cur, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released in between
		}
		if err != nil {
			return nil, err
		}
		if !stale(cur) {
			return nil, &LockedError{Key: p, Holder: cur}
		}
		var rnd [6]byte
		rand.Read(rnd[:])
		aside := p + ".stale-" + hex.EncodeToString(rnd[:])
		if err := os.Rename(p, aside); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // another run took it over first
			}
			return nil, err
		}
		got, _ := os.ReadFile(aside)
		if !bytes.Equal(got, cur) {
			// A live lock was moved, not the stale one: put it back.
			os.Link(aside, p)
		}
		os.Remove(aside)
	}
	return nil, fmt.Errorf("lock %s: the lock kept changing hands; try again", p)
}

// clearKilled removes what a process killed inside Lock or Renew left beside
// the lock at p: a temporary record (".tmp-<name>-<hex>") or a stale lock moved
// aside ("<name>.stale-<hex>"). Only the lock's holder calls it, just after
// taking the lock, so none of them belongs to a live holder; a rival still
// trying to take the lock loses its temporary file and retries.
func clearKilled(p string) {
	dir, name := filepath.Split(p)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		if final, ok := tempFinal(n); ok && final == name {
			os.Remove(filepath.Join(dir, n))
		} else if rest, ok := strings.CutPrefix(n, name+".stale-"); ok && isRandomSuffix(rest) {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// isRandomSuffix reports whether s is the 12 hex digits writeTemp and Lock
// append to a name.
func isRandomSuffix(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 6
}

type localLease struct {
	l      *Local
	path   string
	record []byte
}

func (s *localLease) Renew(ctx context.Context, holder []byte) error {
	cur, err := os.ReadFile(s.path)
	if err != nil || !bytes.Equal(cur, s.record) {
		return ErrLockLost
	}
	tmp, err := s.l.writeTemp(s.path, bytes.NewReader(holder))
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		os.Remove(tmp)
		return err
	}
	s.record = holder
	return nil
}

func (s *localLease) Release(ctx context.Context) error {
	cur, err := os.ReadFile(s.path)
	if err != nil || !bytes.Equal(cur, s.record) {
		return nil // not ours any more
	}
	return os.Remove(s.path)
}

// Lock takes a lock on S3 with conditional writes: a PUT with If-None-Match:
// * creates it only if absent; a stale lock is replaced with If-Match on its
// ETag, so that of two runs replacing it only one succeeds; renewals are
// conditional on the ETag this lease last wrote.
func (s *S3) Lock(ctx context.Context, key string, holder []byte, stale func([]byte) bool) (Lease, error) {
	if _, err := CleanKey(key); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		etag, err := s.putIf(ctx, key, holder, "", "*")
		if err == nil {
			return &s3Lease{s: s, key: key, etag: etag}, nil
		}
		if !isPrecondition(err) {
			return nil, s.explain("lock", key, err)
		}
		cur, curTag, err := s.getTagged(ctx, key)
		if IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if bytes.Equal(cur, holder) {
			// Our own create, answered with a lost response and retried.
			return &s3Lease{s: s, key: key, etag: curTag}, nil
		}
		if !stale(cur) {
			return nil, &LockedError{Key: s.URI(key), Holder: cur}
		}
		etag, err = s.putIf(ctx, key, holder, curTag, "")
		if err == nil {
			return &s3Lease{s: s, key: key, etag: etag}, nil
		}
		if !isPrecondition(err) {
			return nil, s.explain("lock", key, err)
		}
	}
	return nil, fmt.Errorf("lock %s: the lock kept changing hands; try again", s.URI(key))
}

// putIf writes a small object conditionally: on its ETag (ifMatch) or on its
// absence (ifNoneMatch "*").
func (s *S3) putIf(ctx context.Context, key string, data []byte, ifMatch, ifNoneMatch string) (string, error) {
	in := &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key), Body: bytes.NewReader(data)}
	if ifMatch != "" {
		in.IfMatch = aws.String(ifMatch)
	}
	if ifNoneMatch != "" {
		in.IfNoneMatch = aws.String(ifNoneMatch)
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// getTagged reads a small object with its ETag.
func (s *S3) getTagged(ctx context.Context, key string) ([]byte, string, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(s.prefix + key)})
	if err != nil {
		return nil, "", s.explain("get", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	return data, aws.ToString(out.ETag), err
}

// isPrecondition reports a failed condition: 412 PreconditionFailed, or 409
// ConditionalRequestConflict when two conditional writes raced.
func isPrecondition(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "PreconditionFailed", "ConditionalRequestConflict":
			return true
		}
	}
	return false
}

type s3Lease struct {
	s    *S3
	key  string
	etag string
}

func (l *s3Lease) Renew(ctx context.Context, holder []byte) error {
	etag, err := l.s.putIf(ctx, l.key, holder, l.etag, "")
	if isPrecondition(err) {
		return ErrLockLost
	}
	if err != nil {
		return l.s.explain("renew lock", l.key, err)
	}
	l.etag = etag
	return nil
}

func (l *s3Lease) Release(ctx context.Context) error {
	_, tag, err := l.s.getTagged(ctx, l.key)
	if err != nil || tag != l.etag {
		return nil // gone, or not ours any more
	}
	return l.s.Delete(ctx, l.key)
}
