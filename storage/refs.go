package storage

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// RefOpener resolves s3://bucket/key references (a manifest's image column)
// to the bucket and the key in it, opening one client per bucket with cfg
// and reusing it; it is safe for concurrent use.
func RefOpener(cfg S3Config) func(ctx context.Context, uri string) (Reader, string, error) {
	var mu sync.Mutex
	buckets := map[string]Reader{}
	return func(ctx context.Context, uri string) (Reader, string, error) {
		rest := strings.TrimPrefix(uri, "s3://")
		i := strings.IndexByte(rest, '/')
		if !strings.HasPrefix(uri, "s3://") || i <= 0 || i == len(rest)-1 {
			return nil, "", fmt.Errorf("%q is not an s3://bucket/key URI", uri)
		}
		name, key := rest[:i], rest[i+1:]
		mu.Lock()
		defer mu.Unlock()
		if b, ok := buckets[name]; ok {
			return b, key, nil
		}
		b, err := Open(ctx, "s3://"+name+"/", cfg)
		if err != nil {
			return nil, "", err
		}
		buckets[name] = b
		return b, key, nil
	}
}
