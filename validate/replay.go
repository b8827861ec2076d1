package validate

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/compose"
)

// ReplayReport is what replaying the TwiG loop found.
type ReplayReport struct {
	Generator          string           `json:"generator"`
	Samples            int              `json:"samples"`
	Regions            int              `json:"regions"`
	SourceMeanScore    float64          `json:"source_mean_score"`    // r_k recorded in the dataset for these regions
	GeneratedMeanScore float64          `json:"generated_mean_score"` // the critic on the generated regions
	ReflectionRate     float64          `json:"reflection_rate"`      // generated regions scoring below θ
	Reflected          int              `json:"reflected"`
	MeanBefore         float64          `json:"mean_score_before_reflection"`
	MeanAfter          float64          `json:"mean_score_after_reflection"`
	MeanChange         float64          `json:"mean_score_change"`
	SpecificityTop1    float64          `json:"plan_specificity_top1"` // plans picking out their own region among all regions
	SpecificityTop5    float64          `json:"plan_specificity_top5"`
	DatasetRegions     int              `json:"dataset_regions"`
	SpecificityQueries int              `json:"plan_specificity_queries"` // regions whose plan was asked (all, up to a bound)
	Reflections        []ReflectionCase `json:"reflections"`              // every reflected region, for reading what helped
}

// ReflectionCase is one generated region that scored below θ.
type ReflectionCase struct {
	Key     string           `json:"key"`
	Region  int              `json:"region"`
	Before  int              `json:"score_before"`
	After   int              `json:"score_after"`
	Revised string           `json:"revised_plan"`
	Critic  [2]schema.Critic `json:"critic_before_after"`
}

// GridRow is one sample for the picture: source, generation, plans and scores.
type GridRow struct {
	Source, Generated *image.RGBA
	Lines             []string
}

// Replayer replays samples through the TwiG loop.
type Replayer struct {
	Gen    Generator
	Scorer *compose.Scorer
	Theta  int
	Seed   int64
	Grid   int // how many grid rows to keep
}

func decodeCanvas(s *schema.Sample) (*image.RGBA, error) {
	img, _, err := image.Decode(bytes.NewReader(s.Image.Bytes))
	if err != nil {
		return nil, err
	}
	c := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(c, c.Rect, img, img.Bounds().Min, draw.Src)
	return c, nil
}

// Usable reports whether a sample can be replayed: its image decodes and it
// has regions (Load reports the others).
func Usable(s *schema.Sample) bool {
	_, _, err := image.DecodeConfig(bytes.NewReader(s.Image.Bytes))
	return err == nil && len(s.Regions) > 0
}

// Bank cuts every region of every sample into a generator bank entry.
func Bank(samples []*schema.Sample) ([]BankEntry, error) {
	var out []BankEntry
	for _, s := range samples {
		c, err := decodeCanvas(s)
		if err != nil {
			return nil, fmt.Errorf("sample %s: %w", s.ID, err)
		}
		for _, r := range s.Regions {
			crop := image.NewRGBA(image.Rect(0, 0, c.Rect.Dx(), int(r.Y1-r.Y0)))
			draw.Draw(crop, crop.Rect, c, image.Pt(0, int(r.Y0)), draw.Src)
			e := BankEntry{SampleID: s.ID, Index: int(r.Index), Plan: r.Plan, Pixels: crop}
			for _, o := range r.Objects {
				box := image.Rect(int(o.BBox.X0), int(o.BBox.Y0), int(o.BBox.X1), int(o.BBox.Y1)).Intersect(c.Rect)
				if box.Dx() >= c.Rect.Dx()*9/10 || box.Empty() {
					continue // scenery, not an object
				}
				px := image.NewRGBA(image.Rect(0, 0, box.Dx(), box.Dy()))
				draw.Draw(px, px.Rect, c, box.Min, draw.Src)
				bx := box.Min.X - 3
				if bx < 0 {
					bx = box.Max.X + 2
				}
				e.Objects = append(e.Objects, BankObject{
					Phrase: o.Color + " " + o.Label, Pixels: px, Box: box.Sub(image.Pt(0, int(r.Y0))),
					Background: c.RGBAAt(min(bx, c.Rect.Dx()-1), (box.Min.Y+box.Max.Y)/2),
				})
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// Choose picks the samples to replay from the ids of the usable ones: n of
// them (0: all) in an order fixed by seed.
func Choose(ids []string, seed int64, n int) []string {
	chosen := append([]string(nil), ids...)
	sort.Strings(chosen)
	rng := rand.New(rand.NewPCG(uint64(seed), 17))
	rng.Shuffle(len(chosen), func(i, j int) { chosen[i], chosen[j] = chosen[j], chosen[i] })
	if n > 0 && n < len(chosen) {
		chosen = chosen[:n]
	}
	return chosen
}

// BankChoice picks the samples the generator's bank is cut from: every one
// when there are at most max, else the max with the smallest hash for seed —
// the bank's pixels are held in memory, so it stays bounded.
func BankChoice(ids []string, seed int64, max int) []string {
	out := append([]string(nil), ids...)
	if max <= 0 || len(out) <= max {
		return out
	}
	sort.Slice(out, func(i, j int) bool { return tieBreak(seed, "bank", out[i]) < tieBreak(seed, "bank", out[j]) })
	return out[:max]
}

// Run replays the chosen samples, in order: each region rendered from the
// plans so far, the whole generation scored by the build's critic, every
// region below θ rendered once more from its revised plan and scored again.
func (rp *Replayer) Run(ctx context.Context, chosen []*schema.Sample) (ReplayReport, []GridRow, error) {
	rep := ReplayReport{Generator: rp.Gen.Name()}
	var grid []GridRow
	var srcSum, genSum, before, after float64
	for _, s := range chosen {
		plans := make([]string, len(s.Regions))
		for k, r := range s.Regions {
			plans[k] = r.Plan
		}
		canvas := image.NewRGBA(image.Rect(0, 0, int(s.CanvasWidth), int(s.CanvasHeight)))
		render := func(k int, plan string) error {
			r := s.Regions[k]
			ps := append(append([]string(nil), plans[:k]...), plan)
			px, err := rp.Gen.Generate(ctx, GenerateRequest{Plans: ps, K: k, Y0: int(r.Y0), Y1: int(r.Y1), Canvas: canvas, Exclude: s.ID, Seed: rp.Seed})
			if err != nil {
				return err
			}
			draw.Draw(canvas, image.Rect(0, int(r.Y0), canvas.Rect.Dx(), int(r.Y1)), px, image.Point{}, draw.Src)
			return nil
		}
		// The TwiG loop: every region rendered from τ_≤k on top of the regions
		// already rendered; then, region by region, the build's critic scores
		// it and, when r_k < θ, it is rendered once more from τ_k plus the
		// critic's fixes and scored again (later regions see the new one).
		for k := range s.Regions {
			if err := render(k, plans[k]); err != nil {
				return rep, nil, err
			}
		}
		rec, err := rp.Scorer.Score(ctx, s.Key, s.Prompt, canvas)
		if err != nil {
			return rep, nil, err
		}
		lines := []string{fmt.Sprintf("%s: %s", s.Key, s.Prompt)}
		for k, src := range s.Regions {
			got := rec.Regions[k]
			g := got.Critic.Score
			srcSum += float64(src.Critic.Score)
			genSum += float64(g)
			rep.Regions++
			line := fmt.Sprintf("#%d source r=%d, generated r=%d", k, src.Critic.Score, g)
			if int(g) < rp.Theta {
				fixes := strings.TrimSpace(strings.TrimPrefix(got.RevisedPlan, got.Plan))
				revised := strings.TrimSpace(plans[k] + " " + fixes)
				if err := render(k, revised); err != nil {
					return rep, nil, err
				}
				if rec, err = rp.Scorer.Score(ctx, s.Key, s.Prompt, canvas); err != nil {
					return rep, nil, err
				}
				again := rec.Regions[k]
				rep.Reflected++
				before += float64(g)
				after += float64(again.Critic.Score)
				line += fmt.Sprintf(", after reflection r=%d", again.Critic.Score)
				rep.Reflections = append(rep.Reflections, ReflectionCase{s.Key, k, int(g), int(again.Critic.Score), revised,
					[2]schema.Critic{got.Critic, again.Critic}})
			}
			lines = append(lines, line, "  "+src.Plan)
		}
		rep.Samples++
		if len(grid) < rp.Grid {
			src, err := decodeCanvas(s)
			if err != nil {
				return rep, nil, err
			}
			grid = append(grid, GridRow{Source: src, Generated: canvas, Lines: lines})
		}
	}
	if rep.Regions > 0 {
		rep.SourceMeanScore = srcSum / float64(rep.Regions)
		rep.GeneratedMeanScore = genSum / float64(rep.Regions)
		rep.ReflectionRate = float64(rep.Reflected) / float64(rep.Regions)
	}
	if rep.Reflected > 0 {
		rep.MeanBefore = before / float64(rep.Reflected)
		rep.MeanAfter = after / float64(rep.Reflected)
		rep.MeanChange = rep.MeanAfter - rep.MeanBefore
	}
	return rep, grid, nil
}

// evidence is what the image shows in a region, independent of its plan: the
// segments' colors and labels and the captioner's words.
func evidence(r schema.Region) string {
	var b strings.Builder
	for _, o := range r.Objects {
		b.WriteString(o.Color + " " + o.Label + " ")
	}
	return b.String() + r.Caption
}
