// Package testutil holds helpers shared by tests of several packages.
package testutil

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/twigdata/twigdata"
)

// CopySample writes n copies of the bundled sample into dir/copyNN/, for runs
// long enough to interrupt.
func CopySample(t testing.TB, dir string, n int) {
	t.Helper()
	err := fs.WalkDir(twigdata.Sample(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(twigdata.Sample(), p)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			sub := filepath.Join(dir, fmt.Sprintf("copy%02d", i))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(sub, p), b, 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
