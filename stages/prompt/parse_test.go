package prompt

import (
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		prompt   string
		entities string
		rels     string
	}{
		{"a green bench and a red car", "1 green bench|1 red car", ""},
		{"three orange balls", "3 orange ball", ""},
		{"a pink ball on the left of a yellow box", "1 pink ball|1 yellow box", "ball on the left of box"},
		{"The blue ball was next to the orange cone on the road.", "1 blue ball|1 orange cone|1 road", "ball next to cone,cone on road"},
		{"two blue boxes and one red ball", "2 blue box|1 red ball", ""},
		{"a horse hidden by a television", "1 horse|1 television", "horse hidden by television"},
		{"A Child is playing with a kite at the park.\r\n", "1 child|1 kite|1 park", "child playing with kite,kite at park"},
		{"three women, four bees and three ships", "3 woman|4 bee|3 ship", ""},
		{"The soft yellow duckling swam near the sleek black swan.", "1 soft yellow duckling|1 sleek black swan", "duckling swam near swan"},
		{"a rubber band and a metallic knife", "1 rubber band|1 metallic knife", ""},
		{"a chicken on the top of a balloon", "1 chicken|1 balloon", "chicken on the top of balloon"},
		{"a cat to the left of a dog", "1 cat|1 dog", "cat on the left of dog"},
		{"a black and white cat and a red ball", "1 black and white cat|1 red ball", ""},
	}
	for _, tc := range tests {
		t.Run(tc.prompt, func(t *testing.T) {
			p := Parse(tc.prompt)
			var ents, rels []string
			for _, e := range p.Entities {
				s := strconv.Itoa(int(e.Count))
				for _, a := range e.Attributes {
					s += " " + a
				}
				ents = append(ents, s+" "+e.Noun)
			}
			for _, r := range p.Relations {
				rels = append(rels, r.Subject+" "+r.Predicate+" "+r.Object)
			}
			if got := strings.Join(ents, "|"); got != tc.entities {
				t.Errorf("entities %q, want %q", got, tc.entities)
			}
			if got := strings.Join(rels, ","); got != tc.rels {
				t.Errorf("relations %q, want %q", got, tc.rels)
			}
		})
	}
}

// Plans are written in the words prompts are: the reference generator reads
// them with this parser, so their noun phrases must come out whole.
func TestParseReadsPlans(t *testing.T) {
	tests := []struct {
		plan, want string
	}{
		{"A pink ball and a yellow box are set against light blue sky and beige sand.", "1 pink ball|1 yellow box|1 light blue sky|1 beige sand"},
		{"Three green boxes appear. The gray road continues.", "3 green box|1 gray road"},
		{"Dark green grass appears. The beige sand continues.", "1 dark green grass|1 beige sand"},
		{"Light blue sky fills the view, evenly toned.", "1 light blue sky"},
		{"The gray road continues across the view, richly textured.", "1 gray road"},
		{"A gray road comes into view. The light blue sky continues.", "1 gray road|1 light blue sky"},
		{"Light blue sky meets a gray road.", "1 light blue sky|1 gray road"},
		{"Two white sheep and an orange apple appear. The ball must be red, not blue; two yellow cones must also appear.", "2 white sheep|1 orange apple|1 ball|2 yellow cone"},
		{"An orange apple takes up about a tenth of the view.", "1 orange apple"},
		{"Beige sand covers most of the view, evenly toned.", "1 beige sand"},
		{"Black sandals and orange shoes take up little of the view.", "1 black sandals|1 orange shoes"},
		{"A brown expanse fills the whole view, evenly toned.", "1 brown expanse"},
		{"A blue and green book is set against a gray wall.", "1 blue and green book|1 gray wall"},
	}
	for _, tc := range tests {
		t.Run(tc.plan, func(t *testing.T) {
			var got []string
			for _, e := range Parse(tc.plan).Entities {
				got = append(got, strings.Join(append(append([]string{strconv.Itoa(int(e.Count))}, e.Attributes...), e.Noun), " "))
			}
			if strings.Join(got, "|") != tc.want {
				t.Errorf("entities %q, want %q", strings.Join(got, "|"), tc.want)
			}
		})
	}
}

// TestLoneIngWordIsNoEntity: a clause that opens with an -ing verb after a
// comma is no thing to draw (T2I-CompBench: "…, poring over textbooks").
func TestLoneIngWordIsNoEntity(t *testing.T) {
	for _, e := range Parse("A student is studying hard for an exam, poring over textbooks and notes.").Entities {
		if e.Noun == "poring" {
			t.Errorf("entity %+v", e)
		}
	}
	if got := Parse("The soft yellow duckling swam near the sleek black swan.").Entities; len(got) != 2 || got[0].Noun != "duckling" {
		t.Errorf("an -ing noun with its article and attributes is an entity: %+v", got)
	}
}

// TestRelationAtFindsTheFirstRelation: where the lexicon's first spatial
// relation phrase begins in a caption's words, multi-word phrases whole.
func TestRelationAtFindsTheFirstRelation(t *testing.T) {
	for _, tc := range []struct {
		words string
		want  int
	}{
		{"a red apple on a table", 3},
		{"a cup in front of a ball", 2},
		{"two balls next to a cup on a table", 2},
		{"a red apple and a blue cup", -1},
		{"a table with a cup", -1},
	} {
		t.Run(tc.words, func(t *testing.T) {
			if got := RelationAt(strings.Fields(tc.words)); got != tc.want {
				t.Errorf("RelationAt(%q) = %d, want %d", tc.words, got, tc.want)
			}
		})
	}
}

// TestWordClassesOfCaptions: the word classes the caption rewriter reads —
// an adjective by the lexicon or its ending, not a noun that modifies; a
// verb where it stands, not a participle after a determiner.
func TestWordClassesOfCaptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  bool
		want bool
	}{
		{"delicious is an adjective", IsAdjective("delicious"), true},
		{"big is an adjective", IsAdjective("big"), true},
		{"basketball is not", IsAdjective("basketball"), false},
		{"toy is not", IsAdjective("toy"), false},
		{"sheep grazed in a meadow has a verb", HasVerb(strings.Fields("sheep grazed in a meadow")), true},
		{"the polished floor has none", HasVerb(strings.Fields("the polished floor")), false},
		{"a ball lying on a table has one", HasVerb(strings.Fields("lying on")), true},
		{"their is a determiner", IsDeterminer("their"), true},
		{"a chef's is not", IsDeterminer("chef's"), false},
		{"with is a function word", IsFunctionWord("with"), true},
		{"table is not", IsFunctionWord("table"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestModifiers(t *testing.T) {
	for _, tc := range []struct{ attrs, want string }{
		{"stylish addition to cubic office", "cubic office"},
		{"icy shards", "icy"},
		{"orange hues setting", "orange setting"},
		{"big red", "big red"},
		{"neat circle around the bubbling", "bubbling"},
		{"black and white", "black and white"},
	} {
		t.Run(tc.attrs, func(t *testing.T) {
			if got := strings.Join(Modifiers(strings.Fields(tc.attrs)), " "); got != tc.want {
				t.Errorf("Modifiers(%q) = %q, want %q", tc.attrs, got, tc.want)
			}
		})
	}
}
