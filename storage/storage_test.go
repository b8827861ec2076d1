package storage_test

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/twigdata/twigdata/storage"
	"github.com/twigdata/twigdata/storage/storagetest"
)

func TestLocal(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Bucket {
		b, err := storage.NewLocal(filepath.Join(t.TempDir(), "bucket"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestLocalLock(t *testing.T) {
	storagetest.RunLocker(t, func(t *testing.T) storage.Bucket {
		b, err := storage.NewLocal(filepath.Join(t.TempDir(), "bucket"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

func TestFS(t *testing.T) {
	storagetest.RunReader(t, func(t *testing.T, files map[string]string) storage.Reader {
		m := fstest.MapFS{}
		for k, v := range files {
			m[k] = &fstest.MapFile{Data: []byte(v)}
		}
		return storage.NewFS(m, "test")
	})
}

func TestLocalPutLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	b, _ := storage.NewLocal(dir)
	for i := 0; i < 5; i++ {
		if err := b.Put(t.Context(), "s/part.parquet", []byte("data")); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "s"))
	if len(entries) != 1 || entries[0].Name() != "part.parquet" {
		t.Fatalf("folder holds %v", entries)
	}
}
