package heldout

import (
	"regexp"
	"slices"
	"strings"
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
			scenes := []Scene{s}
			for _, d := range Defects(s, i) {
				scenes = append(scenes, d.Scene)
			}
			for _, sc := range scenes {
				img, truth := sc.Render() // once for every noise
				for _, n := range Noises {
					n.Seed = uint64(i)
					c := sc.composedFrom(n, img, truth)
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
	}
	for _, text := range texts {
		for _, m := range colorFix.FindAllStringSubmatch(text, -1) {
			if m[2] == m[3] {
				t.Errorf("a colour fix that asks for nothing: %q", text)
			}
		}
		if p := namedTwice(text); p != "" {
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

// namedTwice is a noun phrase a fix clause of text names twice ("the cone
// and the cone must trade places", "a cone and a cone must also appear"),
// or "": the phrases before a clause's "must", split at its list joints
// (", ", and "and" before a determiner: "a light purple and blue vase" is
// one phrase).
func namedTwice(text string) string {
	for _, sentence := range grammar.Split(text) {
		for _, clause := range strings.Split(strings.TrimRight(sentence, "."), "; ") {
			subject, _, ok := strings.Cut(strings.ToLower(clause), " must ")
			if !ok {
				continue
			}
			seen := map[string]bool{}
			for _, part := range listJoints.Split(subject, -1) {
				np := strings.TrimSpace(determiner.ReplaceAllString(part, ""))
				if np == "" {
					continue
				}
				if seen[np] {
					return np
				}
				seen[np] = true
			}
		}
	}
	return ""
}

// listJoints are where a list of noun phrases splits; determiner starts a
// noun phrase.
var (
	listJoints = regexp.MustCompile(`, (?:and )?| and (?:the|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|some) `)
	determiner = regexp.MustCompile(`^(?:the|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|some) `)
)

// colorFix matches the default templates' colour fix: the noun, the colour
// asked for and the colour measured.
var colorFix = regexp.MustCompile(`(?i)the ([a-z ]+?) must be ([a-z ]+?), not ([a-z ]+?)[;.]`)
