package heldout

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/twigdata/twigdata/internal/grammar"
	"github.com/twigdata/twigdata/internal/judge"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/stages/prompt"
)

// JudgeFloors are the targets asserted on the independent judge's figures,
// test and sealed splits, on the truth.
var JudgeFloors = struct{ Precision, Recall, Colour, Count float64 }{0.95, 0.90, 0.90, 0.95}

// TestIndependentJudgeReport scores the plans of the test and sealed
// splits, on the truth, with the independent judge (internal/judge: Link
// Grammar's parse and dictionary, the XKCD survey's colour names) beside
// the report's own, which reads plans with the product's parser and
// lexicon; it prints both, and the plans on which they disagree.
func TestIndependentJudgeReport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: composes the test and sealed splits and parses every plan with Link Grammar")
	}
	t.Parallel()
	bin := testutil.Dep(t, "../..", ".deps/link-grammar/usr/bin/link-parser", "make grammar")
	v, err := judge.Load(filepath.Dir(filepath.Dir(filepath.Dir(bin))))
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWorld("../..")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("held-apart world, plans on the truth judged twice: by the report's reading (the product's parser and lexicon) and by the independent judge (Link Grammar, the XKCD colour survey)")
	fmt.Printf("%-8s %-12s %6s %6s %7s %6s\n", "split", "judge", "prec.", "recall", "colour", "count")
	for _, sp := range runSplits() {
		if sp.tag != "test" && sp.tag != "sealed" {
			continue
		}
		var own PlanStats
		var plans []string
		var truths [][]Entity
		for i := sp.first; i < sp.first+sp.size; i++ {
			comps, regions := cleanComposed(w, i)
			c := comps[0] // on the truth
			for k, tr := range regions {
				own.Add(c.plans[k], tr)
				plans, truths = append(plans, c.plans[k]), append(truths, tr)
			}
		}
		var sentences []string
		for _, p := range plans {
			sentences = append(sentences, grammar.Split(p)...)
		}
		read, err := v.Read(sentences)
		if err != nil {
			t.Fatal(err)
		}
		var f judgeFigures
		var disagreements []string
		at := 0
		for i, p := range plans {
			var mentions []judge.Mention
			for range grammar.Split(p) {
				mentions = append(mentions, read[at]...)
				at++
			}
			said := f.add(v, mentions, truths[i])
			ours := productNouns(p)
			if !slices.Equal(said, ours) && len(disagreements) < 6 {
				disagreements = append(disagreements, fmt.Sprintf("%q: judge reads %v, the report %v", p, said, ours))
			}
		}
		o := own.Figures()
		fmt.Printf("%-8s %-12s %6.3f %6.3f %7.3f %6s\n", sp.tag, "report", o.Precision, o.Recall, o.ColorAccuracy, "-")
		jp, jr, jc, jn := f.figures()
		fmt.Printf("%-8s %-12s %6.3f %6.3f %7.3f %6.3f\n", sp.tag, "independent", jp, jr, jc, jn)
		for _, m := range f.miscounted[:min(4, len(f.miscounted))] {
			fmt.Println("    miscounted: " + m)
		}
		for _, d := range disagreements {
			fmt.Println("    they differ on " + d)
		}
		for _, c := range []struct {
			name       string
			got, floor float64
		}{{"precision", jp, JudgeFloors.Precision}, {"recall", jr, JudgeFloors.Recall}, {"colour agreement", jc, JudgeFloors.Colour}, {"count agreement", jn, JudgeFloors.Count}} {
			if !(c.got >= c.floor) {
				t.Errorf("%s, the independent judge: %s %.3f is below its floor %.3f", sp.name, c.name, c.got, c.floor)
			}
		}
	}
	fmt.Println()
}

// judgeFigures gathers the independent judge's counts.
type judgeFigures struct {
	said, right, salient, hit, colours, coloursRight int
	counts, countsRight                              int // things whose number the plan says, and those it says right
	miscounted                                       []string
}

// add judges one plan's mentions against its region's truth and returns
// the nouns it read, sorted.
func (f *judgeFigures) add(v *judge.Vocabulary, mentions []judge.Mention, truth []Entity) []string {
	byNoun := map[string]Entity{}
	for _, e := range truth {
		byNoun[e.Noun] = e
	}
	// A plan may name one noun in several groups ("two brown cups, a brown
	// and purple cup"): its number is their sum, at least that plus two
	// when one group is a bare plural ("the green vases").
	named := map[string]bool{}
	number := map[string]int{}
	several := map[string]bool{}
	var order []judge.Mention
	for _, m := range mentions {
		if m.Count == judge.Several {
			several[m.Noun] = true
		} else {
			number[m.Noun] += m.Count
		}
		if !named[m.Noun] {
			named[m.Noun] = true
			order = append(order, m)
		}
	}
	for _, m := range order {
		f.said++
		e, ok := byNoun[m.Noun]
		if !ok {
			continue
		}
		f.right++
		if !e.Stuff {
			f.counts++
			if n := number[m.Noun]; !several[m.Noun] && n == e.Count || several[m.Noun] && e.Count >= n+2 {
				f.countsRight++
			} else {
				f.miscounted = append(f.miscounted, fmt.Sprintf("%s: said %d%s, truth %d", m.Noun, n, map[bool]string{true: " and several"}[several[m.Noun]], e.Count))
			}
		}
		for _, m := range mentions {
			if m.Noun != e.Noun || e.Stuff {
				continue
			}
			want := map[string]bool{}
			for _, c := range e.Colors {
				for _, p := range Palette {
					if p.Word == c {
						want[v.Basic([3]float64{float64(p.RGB.R), float64(p.RGB.G), float64(p.RGB.B)})] = true
					}
				}
			}
			for _, c := range m.Colours {
				if b := v.BasicOfName(c); b != "" {
					f.colours++
					if want[b] {
						f.coloursRight++
					}
				}
			}
		}
	}
	for _, e := range Salient(truth) {
		f.salient++
		if named[e.Noun] {
			f.hit++
		}
	}
	out := make([]string, 0, len(named))
	for n := range named {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (f judgeFigures) figures() (precision, recall, colour, count float64) {
	return float64(f.right) / float64(max(1, f.said)), float64(f.hit) / float64(max(1, f.salient)), float64(f.coloursRight) / float64(max(1, f.colours)),
		float64(f.countsRight) / float64(max(1, f.counts))
}

// productNouns are the nouns the report's own reading finds in a plan,
// sorted: the product's parser and lemmas.
func productNouns(planText string) []string {
	seen := map[string]bool{}
	for _, e := range prompt.Parse(planText).Entities {
		seen[english.Lemma(e.Noun)] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
