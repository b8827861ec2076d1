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
	"time"

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

// ErrConditionsIgnored is wrapped by the error of a lock on an S3 store
// that does not enforce conditional writes: one that answers a PUT with
// If-None-Match: * on an existing key, or with a wrong If-Match, with
// success (s3rver, a proxy that strips the headers), or with 501.
var ErrConditionsIgnored = errors.New("the store does not enforce conditional writes")

// Lock takes a lock on S3 with conditional writes: a PUT with If-None-Match:
// * creates it only if absent; a stale lock is replaced with If-Match on its
// ETag, so that of two runs replacing it only one succeeds; renewals are
// conditional on the ETag this lease last wrote. Before it relies on them
// it proves the store enforces both conditions, on a probe object of its
// own; a store that does not is refused (ErrConditionsIgnored) unless the
// bucket was opened with S3Config.UnenforcedLock, which takes a
// best-effort lock there: read, then written unconditionally.
func (s *S3) Lock(ctx context.Context, key string, holder []byte, stale func([]byte) bool) (Lease, error) {
	if _, err := CleanKey(key); err != nil {
		return nil, err
	}
	if s.unenforced {
		return s.lockUnenforced(ctx, key, holder, stale)
	}
	if err := s.proveConditions(ctx, key); err != nil {
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

// proveConditions checks, on a probe object beside the lock key, that the
// store refuses a second PUT with If-None-Match: * and a PUT with an
// If-Match that does not match, before the lock relies on either.
func (s *S3) proveConditions(ctx context.Context, key string) error {
	probe := fmt.Sprintf("%s.conditions-%d", key, time.Now().UnixNano())
	ignored := func(what string) error {
		return fmt.Errorf("lock %s: the S3 store at this endpoint %s: %w, and the lock that keeps two builds out of one output relies on them. Use a store that enforces them (AWS S3, MinIO, versitygw, Ceph RGW …) and no proxy that strips the headers; or pass --s3-unenforced-lock to build with a best-effort lock (two builds started together can both write), which manifest.json records",
			s.URI(key), what, ErrConditionsIgnored)
	}
	if _, err := s.putIf(ctx, probe, []byte("1"), "", "*"); err != nil {
		if isNotImplemented(err) {
			return ignored("answers a conditional PUT with 501 NotImplemented")
		}
		return s.explain("lock", probe, err)
	}
	defer s.Delete(context.WithoutCancel(ctx), probe)
	switch _, err := s.putIf(ctx, probe, []byte("2"), "", "*"); {
	case err == nil:
		return ignored("accepted a PUT with If-None-Match: * on an existing key")
	case isNotImplemented(err):
		return ignored("answers a conditional PUT with 501 NotImplemented")
	case !isPrecondition(err):
		return s.explain("lock", probe, err)
	}
	switch _, err := s.putIf(ctx, probe, []byte("3"), `"0123456789abcdef0123456789abcdef"`, ""); {
	case err == nil:
		return ignored("accepted a PUT with an If-Match that does not match")
	case isNotImplemented(err):
		return ignored("answers a conditional PUT with 501 NotImplemented")
	case !isPrecondition(err):
		return s.explain("lock", probe, err)
	}
	return nil
}

// lockUnenforced is the best-effort lock of a store that does not enforce
// conditional writes: a live holder is refused, else the lock is written.
// Two builds that start together can both take it.
func (s *S3) lockUnenforced(ctx context.Context, key string, holder []byte, stale func([]byte) bool) (Lease, error) {
	cur, _, err := s.getTagged(ctx, key)
	switch {
	case err == nil && !bytes.Equal(cur, holder) && !stale(cur):
		return nil, &LockedError{Key: s.URI(key), Holder: cur}
	case err != nil && !IsNotExist(err):
		return nil, err
	}
	etag, err := s.putIf(ctx, key, holder, "", "")
	if err != nil {
		return nil, s.explain("lock", key, err)
	}
	return &s3Lease{s: s, key: key, etag: etag}, nil
}

// isNotImplemented reports a request the store does not implement (501).
func isNotImplemented(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NotImplemented" {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == 501
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
	ifMatch := l.etag
	if l.s.unenforced {
		ifMatch = "" // a store that answers conditions with 501
	}
	etag, err := l.s.putIf(ctx, l.key, holder, ifMatch, "")
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
