package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/grammar"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/stages/prompt"
)

// placeholderNoun is what a plan must never call a thing.
var placeholderNoun = regexp.MustCompile(`(?i)\b(object|objects|thing|things|stuff)\b`)

// TestPlansOnPhotographs builds real photographs (scikit-image's sample
// data, testdata/quality/photos) paired with T2I-CompBench prompts, as a new
// user would try the tool, with the bundled models, and holds every plan and
// revision of the accepted ones to the plan rules: not empty, 8 to 40 words,
// one or two sentences (the revision one more at most, and a reflected
// region's naming a fix), three things and two kinds of scenery at most
// (scenery by the standard label sets), no placeholder noun, no anchor word, scenery never
// counted, pluralised or listed twice in a sentence ("four gray roads",
// "beige sand and gray sand"), and English by Link Grammar. The
// bundled models know only their synthetic world, so what the plans say of
// these photographs is poor; how they say it is what is tested.
func TestPlansOnPhotographs(t *testing.T) {
	var prompts []string
	for _, c := range testutil.CompBench(t) {
		prompts = append(prompts, c.Prompts...)
	}
	photos, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "quality", "photos", "*.jpg"))
	if err != nil || len(photos) == 0 {
		t.Fatalf("no photographs in testdata/quality/photos: %v", err)
	}
	in := t.TempDir()
	for k, p := range photos {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		stem := strings.TrimSuffix(filepath.Base(p), ".jpg")
		if err := os.WriteFile(filepath.Join(in, stem+".jpg"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, stem+".txt"), []byte(prompts[k*len(prompts)/len(photos)]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := buildSample(t, "--in", in)
	samples := testutil.ReadTable[schema.Sample](t, out, "samples")
	if len(samples) < len(photos)/2 {
		t.Fatalf("%d of %d photographs accepted", len(samples), len(photos))
	}
	// The bundled segmenter's scenery classes, which it does not mark as
	// such: the standard label sets do.
	scenery := map[string]*regexp.Regexp{} // the noun, and it or its plural
	for _, l := range []string{"sky", "grass", "sand", "road"} {
		if evidence.LabelKind(l) != evidence.KindStuff {
			t.Fatalf("%s is not stuff by the standard label sets", l)
		}
		scenery[l] = regexp.MustCompile(`(?i)\b` + l + `(s|es)?\b`)
	}
	var texts []string
	distinct := map[string]bool{}
	regions := 0
	for _, s := range samples {
		for _, r := range s.Regions {
			regions++
			distinct[r.Plan] = true
			texts = append(texts, r.Plan, r.RevisedPlan)
			t.Logf("%s #%d r=%d %q", s.Key, r.Index, r.Critic.Score, r.RevisedPlan)
			if n := len(strings.Fields(r.Plan)); n < 8 || n > 40 {
				t.Errorf("%s #%d: %d words: %q", s.Key, r.Index, n, r.Plan)
			}
			if r.Reflected && r.RevisedPlan == r.Plan {
				t.Errorf("%s #%d: reflected (%+v) with no fix written", s.Key, r.Index, r.Critic)
			}
			if np, nr := len(grammar.Split(r.Plan)), len(grammar.Split(r.RevisedPlan)); np > 2 || nr > np+1 {
				t.Errorf("%s #%d: a plan of %d sentences, its revision of %d: %q", s.Key, r.Index, np, nr, r.RevisedPlan)
			}
			things, kinds := 0, 0
			for _, e := range prompt.Parse(r.Plan).Entities {
				if evidence.LabelKind(english.Lemma(e.Noun)) == evidence.KindStuff {
					kinds++
				} else {
					things++
				}
			}
			if things > 3 || kinds > 2 {
				t.Errorf("%s #%d: %d thing and %d scenery phrases, want three and two at most: %q", s.Key, r.Index, things, kinds, r.Plan)
			}
			for _, sentence := range grammar.Split(r.Plan) {
				for noun, re := range scenery {
					if m := re.FindAllString(sentence, -1); len(m) > 1 || len(m) == 1 && !strings.EqualFold(m[0], noun) {
						t.Errorf("%s #%d: scenery %v counted, pluralised or listed twice in %q", s.Key, r.Index, m, sentence)
					}
				}
			}
			if p := grammar.NamedTwice(r.RevisedPlan); p != "" {
				t.Errorf("%s #%d: %q names %q twice in one fix: it does not say which", s.Key, r.Index, r.RevisedPlan, p)
			}
			for _, text := range []string{r.Plan, r.RevisedPlan} {
				if w := placeholderNoun.FindString(text); w != "" {
					t.Errorf("%s #%d: placeholder noun %q in %q", s.Key, r.Index, w, text)
				}
				if w := plan.FindAnchor(text); w != "" {
					t.Errorf("%s #%d: anchor word %q in %q", s.Key, r.Index, w, text)
				}
			}
		}
	}
	t.Logf("%d photographs accepted of %d; %d of %d plans distinct", len(samples), len(photos), len(distinct), regions)
	grammar.Check(t, repoRoot, texts...)
}
