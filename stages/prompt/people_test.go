package prompt

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/schema"
)

// described writes entities as "count noun attributes…", for tables.
func described(es []schema.Entity) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%d %s %s", e.Count, e.Noun, strings.Join(e.Attributes, " "))))
	}
	return out
}

// peoplesScenes are what people ask for, with the entities each names;
// peoplesFrames are how they frame it. Every scene in every frame must
// read as the scene alone: a frame is no entity and lends no attribute
// ("a photo cat").
var (
	peoplesScenes = []struct {
		prompt string
		want   []string
	}{
		{"a red ball on the left of a blue box", []string{"1 ball red", "1 box blue"}},
		{"two cats sleeping on a sofa", []string{"2 cat", "1 sofa"}},
		{"a green apple and a yellow banana", []string{"1 apple green", "1 banana yellow"}},
		{"three brown dogs running in a park", []string{"3 dog brown", "1 park"}},
		{"a wooden chair next to a round table", []string{"1 chair wooden", "1 table round"}},
		{"an astronaut riding a horse", []string{"1 astronaut", "1 horse"}},
		{"a black cat under a white car", []string{"1 cat black", "1 car white"}},
		{"a small boat on a lake", []string{"1 boat small", "1 lake"}},
		{"four red roses in a glass vase", []string{"4 rose red", "1 vase glass"}},
		{"a child holding a blue balloon", []string{"1 child", "1 balloon blue"}},
		{"a lighthouse on a rocky cliff", []string{"1 lighthouse", "1 cliff rocky"}},
		{"a teddy bear on a bed", []string{"1 bear teddy", "1 bed"}},
		{"a pink flamingo standing in water", []string{"1 flamingo pink", "1 water"}},
		{"two yellow taxis on a busy street", []string{"2 taxi yellow", "1 street busy"}},
		{"a man and a woman walking a dog", []string{"1 man", "1 woman", "1 dog"}},
		{"a blue bicycle leaning against a brick wall", []string{"1 bicycle blue", "1 wall brick"}},
		{"five orange fish in an aquarium", []string{"5 fish orange", "1 aquarium"}},
		{"a snowy mountain behind a frozen lake", []string{"1 mountain snowy", "1 lake frozen"}},
		{"a coffee cup on a kitchen table", []string{"1 cup coffee", "1 table kitchen"}},
		{"a Tesla car parked near the Eiffel Tower", []string{"1 car tesla", "1 tower eiffel"}},
	}
	peoplesFrames = []string{"", "a photo of ", "A picture of ", "an image showing ", "a painting of ", "a high quality 3d render of ",
		"a close up photo of ", "an oil painting of ", "this is ", "Photograph of "}
)

// peoplesOddities are prompts as people write them that are not a scene
// in a frame: counts inside a frame, "there is", things that must be
// absent, attributes after the noun, several clauses, pronouns, and
// prompts the parser cannot read (another language, function words only),
// which give no entity rather than an invented one.
var peoplesOddities = []struct {
	prompt       string
	want, absent []string
}{
	{"a picture of two cats", []string{"2 cat"}, nil},
	{"a photo of three red apples", []string{"3 apple red"}, nil},
	{"an image of a pair of shoes", []string{"2 shoe"}, nil},
	{"a painting of 12 sheep in a field", []string{"12 sheep", "1 field"}, nil},
	{"there is a cat on the roof", []string{"1 cat", "1 roof"}, nil},
	{"There are two birds on a wire.", []string{"2 bird", "1 wire"}, nil},
	{"there is no box", nil, []string{"1 box"}},
	{"a red ball without a box", []string{"1 ball red"}, []string{"1 box"}},
	{"a cat, no dogs", []string{"1 cat"}, []string{"1 dogs"}},
	{"a beach with no people", []string{"1 beach"}, []string{"1 people"}},
	{"a room without windows", []string{"1 room"}, []string{"1 windows"}},
	{"a street with no cars and a red bus", []string{"1 street", "1 bus red"}, []string{"1 cars"}},
	{"a plate with nothing on it", []string{"1 plate"}, nil},
	{"a car, red, parked by the road", []string{"1 car red", "1 road"}, nil},
	{"a car that is red", []string{"1 car red"}, nil},
	{"a dress which is small and blue, on a chair", []string{"1 dress small blue", "1 chair"}, nil},
	{"a dog sleeps. a cat watches it.", []string{"1 dog", "1 cat"}, nil},
	{"a red car is parked on the street while a man crosses the road", []string{"1 car red", "1 street", "1 man", "1 road"}, nil},
	{"a fire truck next to a fire hydrant", []string{"1 truck fire", "1 hydrant fire"}, nil},
	// attributes after the noun
	{"a car painted red", []string{"1 car red"}, nil},
	{"a ball colored bright blue", []string{"1 ball bright blue"}, nil},
	{"a dress in red next to a dress in blue", []string{"1 dress red", "1 dress blue"}, nil},
	{"a car in blue color", []string{"1 car blue"}, nil},
	{"a blue colored car", []string{"1 car blue"}, nil},
	{"a vase made of glass on a table", []string{"1 vase glass", "1 table"}, nil},
	{"a bird, blue and small, on a branch", []string{"1 bird blue small", "1 branch"}, nil},
	{"a balloon that is bright yellow", []string{"1 balloon bright yellow"}, nil},
	{"an apple which is green next to a banana", []string{"1 apple green", "1 banana"}, nil},
	{"a dog whose collar is green", []string{"1 dog", "1 collar green"}, nil},
	{"a woman in a red dress", []string{"1 woman", "1 dress red"}, nil},
	{"a cat in green grass", []string{"1 cat", "1 grass green"}, nil},
	// nouns no word list holds are still the prompt's nouns: breeds,
	// dishes, characters, made-up creatures
	{"a corgi on a couch", []string{"1 corgi", "1 couch"}, nil},
	{"a bowl of ramen", []string{"1 ramen bowl"}, nil},
	{"a blorf on a table", []string{"1 blorf", "1 table"}, nil},
	{"一只红色的猫", nil, nil},
	{"قطة حمراء على طاولة", nil, nil},
	{"кошка на диване", nil, nil},
	{"un chat rouge sur une table", nil, nil},
	{"ein roter Ball und eine blaue Kiste", nil, nil},
	{"un perro marrón con una pelota", nil, nil},
	{"the of and a", nil, nil},
	{"and and and", nil, nil},
	{"of the", nil, nil},
	{"!!! ??? ...", nil, nil},
	{"a photo of", nil, nil},
	{"there is", nil, nil},
	{"it is red", nil, nil},
	{"blorf zindle quax", nil, nil},
	{"Xyzzy plugh frobozz.", nil, nil},
}

// TestPromptsAsPeopleWriteThem: 20 scenes in 10 frames and 45 odder
// prompts, each with the entities (and the things to be absent) it names.
func TestPromptsAsPeopleWriteThem(t *testing.T) {
	n := 0
	for _, sc := range peoplesScenes {
		for _, fr := range peoplesFrames {
			p := fr + sc.prompt
			n++
			t.Run(p, func(t *testing.T) {
				got := Parse(p)
				if d := described(got.Entities); !slices.Equal(d, sc.want) || len(got.Absent) > 0 {
					t.Errorf("entities %q (absent %q), want %q", d, described(got.Absent), sc.want)
				}
			})
		}
	}
	for _, o := range peoplesOddities {
		n++
		t.Run(o.prompt, func(t *testing.T) {
			got := Parse(o.prompt)
			want, absent := o.want, o.absent
			if want == nil {
				want = []string{}
			}
			if absent == nil {
				absent = []string{}
			}
			if d, a := described(got.Entities), described(got.Absent); !slices.Equal(d, want) || !slices.Equal(a, absent) {
				t.Errorf("entities %q, absent %q; want %q, absent %q", d, a, want, absent)
			}
		})
	}
	if n < 150 {
		t.Errorf("%d prompts, want at least 150", n)
	}
}
