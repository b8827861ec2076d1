package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/grammar"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/evidence"
)

// TestWriteRewritesTheCaption: the caption is the base wording; openers and
// anchor phrases go whole (one that relates two things is said without its
// anchor word: "on top of" as "on"; a caption with no verb that relates its
// things takes the one it left out), placeholders take the evidence's names, grounded
// things the prompt's words and the counted number; what the caption leaves
// out is added briefly; a caption the evidence cannot back gives way to the
// evidence's own wording.
func TestWriteRewritesTheCaption(t *testing.T) {
	ents := []schema.Entity{{Noun: "ball", Count: 2, Attributes: []string{"red", "rubber"}}, {Noun: "table", Count: 1, Attributes: []string{"wooden"}},
		{Noun: "sun", Count: 1, Attributes: []string{"setting", "white"}}}
	sky := evidence.Group{Color: "light blue", Noun: "sky", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.5, Continues: true}
	sand := evidence.Group{Color: "beige", Noun: "sand", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.3}
	balls := evidence.Group{Color: "red", Noun: "ball", Count: 2, Shown: true, Entity: 0, Named: true, Share: 0.1}
	table := evidence.Group{Color: "brown", Noun: "table", Count: 1, Shown: true, Entity: 1, Named: true, Share: 0.1}
	cup := evidence.Group{Color: "white", Noun: "cup", Count: 1, Shown: true, Entity: -1, Named: true, Share: 0.05}
	sun := evidence.Group{Color: "white", Noun: "sun", Count: 1, Shown: true, Entity: 2, Named: true, Share: 0.05}
	tests := []struct {
		name, caption string
		band          evidence.Band
		want          string
	}{
		{"placeholders named", "a red object resting next to a white thing", evidence.Band{Stuff: []evidence.Group{sky, sand}, Objects: []evidence.Group{balls, cup}},
			"Two red rubber balls resting next to a white cup. The light blue sky continues."},
		{"a list of noun phrases says less than the evidence", "blue sky and red object and white object", evidence.Band{Stuff: []evidence.Group{sand}, Objects: []evidence.Group{balls, cup}},
			"Two red balls and a white cup are set against beige sand."},
		{"openers and anchors cut whole", "In this image we can see a ball lying on a table in the background.",
			evidence.Band{Objects: []evidence.Group{balls, table}}, "Two red rubber balls lying on a brown wooden table."},
		{"a verb kept, what it leaves out added", "a red ball sitting on the sand", evidence.Band{Stuff: []evidence.Group{sand, sky}, Objects: []evidence.Group{balls, cup}},
			"Two red rubber balls sitting on the sand. A white cup also appears, and the light blue sky continues."},
		{"a prompt attribute put in is no verb of the caption", "gray road, golden sand, white object", evidence.Band{Stuff: []evidence.Group{sand}, Objects: []evidence.Group{sun}},
			"A white sun is set against beige sand."},
		{"three things at most, the caption's first", "a red ball sitting next to a brown table",
			evidence.Band{Stuff: []evidence.Group{sky}, Objects: []evidence.Group{balls, table, cup, sun, {Color: "green", Noun: "cup", Count: 1, Shown: true, Entity: -1, Named: true, Continues: true, Share: 0.05}}},
			"Two red rubber balls sitting next to a brown wooden table. A white cup also appears, and the light blue sky continues."},
		{"a relation said without its anchor word", "A red ball sitting on top of a wooden table.", evidence.Band{Objects: []evidence.Group{balls, table}},
			"Two red rubber balls sitting on a brown wooden table."},
		{"left of said as beside", "a red ball to the left of a white cup", evidence.Band{Objects: []evidence.Group{balls, cup}},
			"Two red rubber balls are beside a white cup."},
		{"in front of kept", "a white cup in front of a red ball", evidence.Band{Objects: []evidence.Group{balls, cup}},
			"A white cup is in front of two red rubber balls."},
		{"a caption with no verb that relates its things takes one", "The image shows a red ball on a wooden table with beige sand in the background.",
			evidence.Band{Stuff: []evidence.Group{sand}, Objects: []evidence.Group{balls, table}}, "Two red rubber balls are on a brown wooden table with beige sand."},
		{"the caption's shade of a colour gives way with it, an adverb stays with its adjective", "a bright pink ball sitting on a very small cup", evidence.Band{Objects: []evidence.Group{balls, cup}},
			"Two red rubber balls sitting on a very small white cup."},
		{"a relation that needs no verb", "a red ball with a white cup", evidence.Band{Objects: []evidence.Group{balls, cup}}, "Two red rubber balls with a white cup."},
		{"a relating caption of scenery", "beige sand under a light blue sky", evidence.Band{Stuff: []evidence.Group{sand, sky}}, "Beige sand is under a light blue sky."},
		{"the picture's own words cut", "The image is a close-up of a red ball lying on the sand. Next to it is a cup.",
			evidence.Band{Stuff: []evidence.Group{sand}, Objects: []evidence.Group{balls}}, "Two red rubber balls lying on the sand."},
		{"a placeholder no model names", "a green object lying on the grass", evidence.Band{Objects: []evidence.Group{balls}}, "Two red balls take up about a tenth of the view."},
		{"an anchor word left", "the left half is empty", evidence.Band{Stuff: []evidence.Group{sand}}, "Beige sand covers over a quarter of the view, evenly toned."},
		{"nothing the evidence speaks to", "a beautiful day", evidence.Band{Stuff: []evidence.Group{sand}}, "Beige sand covers over a quarter of the view, evenly toned."},
	}
	var written []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := Write(&tc.band, tc.caption, ents)
			got := w.Text
			written = append(written, got)
			namesSaid(t, w)
			if got != tc.want {
				t.Errorf("plan %q, want %q", got, tc.want)
			}
			if w := FindAnchor(got); w != "" {
				t.Errorf("anchor word %q in %q", w, got)
			}
			if n := len(sentences(got)); n > 2 {
				t.Errorf("%d sentences in %q, want one or two", n, got)
			}
		})
	}
	grammar.Check(t, "../..", written...)
}

// namesSaid fails a test whose thought lists a name its text does not say
// (in either number).
func namesSaid(t *testing.T, w Written) {
	t.Helper()
	text := strings.NewReplacer("'", "", "’", "").Replace(strings.ToLower(w.Text)) // the parser reads "they're" as "theyre"
	for _, n := range w.Names {
		if !strings.Contains(text, english.Lemma(n)) && !strings.Contains(text, english.Plural(english.Lemma(n), 2)) {
			t.Errorf("names %q, which %q does not say", n, w.Text)
		}
	}
}

// TestWrittenNamesWhatItSays: a thought's Names are the groups it words
// and the caption's own nouns it keeps — what the critic judges detail by,
// without parsing the thought back — and no placeholder.
func TestWrittenNamesWhatItSays(t *testing.T) {
	ball := evidence.Group{Color: "red", Noun: "ball", Count: 1, Shown: true, Named: true, Entity: -1, Share: 0.1}
	sand := evidence.Group{Color: "beige", Noun: "sand", Count: 1, Shown: true, Named: true, Entity: -1, Share: 0.6}
	for _, tc := range []struct {
		name, caption string
		band          evidence.Band
		want          []string
	}{
		{"the evidence's words", "", evidence.Band{Stuff: []evidence.Group{sand}, Objects: []evidence.Group{ball}}, []string{"ball", "sand"}},
		{"a caption noun no model names", "a red ball next to a dog", evidence.Band{Objects: []evidence.Group{ball}}, []string{"ball", "dog"}},
		{"a placeholder given the evidence's name", "a red object on the sand", evidence.Band{Stuff: []evidence.Group{sand}, Objects: []evidence.Group{ball}}, []string{"ball", "sand"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := Write(&tc.band, tc.caption, nil)
			got := slices.Clone(w.Names)
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q names %q, want %q", w.Text, got, tc.want)
			}
			namesSaid(t, w)
		})
	}
}

// TestOneThingOfTwoColoursTakesASingularVerb: "a pink and red cup on the
// grass" is one cup: "is", not "are".
func TestOneThingOfTwoColoursTakesASingularVerb(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  int
	}{
		{strings.Fields("a pink and red cup"), 1},
		{strings.Fields("a cup and a plate"), 2},
		{strings.Fields("a black and white cat , a dog"), 2},
	} {
		if got := subjectNumber(tc.words); got != tc.want {
			t.Errorf("subjectNumber(%q) = %d, want %d", tc.words, got, tc.want)
		}
	}
}
