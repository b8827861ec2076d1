package validate

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"strings"

	"golang.org/x/image/draw"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/stages/prompt"
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
	entries   []*BankEntry
	objects   map[string][]BankObject // by phrase
	colors    map[string]bool         // the color parts of the phrases ("light blue")
	labels    map[string]bool         // their last words ("ball")
	templates plan.Templates          // how revisions are worded, to read them back
}

// NewBankGenerator indexes the regions and their objects; it reads revisions
// written with templates.
func NewBankGenerator(entries []BankEntry, templates plan.Templates) *BankGenerator {
	g := &BankGenerator{objects: map[string][]BankObject{}, colors: map[string]bool{}, labels: map[string]bool{}, templates: templates}
	for i := range entries {
		e := entries[i]
		e.words = contentWords(e.Plan)
		g.entries = append(g.entries, &e)
		for _, o := range e.Objects {
			o.SampleID = e.SampleID
			g.objects[o.Phrase] = append(g.objects[o.Phrase], o)
			f := strings.Fields(o.Phrase)
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

// contentWords are what a text says is there: the nouns and attributes of
// its noun phrases, read with the prompt parser (plans are written in the
// words prompts are), nouns in the singular.
func contentWords(text string) map[string]bool {
	w := map[string]bool{}
	for _, e := range prompt.Parse(text).Entities {
		addWords(w, e)
	}
	return w
}

// addWords adds an entity's noun and attributes to w, in the singular.
func addWords(w map[string]bool, e schema.Entity) {
	for _, a := range append(e.Attributes, e.Noun) {
		if len(a) > 1 {
			w[english.Singular(a, 2)] = true
		}
	}
}

// wantedWords are the content words of what a plan or revision asks to be
// drawn: its describing sentences' and, of its fixes, the wanted colour and
// noun of a recolouring and the missing entities — not the colour a fix
// says is wrong, which would pull the background toward regions of it.
func (g *BankGenerator) wantedWords(text string) map[string]bool {
	describe, fixes := g.templates.Read(text)
	w := contentWords(strings.Join(describe, " "))
	for _, f := range fixes {
		switch f.Kind {
		case critic.FixColor:
			addWords(w, schema.Entity{Noun: f.Noun, Attributes: strings.Fields(f.Want)})
		case critic.FixMissing, critic.FixDetail:
			for _, e := range f.Missing {
				addWords(w, e)
			}
		}
	}
	return w
}

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

// objectsOf reads the "colour noun" phrases a plan or revision asks for,
// with counts, in order: the thought's noun phrases through the prompt
// parser, then the revision's fixes through the plan templates — a colour fix
// recolours the phrase already listed, a missing fix adds its phrases, a
// swap reverses the order.
func (g *BankGenerator) objectsOf(text string) []string {
	describe, fixes := g.templates.Read(text)
	var out []string
	for _, s := range describe {
		for _, e := range prompt.Parse(s).Entities {
			out = append(out, g.phrases(e)...)
		}
	}
	swap := false
	for _, f := range fixes {
		switch f.Kind {
		case critic.FixColor:
			noun := english.Singular(f.Noun, 2)
			old, repl := f.Got+" "+noun, f.Want+" "+noun
			found := false
			for k, p := range out {
				if p == old {
					out[k], found = repl, true
				}
			}
			if !found {
				// The thing showed in the drawn region (the background
				// brought it) but the thought did not list it: draw it
				// in the wanted colour.
				out = append(out, g.phrases(schema.Entity{Noun: noun, Count: 1, Attributes: strings.Fields(f.Want)})...)
			}
		case critic.FixMissing:
			for _, e := range f.Missing {
				out = append(out, g.phrases(e)...)
			}
		case critic.FixSwap:
			swap = true
		}
	}
	if swap {
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	return out
}

// phrases are an entity's "colour noun" phrase, once per instance, when the
// bank has such objects or can compose them from a colour and a kind it knows.
func (g *BankGenerator) phrases(e schema.Entity) []string {
	color, noun := colour.Of(e.Attributes), english.Singular(e.Noun, 2)
	if color == "" {
		return nil
	}
	phrase := color + " " + noun
	if _, known := g.objects[phrase]; !known && !(g.colors[color] && g.labels[noun]) {
		return nil
	}
	out := make([]string, max(int(e.Count), 1))
	for i := range out {
		out[i] = phrase
	}
	return out
}

// Generate composes the region: background, objects, seam blend.
func (g *BankGenerator) Generate(ctx context.Context, req GenerateRequest) (*image.RGBA, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan := req.Plans[len(req.Plans)-1]
	want := g.wantedWords(plan)
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
