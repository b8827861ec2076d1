package validate

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// GridPNG draws, per row, the source image, the generated image and the
// plans with their scores.
func GridPNG(rows []GridRow) ([]byte, error) {
	const textW, pad = 460, 8
	if len(rows) == 0 {
		return nil, nil
	}
	cw, ch := rows[0].Source.Rect.Dx(), rows[0].Source.Rect.Dy()
	W := 2*cw + textW + 4*pad
	H := len(rows)*(ch+pad) + pad
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	face := basicfont.Face7x13
	for i, r := range rows {
		y := pad + i*(ch+pad)
		draw.Draw(img, image.Rect(pad, y, pad+cw, y+ch), r.Source, image.Point{}, draw.Src)
		draw.Draw(img, image.Rect(2*pad+cw, y, 2*pad+2*cw, y+ch), r.Generated, image.Point{}, draw.Src)
		d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
		line := 0
		for _, l := range r.Lines {
			for _, w := range wrap(l, (textW-pad)/7) {
				d.Dot = fixed.P(3*pad+2*cw, y+13*(line+1))
				d.DrawString(w)
				line++
				if 13*(line+1) > ch {
					break
				}
			}
		}
	}
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

func wrap(s string, width int) []string {
	var out []string
	indent := s[:len(s)-len(strings.TrimLeft(s, " "))]
	line := ""
	for _, w := range strings.Fields(s) {
		if len(line)+1+len(w) > width && line != "" {
			out = append(out, line)
			line = indent + "  "
		}
		if line == "" || strings.TrimSpace(line) == "" {
			line += w
			if len(out) == 0 {
				line = indent + w
			}
		} else {
			line += " " + w
		}
	}
	return append(out, line)
}
