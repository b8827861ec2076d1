package heldout

import (
	"regexp"
	"slices"
	"testing"

	"github.com/twigdata/twigdata/internal/grammar"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/stages/prompt"
)

// TestPlansParseAsEnglish parses every plan and revision the composer writes
// on the held-apart world — every split, the truth and each noise, the clean
// scenes and every injected defect — with Link Grammar, an English grammar
// the composer was not written against, holds every plan to one or two
// sentences of at most three thing and two scenery phrases and its revision
// to one more sentence at most, every region the critic
// reflects to a revision that names a fix, and every colour fix to
// name a colour other than the one it asks for ("red, not red" asks for
// nothing).
func TestPlansParseAsEnglish(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: composes every held-apart scene and parses the plans with Link Grammar")
	}
	t.Parallel()
	w, err := NewWorld("../..")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, sp := range runSplits() {
		for i := sp.first; i < sp.first+sp.size; i++ {
			s := w.Scene(i)
			clean, _ := cleanComposed(w, i)
			var comps []composition
			comps = append(comps, clean...)
			for _, d := range Defects(s, i) {
				img, truth := d.Scene.Render() // once for every noise
				for _, n := range Noises {
					n.Seed = uint64(i)
					comps = append(comps, d.Scene.composedFrom(n, img, truth))
				}
			}
			for _, c := range comps {
				plans, scores, revised := c.plans, c.scores, c.revised
				texts = append(append(texts, plans...), revised...)
				for k := range plans {
					if scores[k].Score < 90 && revised[k] == plans[k] {
						t.Errorf("a region reflected (%+v) with no fix to write: %q", scores[k], plans[k])
					}
					if th, st := phrases(plans[k]); th > 3 || st > 2 {
						t.Errorf("%d thing and %d scenery phrases, want three and two at most: %q", th, st, plans[k])
					}
					np, nr := len(grammar.Split(plans[k])), len(grammar.Split(revised[k]))
					if np < 1 || np > 2 || nr > np+1 {
						t.Errorf("plan of %d sentences, revision of %d: %q, %q", np, nr, plans[k], revised[k])
					}
				}
			}
		}
	}
	for _, text := range texts {
		for _, m := range colorFix.FindAllStringSubmatch(text, -1) {
			if m[2] == m[3] {
				t.Errorf("a colour fix that asks for nothing: %q", text)
			}
		}
		if p := grammar.NamedTwice(text); p != "" {
			t.Errorf("%q names %q twice in one clause: it does not say which", text, p)
		}
	}
	grammar.Check(t, "../..", texts...)
}

// phrases counts a plan's thing and scenery phrases as the prompt parser
// reads them.
func phrases(plan string) (things, scenery int) {
	for _, e := range prompt.Parse(plan).Entities {
		if slices.Contains(Stuff, english.Lemma(e.Noun)) {
			scenery++
		} else {
			things++
		}
	}
	return things, scenery
}

// colorFix matches the default templates' colour fix: the noun, the colour
// asked for and the colour measured.
var colorFix = regexp.MustCompile(`(?i)the ([a-z ]+?) must be ([a-z ]+?), not ([a-z ]+?)[;.]`)
