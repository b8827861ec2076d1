package validate

import (
	"image"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/plan"
)

func bank(templates plan.Templates) *BankGenerator {
	obj := func(phrase string) BankObject {
		return BankObject{Phrase: phrase, Pixels: image.NewRGBA(image.Rect(0, 0, 20, 20)), Box: image.Rect(10, 10, 30, 30)}
	}
	return NewBankGenerator([]BankEntry{{
		SampleID: "s1", Index: 1, Plan: "A red ball and a blue box stand out against light blue sky.",
		Pixels:  image.NewRGBA(image.Rect(0, 0, 384, 128)),
		Objects: []BankObject{obj("red ball"), obj("blue box"), obj("green cone")},
	}}, templates)
}

// TestGeneratorReadsRevisionsInAnyWording writes one revision with the
// default templates and with reworded ones: the generator built with the
// same templates reads the same objects from both, so rewording a template
// in package plan cannot silently break validate.
func TestGeneratorReadsRevisionsInAnyWording(t *testing.T) {
	reworded := plan.Templates{
		Color:   "paint the %[1]s %[2]s instead of %[3]s",
		Missing: "add %[1]s as well",
		Swap:    "exchange the %[1]s and the %[2]s",
		Seam:    "blend it in",
		Detail:  "include %[1]s",
	}
	thought := "A red ball and a blue box are set against light blue sky."
	fixes := []critic.Fix{
		{Kind: critic.FixColor, Noun: "ball", Want: "green", Got: "red"},
		{Kind: critic.FixMissing, Missing: []schema.Entity{{Noun: "cone", Count: 2, Attributes: []string{"green"}}}},
		{Kind: critic.FixSwap, Noun: "ball", Other: "box"},
	}
	want := "green cone,green cone,blue box,green ball"
	for name, tmpl := range map[string]plan.Templates{"default": plan.DefaultTemplates(), "reworded": reworded} {
		t.Run(name, func(t *testing.T) {
			text := tmpl.Revise(thought, fixes)
			if got := strings.Join(bank(tmpl).objectsOf(text), ","); got != want {
				t.Errorf("%q read as %s, want %s", text, got, want)
			}
			if got := strings.Join(bank(tmpl).objectsOf(thought), ","); got != "red ball,blue box" {
				t.Errorf("the thought alone read as %s", got)
			}
		})
	}
	// Read with other templates, the fixes are lost: the generator really
	// follows the templates it is given.
	text := reworded.Revise(thought, fixes)
	if got := strings.Join(bank(plan.DefaultTemplates()).objectsOf(text), ","); got == want {
		t.Errorf("default templates read the reworded revision as %s", got)
	}
}

// TestColourFixForAnUnlistedThingDrawsIt: a colour fix names a thing the
// drawn region showed (its background brought it) but the thought did not
// list; the revision is read as asking for that thing in the wanted colour,
// and the colour the fix says is wrong is not among the words that pick the
// background. (On the bundled sample, "the cone must be blue, not light
// purple" had been replayed as no cone at all.)
func TestColourFixForAnUnlistedThingDrawsIt(t *testing.T) {
	tmpl := plan.DefaultTemplates()
	thought := "Green grass takes up about a tenth of the view."
	for _, tc := range []struct {
		name string
		fix  critic.Fix
		want string
	}{
		{"a thing the bank has", critic.Fix{Kind: critic.FixColor, Noun: "ball", Want: "red", Got: "light purple"}, "red ball"},
		{"a thing composed from a colour and a kind", critic.Fix{Kind: critic.FixColor, Noun: "cone", Want: "blue", Got: "black"}, "blue cone"},
		{"a thing the bank cannot draw", critic.Fix{Kind: critic.FixColor, Noun: "kite", Want: "blue", Got: "black"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := bank(tmpl)
			text := tmpl.Revise(thought, []critic.Fix{tc.fix})
			if got := strings.Join(g.objectsOf(text), ","); got != tc.want {
				t.Errorf("%q read as %q, want %q", text, got, tc.want)
			}
			words := g.wantedWords(text)
			for _, w := range strings.Fields(tc.fix.Want + " " + tc.fix.Noun + " grass") {
				if !words[w] {
					t.Errorf("wanted words %v lack %q", words, w)
				}
			}
			for _, w := range strings.Fields(tc.fix.Got) {
				if words[w] {
					t.Errorf("wanted words %v hold %q, the colour the fix says is wrong", words, w)
				}
			}
		})
	}
}
