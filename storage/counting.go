package storage

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// Counting wraps a Bucket and counts what is asked of it: requests (a List
// page walk counts once per call, a Get once per object opened) and the
// bytes read through Get. The benchmark reports a resume's reads with it;
// tests prove what a step never reads.
type Counting struct {
	Bucket
	Lists, Gets, Puts atomic.Int64
	Ranges            atomic.Int64 // ranged reads (ReadRange), not in Gets
	BytesRead         atomic.Int64
	mu                sync.Mutex
	keys              []string
}

// NewCounting wraps b.
func NewCounting(b Bucket) *Counting { return &Counting{Bucket: b} }

// List counts one request and lists.
func (c *Counting) List(ctx context.Context, prefix string, fn func(Object) error) error {
	c.Lists.Add(1)
	return c.Bucket.List(ctx, prefix, fn)
}

// Get counts one request and every byte read from the object.
func (c *Counting) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	c.Gets.Add(1)
	c.mu.Lock()
	c.keys = append(c.keys, key)
	c.mu.Unlock()
	r, err := c.Bucket.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return &countingReader{r, &c.BytesRead}, nil
}

// ReadRange counts one ranged request and the bytes read.
func (c *Counting) ReadRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	c.Ranges.Add(1)
	data, err := ReadRange(ctx, c.Bucket, key, off, n)
	c.BytesRead.Add(int64(len(data)))
	return data, err
}

// Put counts one request.
func (c *Counting) Put(ctx context.Context, key string, data []byte) error {
	c.Puts.Add(1)
	return c.Bucket.Put(ctx, key, data)
}

// PutFrom counts one request.
func (c *Counting) PutFrom(ctx context.Context, key string, r io.Reader) error {
	c.Puts.Add(1)
	return c.Bucket.PutFrom(ctx, key, r)
}

// Read lists the keys opened with Get, in order.
func (c *Counting) Read() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.keys...)
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.n.Add(int64(n))
	return n, err
}

// Lock takes the wrapped bucket's lock; a bucket that cannot lock fails as
// an unwrapped one would be refused.
func (c *Counting) Lock(ctx context.Context, key string, holder []byte, stale func([]byte) bool) (Lease, error) {
	l, ok := c.Bucket.(Locker)
	if !ok {
		return nil, fmt.Errorf("%s cannot be locked", c.URI(""))
	}
	return l.Lock(ctx, key, holder, stale)
}

// CleanTemp cleans the wrapped bucket's temporary files, when it has any.
func (c *Counting) CleanTemp(ctx context.Context, dir, name string) (int, error) {
	if tc, ok := c.Bucket.(TempCleaner); ok {
		return tc.CleanTemp(ctx, dir, name)
	}
	return 0, nil
}
