package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/grammar"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/evidence"
)

// reworded is a second wording of every template, as a maintainer might
// write: Read must follow whatever the templates say.
func reworded() Templates {
	return Templates{
		Color:   "paint the %[1]s %[2]s instead of %[3]s",
		Missing: "add %[1]s",
		Swap:    "swap the %[1]s with the %[2]s",
		Seam:    "blend into what is already drawn",
		Detail:  "show %[1]s too",
	}
}

func TestReadParsesWhatReviseWrote(t *testing.T) {
	fixes := []critic.Fix{
		{Kind: critic.FixColor, Noun: "ball", Want: "red", Got: "light blue"},
		{Kind: critic.FixMissing, Missing: []schema.Entity{{Noun: "cone", Count: 2, Attributes: []string{"yellow"}}, {Noun: "box", Count: 1, Attributes: []string{"blue"}}}},
		{Kind: critic.FixSwap, Noun: "ball", Other: "box"},
		{Kind: critic.FixSeam},
	}
	thought := "A blue ball and a red box are set against light blue sky."
	grammar.Check(t, "../..", DefaultTemplates().Revise(thought, fixes),
		DefaultTemplates().Revise(thought, []critic.Fix{{Kind: critic.FixDetail, Missing: fixes[1].Missing}}))
	for name, tmpl := range map[string]Templates{"default": DefaultTemplates(), "reworded": reworded()} {
		t.Run(name, func(t *testing.T) {
			text := tmpl.Revise(thought, fixes)
			if n := len(sentences(text)) - len(sentences(thought)); n != 1 {
				t.Errorf("%q: the revision adds %d sentences, want one", text, n)
			}
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
	if got := tmpl.Revise("A gray road fills the view.", nil); got != "A gray road fills the view." {
		t.Errorf("got %q, want the plan unchanged", got)
	}
}

// TestThoughts: salient named things first and at most three, scenery with
// the article its noun takes, agreement, no placeholder nouns, brief
// continuity only for what continues, the measured extent where a sentence
// would say little else, no empty plan, and no anchor words.
func TestThoughts(t *testing.T) {
	sky := evidence.Group{Color: "light blue", Noun: "sky", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.6}
	road := evidence.Group{Color: "gray", Noun: "road", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.3}
	ball := evidence.Group{Color: "red", Noun: "ball", Count: 2, Shown: true, Entity: 0, Named: true, Share: 0.1}
	box := evidence.Group{Color: "yellow", Noun: "left box", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.05}
	blob := evidence.Group{Color: "pink", Count: 1, Shown: true, Entity: -1, Shape: "round", Share: 0.2}
	surface := evidence.Group{Color: "brown", Count: 1, Shown: true, Entity: -1, Share: 1, Tone: 2}
	cont := func(g evidence.Group) evidence.Group { g.Continues = true; return g }
	sliver := func(g evidence.Group) evidence.Group { g.Shown = false; return g }
	tests := []struct {
		name string
		band evidence.Band
		want string
	}{
		{"things against scenery", evidence.Band{Stuff: []evidence.Group{sky}, Objects: []evidence.Group{ball, box, blob}},
			"Two red balls and a yellow box are set against light blue sky."},
		{"one thing, with its measured extent", evidence.Band{Objects: []evidence.Group{{Color: "orange", Noun: "apple", Count: 1, Shown: true, Entity: 0, Named: true, Share: 0.12}}},
			"An orange apple takes up about a tenth of the view."},
		{"countable scenery takes an article", evidence.Band{Stuff: []evidence.Group{road}}, "A gray road covers over a quarter of the view, evenly toned."},
		{"scenery filling the region", evidence.Band{Stuff: []evidence.Group{{Color: "gray", Noun: "road", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.98}}}, "A gray road fills the whole view, evenly toned."},
		{"scenery filling nearly all of it", evidence.Band{Stuff: []evidence.Group{{Color: "gray", Noun: "road", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.93}}}, "A gray road fills nearly all of the view, evenly toned."},
		{"textured scenery", evidence.Band{Stuff: []evidence.Group{{Color: "dark green", Noun: "foliage", Shown: true, Entity: -1, Named: true, Tone: 40, Share: 0.7}}}, "Dark green foliage covers most of the view, richly textured."},
		{"a smooth gradient", evidence.Band{Stuff: []evidence.Group{{Color: "pale blue", Noun: "sky", Shown: true, Entity: -1, Named: true, Tone: 2, Fall: 15, Share: 1}}},
			"Pale blue sky fills the whole view, growing lighter downward."},
		{"a textured surface shading a little", evidence.Band{Stuff: []evidence.Group{{Color: "brown", Noun: "floor", Shown: true, Entity: -1, Named: true, Tone: 30, Fall: -8, Share: 0.95}}},
			"A brown floor fills nearly all of the view, richly textured, growing slightly darker downward."},
		{"a steep gradient continuing", evidence.Band{Stuff: []evidence.Group{cont(evidence.Group{Color: "orange", Noun: "sky", Shown: true, Entity: -1, Named: true, Tone: 3, Fall: 30, Share: 1})}},
			"The orange sky continues across the view, growing much lighter downward."},
		{"a sky lit from one side", evidence.Band{Stuff: []evidence.Group{{Color: "blue", Noun: "sky", Shown: true, Entity: -1, Named: true, Tone: 3, Drift: -20, Share: 1}}},
			"Blue sky fills the whole view, growing lighter to one side."},
		{"darkening downward, lit from one side", evidence.Band{Stuff: []evidence.Group{{Color: "gray", Noun: "wall", Shown: true, Entity: -1, Named: true, Tone: 15, Fall: -26, Drift: 14, Share: 1}}},
			"A gray wall fills the whole view, softly shaded, growing lighter to one side and much darker downward."},
		{"lightening downward and to one side", evidence.Band{Stuff: []evidence.Group{{Color: "pale blue", Noun: "sky", Shown: true, Entity: -1, Named: true, Tone: 3, Fall: 10, Drift: 14, Share: 1}}},
			"Pale blue sky fills the whole view, growing lighter to one side and slightly lighter downward."},
		{"a side trend under half the downward one is its shading", evidence.Band{Stuff: []evidence.Group{{Color: "gray", Noun: "wall", Shown: true, Entity: -1, Named: true, Tone: 3, Fall: 30, Drift: 10, Share: 1}}},
			"A gray wall fills the whole view, growing much lighter downward."},
		{"a trend too slight to tell", evidence.Band{Stuff: []evidence.Group{{Color: "gray", Noun: "wall", Shown: true, Entity: -1, Named: true, Tone: 12, Fall: -4, Share: 1}}},
			"A gray wall fills the whole view, softly shaded."},
		{"only continuing scenery", evidence.Band{Stuff: []evidence.Group{cont(road)}}, "The gray road continues across the view, evenly toned."},
		{"only a continuing thing", evidence.Band{Objects: []evidence.Group{cont(ball)}}, "The red balls continue, taking up about a tenth of the view."},
		{"a plural noun the prompt gave no count", evidence.Band{Stuff: []evidence.Group{sky}, Objects: []evidence.Group{{Color: "black", Noun: "sandals", Count: 1, Shown: true, Entity: 0, Named: true, Share: 0.1}}},
			"Black sandals are set against light blue sky."},
		{"a plural noun counted two", evidence.Band{Stuff: []evidence.Group{sky}, Objects: []evidence.Group{{Color: "black", Noun: "sandals", Count: 2, Shown: true, Entity: 0, Named: true, Share: 0.1}}},
			"Two black sandals are set against light blue sky."},
		{"the largest of what continues kept", evidence.Band{Stuff: []evidence.Group{cont(evidence.Group{Color: "gray", Noun: "road", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.9})},
			Objects: []evidence.Group{cont(ball), cont(evidence.Group{Color: "beige", Noun: "sand", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.02})}},
			"The red balls and the gray road continue."},
		{"the largest of what continues kept when smaller ones tie", evidence.Band{Stuff: []evidence.Group{cont(sky)},
			Objects: []evidence.Group{cont(ball), cont(evidence.Group{Color: "blue", Noun: "ball", Count: 2, Shown: true, Entity: 0, Named: true, Share: 0.1})}},
			"The red balls and the light blue sky continue."},
		{"continuing scenery that turns another colour", evidence.Band{Stuff: []evidence.Group{{Color: "gray", Turns: "light blue", Noun: "sky", Count: 1, Shown: true, Entity: -1, Named: true, Continues: true, Share: 1}}},
			"The gray sky continues across the view, turning light blue."},
		{"a thing and turning scenery continue: no turn, the sky named once", evidence.Band{Stuff: []evidence.Group{{Color: "gray", Turns: "white", Noun: "sky", Count: 1, Shown: true, Entity: -1, Named: true, Continues: true, Share: 0.8}},
			Objects: []evidence.Group{cont(ball)}}, "The red balls and the gray sky continue."},
		{"only a surface no model names", evidence.Band{Stuff: []evidence.Group{surface}}, "A brown expanse fills the whole view, evenly toned."},
		{"only a continuing surface no model names", evidence.Band{Stuff: []evidence.Group{cont(surface)}}, "The brown expanse continues across the view, evenly toned."},
		{"an unnamed surface gives way to what is named", evidence.Band{Stuff: []evidence.Group{surface}, Objects: []evidence.Group{blob}}, "A pink round shape takes up about a quarter of the view."},
		{"two kinds of scenery", evidence.Band{Stuff: []evidence.Group{sky, road}}, "Light blue sky takes up most of the view and meets a gray road."},
		{"continuing scenery", evidence.Band{Stuff: []evidence.Group{cont(sky), road}}, "A gray road takes up over a quarter of the view. The light blue sky continues."},
		{"a continuing thing", evidence.Band{Stuff: []evidence.Group{cont(sky)}, Objects: []evidence.Group{cont(ball)}}, "The red balls and the light blue sky continue."},
		{"a sliver at the edge is left to the region that shows the thing", evidence.Band{Stuff: []evidence.Group{sky}, Objects: []evidence.Group{ball, sliver(box)}},
			"Two red balls are set against light blue sky."},
		{"a region that shows only slivers names them rather than nothing", evidence.Band{Objects: []evidence.Group{sliver(ball)}},
			"Two red balls take up about a tenth of the view."},
		{"only a sliver of an unnamed thing", evidence.Band{Stuff: []evidence.Group{sky}, Objects: []evidence.Group{sliver(blob)}}, "Light blue sky covers most of the view, evenly toned."},
		{"only unnamed things", evidence.Band{Objects: []evidence.Group{blob}}, "A pink round shape takes up about a quarter of the view."},
		{"irregular and mass nouns", evidence.Band{Stuff: []evidence.Group{{Color: "beige", Noun: "sand", Count: 4, Shown: true, Entity: -1, Named: true}},
			Objects: []evidence.Group{{Color: "white", Noun: "sheep", Count: 3, Shown: true, Entity: 0, Named: true}, {Color: "brown", Noun: "knife", Count: 2, Shown: true, Entity: 1, Named: true}}},
			"Three white sheep and two brown knives are set against beige sand."},
	}
	var written []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := Thought(&tc.band)
			got := w.Text
			written = append(written, got)
			namesSaid(t, w)
			if got != tc.want {
				t.Errorf("thought %q, want %q", got, tc.want)
			}
			if w := FindAnchor(got); w != "" {
				t.Errorf("anchor word %q left in %q", w, got)
			}
			if n := len(sentences(got)); n < 1 || n > 2 {
				t.Errorf("%d sentences in %q, want one or two", n, got)
			}
		})
	}
	grammar.Check(t, "../..", written...)
}
