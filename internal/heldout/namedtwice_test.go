package heldout

import "testing"

// TestNamedTwiceFindsUntoldPairs: the check the held-apart revisions pass
// finds a clause that names one thing twice, and passes one that tells two
// things apart.
func TestNamedTwiceFindsUntoldPairs(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"A red ball takes up much of the view. The cone and the cone must trade places.", "cone"},
		{"A red ball takes up much of the view. A cone and a cone must also appear.", "cone"},
		{"A red ball takes up much of the view. The red cone and the blue cone must trade places.", ""},
		{"Two red balls take up much of the view. The ball must be red, not blue; a box must also appear.", ""},
	} {
		if got := namedTwice(tc.text); got != tc.want {
			t.Errorf("namedTwice(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
