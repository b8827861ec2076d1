package heldout

import (
	"fmt"
	"image"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/imageproc"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Bands are the world's regions: the build's default schedule.
var Bands = imageproc.Bands(Size, 16, 3)

// Compose writes each band's plan, critique and revision from a label map
// with the build's own composer (compose.Composer.Regions, no captions: the
// held-apart world has no captioner), so the report measures the code that
// ships. A revision is the plan where the region was not reflected, as in a
// dataset.
func Compose(img *image.RGBA, m evidence.LabelMap, labels []string, kinds []evidence.Kind, promptText string, grounded []evidence.Grounding) (plans []string, scores []schema.Critic, revised []string) {
	c := compose.Composer{Theta: critic.DefaultTheta, Labels: labels, Kinds: kinds, Templates: plan.DefaultTemplates()}
	regions, _ := c.Regions(img, prompt.Parse(promptText), Bands, compose.Annotations{Map: m, Groundings: grounded})
	for _, r := range regions {
		plans, scores, revised = append(plans, r.Plan), append(scores, r.Critic), append(revised, r.RevisedPlan)
	}
	return plans, scores, revised
}

// PlanStats gathers the plan report's figures over many plans.
type PlanStats struct {
	words                     []int
	distinct                  map[string]bool
	truths                    map[string]bool // distinct region truths: the ceiling of distinct plans
	plans                     int
	said, right, salient, hit int // plan entities, those the truth shows; salient truth entities, those the plan names
	colors, colorsRight       int
	placeholders, countedMass int
	Examples                  []string // a few plans with their truth, for the eye
	MassExamples              []string // plans that count a mass noun
}

var placeholder = regexp.MustCompile(`(?i)\b(object|objects|thing|things|stuff)\b`)

var countWords = regexp.MustCompile(`(?i)^(a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|many|\d+)$`)

// Add judges one plan against the truth of its region. The truth's salient
// entities — at most three things and two kinds of scenery, the largest,
// as a plan may name — are what recall counts.
func (p *PlanStats) Add(planText string, truth []Entity) {
	if p.distinct == nil {
		p.distinct, p.truths = map[string]bool{}, map[string]bool{}
	}
	p.plans++
	p.distinct[planText] = true
	p.truths[fmt.Sprintf("%v", truth)] = true
	p.words = append(p.words, len(strings.Fields(planText)))
	p.placeholders += len(placeholder.FindAllString(planText, -1))
	// Counted mass nouns: a count word before a mass noun, adjectives between.
	words := strings.Fields(strings.ToLower(strings.NewReplacer(".", " . ", ",", " , ", ";", " ; ").Replace(planText)))
	for i, w := range words {
		if !english.IsMass(w) {
			continue
		}
		for j := i - 1; j >= 0 && j >= i-4; j-- {
			if countWords.MatchString(words[j]) {
				p.countedMass++
				p.MassExamples = append(p.MassExamples, planText)
				break
			}
			if words[j] == "the" || words[j] == "and" || words[j] == "," || words[j] == "." || words[j] == ";" {
				break
			}
		}
	}
	byNoun := map[string]Entity{}
	for _, e := range truth {
		byNoun[e.Noun] = e
	}
	named := map[string]bool{}
	for _, e := range prompt.Parse(planText).Entities {
		noun := english.Lemma(e.Noun) // the truth's nouns are singular
		if named[noun] {
			continue
		}
		named[noun] = true
		p.said++
		t, ok := byNoun[noun]
		if !ok {
			continue
		}
		p.right++
		if c := colour.Of(e.Attributes); c != "" && !t.Stuff {
			p.colors++
			base := c[strings.LastIndex(c, " ")+1:]
			for _, tc := range t.Colors {
				if tc == base {
					p.colorsRight++
					break
				}
			}
		}
	}
	for _, e := range Salient(truth) {
		p.salient++
		if named[e.Noun] {
			p.hit++
		}
	}
	if len(p.Examples) < 6 && p.plans%7 == 1 {
		var tr []string
		for _, e := range truth {
			if e.Stuff {
				tr = append(tr, e.Noun)
			} else {
				tr = append(tr, fmt.Sprintf("%d %s %s", e.Count, strings.Join(e.Colors, "/"), e.Noun))
			}
		}
		p.Examples = append(p.Examples, fmt.Sprintf("%q  [truth: %s]", planText, strings.Join(tr, ", ")))
	}
}

// Salient are a region truth's entities a plan may name, what recall
// counts: at most three things and two kinds of scenery, in the truth's
// order (the largest first).
func Salient(truth []Entity) []Entity {
	var out []Entity
	things, stuff := 0, 0
	for _, e := range truth {
		switch {
		case e.Stuff && stuff < 2:
			stuff++
		case !e.Stuff && things < 3:
			things++
		default:
			continue
		}
		out = append(out, e)
	}
	return out
}

// Figures are the report's numbers.
type Figures struct {
	Precision, Recall, ColorAccuracy float64
	MeanWords, P90Words              float64
	Distinct                         float64
	DistinctTruths                   float64 // regions whose truth differs from every other's: what distinct plans can reach
	Placeholders, CountedMass        int
	Short                            int // plans under 8 words
	Plans                            int
}

// Figures computes the report's numbers.
func (p PlanStats) Figures() Figures {
	ratio := func(a, b int) float64 {
		if b == 0 {
			return math.NaN()
		}
		return float64(a) / float64(b)
	}
	f := Figures{Precision: ratio(p.right, p.said), Recall: ratio(p.hit, p.salient), ColorAccuracy: ratio(p.colorsRight, p.colors),
		Distinct: ratio(len(p.distinct), p.plans), DistinctTruths: ratio(len(p.truths), p.plans), Placeholders: p.placeholders, CountedMass: p.countedMass, Plans: p.plans}
	if len(p.words) > 0 {
		w := append([]int(nil), p.words...)
		sort.Ints(w)
		sum := 0
		for _, v := range w {
			sum += v
		}
		f.MeanWords = float64(sum) / float64(len(w))
		f.P90Words = float64(w[(len(w)*9)/10])
		for _, v := range w {
			if v < 8 {
				f.Short++
			}
		}
	}
	return f
}

// Line is the figures as one row of the report.
func (f Figures) Line(name string) string {
	return fmt.Sprintf("%-34s %5d  %5.3f  %5.3f  %5.3f  %5.1f  %4.0f  %4d  %5.1f%% of %5.1f%%  %4d  %4d", name, f.Plans, f.Precision, f.Recall, f.ColorAccuracy,
		f.MeanWords, f.P90Words, f.Short, 100*f.Distinct, 100*f.DistinctTruths, f.Placeholders, f.CountedMass)
}

// Header names the columns of Line; "<8" counts plans under 8 words;
// "distinct" is the share of distinct plans of the share of regions with a
// distinct truth.
const Header = "condition                          plans  prec.  recall colour words  p90    <8  distinct (of truths)  plch  mass"

// Defect is one controlled change to a clean scene, the band that holds the
// damaged thing's centre (the regions it changed are Changed's) and the
// criterion that must catch it.
type Defect struct {
	Kind      string
	Scene     Scene
	Band      int
	Criterion string
}

// Changed reports, band by band, whether a defect changed the region: it
// holds at least a tenth of the pixels that differ between the clean render
// a and the damaged scene's render b. A defect lands in every region it changed (an erased
// thing that crosses a seam is missing from both regions), not only in the
// one that holds its centre.
func Changed(a, b *image.RGBA) []bool {
	counts := make([]int, len(Bands))
	total := 0
	for k, band := range Bands {
		for y := band.Y0; y < band.Y1; y++ {
			for x := 0; x < Size; x++ {
				if o := a.PixOffset(x, y); [4]uint8(a.Pix[o:o+4]) != [4]uint8(b.Pix[o:o+4]) {
					counts[k]++
				}
			}
		}
		total += counts[k]
	}
	out := make([]bool, len(Bands))
	for k, n := range counts {
		out[k] = n > 0 && n*10 >= total
	}
	return out
}

// bandOf is the band holding canvas row fraction v.
func bandOf(v float64) int {
	y := int(v * Size)
	for k, b := range Bands {
		if y >= b.Y0 && y < b.Y1 {
			return k
		}
	}
	return len(Bands) - 1
}

// Defects makes the controlled defects of a clean scene: recolour an
// instance the prompt names, erase one, swap a left/right pair, draw the
// thing meant to be in front behind the other (where the drawing order
// shows), and cast a colour over the lower third (where something runs
// across its top).
func Defects(s Scene, i int) []Defect {
	var out []Defect
	named := len(s.Instances) - 1 // the last drawn is always a prompt entity
	in := s.Instances[named]
	rc := s
	rc.Instances = append([]Instance(nil), s.Instances...)
	rc.Instances[named].Paint, rc.Instances[named].Finish = farPaint(in.Paint), Solid
	out = append(out, Defect{"recolour", rc, bandOf(in.V), critic.CritColor})
	if !strings.Contains(s.Prompt, "in front of") {
		er := s
		er.Instances = append(append([]Instance(nil), s.Instances[:named]...), s.Instances[named+1:]...)
		out = append(out, Defect{"erase", er, bandOf(in.V), critic.CritCompleteness})
	}
	if strings.Contains(s.Prompt, "on the left of") {
		sw := s
		sw.Instances = append([]Instance(nil), s.Instances...)
		a, b := len(sw.Instances)-2, len(sw.Instances)-1
		sw.Instances[a].U, sw.Instances[b].U = sw.Instances[b].U, sw.Instances[a].U
		out = append(out, Defect{"swap", sw, bandOf(in.V), critic.CritSpatial})
	}
	if strings.Contains(s.Prompt, "in front of") && visibleOverlap(s.Instances[len(s.Instances)-2], s.Instances[len(s.Instances)-1]) {
		dp := s
		dp.Instances = append([]Instance(nil), s.Instances...)
		a, b := len(dp.Instances)-2, len(dp.Instances)-1
		dp.Instances[a], dp.Instances[b] = dp.Instances[b], dp.Instances[a]
		out = append(out, Defect{"depth", dp, bandOf(in.V), critic.CritSpatial})
	}
	if _, truth := s.Render(); continuesAcross(truth, 2*Size/3) {
		cast := s
		cast.Cast = true
		out = append(out, Defect{"seam", cast, 2, critic.CritCoherence})
	}
	return out
}

// continuesAcross reports whether one surface or thing runs across canvas
// row y: the same label and instance on the four rows above it and the four
// from it down, in at least a tenth of the columns. A colour cast that
// begins where a new surface begins (a horizon on the seam) breaks no
// continuity: the image shows a surface of another colour, no defect, so
// none is injected there.
func continuesAcross(t Truth, y int) bool {
	n := 0
	for x := 0; x < Size; x++ {
		p := (y-4)*Size + x
		same := true
		for yy := y - 3; yy < y+4 && same; yy++ {
			q := yy*Size + x
			same = t.Label[q] == t.Label[p] && t.Instance[q] == t.Instance[p]
		}
		if same {
			n++
		}
	}
	return n >= Size/10
}

// visibleOverlap reports whether two instances overlap enough that their
// drawing order shows: the shared pixels are at least 5% of the smaller
// one's. Redrawing instances that barely touch in the other order changes a
// few pixels or none — no defect an image shows, so none is injected.
func visibleOverlap(a, b Instance) bool {
	var na, nb, both int
	for y := 0; y < Size; y++ {
		for x := 0; x < Size; x++ {
			u, v := (float64(x)+0.5)/Size, (float64(y)+0.5)/Size
			ia := Things[a.Thing].shape(u-a.U, v-a.V, a.R)
			ib := Things[b.Thing].shape(u-b.U, v-b.V, b.R)
			if ia {
				na++
			}
			if ib {
				nb++
			}
			if ia && ib {
				both++
			}
		}
	}
	return both > 0 && float64(both) >= 0.05*float64(min(na, nb))
}

// farPaint is the palette colour farthest from paint p.
func farPaint(p int) int {
	best, bestD := p, -1
	a := Palette[p].RGB
	for i, q := range Palette {
		b := q.RGB
		d := absInt(int(a.R)-int(b.R)) + absInt(int(a.G)-int(b.G)) + absInt(int(a.B)-int(b.B))
		if d > bestD {
			best, bestD = i, d
		}
	}
	return best
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
