package annotators

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"sort"
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

// BankEntry is one region crop of a dataset with the plan that describes it.
type BankEntry struct {
	SampleID string
	Index    int
	Plan     string
	Pixels   *image.RGBA
	words    map[string]bool
}

// BankGenerator is a non-parametric reference generator: it answers a plan
// with the dataset region whose own plan says the most similar things (word
// overlap of content words), leaving the sample itself out, and blends the
// region into the one above across the seam. It needs no download, runs on
// any CPU and is deterministic for a seed.
type BankGenerator struct {
	entries []*BankEntry
}

// NewBankGenerator indexes the regions.
func NewBankGenerator(entries []BankEntry) *BankGenerator {
	g := &BankGenerator{}
	for i := range entries {
		e := entries[i]
		e.words = contentWords(e.Plan)
		g.entries = append(g.entries, &e)
	}
	return g
}

// Name is "bank-retrieval".
func (g *BankGenerator) Name() string { return "bank-retrieval (non-parametric, leave-one-out)" }

var fillerWords = map[string]bool{"a": true, "an": true, "the": true, "and": true, "of": true, "with": true, "it": true,
	"is": true, "are": true, "stand": true, "stands": true, "out": true, "against": true, "stretches": true, "across": true,
	"scene": true, "smooth": true, "evenly": true, "lit": true, "meet": true, "each": true, "rest": true, "continues": true,
	"same": true, "color": true, "clean": true, "edges": true, "must": true, "also": true, "show": true, "drawn": true,
	"whole": true, "clearly": true, "fill": true, "view": true}

// contentWords are the words of a plan that say what is there.
func contentWords(plan string) map[string]bool {
	w := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(plan), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '-')
	}) {
		if !fillerWords[f] && len(f) > 1 {
			w[strings.TrimSuffix(f, "s")] = true
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

func tieBreak(seed int64, e *BankEntry) uint64 {
	h := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/%d", seed, e.SampleID, e.Index)))
	return binary.BigEndian.Uint64(h[:8])
}

// Generate retrieves and blends the best-matching region.
func (g *BankGenerator) Generate(ctx context.Context, req GenerateRequest) (*image.RGBA, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	want := contentWords(req.Plans[len(req.Plans)-1])
	type cand struct {
		e     *BankEntry
		score float64
		tie   uint64
	}
	var cs []cand
	for _, e := range g.entries {
		if e.SampleID == req.Exclude {
			continue
		}
		s := jaccard(want, e.words)
		if e.Index == req.K {
			s += 0.05 // the same place in the schedule looks more alike
		}
		cs = append(cs, cand{e, s, tieBreak(req.Seed, e)})
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("the bank has no region outside sample %s", req.Exclude)
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].score != cs[j].score {
			return cs[i].score > cs[j].score
		}
		return cs[i].tie < cs[j].tie
	})
	src := cs[0].e.Pixels
	w, h := req.Canvas.Rect.Dx(), req.Y1-req.Y0
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(out, out.Rect, src, src.Bounds(), draw.Src, nil)
	// Blend the first rows into the last rendered row above, so the seam is
	// continuous where the retrieved region differs from the one above.
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
