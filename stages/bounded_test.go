package stages_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// TestPromptsAsPeopleWriteThemMakeNoFixOfAFrame: built end to end, framed,
// negated and unreadable prompts give no revision that asks for a frame
// word, a negated thing or a word of another script to appear; a thing that
// must be absent is listed as "no <noun>" among the unverified entities.
func TestPromptsAsPeopleWriteThemMakeNoFixOfAFrame(t *testing.T) {
	in := t.TempDir()
	img, err := os.ReadFile("../testdata/sample/scene-000.jpg")
	if err != nil {
		t.Fatal(err)
	}
	prompts := map[string]string{"photo": "a photo of a cat", "astronaut": "a photo of an astronaut", "picture": "a picture of two cats",
		"nobox": "there is no box", "salad": "the of and a", "chinese": "一只红色的猫", "without": "a red ball without a box"}
	for k, p := range prompts {
		os.WriteFile(filepath.Join(in, k+".jpg"), img, 0o644)
		os.WriteFile(filepath.Join(in, k+".txt"), []byte(p), 0o644)
	}
	out := filepath.Join(t.TempDir(), "ds")
	if _, err := build(t, context.Background(), in, out, func(c *stages.Config) { c.Filter.MinScore = 0 }); err != nil {
		t.Fatal(err)
	}
	samples := testutil.ReadTable[schema.Sample](t, out, "samples")
	if len(samples) != len(prompts) {
		t.Fatalf("%d samples of %d prompts", len(samples), len(prompts))
	}
	bad := regexp.MustCompile(`(?i)\b(photo|picture|there|box|of|the|and)\b[^.;]*must also appear|[\p{Han}]`)
	for _, s := range samples {
		for _, r := range s.Regions {
			if m := bad.FindString(r.RevisedPlan); m != "" {
				t.Errorf("%q: revision %q asks for %q", s.Prompt, r.RevisedPlan, m)
			}
		}
		wantAbsent := strings.Contains(s.Prompt, "box")
		if got := slices.Contains(s.UnverifiedEntities, "no box"); got != wantAbsent {
			t.Errorf("%q: unverified entities %q", s.Prompt, s.UnverifiedEntities)
		}
	}
}
