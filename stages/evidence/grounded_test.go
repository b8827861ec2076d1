package evidence

import (
	"testing"

	"github.com/twigdata/twigdata/stages/prompt"
)

func TestPhrasesAndEntities(t *testing.T) {
	ents := prompt.Parse("three red balls and a wooden table next to a blue box").Entities
	got := Phrases(ents)
	want := []string{"red balls", "wooden table", "blue box"}
	if len(got) != len(want) {
		t.Fatalf("phrases %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("phrase %d %q, want %q", i, got[i], want[i])
		}
		if e := entityOf(want[i], ents); e != i {
			t.Errorf("%q names entity %d, want %d", want[i], e, i)
		}
	}
	for phrase, want := range map[string]int{"the red ball": 0, "a ball": 0, "tables": 1, "a cat": -1, "boxer": -1} {
		if e := entityOf(phrase, ents); e != want {
			t.Errorf("%q names entity %d, want %d", phrase, e, want)
		}
	}
}
