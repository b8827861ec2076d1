package prompt

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/twigdata/twigdata/internal/testutil"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testutil.CompBenchDir(), "*_train.txt"))
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for i := 0; i < 20 && sc.Scan(); i++ {
			f.Add(sc.Text())
		}
		fh.Close()
	}
	for _, s := range []string{"", ",,,", "a pair of", "three", "the the the", "on the left of", "A Child is playing with a kite at the park.\r\n", "\xff\xfe", "999999 balls"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := Parse(p)
		for _, e := range got.Entities {
			if e.Noun == "" || e.Count < 1 {
				t.Fatalf("entity %+v from %q", e, p)
			}
		}
		for _, r := range got.Relations {
			if r.Subject == "" || r.Object == "" || r.Predicate == "" {
				t.Fatalf("relation %+v from %q", r, p)
			}
		}
	})
}
