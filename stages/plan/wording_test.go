package plan

import (
	"fmt"
	"slices"
	"testing"

	"github.com/twigdata/twigdata/internal/evidencetest"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
)

// TestWordingKeepsWhatContinuesInItsFirstWords: a sky gray in the first
// band and near white in the second (a gradient) continues as the gray sky,
// as the first thought named it, whichever band is worded first.
func TestWordingKeepsWhatContinuesInItsFirstWords(t *testing.T) {
	img, m := evidencetest.GradientSky()
	const size = 384
	kinds := []evidence.Kind{evidence.KindStuff, evidence.KindStuff}
	for _, order := range [][]int{{0, 1}, {1, 0}} {
		sc := evidence.NewScene(img, m, []string{"sky", "grass"}, kinds, prompt.Parse("a sky"), imageproc.Bands(size, 16, 3), nil)
		w := NewWording(sc, prompt.Parse("a sky").Entities)
		var sky []string
		for _, k := range order {
			for _, g := range w.Band(k, sc.Band(k)).Stuff {
				if g.Noun == "sky" {
					sky = append(sky, fmt.Sprintf("band %d: %s (continues %v)", k, g.Color, g.Continues))
				}
			}
		}
		slices.Sort(sky)
		want := []string{"band 0: gray (continues false)", "band 1: gray (continues true)"}
		if !slices.Equal(sky, want) {
			t.Errorf("read in order %v: sky %q, want %q", order, sky, want)
		}
	}
}
