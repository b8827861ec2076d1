package plan

import (
	"regexp"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/grammar"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/prompt"
)

// placeholderWord is a noun a plan must never call a thing.
var placeholderWord = regexp.MustCompile(`(?i)\b(object|objects|thing|things|stuff)\b`)

// twice returns what a rewrite wrote twice — a word twice in a row, an
// article after a determiner or after "and" with nothing between — the
// marks of a noun phrase put in beside what was left of the caption's ("a
// pet a pet gray owner", "their a gray journal"); "" for none.
func twice(s string) string {
	w := strings.Fields(strings.ToLower(strings.NewReplacer(",", " ", ".", " ").Replace(s)))
	for i := 1; i < len(w); i++ {
		if w[i] == w[i-1] && w[i] != "very" {
			return w[i-1] + " " + w[i]
		}
		if (w[i] == "a" || w[i] == "an") && prompt.IsDeterminer(w[i-1]) ||
			i >= 2 && w[i-1] == "and" && colour.IsWord(w[i-2]) && (w[i] == "a" || w[i] == "an") {
			return w[i-1] + " " + w[i]
		}
	}
	return ""
}

// TestCaptionRewritesOfCompBench rewrites every T2I-CompBench training
// prompt as if a captioner had written it for a region (real English, real
// quirks) on evidence that grounds its nouns a segmenter of the standard
// label sets knows (the rest are left to the caption), each of the
// prompt's colour or, where it names none, gray for a measured one. Every
// rewrite the caption path keeps holds the plan rules — 40 words at most,
// one or two sentences, no anchor word, no placeholder, nothing written
// twice — and of the prompts Link Grammar parses, every rewrite parses too:
// a rewrite keeps a grammatical caption grammatical. It found noun phrases
// put in beside what was left of the caption's ("a basketball a basketball
// gray player", "their a gray journal"), "sitting of a table" for "sitting
// on top of a table", and a verb added after the caption's own past tense
// ("a sheep grazed is in a meadow").
func TestCaptionRewritesOfCompBench(t *testing.T) {
	var sources, rewrites []string
	fellBack := 0
	for _, c := range testutil.CompBench(t) {
		for _, p := range c.Prompts {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			ents := prompt.Parse(p).Entities
			var b evidence.Band
			for i, e := range ents {
				color := colour.Of(e.Attributes)
				if color == "" {
					color = "gray"
				}
				g := evidence.Group{Color: color, Noun: e.Noun, Count: max(1, int(e.Count)), Shown: true, Entity: i, Named: true, Share: 0.1}
				switch evidence.LabelKind(english.Lemma(e.Noun)) {
				case evidence.KindThing:
					b.Objects = append(b.Objects, g)
				case evidence.KindStuff:
					g.Entity = -1
					b.Stuff = append(b.Stuff, g)
				}
			}
			w, ok := fromCaption(&b, p, ents)
			if !ok {
				fellBack++
				continue
			}
			namesSaid(t, w)
			out := w.Text
			if n := len(strings.Fields(out)); n > maxWords {
				t.Errorf("%d words: %q from %q", n, out, p)
			}
			if n := len(grammar.Split(out)); n > 2 {
				t.Errorf("%d sentences: %q from %q", n, out, p)
			}
			if w := FindAnchor(out); w != "" {
				t.Errorf("anchor word %q in %q from %q", w, out, p)
			}
			if m := twice(out); m != "" && twice(p) == "" {
				t.Errorf("%q written twice in %q from %q", m, out, p)
			}
			if w := placeholderWord.FindString(out); w != "" {
				t.Errorf("placeholder %q in %q from %q", w, out, p)
			}
			sources = append(sources, strings.ToUpper(p[:1])+p[1:]+".")
			rewrites = append(rewrites, out)
		}
	}
	t.Logf("%d captions rewritten, %d gave way to the evidence's wording", len(rewrites), fellBack)
	if len(rewrites) < 1000 {
		t.Errorf("only %d of the CompBench captions rewritten", len(rewrites))
	}
	parser := grammar.Parser(t, "../..")
	first := func(s string) string { return grammar.Split(s)[0] }
	var firsts []string
	for _, s := range sources {
		firsts = append(firsts, first(s))
	}
	bad, err := grammar.Rejected(parser, firsts)
	if err != nil {
		t.Fatal(err)
	}
	rejected := map[string]bool{}
	for _, s := range bad {
		rejected[s] = true
	}
	var kept []string
	for i, s := range firsts {
		if !rejected[s] {
			kept = append(kept, first(rewrites[i]))
		}
	}
	bad, err = grammar.Rejected(parser, kept)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("of %d captions Link Grammar parses, %d rewrites rejected", len(kept), len(bad))
	for _, s := range bad {
		t.Errorf("not English by Link Grammar, its caption being: %q", s)
	}
}
