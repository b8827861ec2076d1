package grammar

import (
	"slices"
	"testing"
)

func TestSentences(t *testing.T) {
	got := Sentences("Two red apples sit on a plate. The blue sky continues.", "The blue sky continues.", "")
	want := []string{"The blue sky continues.", "Two red apples sit on a plate."}
	if !slices.Equal(got, want) {
		t.Fatalf("Sentences = %q, want %q", got, want)
	}
}

// TestRejected proves the parser rejects what the plans must never say:
// disagreement, a wrong article, a double plural.
func TestRejected(t *testing.T) {
	parser := Parser(t, "../..")
	tests := []struct {
		sentence string
		bad      bool
	}{
		{"A gray sand fill the view.", true},
		{"A apple sits on an plate.", true},
		{"Two red apples sits on a white plate.", true},
		{"Gray sand fills the view.", false},
		{"Two red apples sit on a white plate.", false},
		{"The ball must be red, not blue; a yellow box must also appear.", false},
		{"The light blue sky continues.", false},
	}
	var in []string
	for _, tc := range tests {
		in = append(in, tc.sentence)
	}
	bad, err := Rejected(parser, in)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.sentence, func(t *testing.T) {
			if got := slices.Contains(bad, tc.sentence); got != tc.bad {
				t.Errorf("rejected = %v, want %v", got, tc.bad)
			}
		})
	}
}

// TestNamedTwiceFindsUntoldPairs: the check revisions pass finds a clause
// that names one thing twice, and passes one that tells two things apart.
func TestNamedTwiceFindsUntoldPairs(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"A red ball takes up much of the view. The cone and the cone must trade places.", "cone"},
		{"A red ball takes up much of the view. A cone and a cone must also appear.", "cone"},
		{"A red ball takes up much of the view. The red cone and the blue cone must trade places.", ""},
		{"Two red balls take up much of the view. The ball must be red, not blue; a box must also appear.", ""},
		{"A light purple and blue vase and a light purple and red vase must also appear.", ""},
	} {
		if got := NamedTwice(tc.text); got != tc.want {
			t.Errorf("NamedTwice(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
