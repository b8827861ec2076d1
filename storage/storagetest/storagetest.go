// Package storagetest is the acceptance suite every storage backend passes:
// RunReader for every storage.Reader (the embedded sample too), Run for every
// writable storage.Bucket (local folders, S3 against a real server).
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twigdata/twigdata/storage"
)

// RunReader checks a reader; newReader returns one holding exactly files
// (key → content) for each subtest.
func RunReader(t *testing.T, newReader func(t *testing.T, files map[string]string) storage.Reader) {
	ctx := context.Background()
	t.Run("get reads the content", func(t *testing.T) {
		r := newReader(t, map[string]string{"dir/a.txt": "hello"})
		got, err := storage.ReadAll(ctx, r, "dir/a.txt", 5)
		if err != nil || string(got) != "hello" {
			t.Fatalf("got %q, %v", got, err)
		}
		if _, err := storage.ReadAll(ctx, r, "dir/a.txt", 4); !errors.Is(err, storage.ErrTooLarge) {
			t.Fatalf("a 5-byte object under a 4-byte limit: %v, want ErrTooLarge", err)
		}
	})
	t.Run("missing object is IsNotExist", func(t *testing.T) {
		r := newReader(t, map[string]string{"present": "x"})
		rc, err := r.Get(ctx, "absent")
		if err == nil {
			rc.Close()
		}
		if !storage.IsNotExist(err) {
			t.Fatalf("err = %v, want IsNotExist", err)
		}
		if ok, err := storage.Exists(ctx, r, "absent"); ok || err != nil {
			t.Fatalf("Exists(absent) = %v, %v", ok, err)
		}
		if ok, err := storage.Exists(ctx, r, "present"); !ok || err != nil {
			t.Fatalf("Exists(present) = %v, %v", ok, err)
		}
	})
	t.Run("list is in lexical order of whole keys and filtered by prefix", func(t *testing.T) {
		// A folder's keys sort after a sibling file whose name continues the
		// folder's name with a byte below '/': a-b.jpg < a.jpg < a/b.jpg.
		r := newReader(t, map[string]string{"a/b.jpg": "1", "a-b.jpg": "22", "a.jpg": "333", "a/c/d.jpg": "4444", "b": "55555"})
		var got []string
		err := r.List(ctx, "", func(o storage.Object) error {
			got = append(got, o.Key)
			if want := map[string]int64{"a/b.jpg": 1, "a-b.jpg": 2, "a.jpg": 3, "a/c/d.jpg": 4, "b": 5}[o.Key]; o.Size != want {
				t.Errorf("%s: size %d, want %d", o.Key, o.Size, want)
			}
			return nil
		})
		if errors.Is(err, storage.ErrUnordered) {
			// A store that lists otherwise must say so, never list out of
			// order silently.
			t.Logf("the store lists out of order, and says so: %v", err)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != "a-b.jpg,a.jpg,a/b.jpg,a/c/d.jpg,b" {
			t.Fatalf("listed %v", got)
		}
		got = nil
		if err := r.List(ctx, "a/", func(o storage.Object) error { got = append(got, o.Key); return nil }); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != "a/b.jpg,a/c/d.jpg" {
			t.Fatalf("listed %v under a/", got)
		}
	})
	t.Run("list stops at the callback's error", func(t *testing.T) {
		r := newReader(t, map[string]string{"x/1": "", "x/2": ""})
		stop := errors.New("stop")
		n := 0
		err := r.List(ctx, "", func(storage.Object) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("err %v after %d calls", err, n)
		}
	})
	t.Run("list with a cancelled context fails", func(t *testing.T) {
		r := newReader(t, map[string]string{"k": "x"})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := r.List(cctx, "", func(storage.Object) error { return nil }); err == nil {
			t.Error("List with a cancelled context succeeded")
		}
	})
}

// Run checks a writable bucket with RunReader and the write contract;
// newBucket returns an empty bucket for each subtest.
func Run(t *testing.T, newBucket func(t *testing.T) storage.Bucket) {
	ctx := context.Background()
	RunReader(t, func(t *testing.T, files map[string]string) storage.Reader {
		b := newBucket(t)
		for k, v := range files {
			if err := b.Put(ctx, k, []byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		return b
	})
	t.Run("put then get", func(t *testing.T) {
		b := newBucket(t)
		if err := b.Put(ctx, "dir/a.txt", []byte("hello")); err != nil {
			t.Fatal(err)
		}
		rc, err := b.Get(ctx, "dir/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, _ := io.ReadAll(rc)
		if string(got) != "hello" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("put replaces", func(t *testing.T) {
		b := newBucket(t)
		b.Put(ctx, "k", []byte("one"))
		b.Put(ctx, "k", []byte("two"))
		got, err := storage.ReadAll(ctx, b, "k", 10)
		if err != nil || string(got) != "two" {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("delete", func(t *testing.T) {
		b := newBucket(t)
		b.Put(ctx, "gone", []byte("x"))
		if err := b.Delete(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if ok, err := storage.Exists(ctx, b, "gone"); ok || err != nil {
			t.Fatalf("after delete: exists %v, %v", ok, err)
		}
		if err := b.Delete(ctx, "never-there"); err != nil {
			t.Fatalf("deleting a missing object: %v", err)
		}
	})
	t.Run("keys cannot escape the root", func(t *testing.T) {
		b := newBucket(t)
		for _, k := range []string{"../x", "a/../../x", "/etc/x", "a//b", "./a", ""} {
			if err := b.Put(ctx, k, []byte("x")); err == nil {
				t.Errorf("Put(%q) succeeded", k)
			}
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		b := newBucket(t)
		b.Put(ctx, "k", []byte("x"))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := b.Put(cctx, "k2", []byte("x")); err == nil {
			t.Error("Put with a cancelled context succeeded")
		}
		if err := b.List(cctx, "", func(storage.Object) error { return nil }); err == nil {
			t.Error("List with a cancelled context succeeded")
		}
		var got []string
		b.List(ctx, "", func(o storage.Object) error { got = append(got, o.Key); return nil })
		if strings.Join(got, ",") != "k" {
			t.Errorf("a cancelled Put left %v", got)
		}
	})
}

// RunLocker checks the lock contract; newBucket returns an empty bucket that
// implements storage.Locker.
func RunLocker(t *testing.T, newBucket func(t *testing.T) storage.Bucket) {
	ctx := context.Background()
	never := func([]byte) bool { return false }
	always := func([]byte) bool { return true }
	locker := func(t *testing.T) storage.Locker {
		l, ok := newBucket(t).(storage.Locker)
		if !ok {
			t.Fatal("the bucket is no storage.Locker")
		}
		return l
	}
	t.Run("a held lock refuses a second holder and names the first", func(t *testing.T) {
		l := locker(t)
		lease, err := l.Lock(ctx, ".twigdata/lock", []byte("run A"), never)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Lock(ctx, ".twigdata/lock", []byte("run B"), never)
		var le *storage.LockedError
		if !errors.As(err, &le) || !errors.Is(err, storage.ErrLocked) || string(le.Holder) != "run A" {
			t.Fatalf("second lock: %v, want a LockedError naming run A", err)
		}
		if err := lease.Renew(ctx, []byte("run A, renewed")); err != nil {
			t.Fatalf("renew: %v", err)
		}
		if err := lease.Release(ctx); err != nil {
			t.Fatal(err)
		}
		lease, err = l.Lock(ctx, ".twigdata/lock", []byte("run B"), never)
		if err != nil {
			t.Fatalf("lock after release: %v", err)
		}
		lease.Release(ctx)
	})
	t.Run("a stale lock is taken over by exactly one of two runs", func(t *testing.T) {
		l := locker(t)
		old, err := l.Lock(ctx, "lock", []byte("dead run"), never)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var won, refused atomic.Int32
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, err := l.Lock(ctx, "lock", fmt.Appendf(nil, "taker %d", i), func(rec []byte) bool { return string(rec) == "dead run" })
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, storage.ErrLocked):
					refused.Add(1)
				default:
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		if won.Load() != 1 || refused.Load() != 1 {
			t.Fatalf("%d takers won, %d were refused; want one each", won.Load(), refused.Load())
		}
		if err := old.Renew(ctx, []byte("dead run, back")); !errors.Is(err, storage.ErrLockLost) {
			t.Errorf("the stale holder renewed a taken-over lock: %v", err)
		}
		// Releasing a lost lease must not remove the new holder's lock.
		old.Release(ctx)
		if _, err := l.Lock(ctx, "lock", []byte("third"), never); !errors.Is(err, storage.ErrLocked) {
			t.Errorf("after the stale holder's release the lock is free: %v", err)
		}
		if _, err := l.Lock(ctx, "lock", []byte("fourth"), always); err != nil {
			t.Errorf("a stale lock was not taken over: %v", err)
		}
	})
}
