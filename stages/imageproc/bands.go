package imageproc

import "strconv"

// Band is one region of the static TwiG schedule.
type Band struct {
	Index                      int
	Name                       string
	TokenRowStart, TokenRowEnd int // [start, end) on the token grid
	Y0, Y1                     int // [y0, y1) pixel rows of the canvas
}

// Bands splits grid rows as evenly as possible; band k covers token rows
// [floor(k·G/K), floor((k+1)·G/K)).
func Bands(canvasH, patch, k int) []Band {
	g := canvasH / patch
	names := []string{"upper background", "central content", "lower background"}
	out := make([]Band, k)
	for i := 0; i < k; i++ {
		s, e := i*g/k, (i+1)*g/k
		name := "band " + strconv.Itoa(i+1)
		if k == 3 {
			name = names[i]
		}
		out[i] = Band{Index: i, Name: name, TokenRowStart: s, TokenRowEnd: e, Y0: s * patch, Y1: e * patch}
	}
	return out
}
