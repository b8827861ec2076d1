package annotators

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"strings"

	"golang.org/x/image/draw"
)

// Generator renders one region of an image from the plans written so far,
// the way a TwiG generator conditions on τ_≤k and on the regions above.
type Generator interface {
	// Name identifies the generator in reports.
	Name() string
	// Generate returns the pixels of region req.K (width × (Y1−Y0)). It MUST
	// NOT see the prompt; only plans and the canvas rendered so far.
	Generate(ctx context.Context, req GenerateRequest) (*image.RGBA, error)
}

// GenerateRequest is one region to render.
type GenerateRequest struct {
	Plans   []string    // τ_1..τ_k; the last is the region's own
	K       int         // region index
	Y0, Y1  int         // pixel rows of the region
	Canvas  *image.RGBA // the image so far: rows above Y0 are rendered
	Exclude string      // a sample the generator must not copy from (leave-one-out)
	Seed    int64
}

// BankEntry is one region crop of a dataset with the plan that describes it
// and the objects found in it.
type BankEntry struct {
	SampleID string
	Index    int
	Plan     string
	Pixels   *image.RGBA
	Objects  []BankObject
	words    map[string]bool
}

// BankObject is one object of a region: its "color label" phrase, its pixels
// (the bounding box) and where it sat, relative to the region.
type BankObject struct {
	Phrase     string
	Pixels     *image.RGBA
	Box        image.Rectangle // in the region's coordinates
	Background color.RGBA      // the scenery around it: crop pixels of this color are not pasted
	SampleID   string
}

// BankGenerator is a non-parametric reference generator. For each region it
// takes a background from the dataset region whose plan says the most similar
// things, with that region's own objects painted out, and pastes one object
// crop for every "color noun" phrase the plan asks for, in the plan's order
// (left to right) and counts. It never copies from the sample being replayed,
// needs no download, runs on any CPU and is deterministic for a seed.
type BankGenerator struct {
	entries []*BankEntry
	objects map[string][]BankObject // by phrase
	maxLen  int                     // longest phrase, in words
	colors  map[string]bool         // the color parts of the phrases ("light blue")
	labels  map[string]bool         // their last words ("ball")
}

// NewBankGenerator indexes the regions and their objects.
func NewBankGenerator(entries []BankEntry) *BankGenerator {
	g := &BankGenerator{objects: map[string][]BankObject{}, colors: map[string]bool{}, labels: map[string]bool{}}
	for i := range entries {
		e := entries[i]
		e.words = contentWords(e.Plan)
		g.entries = append(g.entries, &e)
		for _, o := range e.Objects {
			o.SampleID = e.SampleID
			g.objects[o.Phrase] = append(g.objects[o.Phrase], o)
			f := strings.Fields(o.Phrase)
			g.maxLen = max(g.maxLen, len(f))
			if len(f) >= 2 {
				g.colors[strings.Join(f[:len(f)-1], " ")] = true
				g.labels[f[len(f)-1]] = true
			}
		}
	}
	return g
}

// Name describes the generator in reports.
func (g *BankGenerator) Name() string {
	return "bank-composite (non-parametric: dataset backgrounds and object crops picked by the plan, leave-one-out)"
}

var fillerWords = map[string]bool{"a": true, "an": true, "the": true, "and": true, "of": true, "with": true, "it": true,
	"is": true, "are": true, "stand": true, "stands": true, "out": true, "against": true, "stretches": true, "across": true,
	"scene": true, "smooth": true, "evenly": true, "lit": true, "meet": true, "each": true, "rest": true, "continues": true,
	"same": true, "color": true, "clean": true, "edges": true, "must": true, "also": true, "show": true, "drawn": true,
	"whole": true, "clearly": true, "fill": true, "view": true}

func tokens(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '-')
	})
}

func singularWord(w string) string {
	switch {
	case strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 3:
		return w[:len(w)-1]
	}
	return w
}

// contentWords are the words of a plan that say what is there.
func contentWords(plan string) map[string]bool {
	w := map[string]bool{}
	for _, f := range tokens(plan) {
		if !fillerWords[f] && len(f) > 1 {
			w[singularWord(f)] = true
		}
	}
	return w
}

// Similarity is the Jaccard overlap of two plans' content words.
func Similarity(a, b string) float64 { return jaccard(contentWords(a), contentWords(b)) }

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

func tieBreak(seed int64, parts ...any) uint64 {
	h := sha256.Sum256([]byte(fmt.Sprint(seed, parts)))
	return binary.BigEndian.Uint64(h[:8])
}

var counts = map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}

// objectsOf reads the plan's object phrases, with counts, in order. It
// understands the critic's revisions: "The ball is orange, not white." puts
// an orange ball where the white one was; "… trade places …" reverses the
// order.
func (g *BankGenerator) objectsOf(plan string) []string {
	toks := tokens(plan)
	for i := range toks {
		toks[i] = singularWord(toks[i])
	}
	var out []string
	swap := false
	for i := 0; i < len(toks); i++ {
		// "the X is C not D": recolor the D X already listed.
		if toks[i] == "the" && i+3 < len(toks) && toks[i+2] == "is" {
			noun := toks[i+1]
			var want []string
			j := i + 3
			for ; j < len(toks) && toks[j] != "not"; j++ {
				want = append(want, toks[j])
			}
			if j < len(toks) {
				var was []string
				for k := j + 1; k < len(toks) && len(was) < 2 && toks[k] != "the" && toks[k] != "it"; k++ {
					was = append(was, toks[k])
				}
				old, repl := strings.Join(append(was, noun), " "), strings.Join(append(want, noun), " ")
				for k, p := range out {
					if p == old {
						out[k] = repl
					}
				}
				i = j
				continue
			}
		}
		if toks[i] == "trade" {
			swap = true
		}
		for n := g.maxLen; n >= 1; n-- {
			if i+n > len(toks) {
				continue
			}
			phrase := strings.Join(toks[i:i+n], " ")
			_, known := g.objects[phrase]
			// A color and a kind the bank knows apart ("a blue cone" when only
			// red cones and blue balls exist) are composed by Generate.
			if !known && n >= 2 && g.colors[strings.Join(toks[i:i+n-1], " ")] && g.labels[toks[i+n-1]] {
				known = true
			}
			if !known {
				continue
			}
			c := 1
			if i > 0 {
				if v, ok := counts[toks[i-1]]; ok {
					c = v
				}
			}
			for k := 0; k < c; k++ {
				out = append(out, phrase)
			}
			i += n - 1
			break
		}
	}
	if swap {
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	return out
}

// Generate composes the region: background, objects, seam blend.
func (g *BankGenerator) Generate(ctx context.Context, req GenerateRequest) (*image.RGBA, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan := req.Plans[len(req.Plans)-1]
	want := contentWords(plan)
	var best *BankEntry
	var bestScore float64
	var bestTie uint64
	for _, e := range g.entries {
		if e.SampleID == req.Exclude {
			continue
		}
		s := jaccard(want, e.words)
		if e.Index == req.K {
			s += 0.05 // the same place in the schedule looks more alike
		}
		t := tieBreak(req.Seed, e.SampleID, e.Index)
		if best == nil || s > bestScore || (s == bestScore && t < bestTie) {
			best, bestScore, bestTie = e, s, t
		}
	}
	if best == nil {
		return nil, fmt.Errorf("the bank has no region outside sample %s", req.Exclude)
	}
	w, h := req.Canvas.Rect.Dx(), req.Y1-req.Y0
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(out, out.Rect, best.Pixels, best.Pixels.Bounds(), draw.Src, nil)
	// Paint the background's own objects out: each box row takes the color
	// just left of the box (the scenery there).
	for _, o := range best.Objects {
		b := o.Box.Intersect(out.Rect)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			fill := out.RGBAAt(max(b.Min.X-2, 0), y)
			if b.Min.X < 2 {
				fill = out.RGBAAt(min(b.Max.X+2, w-1), y)
			}
			for x := b.Min.X; x < b.Max.X; x++ {
				out.SetRGBA(x, y, fill)
			}
		}
	}
	// Paste the plan's objects left to right.
	phrases := g.objectsOf(plan)
	for i, p := range phrases {
		var pick *BankObject
		var pickTie uint64
		for j := range g.objects[p] {
			o := &g.objects[p][j]
			if o.SampleID == req.Exclude {
				continue
			}
			t := tieBreak(req.Seed, o.SampleID, p, i)
			if pick == nil || t < pickTie {
				pick, pickTie = o, t
			}
		}
		var tint *color.RGBA
		if pick == nil {
			// No object of that color and kind outside this sample: take the
			// kind's shape from another color and the color from other kinds.
			pick, tint = g.compose(p, req.Exclude, req.Seed)
		}
		if pick == nil {
			continue
		}
		cx := (2*i + 1) * w / (2 * len(phrases))
		ob := pick.Pixels.Bounds()
		x0 := cx - ob.Dx()/2
		y0 := (pick.Box.Min.Y + pick.Box.Max.Y - ob.Dy()) / 2
		key := pick.Background
		for y := 0; y < ob.Dy(); y++ {
			for x := 0; x < ob.Dx(); x++ {
				c := pick.Pixels.RGBAAt(ob.Min.X+x, ob.Min.Y+y)
				if near(c, key) {
					continue
				}
				if tint != nil {
					c = *tint
				}
				out.SetRGBA(x0+x, y0+y, c)
			}
		}
	}
	// Blend the first rows into the last rendered row above, so the seam is
	// continuous where the new region differs from the one above.
	if req.Y0 > 0 {
		const rows = 8
		for y := 0; y < rows && y < h; y++ {
			t := float64(y+1) / float64(rows+1)
			for x := 0; x < w; x++ {
				a := req.Canvas.RGBAAt(x, req.Y0-1)
				b := out.RGBAAt(x, y)
				mix := func(p, q uint8) uint8 { return uint8(float64(p)*(1-t) + float64(q)*t + 0.5) }
				out.SetRGBA(x, y, color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255})
			}
		}
	}
	return out, nil
}

// compose finds an object of the phrase's kind in another color and the mean
// color of the bank's objects named with the phrase's color words.
func (g *BankGenerator) compose(phrase, exclude string, seed int64) (*BankObject, *color.RGBA) {
	words := strings.Fields(phrase)
	if len(words) < 2 {
		return nil, nil
	}
	label, col := words[len(words)-1], strings.Join(words[:len(words)-1], " ")
	var shape *BankObject
	var shapeTie uint64
	var r, gg, b, n float64
	for p, objs := range g.objects {
		pw := strings.Fields(p)
		for j := range objs {
			o := &objs[j]
			if o.SampleID == exclude {
				continue
			}
			if pw[len(pw)-1] == label {
				if t := tieBreak(seed, o.SampleID, p); shape == nil || t < shapeTie {
					shape, shapeTie = o, t
				}
			}
			if strings.Join(pw[:len(pw)-1], " ") == col {
				bd := o.Pixels.Bounds()
				for y := bd.Min.Y; y < bd.Max.Y; y++ {
					for x := bd.Min.X; x < bd.Max.X; x++ {
						c := o.Pixels.RGBAAt(x, y)
						if !near(c, o.Background) {
							r, gg, b, n = r+float64(c.R), gg+float64(c.G), b+float64(c.B), n+1
						}
					}
				}
			}
		}
	}
	if shape == nil || n == 0 {
		return nil, nil
	}
	c := color.RGBA{uint8(r / n), uint8(gg / n), uint8(b / n), 255}
	return shape, &c
}

func near(a, b color.RGBA) bool {
	d := func(p, q uint8) int {
		if p > q {
			return int(p - q)
		}
		return int(q - p)
	}
	return d(a.R, b.R)+d(a.G, b.G)+d(a.B, b.B) < 40
}
