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

// TestLocalLockClearsWhatAKilledHolderLeft: a process killed inside Lock or
// Renew leaves a temporary record or a stale lock moved aside beside the lock;
// the next holder removes them, and leaves alone those of other locks.
func TestLocalLockClearsWhatAKilledHolderLeft(t *testing.T) {
	dir := t.TempDir()
	b, _ := storage.NewLocal(dir)
	ctl := filepath.Join(dir, ".twigdata")
	if err := os.MkdirAll(ctl, 0o777); err != nil {
		t.Fatal(err)
	}
	killed := []string{".tmp-lock-0123456789ab", "lock.stale-a1b2c3d4e5f6"}
	others := []string{".tmp-lock-p00001of00004-0123456789ab", "lock-p00001of00004.stale-a1b2c3d4e5f6", ".tmp-lock-notrandom"}
	for _, n := range append(append([]string{}, killed...), others...) {
		if err := os.WriteFile(filepath.Join(ctl, n), []byte("x"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	lease, err := b.Lock(t.Context(), ".twigdata/lock", []byte("me"), func([]byte) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	defer lease.Release(t.Context())
	for _, n := range killed {
		if _, err := os.Stat(filepath.Join(ctl, n)); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", n, err)
		}
	}
	for _, n := range others {
		if _, err := os.Stat(filepath.Join(ctl, n)); err != nil {
			t.Errorf("%s, not this lock's, was removed: %v", n, err)
		}
	}
}
