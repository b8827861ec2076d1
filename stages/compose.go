package stages

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/schema"
)

// AnchorWords are spatial-anchor and section words a thought must not use: the
// generator learns where a region is from the schedule, not from the text.
var AnchorWords = []string{"top", "bottom", "upper", "lower", "middle", "center", "centre", "central",
	"left", "right", "above", "below", "beneath", "underneath", "foreground", "background",
	"section", "layer", "region", "band", "part", "half", "row", "strip", "area", "first", "second", "third", "final", "last", "here"}

// AnchorPattern matches any anchor word as a whole word.
var AnchorPattern = regexp.MustCompile(`(?i)\b(` + strings.Join(AnchorWords, "|") + `)\b`)

// namedColors is the palette measured segment colors are named from.
var namedColors = []struct {
	name    string
	r, g, b float64
}{
	{"red", 214, 32, 40}, {"green", 40, 180, 70}, {"dark green", 70, 115, 50}, {"blue", 30, 60, 190},
	{"light blue", 135, 195, 235}, {"yellow", 245, 210, 30}, {"purple", 128, 40, 150}, {"orange", 245, 125, 20},
	{"white", 245, 245, 245}, {"black", 25, 25, 25}, {"pink", 245, 130, 190}, {"brown", 120, 70, 30},
	{"gray", 115, 115, 120}, {"beige", 214, 190, 140},
}

func colorName(r, g, b float64) string {
	best, bestD := "", math.Inf(1)
	for _, c := range namedColors {
		d := (r-c.r)*(r-c.r) + (g-c.g)*(g-c.g) + (b-c.b)*(b-c.b)
		if d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}

// colorMatches reports whether a measured color name satisfies a prompt color word.
func colorMatches(measured, want string) bool {
	if want == "grey" {
		want = "gray"
	}
	if want == "golden" {
		want = "beige"
	}
	f := strings.Fields(measured)
	return len(f) > 0 && f[len(f)-1] == want
}

// segment is one connected component of the label map within a band.
type segment struct {
	class    int
	cells    int
	conf     float64
	x0, y0   int // map cells, inclusive-exclusive box
	x1, y1   int
	r, g, b  float64
	stuff    bool   // spans the band: sky, grass, a wall
	shape    string // round, square, triangular or ""
	color    string
	noun     string
	entity   int // index into the prompt's entities, or -1
	fraction float64
	whole    *segment // for a band piece: the whole-image segment it is part of
}

// composer writes the plan, critique and revision for each band, grounded in
// the segments and captions, and assembles the sample record.
type composer struct {
	theta       int
	patch       int
	segmenterID string
	captionerID string
	labels      []string
	toolVersion string
	jpegQuality int
}

func (c *composer) process(ctx context.Context, batch []*Item) error {
	for _, it := range batch {
		if err := c.compose(it); err != nil {
			return err
		}
	}
	return nil
}

// minSegmentShare drops specks: a component smaller than this share of its
// band is noise from anti-aliasing or compression, not an object.
const minSegmentShare = 0.004

// minFill drops thin blobs: a strip of cells along a slanted object edge, where
// the 4×4 average of two colors lands nearest a third class, fills little of
// its box; any solid object (a triangle fills half) fills much more.
const minFill = 0.3

func (c *composer) segments(it *Item, y0, y1 int) []*segment {
	m := it.Seg
	sy := float64(it.Canvas.Rect.Dy()) / float64(m.H)
	sx := float64(it.Canvas.Rect.Dx()) / float64(m.W)
	r0, r1 := int(float64(y0)/sy+0.5), int(float64(y1)/sy+0.5)
	// A class whose cells reach across the band, even when objects cut them
	// into pieces, is scenery (sky, ground, a wall): all its pieces are stuff.
	cols := map[uint16][]bool{}
	for y := r0; y < r1; y++ {
		for x := 0; x < m.W; x++ {
			l := m.Labels[y*m.W+x]
			if cols[l] == nil {
				cols[l] = make([]bool, m.W)
			}
			cols[l][x] = true
		}
	}
	wide := map[uint16]bool{}
	for l, c := range cols {
		n := 0
		for _, v := range c {
			if v {
				n++
			}
		}
		wide[l] = float64(n) >= 0.9*float64(m.W)
	}
	seen := make([]bool, m.W*m.H)
	var out []*segment
	total := (r1 - r0) * m.W
	var queue []int
	for y := r0; y < r1; y++ {
		for x := 0; x < m.W; x++ {
			start := y*m.W + x
			if seen[start] {
				continue
			}
			cls := m.Labels[start]
			s := &segment{class: int(cls), x0: x, y0: y, x1: x + 1, y1: y + 1, entity: -1}
			queue = append(queue[:0], start)
			seen[start] = true
			for len(queue) > 0 {
				p := queue[len(queue)-1]
				queue = queue[:len(queue)-1]
				px, py := p%m.W, p/m.W
				s.cells++
				s.conf += float64(m.Conf[p])
				s.x0, s.x1 = min(s.x0, px), max(s.x1, px+1)
				s.y0, s.y1 = min(s.y0, py), max(s.y1, py+1)
				cx := min(int((float64(px)+0.5)*sx), it.Canvas.Rect.Dx()-1)
				cy := min(int((float64(py)+0.5)*sy), it.Canvas.Rect.Dy()-1)
				pix := it.Canvas.Pix[it.Canvas.PixOffset(cx, cy):]
				s.r, s.g, s.b = s.r+float64(pix[0]), s.g+float64(pix[1]), s.b+float64(pix[2])
				for _, q := range [4][2]int{{px - 1, py}, {px + 1, py}, {px, py - 1}, {px, py + 1}} {
					if q[0] < 0 || q[0] >= m.W || q[1] < r0 || q[1] >= r1 {
						continue
					}
					n := q[1]*m.W + q[0]
					if !seen[n] && m.Labels[n] == cls {
						seen[n] = true
						queue = append(queue, n)
					}
				}
			}
			s.fraction = float64(s.cells) / float64(total)
			if s.fraction < minSegmentShare {
				continue
			}
			s.conf /= float64(s.cells)
			n := float64(s.cells)
			s.color = colorName(s.r/n, s.g/n, s.b/n)
			w, h := s.x1-s.x0, s.y1-s.y0
			if min(w, h) < 3 && float64(w) < 0.9*float64(m.W) {
				continue // a line left along an edge, not a thing
			}
			s.stuff = wide[cls]
			if !s.stuff {
				fill := float64(s.cells) / float64(w*h)
				if fill < minFill {
					continue
				}
				s.shape = shapeFromFill(fill, float64(w)/float64(h), s.y0 == r0 || s.y1 == r1)
			}
			s.noun = c.labels[s.class]
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].stuff != out[j].stuff {
			return out[i].stuff
		}
		if out[i].stuff {
			return out[i].cells > out[j].cells
		}
		return out[i].x0 < out[j].x0 // reading order keeps enumerations stable
	})
	return out
}

// shapeFromFill classifies a blob by how much of its bounding box it fills:
// a disc fills π/4, a square all of it, a triangle half. A blob cut by the band
// edge has an unreliable fill and gets no shape.
func shapeFromFill(fill, aspect float64, cut bool) string {
	switch {
	case cut || aspect < 0.5 || aspect > 2:
		return ""
	case fill >= 0.88:
		return "square"
	case fill >= 0.66:
		return "round"
	case fill >= 0.35 && fill <= 0.62:
		return "triangular"
	}
	return ""
}

// genericNoun strips color words and the generic "object"/"thing" from a
// segmenter label so "red object" grounds as an unnamed object.
func genericNoun(label string) (string, bool) {
	var kept []string
	for _, w := range strings.Fields(label) {
		if colorWords[w] {
			continue
		}
		kept = append(kept, w)
	}
	n := strings.Join(kept, " ")
	return n, n == "" || n == "object" || n == "thing" || n == "stuff"
}

// smooth relabels cells that form lines or specks — at most 3 of their 3×3
// neighbourhood share their label — with the most frequent other label there.
// Along object edges a 4×4 patch averages two colors into a third class; those
// one-cell lines disappear while solid shapes and their corners (4 of 9) stay.
func smooth(m annotators.SegMap) annotators.SegMap {
	out := annotators.SegMap{W: m.W, H: m.H, Labels: make([]uint16, len(m.Labels)), Conf: m.Conf}
	var counts [9]uint16
	var n [9]int
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			k := 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= m.W || yy >= m.H {
						continue
					}
					l := m.Labels[yy*m.W+xx]
					j := 0
					for j < k && counts[j] != l {
						j++
					}
					if j == k {
						counts[k], n[k] = l, 0
						k++
					}
					n[j]++
				}
			}
			own := m.Labels[y*m.W+x]
			best, bestN, ownN := own, 0, 0
			for j := 0; j < k; j++ {
				if counts[j] == own {
					ownN = n[j]
				} else if n[j] > bestN || (n[j] == bestN && counts[j] < best) {
					best, bestN = counts[j], n[j]
				}
			}
			if ownN <= 3 && bestN > 0 {
				own = best // a thin line or speck: take the strongest neighbour
			}
			out.Labels[y*m.W+x] = own
		}
	}
	return out
}

func (c *composer) compose(it *Item) error {
	it.Parsed = ParsePrompt(it.Prompt)
	it.Seg = smooth(it.Seg)
	ents := it.Parsed.Entities
	W, H := it.Canvas.Rect.Dx(), it.Canvas.Rect.Dy()

	whole := c.segments(it, 0, H)
	groundAll(whole, ents)
	found := make([]int, len(ents))
	for _, s := range whole {
		if s.entity >= 0 {
			found[s.entity]++
		}
	}
	var want, have int
	for i, e := range ents {
		want += int(e.Count)
		have += min(found[i], int(e.Count))
	}
	alignment := 1.0
	if want > 0 {
		alignment = float64(have) / float64(want)
	}
	cellH := float64(H) / float64(it.Seg.H)
	bandOf := func(cellY int) int {
		y := int((float64(cellY) + 0.5) * cellH)
		for k, b := range it.Bands {
			if y >= b.Y0 && y < b.Y1 {
				return k
			}
		}
		return len(it.Bands) - 1
	}
	crit := newCritic(it, whole, ents, bandOf, len(it.Bands))

	blur, phash := Quality(it.Canvas)
	rec := &schema.Sample{
		ID: SampleID(it.Key), Key: it.Key, SourceURI: it.SourceURI, Prompt: it.Prompt,
		Entities: ents, Relations: it.Parsed.Relations,
		OrigWidth: int32(it.OrigW), OrigHeight: int32(it.OrigH), OrigFormat: it.Format, OrigSHA256: it.SHA256,
		CanvasWidth: int32(W), CanvasHeight: int32(H), PatchSize: int32(c.patch),
		GridRows: int32(H / c.patch), GridCols: int32(W / c.patch),
		Caption: it.Caption, Blur: float32(blur), PHash: phash,
		Alignment: float32(alignment), Segmenter: c.segmenterID, Captioner: c.captionerID, ToolVersion: c.toolVersion,
	}
	if rec.Entities == nil {
		rec.Entities = []schema.Entity{}
	}
	if rec.Relations == nil {
		rec.Relations = []schema.Relation{}
	}
	sx := float64(W) / float64(it.Seg.W)
	sy := float64(H) / float64(it.Seg.H)
	described := map[string]bool{} // "color noun" groups already in earlier thoughts
	for k, b := range it.Bands {
		segs := c.segments(it, b.Y0, b.Y1)
		link(segs, whole)
		stuffG, objG := groups(segs, ents)
		plan := c.plan(segs, ents, described)
		score, revision := crit.score(k, b, segs, len(stuffG)+len(objG))
		reg := schema.Region{
			Index: int32(b.Index), Name: b.Name, TokenRowStart: int32(b.TokenRowStart), TokenRowEnd: int32(b.TokenRowEnd),
			Y0: int32(b.Y0), Y1: int32(b.Y1), Caption: it.BandCaptions[k], Plan: plan, Critic: score,
			RevisedPlan: plan, Objects: []schema.Object{},
		}
		if int(score.Score) < c.theta {
			reg.Reflected = true
			reg.RevisedPlan = cleanAnchors(plan + " " + revision)
		}
		for _, s := range segs {
			label := s.noun
			if s.entity >= 0 {
				label = ents[s.entity].Noun
			} else if n, generic := genericNoun(s.noun); !generic {
				label = n
			}
			reg.Objects = append(reg.Objects, schema.Object{
				Label: label, Class: s.noun, Score: float32(s.conf), PixelFraction: float32(s.fraction), Color: s.color,
				BBox: schema.BBox{X0: int32(float64(s.x0) * sx), Y0: int32(float64(s.y0) * sy), X1: int32(float64(s.x1) * sx), Y1: int32(float64(s.y1) * sy)},
			})
		}
		rec.Regions = append(rec.Regions, reg)
	}
	img, err := encodeJPEG(it.Canvas, c.jpegQuality)
	if err != nil {
		return fmt.Errorf("encode canvas: %w", err)
	}
	rec.Image = schema.Image{Bytes: img, Path: it.Key + ".jpg"}
	it.Record = rec
	it.Canvas = nil
	return nil
}

// phrase describes one group of like segments.
type group struct {
	color, noun string
	count       int
	entity      int
}

func groups(segs []*segment, ents []schema.Entity) (stuff, objs []group) {
	idx := map[string]int{}
	for _, s := range segs {
		noun := s.noun
		if s.entity >= 0 {
			noun = ents[s.entity].Noun
		} else if n, generic := genericNoun(s.noun); generic {
			noun = strings.TrimSpace(s.shape + " object")
		} else {
			noun = n
		}
		key := fmt.Sprint(s.stuff, s.color, noun)
		if i, ok := idx[key]; ok {
			if s.stuff {
				stuff[i].count++
			} else {
				objs[i].count++
			}
			continue
		}
		g := group{color: s.color, noun: noun, count: 1, entity: s.entity}
		if s.stuff {
			idx[key] = len(stuff)
			stuff = append(stuff, g)
		} else {
			idx[key] = len(objs)
			objs = append(objs, g)
		}
	}
	return stuff, objs
}

var countWords = []string{"no", "a", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}

func countWord(n int, next string) string {
	if n == 1 {
		if next != "" && strings.ContainsRune("aeiou", rune(next[0])) {
			return "an"
		}
		return "a"
	}
	if n < len(countWords) {
		return countWords[n]
	}
	return fmt.Sprint(n)
}

func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return items[0] + " and " + items[1]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// plan writes τ_k: what is visible in the band, consistent with earlier
// thoughts (a group seen before is "the rest of" it), with no anchor words.
func (c *composer) plan(segs []*segment, ents []schema.Entity, described map[string]bool) string {
	stuff, objs := groups(segs, ents)
	var stuffPh []string
	for _, g := range stuff {
		stuffPh = append(stuffPh, g.color+" "+g.noun)
	}
	var newPh, contPh []string
	for _, g := range objs {
		key := g.color + " " + g.noun
		if described[key] {
			contPh = append(contPh, "the rest of the "+g.color+" "+plural(g.noun, g.count))
			continue
		}
		described[key] = true
		newPh = append(newPh, countWord(g.count, g.color)+" "+g.color+" "+plural(g.noun, g.count))
	}
	var parts []string
	switch {
	case len(newPh) > 0 && len(stuffPh) > 0:
		parts = append(parts, fmt.Sprintf("%s %s out against %s.", capitalize(joinList(newPh)), verb(objs, newPh), joinList(stuffPh)))
	case len(newPh) > 0:
		parts = append(parts, capitalize(joinList(newPh))+" fill the view.")
	case len(stuffPh) == 1:
		parts = append(parts, capitalize(stuffPh[0])+" stretches across the scene, smooth and evenly lit.")
	case len(stuffPh) > 1:
		parts = append(parts, capitalize(joinList(stuffPh))+" meet across the scene, each smooth and evenly lit.")
	}
	if len(contPh) > 0 {
		parts = append(parts, capitalize(joinList(contPh))+" continues, with the same color and clean edges.")
	}
	if len(parts) == 0 {
		return ""
	}
	return cleanAnchors(strings.Join(parts, " "))
}

func verb(objs []group, phrases []string) string {
	if len(phrases) == 1 && len(objs) > 0 && objs[0].count == 1 {
		return "stands"
	}
	return "stand"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// cleanAnchors removes any anchor word a segmenter label may have carried in.
func cleanAnchors(s string) string {
	s = AnchorPattern.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}

// relationHolds checks a predicate on two boxes in map cells.
func relationHolds(pred string, a, b *segment) bool {
	ax, ay := float64(a.x0+a.x1)/2, float64(a.y0+a.y1)/2
	bx, by := float64(b.x0+b.x1)/2, float64(b.y0+b.y1)/2
	switch pred {
	case "on the left of":
		return ax < bx
	case "on the right of":
		return ax > bx
	case "on the top of", "on top of", "above", "on":
		return ay < by
	case "on the bottom of", "below", "under", "beneath":
		return ay > by
	}
	return true // next to, near, in front of...: adjacency is all a 2-D box shows
}

func pct(f float64) int {
	return int(math.Round(100 * math.Max(0, math.Min(1, f))))
}

// SampleID is the stable id of an input key.
func SampleID(key string) string {
	h := sha256.Sum256([]byte("twigdata/sample\x00" + key))
	return hex.EncodeToString(h[:16])
}

func encodeJPEG(img *image.RGBA, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
