package stages_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages"
	"github.com/twigdata/twigdata/stages/prompt"
)

// TestALongPromptStaysBounded: a prompt that repeats one scene to the
// 64 KB limit ("a pink ball on the left of a yellow box " × 1600) is read
// to prompt.MaxEntities entities, and its plans and revisions stay within
// their limits (a revision names at most four fixes) — the work of a sample
// does not grow with the square of a prompt's length.
func TestALongPromptStaysBounded(t *testing.T) {
	in := t.TempDir()
	img, err := os.ReadFile("../testdata/sample/scene-000.jpg")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(in, "long.jpg"), img, 0o644)
	os.WriteFile(filepath.Join(in, "long.txt"), []byte(strings.Repeat("a pink ball on the left of a yellow box ", 1600)), 0o644)
	out := filepath.Join(t.TempDir(), "ds")
	sum, err := build(t, context.Background(), in, out, func(c *stages.Config) { c.Filter.MinScore = 0 })
	if err != nil {
		t.Fatal(err)
	}
	samples := testutil.ReadTable[schema.Sample](t, out, "samples")
	if sum.Accepted != 1 || len(samples) != 1 {
		t.Fatalf("%d accepted (%v), %d sample rows; want the one input accepted", sum.Accepted, sum.ByReason, len(samples))
	}
	for _, s := range samples {
		if len(s.Entities) > prompt.MaxEntities {
			t.Errorf("%d entities, want at most %d", len(s.Entities), prompt.MaxEntities)
		}
		for _, r := range s.Regions {
			if n := len(strings.Fields(r.Plan)); n > 40 {
				t.Errorf("region %d plan of %d words", r.Index, n)
			}
			if n := len(strings.Fields(r.RevisedPlan)) - len(strings.Fields(r.Plan)); n > 60 {
				t.Errorf("region %d revision adds %d words", r.Index, n)
			}
		}
	}
}
