package plan

import (
	"fmt"
	"image"
	"slices"
	"testing"

	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/prompt"
)

// TestWordingKeepsWhatContinuesInItsFirstWords: a sky gray in the first
// band and near white in the second (a gradient) continues as the gray sky,
// as the first thought named it, whichever band is worded first.
func TestWordingKeepsWhatContinuesInItsFirstWords(t *testing.T) {
	const size, cell = 384, 4
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	m := evidence.LabelMap{W: size / cell, H: size / cell}
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			c := [3]uint8{128, 128, 130} // gray sky
			switch {
			case y >= 200:
				c = [3]uint8{60, 140, 50} // grass
			case y >= 128:
				c = [3]uint8{245, 245, 245} // near white sky
			}
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = c[0], c[1], c[2], 255
		}
	}
	for cy := 0; cy < m.H; cy++ {
		for cx := 0; cx < m.W; cx++ {
			l := uint16(0)
			if cy*cell >= 200 {
				l = 1
			}
			m.Labels, m.Conf = append(m.Labels, l), append(m.Conf, 1)
		}
	}
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
