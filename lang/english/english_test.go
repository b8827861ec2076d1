package english

import "testing"

func TestLooksPluralAndLemma(t *testing.T) {
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
		{"apples", "apple"}, {"walls", "wall"}, {"knives", "knife"}, {"shelves", "shelf"}, {"gloves", "glove"}, {"microwaves", "microwave"}, {"people", "person"}, {"s", "s"}, {"sheep", "sheep"}, {"glass", "glass"}, {"grass", "grass"},
	} {
		t.Run("lemma of "+tc.word, func(t *testing.T) {
			if got := Lemma(tc.word); got != tc.want {
				t.Errorf("Lemma(%q) = %q, want %q", tc.word, got, tc.want)
			}
		})
	}
}

// TestIsWordKnowsEnglishFromSalad: the word list knows nouns, plurals and
// names, and not made-up words.
func TestIsWordKnowsEnglishFromSalad(t *testing.T) {
	for w, want := range map[string]bool{"apple": true, "giraffes": true, "tesla": true, "the": true, "blorf": false, "zindle": false, "": false} {
		if got := IsWord(w); got != want {
			t.Errorf("IsWord(%q) = %v, want %v", w, got, want)
		}
	}
}
