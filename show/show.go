// Package show writes one self-contained HTML page of a dataset for people
// to look at before they train on it: its figures over every row
// (histograms of the critic's scores per criterion, the reflection rate,
// blur, alignment), a gallery of a seeded sample of its rows — each canvas
// with its region bands and object masks drawn over it, each region's plan,
// sub-scores and revision — filterable in the page, and its rejects grouped
// by reason. It streams the dataset one shard at a time, from a folder or
// s3://, and the page needs no network and no server.
package show

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// criteria are the critic's five, as its critiques' unverified lists name
// them.
var criteria = []string{"color", "completeness", "detail", "spatial", "coherence"}

// examplesPerReason are the rejects the page shows of each reason.
const examplesPerReason = 4

// maxShardBytes bounds how much of one shard is read into memory at once.
const maxShardBytes = 8 << 30

// Histogram counts values in equal bins over [Min, Max].
type Histogram struct {
	Name     string
	Min, Max float64
	Counts   []int
	Labels   []string
	Skipped  int // values outside the range (blur -1: not judged)
}

func newHistogram(name string, lo, hi float64, bins int) *Histogram {
	h := &Histogram{Name: name, Min: lo, Max: hi, Counts: make([]int, bins)}
	for i := 0; i < bins; i++ {
		a := lo + (hi-lo)*float64(i)/float64(bins)
		h.Labels = append(h.Labels, strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", a), "0"), ".0"))
	}
	return h
}

func (h *Histogram) add(v float64) {
	if v < h.Min || v > h.Max {
		h.Skipped++
		return
	}
	i := int((v - h.Min) / (h.Max - h.Min) * float64(len(h.Counts)))
	h.Counts[min(i, len(h.Counts)-1)]++
}

// RejectGroup is the rejects of one reason: how many, and a few of them.
type RejectGroup struct {
	Stage    string
	Reason   string
	Count    int
	Examples []RejectItem
}

// RejectItem is one reject shown on the page.
type RejectItem struct {
	Key    string
	Detail string
	// Thumb is a small JPEG of its image as a data URI, when the image
	// was found and decodes; "" otherwise.
	Thumb string
}

// Data is what the page shows.
type Data struct {
	Dataset                              string
	Samples, Regions, Reflected, Rejects int
	Histograms                           []*Histogram
	Gallery                              []Card
	RejectGroups                         []RejectGroup
	Theta                                int
	ToolVersion                          string
	Warnings                             []string

	rng                 *rand.Rand
	galleryN            int
	scores, blur, align *Histogram
	criteria            []*Histogram
}

// Card is one sample of the gallery.
type Card struct {
	ID        string
	Key       string
	Prompt    string
	Image     string // data URI of the canvas
	W         int
	H         int
	Blur      float32
	Alignment float32
	Regions   []CardReg
}

// CardReg is one region of a gallery sample.
type CardReg struct {
	Name      string
	Band      [2]int32
	Plan      string
	Revised   string
	Reflected bool
	Critic    schema.Critic
	Objects   []CardObject
}

// CardObject is an object drawn over the canvas: its label and its mask as
// cell rectangles [x, y, w, h] in canvas pixels.
type CardObject struct {
	Label string
	Color string
	Cells [][4]int32
}

// Options are the page's choices.
type Options struct {
	Gallery int   // samples in the gallery, chosen by Seed; default 24
	Seed    int64 // default 1
	// Image, when set, returns an input's image bytes by its reject key,
	// for the rejects' thumbnails; nil shows none.
	Image func(ctx context.Context, key string) ([]byte, bool)
}

// Gather streams a dataset and collects what the page shows: figures over
// every row, a reservoir sample of Options.Gallery rows, rejects by reason.
func Gather(ctx context.Context, b storage.Reader, name string, o Options) (*Data, error) {
	if o.Gallery <= 0 {
		o.Gallery = 24
	}
	d := &Data{Dataset: name, rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x7769_6773)), galleryN: o.Gallery}
	var m schema.Manifest
	data, err := storage.ReadAll(ctx, b, schema.ManifestKey, 64<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: no readable manifest.json (%w): show reads a finished dataset (point it at the folder or prefix a build wrote)", name, err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest.json is not valid JSON: %w", name, err)
	}
	d.Theta, d.ToolVersion, d.Warnings = m.Canvas.Theta, m.ToolVersion, m.Warnings
	d.scores = newHistogram("region score r", 0, 100, 10)
	for _, c := range criteria {
		d.criteria = append(d.criteria, newHistogram(c, 0, 100, 10))
	}
	d.blur = newHistogram("blur (0 crisp … 1 blurred)", 0, 1, 10)
	d.align = newHistogram("alignment", 0, 1, 10)
	files := map[schema.Table][]string{}
	for _, s := range m.Shards {
		files[s.Kind] = append(files[s.Kind], s.Path)
	}
	for _, t := range []schema.Table{schema.Samples, schema.Rejects} {
		sort.Strings(files[t])
	}
	for _, key := range files[schema.Samples] {
		if err := streamShard(ctx, b, key, d.addSample); err != nil {
			return nil, err
		}
	}
	groups := map[string]*RejectGroup{}
	for _, key := range files[schema.Rejects] {
		err := streamShard(ctx, b, key, func(r *schema.Reject) {
			d.Rejects++
			g := groups[r.Reason]
			if g == nil {
				g = &RejectGroup{Stage: r.Stage, Reason: r.Reason}
				groups[r.Reason] = g
			}
			g.Count++
			if len(g.Examples) < examplesPerReason {
				item := RejectItem{Key: r.Key, Detail: r.Detail}
				if o.Image != nil {
					if key, err := schema.UnescapeKey(r.Key); err == nil {
						if img, ok := o.Image(ctx, key); ok {
							item.Thumb = thumbnail(img)
						}
					}
				}
				g.Examples = append(g.Examples, item)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, g := range groups {
		d.RejectGroups = append(d.RejectGroups, *g)
	}
	sort.Slice(d.RejectGroups, func(i, j int) bool {
		a, c := d.RejectGroups[i], d.RejectGroups[j]
		return a.Count > c.Count || a.Count == c.Count && a.Reason < c.Reason
	})
	d.Histograms = append(append([]*Histogram{d.scores}, d.criteria...), d.blur, d.align)
	sort.Slice(d.Gallery, func(i, j int) bool { return d.Gallery[i].Key < d.Gallery[j].Key })
	return d, ctx.Err()
}

// streamShard reads one shard and hands each row to fn.
func streamShard[T any](ctx context.Context, b storage.Reader, key string, fn func(*T)) error {
	data, err := storage.ReadAll(ctx, b, key, maxShardBytes)
	if err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	return schema.Stream(bytes.NewReader(data), int64(len(data)), func(_ int, row *T) error {
		fn(row)
		return ctx.Err()
	})
}

// addSample counts a sample into the figures and, by reservoir sampling,
// maybe into the gallery.
func (d *Data) addSample(s *schema.Sample) {
	d.Samples++
	d.blur.add(float64(s.Blur))
	d.align.add(float64(s.Alignment))
	for _, r := range s.Regions {
		d.Regions++
		if r.Reflected {
			d.Reflected++
		}
		d.scores.add(float64(r.Critic.Score))
		for i, v := range []int32{r.Critic.Color, r.Critic.Completeness, r.Critic.Detail, r.Critic.Spatial, r.Critic.Coherence} {
			if slices.Contains(r.Critic.Unverified, criteria[i]) {
				d.criteria[i].Skipped++ // scored 0 but not judged: no figure
				continue
			}
			d.criteria[i].add(float64(v))
		}
	}
	switch {
	case len(d.Gallery) < d.galleryN:
		d.Gallery = append(d.Gallery, cardOf(s))
	default:
		if j := d.rng.IntN(d.Samples); j < d.galleryN {
			d.Gallery[j] = cardOf(s)
		}
	}
}

// cardOf is a sample as the gallery shows it.
func cardOf(s *schema.Sample) Card {
	c := Card{ID: s.ID, Key: s.Key, Prompt: s.Prompt, W: int(s.CanvasWidth), H: int(s.CanvasHeight), Blur: s.Blur, Alignment: s.Alignment,
		Image: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(s.Image.Bytes)}
	for _, r := range s.Regions {
		cr := CardReg{Name: r.Name, Band: [2]int32{r.Y0, r.Y1}, Plan: r.Plan, Revised: r.RevisedPlan, Reflected: r.Reflected, Critic: r.Critic}
		for _, o := range r.Objects {
			cr.Objects = append(cr.Objects, CardObject{Label: o.Label, Color: o.Color, Cells: cells(o.Mask, c.W, c.H)})
		}
		c.Regions = append(c.Regions, cr)
	}
	return c
}

// cells are a mask's runs of cells, down each column, as rectangles in
// canvas pixels: one rectangle per run inside.
func cells(m schema.Mask, w, h int) [][4]int32 {
	if m.Width <= 0 || m.Height <= 0 {
		return nil
	}
	cw, ch := float64(w)/float64(m.Width), float64(h)/float64(m.Height)
	var out [][4]int32
	at, inside := int32(0), false
	for _, run := range m.Counts {
		if inside {
			for run > 0 {
				x, y := at/m.Height, at%m.Height
				n := min(run, m.Height-y) // a run may wrap into the next column
				out = append(out, [4]int32{int32(float64(x) * cw), int32(float64(y) * ch), int32(cw + 0.5), int32(float64(n)*ch + 0.5)})
				at, run = at+n, run-n
			}
		} else {
			at += run
		}
		inside = !inside
	}
	return out
}
