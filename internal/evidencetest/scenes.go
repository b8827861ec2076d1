// Package evidencetest holds canvases with their label maps for the tests
// of the packages that read evidence (critic, plan).
package evidencetest

import (
	"image"

	"github.com/twigdata/twigdata/stages/evidence"
)

// GradientSky is a 384×384 canvas of sky over grass, the sky gray in the
// first band and near white in the second (a gradient), with its label map
// (4-pixel cells; label 0 sky, 1 grass, both stuff): a surface that
// continues across a seam in another shade.
func GradientSky() (*image.RGBA, evidence.LabelMap) {
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
	return img, m
}
