// Package storagetest is the acceptance suite every storage.Bucket backend
// passes: local folders now, S3 against a real server as well.
package storagetest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/storage"
)

// Run checks a writable bucket; newBucket returns an empty bucket for each subtest.
func Run(t *testing.T, newBucket func(t *testing.T) storage.Bucket) {
	ctx := context.Background()
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
	t.Run("missing object is IsNotExist", func(t *testing.T) {
		b := newBucket(t)
		b.Put(ctx, "present", []byte("x"))
		_, err := b.Get(ctx, "absent")
		if !storage.IsNotExist(err) {
			t.Fatalf("err = %v, want IsNotExist", err)
		}
	})
	t.Run("list is lexical and filtered by prefix", func(t *testing.T) {
		b := newBucket(t)
		for _, k := range []string{"b/2", "a/1", "b/1", "c", "b/sub/3"} {
			if err := b.Put(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		if err := b.List(ctx, "b/", func(o storage.Object) error {
			got = append(got, o.Key)
			if o.Size != int64(len(o.Key)) {
				t.Errorf("%s: size %d", o.Key, o.Size)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != "b/1,b/2,b/sub/3" {
			t.Fatalf("listed %v", got)
		}
		got = nil
		b.List(ctx, "", func(o storage.Object) error { got = append(got, o.Key); return nil })
		if strings.Join(got, ",") != "a/1,b/1,b/2,b/sub/3,c" {
			t.Fatalf("listed %v", got)
		}
	})
	t.Run("list stops at the callback's error", func(t *testing.T) {
		b := newBucket(t)
		b.Put(ctx, "x/1", nil)
		b.Put(ctx, "x/2", nil)
		stop := errors.New("stop")
		n := 0
		err := b.List(ctx, "", func(storage.Object) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("err %v after %d calls", err, n)
		}
	})
	t.Run("delete", func(t *testing.T) {
		b := newBucket(t)
		b.Put(ctx, "gone", []byte("x"))
		if err := b.Delete(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Get(ctx, "gone"); !storage.IsNotExist(err) {
			t.Fatalf("after delete: %v", err)
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
