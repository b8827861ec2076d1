package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
)

// reworded is a second wording of every template, as a maintainer might
// write: Read must follow whatever the templates say.
func reworded() Templates {
	return Templates{
		Color:   "Paint the %[1]s %[2]s instead of %[3]s.",
		Missing: "Add %[1]s.",
		Swap:    "Swap the %[1]s with the %[2]s.",
		Empty:   "Draw something recognisable.",
		Seam:    "Blend into what is already drawn.",
		Keep:    "Keep it as it is.",
	}
}

func TestReadParsesWhatReviseWrote(t *testing.T) {
	fixes := []critic.Fix{
		{Kind: critic.FixColor, Noun: "ball", Want: "red", Got: "light blue"},
		{Kind: critic.FixMissing, Missing: []schema.Entity{{Noun: "cone", Count: 2, Attributes: []string{"yellow"}}, {Noun: "box", Count: 1, Attributes: []string{"blue"}}}},
		{Kind: critic.FixSwap, Noun: "ball", Other: "box"},
		{Kind: critic.FixSeam},
	}
	thought := "A blue ball and a red box stand out against light blue sky."
	for name, tmpl := range map[string]Templates{"default": DefaultTemplates(), "reworded": reworded()} {
		t.Run(name, func(t *testing.T) {
			text := tmpl.Revise(thought, fixes)
			describe, got := tmpl.Read(text)
			if strings.Join(describe, " ") != thought {
				t.Errorf("%q: describing sentences %q, want the thought", text, describe)
			}
			if len(got) != len(fixes) {
				t.Fatalf("%q: read %d fixes %+v, want %d", text, len(got), got, len(fixes))
			}
			if !reflect.DeepEqual(got[0], fixes[0]) {
				t.Errorf("color fix read as %+v", got[0])
			}
			var missing []string
			for _, e := range got[1].Missing {
				missing = append(missing, nounPhrase(e))
			}
			if strings.Join(missing, ", ") != "two yellow cones, a blue box" {
				t.Errorf("missing fix read as %q", missing)
			}
			if !reflect.DeepEqual(got[2], fixes[2]) || got[3].Kind != critic.FixSeam {
				t.Errorf("swap and seam read as %+v, %+v", got[2], got[3])
			}
		})
	}
}

func TestReviseWithNothingToFixKeepsThePlan(t *testing.T) {
	tmpl := DefaultTemplates()
	got := tmpl.Revise("Gray road stretches across the scene.", nil)
	if want := "Gray road stretches across the scene. " + tmpl.Keep; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, fixes := tmpl.Read(got); len(fixes) != 0 {
		t.Errorf("the keep sentence read as fixes %+v", fixes)
	}
}

func TestThoughtsHaveNoAnchorWords(t *testing.T) {
	b := &critic.Band{
		Stuff:   []critic.Group{{Color: "light blue", Noun: "sky", Count: 1, Entity: -1}},
		Objects: []critic.Group{{Color: "red", Noun: "ball", Count: 2, Entity: 0}, {Color: "yellow", Noun: "left box", Count: 1, Entity: -1}},
	}
	described := map[string]bool{}
	got := Thought(b, described)
	if want := "Two red balls and a yellow box stand out against light blue sky."; got != want {
		t.Errorf("thought %q, want %q", got, want)
	}
	if w := FindAnchor(got); w != "" {
		t.Errorf("anchor word %q left in %q", w, got)
	}
	if again := Thought(b, described); !strings.Contains(strings.ToLower(again), "the rest of the red balls") {
		t.Errorf("a group described before is not continued: %q", again)
	}
}
