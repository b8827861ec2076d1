package heldout

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
)

// split is a run of the world's scenes. Scenes 0–59 are the development
// split: looking at them led to three changes of the critic (colour by the
// share of matching pixels, seams judged above the surface's own texture,
// depth read only from a clear occlusion). Scenes 1000–1119 are the test
// split, first run after those changes. Later changes came from development
// scenes alone: a missing instance is expected where the prompt's relations
// put it, and a depth defect is injected only where the drawing order shows
// in the image (scenes 0–59); a seam cast is injected only where something
// runs across the seam (scenes 60–299, looked at but not printed). The catch
// by regions the defect changed replaced the catch in the centre's region
// after the test split's figures under the latter were known; both are
// printed.
//
// The world was then re-laid (things at any height, scenery in several
// looks), because two regions in five had been the same plain picture and
// distinct plans could not be measured. On its development split three
// changes followed: slivers of a thing at a region's edge are left to the
// region that shows it, a missing thing is expected one size of the found
// one past its edge, and the largest of what continues are kept when
// smaller ones tie. The test split of the re-laid world was run after them.
// Two changes followed, neither from its figures: scenery is named however
// little of it a region shows (validate's plan specificity on the bundled
// sample had fallen), and detail reads "the red apples" as the apples (the
// grammar test). (The test split's figures on the bundled segmenter's output
// had been printed once before the three, by a test run that matched more
// than meant.) More changes came from development scenes after that: colours
// named in CIELAB, a seam judged also by the median signed change across it,
// the larger of like candidates grounding an entity (scenes 60–299), a new
// surface's extent, what continues keeping its first colour words. Since
// those came after scenes 1000–1119 had been looked at, a fresh test split,
// scenes 2000–2119, was run once after them; 1000–1119 is printed as the
// earlier test. Two changes followed that run, found by a check added to the
// grammar test, not by its figures: three things and two kinds of scenery
// in a plan at most, new and continuing together, and a class that reaches
// across the canvas anywhere being scenery in every region.
//
// Distinct plans stayed short of their target on that run (68.6%), and the
// world was why: two regions in five were plain scenery of a few looks, the
// same picture scene after scene. The world was re-laid again, as
// photographs and renders are: things at the size generators draw them,
// clutter of kinds the prompt does not name in two scenes of three, a horizon
// anywhere from two fifths to three quarters down, and no two scenes' sky,
// wall or ground of quite the same shade. On its development split scenery
// was then named by its shade ("dark brown floor", "light gray sky"). Then
// a fresh test split, scenes 3000–3119, was run once; 2000–2119, the test
// split of the world before, is printed as the earlier test (its scenes are
// new pictures in this world, but the code was changed while they were
// known). Scenes 1000–1119 are no longer run. Two changes followed: a colour
// fix for an off part no name of the prompt colour's tells apart (found by
// the grammar test's rule that a reflected region names a fix, on the test
// split), and depth read through a ragged contact, decided on scenes 0–299
// and kept before the test split was run again.
//
// Distinct plans were still short (83.3%), the rest of the repeats plain
// scenery of one look in scenes of like shade. On scenes 0–299 alone,
// scenery was then named as the ISCC–NBS names tell shades apart ("pale
// blue", "bluish gray", "very dark blue" water that had been "black") and
// by the way it shades ("growing lighter downward"). A fresh test split,
// scenes 4000–4119, was run once after that; 3000–3119 is printed as the
// earlier test (its figures under the change were seen before the fresh
// split was run: a test run that matched more than meant), and 2000–2119 is
// no longer run.
//
// The issue asks the world for backgrounds from real photographs; its walls
// and grass were, its skies, water and floors still gradients. They were
// then cut from real photographs (crops of Debian's wallpaper photographs,
// internal/heldout/testdata/photos), each scene's at a place of its own,
// and a region's truth records its scenery's look. Its development scenes
// 0–59 showed the namer four things, all changed: lavender dusk skies had no
// named colour near them ("pale blue"; "light purple" added), hue now
// weighs before lightness for hued colours (a storm sky had then turned
// "grayish purple"), neutrals are the ISCC–NBS ones by lightness (fog had
// been "white sky"), and a very dark colour has a hue from less chroma
// (forest undergrowth had been "black grass"). A fresh test split, scenes
// 5000–5119, was run once after that (and 4000–4119, the test split of the
// world before, beside it): distinct plans were 89.2% there (90.3% on
// 4000–4119). Then, on development scenes 0–299 alone, a surface lit from
// one side was said to be (Segment.Drift: repeated plans 146 → 140 of 900
// regions there), and a fresh test split, scenes 6000–6119, was run once;
// 5000–5119 is printed as the earlier test, and 3000–3119 and 4000–4119 are
// no longer run.
type split struct {
	tag, name   string
	first, size int
}

var splits = []split{{"development", "development (scenes 0–59)", 0, 60},
	{"earlier-test", "earlier test (scenes 5000–5119)", 5000, 120},
	{"test", "test (scenes 6000–6119)", 6000, 120}}

// TestPlanReport judges the composer and the critic on the held-apart
// world's truth, clean and with each kind of noise: the plan figures against
// the truth of every region, and the critic's catch of injected defects.
// `make plan-report` prints it; CI runs it for the targets it asserts.
func TestPlanReport(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: composes the held-apart world's splits with noise")
	}
	t.Parallel()
	w, err := NewWorld("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range splits {
		// A subtest per split, so that `-run TestPlanReport/development`
		// looks at the development split alone.
		t.Run(sp.tag, func(t *testing.T) { reportSplit(t, w, sp) })
	}
}

func reportSplit(t *testing.T, w *World, sp split) {
	fmt.Printf("held-apart world, %s: composer and critic on the truth (no model), %d scenes × 3 regions\n", sp.name, sp.size)
	fmt.Println(Header)
	var clean Figures
	for ni, n := range Noises {
		var st PlanStats
		for i := sp.first; i < sp.first+sp.size; i++ {
			s := w.Scene(i)
			n.Seed = uint64(i)
			plans, _, truth := s.composeWith(n)
			for k, b := range Bands {
				st.Add(plans[k], s.Region(truth, b.Y0, b.Y1))
			}
		}
		f := st.Figures()
		fmt.Println(f.Line(n.Name))
		if ni == 0 {
			clean = f
			for _, e := range st.Examples {
				fmt.Println("    e.g. " + e)
			}
		}
	}
	for _, n := range []Noise{Noises[0], Noises[2]} {
		tp, fp, fn, centre, caught := defectCatch(t, w, n, sp)
		fmt.Printf("critic on injected defects (%s): P %.3f  R %.3f (in the centre's region: %.3f)  caught by kind %v\n", n.Name,
			float64(tp)/float64(max(1, tp+fp)), float64(tp)/float64(max(1, tp+fn)), float64(centre)/float64(max(1, tp+fn)), caught)
	}
	fmt.Println()
	if clean.Placeholders != 0 || clean.CountedMass != 0 || clean.P90Words > 40 || clean.Short != 0 {
		t.Errorf("on the truth: %d placeholder nouns, %d counted mass nouns, p90 %.0f words, %d plans under 8 words", clean.Placeholders, clean.CountedMass, clean.P90Words, clean.Short)
	}
}

// defectCatch injects every defect into every scene and counts the bands
// reflected (score below 90). A defect is caught (tp) when a region it
// changed (Changed) is reflected, missed (fn) when none is; centre counts
// the catches in the region that holds the damaged thing's centre, the
// stricter figure, and the report says how many were caught for the right
// reason (the defect's criterion below 90 in a changed region). A false reflection (fp) is a reflected region of a clean
// scene, or one of a damaged scene that the defect did not change and that
// the clean scene did not reflect.
func defectCatch(t *testing.T, w *World, n Noise, sp split) (tp, fp, fn, centre int, caught map[string]string) {
	t.Helper()
	got := map[string][4]int{}
	for i := sp.first; i < sp.first+sp.size; i++ {
		s := w.Scene(i)
		n.Seed = uint64(i)
		_, clean, _ := s.composeWith(n)
		for _, c := range clean {
			if c.Score < 90 {
				fp++
			}
		}
		img, _ := s.Render()
		for _, d := range Defects(s, i) {
			_, scores, _ := d.Scene.composeWith(n)
			changed := Changed(img, d.Scene)
			c := got[d.Kind]
			c[1]++
			hit, right := false, false
			for k, sc := range scores {
				switch {
				case sc.Score >= 90:
				case changed[k]:
					hit = true
					right = right || below(sc, d.Criterion)
				case clean[k].Score >= 90:
					fp++
				}
			}
			if hit {
				tp++
				c[0]++
			} else {
				fn++
			}
			if right {
				c[3]++
			}
			if scores[d.Band].Score < 90 {
				centre++
				c[2]++
			}
			got[d.Kind] = c
		}
	}
	caught = map[string]string{}
	for k, c := range got {
		caught[k] = fmt.Sprintf("%d/%d (centre %d, for the right reason %d)", c[0], c[1], c[2], c[3])
	}
	return tp, fp, fn, centre, caught
}

// below reports whether a critique scored criterion crit below 90 with
// evidence: the reason a defect of that kind must be caught for.
func below(c schema.Critic, crit string) bool {
	if slices.Contains(c.Unverified, crit) {
		return false
	}
	v := map[string]int32{critic.CritColor: c.Color, critic.CritCompleteness: c.Completeness, critic.CritDetail: c.Detail,
		critic.CritSpatial: c.Spatial, critic.CritCoherence: c.Coherence}[crit]
	return v < 90
}

// composeWith renders the scene, damages its truth with noise n as a model
// would, and composes its plans and critiques from that evidence.
func (s Scene) composeWith(n Noise) ([]string, []schema.Critic, Truth) {
	c := s.composed(n)
	_, truth := s.Render()
	return c.plans, c.scores, truth
}

// composed is what Compose makes of the scene under noise n, revisions
// included.
func (s Scene) composed(n Noise) composition {
	return composedOf(s, n, func() composition {
		img, truth := s.Render()
		p, sc, r := Compose(img, s.Map(truth, n), Labels(), n.Kinds(), s.Prompt, nil)
		return composition{p, sc, r}
	})
}

// composition is what Compose made of one scene under one noise.
type composition struct {
	plans   []string
	scores  []schema.Critic
	revised []string
}

// composed holds each scene's composition under each noise, computed once:
// the report and the grammar test (both parallel) read the same scenes, and
// composing is deterministic.
var composed sync.Map // "scene|noise" → *onceComposition

type onceComposition struct {
	once sync.Once
	c    composition
}

func composedOf(s Scene, n Noise, compose func() composition) composition {
	v, _ := composed.LoadOrStore(fmt.Sprintf("%+v|%+v", s, n), &onceComposition{})
	oc := v.(*onceComposition)
	oc.once.Do(func() { oc.c = compose() })
	return oc.c
}
