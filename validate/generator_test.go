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
