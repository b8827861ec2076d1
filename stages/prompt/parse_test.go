package prompt

import (
	"math"
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

func TestColorName(t *testing.T) {
	for attrs, want := range map[string]string{"light blue": "light blue", "soft yellow": "yellow", "dark green": "dark green", "wooden": "", "dark": ""} {
		if got := ColorName(strings.Fields(attrs)); got != want {
			t.Errorf("ColorName(%s) = %q, want %q", attrs, got, want)
		}
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

func TestLooksPluralAndModifiers(t *testing.T) {
	for _, tc := range []struct {
		word string
		want bool
	}{{"sandals", true}, {"notes", true}, {"scissors", true}, {"people", true}, {"glass", false}, {"cactus", false},
		{"iris", false}, {"ball", false}, {"grass", false}, {"bus", false}, {"boxes", true}, {"knives", true}} {
		t.Run(tc.word, func(t *testing.T) {
			if got := LooksPlural(tc.word); got != tc.want {
				t.Errorf("LooksPlural(%q) = %v, want %v", tc.word, got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ word, want string }{
		{"apples", "apple"}, {"walls", "wall"}, {"knives", "knife"}, {"people", "person"}, {"sheep", "sheep"}, {"glass", "glass"}, {"grass", "grass"},
	} {
		t.Run("lemma of "+tc.word, func(t *testing.T) {
			if got := Lemma(tc.word); got != tc.want {
				t.Errorf("Lemma(%q) = %q, want %q", tc.word, got, tc.want)
			}
		})
	}
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

// TestNameColorIsPerceptual: measured colours take the named colour nearest
// in CIELAB. By RGB distance the first two were "dark green" and "beige".
func TestNameColorIsPerceptual(t *testing.T) {
	for _, tc := range []struct {
		rgb  [3]float64
		want string
	}{
		{[3]float64{72, 82, 90}, "gray"},     // bluish gray water
		{[3]float64{190, 192, 198}, "white"}, // an overcast sky
		{[3]float64{150, 65, 50}, "brown"},   // brick in shade
		{[3]float64{215, 35, 40}, "red"},
		{[3]float64{135, 195, 235}, "light blue"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := NameColor(tc.rgb[0], tc.rgb[1], tc.rgb[2]); got != tc.want {
				t.Errorf("NameColor(%v) = %q, want %q", tc.rgb, got, tc.want)
			}
		})
	}
	for _, c := range colors {
		if c.Named {
			if got := NameColor(c.R, c.G, c.B); got != c.Name {
				t.Errorf("the prototype of %q is named %q", c.Name, got)
			}
		}
	}
}

// TestNameShadeNamesSurfacesAsPeopleDo holds the shade words to what they
// measure: lightness against the hue's plain name, chroma, a gray's trace of
// hue, and a hue the palette's nearest prototype alone got wrong (deep
// water was "black"). Each name keeps NameColor's hue word, and ColorName
// reads it back as a colour.
func TestNameShadeNamesSurfacesAsPeopleDo(t *testing.T) {
	for _, tc := range []struct {
		name string
		rgb  [3]float64
		want string
	}{
		{"a plain brown", [3]float64{122, 72, 32}, "brown"},
		{"dark brown floorboards", [3]float64{80, 48, 25}, "dark brown"},
		{"a brick wall", [3]float64{170, 80, 60}, "reddish brown"},
		{"a clear sky", [3]float64{150, 190, 230}, "pale blue"},
		{"a deep sky", [3]float64{60, 110, 200}, "deep blue"},
		{"deep water", [3]float64{30, 80, 120}, "very dark blue"},
		{"a hazy sky", [3]float64{140, 165, 190}, "light grayish blue"},
		{"spring grass", [3]float64{80, 150, 50}, "vivid green"},
		{"dry grass", [3]float64{190, 170, 120}, "beige"},
		{"a dusty floor", [3]float64{185, 175, 150}, "grayish beige"},
		{"an evening sky", [3]float64{225, 120, 60}, "orange"},
		{"a light gray overcast sky", [3]float64{165, 168, 168}, "light gray"},
		{"a blue-gray overcast sky", [3]float64{160, 170, 185}, "light bluish gray"},
		{"a dark gray wall", [3]float64{88, 88, 90}, "dark gray"},
		{"a middle gray", [3]float64{135, 135, 135}, "gray"},
		{"a pinkish white evening sky", [3]float64{245, 225, 232}, "pinkish white"},
		{"white takes no tone", [3]float64{250, 250, 250}, "white"},
		{"black takes no tone", [3]float64{10, 10, 10}, "black"},
		// From the held-apart world's photographs (development scenes):
		{"a lavender dusk sky", [3]float64{200, 177, 217}, "pale purple"},
		{"lavender water", [3]float64{112, 98, 143}, "grayish purple"},
		{"a storm sky, not the lighter purple", [3]float64{89, 111, 145}, "dark grayish blue"},
		{"a foggy sky is light gray, not white", [3]float64{208, 208, 208}, "light gray"},
		{"weathered boards are dark gray, not black", [3]float64{68, 68, 68}, "dark gray"},
		{"forest undergrowth is green, not black", [3]float64{20, 37, 18}, "very dark green"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NameShade(tc.rgb[0], tc.rgb[1], tc.rgb[2])
			if got != tc.want {
				t.Errorf("NameShade(%v) = %q, want %q", tc.rgb, got, tc.want)
			}
			base := NameColor(tc.rgb[0], tc.rgb[1], tc.rgb[2])
			hue, gotHue := strings.Fields(base), strings.Fields(got)
			if h := hue[len(hue)-1]; h != gotHue[len(gotHue)-1] && !(achromatic[h] && achromatic[gotHue[len(gotHue)-1]]) {
				t.Errorf("NameColor(%v) = %q: NameShade names another hue", tc.rgb, base)
			}
			if c := ColorName(strings.Fields(got)); c == "" || !strings.HasSuffix(got, c) {
				t.Errorf("ColorName(%q) = %q", got, c)
			}
		})
	}
}

// TestTurnsIsAChangeAReaderSees: continuing scenery "turns" to another hue
// or to a shade word of its own, not by losing one.
func TestTurnsIsAChangeAReaderSees(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		want     bool
	}{
		{"gray", "light blue", true},
		{"green", "dark green", true},
		{"pale blue", "light blue", true},
		{"vivid green", "green", false},
		{"blue", "blue", false},
	} {
		t.Run(tc.from+" to "+tc.to, func(t *testing.T) {
			if got := Turns(tc.from, tc.to); got != tc.want {
				t.Errorf("Turns(%q, %q) = %v, want %v", tc.from, tc.to, got, tc.want)
			}
		})
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

// TestReferenceIsWhatNamingCalls: the reference of every shade name
// NameShade gives (on an sRGB grid) is a colour NameShade gives that name —
// naming and judging speak one vocabulary — except the colour table's own
// entries ("light blue", "dark green"), which keep their values; a shade
// word NameShade never uses leaves the colour's own reference.
func TestReferenceIsWhatNamingCalls(t *testing.T) {
	n := 0
	for name := range shadeRefs() {
		if _, table := colorEntry(name); table {
			continue
		}
		n++
		r, g, b, ok := Reference(name)
		if got := NameShade(r, g, b); !ok || got != name {
			t.Errorf("Reference(%q) = (%.0f, %.0f, %.0f), %v, named %q", name, r, g, b, ok, got)
		}
	}
	if n < 80 {
		t.Errorf("only %d shade names on the grid", n)
	}
	for _, tc := range []struct{ name, as string }{{"light white", "white"}, {"deep black", "black"}, {"vivid grey", "grey"}} {
		r, g, b, ok := Reference(tc.name)
		wr, wg, wb, _ := Reference(tc.as)
		if !ok || math.Abs(r-wr) > 0.5 || math.Abs(g-wg) > 0.5 || math.Abs(b-wb) > 0.5 {
			t.Errorf("Reference(%q) = (%.0f, %.0f, %.0f), %v; want %q's", tc.name, r, g, b, ok, tc.as)
		}
	}
	if _, _, _, ok := Reference("pale table"); ok {
		t.Error("Reference(\"pale table\") found a colour")
	}
}
