// Package plan words the thoughts τ_k — what a band shows, consistent with
// the thoughts before it, with no spatial-anchor words — and the revisions
// τ̂_k that ask for the critic's fixes. The revision sentences are templates
// that Read parses back, so the reference generator follows whatever wording
// this package writes.
package plan

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/stages/evidence"
)

// anchorWords are spatial-anchor and section words a thought must not use:
// the generator learns where a region is from the schedule, not from the text.
var anchorWords = []string{"top", "bottom", "upper", "lower", "middle", "center", "centre", "central",
	"left", "right", "above", "below", "beneath", "underneath", "foreground", "background",
	"section", "layer", "region", "band", "part", "half", "row", "strip", "area", "first", "second", "third", "final", "last", "here"}

// anchorPattern matches any anchor word as a whole word.
var anchorPattern = regexp.MustCompile(`(?i)\b(` + strings.Join(anchorWords, "|") + `)\b`)

// FindAnchor returns the first anchor word in text, or "".
func FindAnchor(text string) string { return anchorPattern.FindString(text) }

// cleanAnchors removes any anchor word a segmenter label may have carried in.
func cleanAnchors(s string) string {
	s = anchorPattern.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}

// Limits of a thought: salient things first, the least salient left out.
const (
	maxObjects = 3 // object phrases
	maxScenery = 2 // scenery phrases
)

// Written is a thought and the nouns it names, as its writer chose them:
// the critic judges what a plan says by Names, never by parsing Text back.
type Written struct {
	Text string
	// Names are the nouns of the groups the thought words, and the nouns of
	// a caption's own the thought keeps; none for what no model names
	// ("a brown expanse").
	Names []string
}

// Thought writes τ_k for a band: a short sub-caption of what is new in it —
// at most three things and two kinds of scenery, the most salient first —
// and, briefly, what continues into it across the seam from the band above.
// Things the models cannot name are left out; it claims nothing the
// evidence does not show.
func Thought(b *evidence.Band) Written {
	if t := thought(b); t.Text != "" {
		return t
	}
	// The band shows only slivers of things (a thing larger than the band
	// at its edges): name them rather than write nothing.
	all := *b
	all.Stuff, all.Objects = shownAll(b.Stuff), shownAll(b.Objects)
	return thought(&all)
}

// shownAll is a copy of groups with every one shown.
func shownAll(gs []evidence.Group) []evidence.Group {
	out := append([]evidence.Group(nil), gs...)
	for i := range out {
		out[i].Shown = true
	}
	return out
}

// leftOut marks the named groups past the limits — the fourth thing and
// the third kind of scenery on, new or continuing, the least salient (the
// critic lists groups most salient first) —, which a plan does not name.
func leftOut(b *evidence.Band) (objs, stuff map[int]bool) {
	mark := func(gs []evidence.Group, limit int) map[int]bool {
		out, n := map[int]bool{}, 0
		for k, g := range gs {
			if !g.Named || !g.Shown {
				continue
			}
			if n++; n > limit {
				out[k] = true
			}
		}
		return out
	}
	return mark(b.Objects, maxObjects), mark(b.Stuff, maxScenery)
}

func thought(b *evidence.Band) Written {
	skipObj, skipStuff := leftOut(b)
	cont := continuing(b, skipObj, skipStuff)
	objs := newThings(b, skipObj)
	scen := newScenery(b, skipStuff)
	if len(objs.phrases) == 0 && len(scen.phrases) == 0 && len(cont.phrases) == 0 {
		objs, scen, cont = unnamed(b, cont)
	}
	names := slices.Concat(objs.nouns, scen.nouns, cont.nouns)
	var parts []string
	if first := firstSentence(objs, scen, len(cont.phrases) > 0); first != "" {
		parts = append(parts, first)
	}
	tail := ""
	switch {
	case len(parts) > 0:
	case len(cont.phrases) == 1 && cont.turnColor != "":
		tail = " across the view" // the whole band is what continues; it says what it turns to
	case len(cont.phrases) == 1 && cont.tone != "":
		tail = " across the view, " + cont.tone // the whole band is what continues
	case cont.tone == "" && cont.thingShare > 0:
		tail = ", taking up " + extent(cont.thingShare) // only things continue
	}
	if c := cont.sentence(tail); c != "" {
		parts = append(parts, c)
	}
	return Written{Text: cleanAnchors(strings.Join(parts, " ")), Names: nouns(names)}
}

// nouns are the names a thought lists: each once, in its first place, as
// the text says it (an anchor word a label carried in cut).
func nouns(names []string) []string {
	var out []string
	for _, n := range names {
		if n = cleanAnchors(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// things are the phrases of the things new in a band: how many they are
// (for the verb) and the share of the band they take.
type things struct {
	phrases []string
	nouns   []string // the named groups' nouns (none for unnamed things)
	n       int
	share   float64
}

// newThings phrases the named things a band shows that do not continue
// from the band above, past those marked in skip.
func newThings(b *evidence.Band, skip map[int]bool) things {
	var t things
	for k, g := range b.Objects {
		if !g.Named || !g.Shown || g.Continues || skip[k] {
			continue
		}
		t.phrases = append(t.phrases, counted(g.Color, g.Noun, g.Count))
		t.nouns = append(t.nouns, g.Noun)
		t.share += g.Share
		if english.IsMass(g.Noun) {
			t.n++
		} else {
			t.n += number(g.Noun, g.Count)
		}
	}
	return t
}

// scenery are the phrases of the scenery new in a band, the tone of the
// most salient scenery (new or continuing) and the share of the first new.
type scenery struct {
	phrases []string
	nouns   []string // the named groups' nouns (none for an unnamed expanse)
	tone    string
	share   float64
}

// newScenery phrases the named scenery a band shows that does not continue
// from the band above, past what is marked in skip.
func newScenery(b *evidence.Band, skip map[int]bool) scenery {
	var sc scenery
	for k, g := range b.Stuff {
		if !g.Named || !g.Shown || skip[k] {
			continue
		}
		if sc.tone == "" {
			sc.tone = toneWords(g.Tone, g.Fall, g.Drift)
		}
		if len(sc.phrases) == 0 && !g.Continues {
			sc.share = g.Share
		}
		if g.Continues {
			continue
		}
		p := phrase(g.Color, g.Noun, 1)
		if a := english.Article(p); a != "" {
			p = a + " " + p
		}
		sc.phrases = append(sc.phrases, p)
		sc.nouns = append(sc.nouns, g.Noun)
	}
	return sc
}

// unnamed words a band in which nothing nameable is new or continues: the
// unnamed things by colour and measured shape, or, with no thing at all,
// the largest surface no model names, by its colour, extent and tone ("A
// brown expanse fills the whole view, evenly toned.") rather than an empty
// plan.
func unnamed(b *evidence.Band, cont continued) (things, scenery, continued) {
	var t things
	var sc scenery
	for _, g := range b.Objects {
		if g.Shown && len(t.phrases) < maxObjects {
			t.phrases = append(t.phrases, counted(g.Color, strings.TrimSpace(g.Shape+" shape"), g.Count))
			t.n += g.Count
			t.share += g.Share
		}
	}
	if len(t.phrases) == 0 && len(b.Stuff) > 0 {
		g := b.Stuff[0]
		if g.Continues {
			cont = continued{phrases: []string{"the " + phrase(g.Color, "expanse", 1)}, tone: toneWords(g.Tone, g.Fall, g.Drift)}
		} else {
			p := phrase(g.Color, "expanse", 1)
			sc = scenery{phrases: []string{english.Article(p) + " " + p}, tone: toneWords(g.Tone, g.Fall, g.Drift), share: g.Share}
		}
	}
	return t, sc, cont
}

// firstSentence says what is new in a band: its things set against its
// scenery, or either alone with how much of the view it takes; "" when
// nothing is new. continues says whether something continues from above.
func firstSentence(objs things, scen scenery, continues bool) string {
	switch {
	case len(objs.phrases) > 0 && len(scen.phrases) > 0:
		return fmt.Sprintf("%s %s set against %s.", capitalize(joinList(objs.phrases)), english.Be(objs.n, false), joinList(scen.phrases))
	case len(objs.phrases) > 0:
		verb := "take up"
		if objs.n == 1 && len(objs.phrases) == 1 {
			verb = "takes up"
		}
		return capitalize(joinList(objs.phrases)) + " " + verb + " " + extent(objs.share) + "."
	case len(scen.phrases) == 1 && continues:
		// How much the new surface takes tells a region where the floor
		// barely begins from one it fills ("comes into view" did not).
		return capitalize(scen.phrases[0]) + " takes up " + extent(scen.share) + "."
	case len(scen.phrases) == 1:
		verb := "covers"
		if scen.share >= 0.9 {
			verb = "fills"
		}
		return capitalize(scen.phrases[0]) + " " + verb + " " + extent(scen.share) + ", " + scen.tone + "."
	case len(scen.phrases) > 1:
		// How much the first takes keeps the sentence a sub-caption, not a
		// bare pairing ("A gray road meets gray sand.").
		return capitalize(scen.phrases[0]) + " takes up " + extent(scen.share) + " and meets " + scen.phrases[1] + "."
	}
	return ""
}

// continued is what continues into a band across the seam from the band
// above.
type continued struct {
	phrases    []string // "the …" phrases, things first
	nouns      []string // their groups' nouns (none for an unnamed expanse)
	plural     bool     // whether they take a plural verb
	tone       string   // of the most salient continuing scenery kept
	thingShare float64  // of the band, that the continuing things kept take
	// turnColor: what continuing scenery turns to, when its colour words
	// here differ from those it was first given.
	turnColor string
}

// continuing is what continues into the band — at most maxScenery phrases
// in all, the largest kept when more continue —; the groups marked in
// skipObj and skipStuff are left out.
func continuing(b *evidence.Band, skipObj, skipStuff map[int]bool) continued {
	var items []continuingGroup
	for k, g := range b.Objects {
		if g.Named && g.Shown && g.Continues && !skipObj[k] {
			items = append(items, continuingGroup{g, true})
		}
	}
	for k, g := range b.Stuff {
		if g.Named && g.Shown && g.Continues && !skipStuff[k] {
			items = append(items, continuingGroup{g, false})
		}
	}
	if len(items) > maxScenery {
		// Keep the largest, in their order: a sliver that continues must not
		// push out the surface that fills the band.
		items = largestInOrder(items, maxScenery)
	}
	var c continued
	for _, it := range items {
		g := it.g
		c.nouns = append(c.nouns, g.Noun)
		if it.thing {
			c.phrases = append(c.phrases, "the "+phrase(g.Color, g.Noun, g.Count))
			c.plural = c.plural || (number(g.Noun, g.Count) > 1 && !english.IsMass(g.Noun))
			c.thingShare += g.Share
			continue
		}
		c.phrases = append(c.phrases, "the "+phrase(g.Color, g.Noun, 1))
		if c.tone == "" {
			c.tone = toneWords(g.Tone, g.Fall, g.Drift)
		}
		if c.turnColor == "" {
			c.turnColor = g.Turns
		}
	}
	return c
}

// continuingGroup is a group that continues into a band, thing or scenery.
type continuingGroup struct {
	g     evidence.Group
	thing bool
}

// largestInOrder keeps the n largest of items (by share), in their order.
func largestInOrder(items []continuingGroup, n int) []continuingGroup {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return items[order[i]].g.Share > items[order[j]].g.Share })
	order = order[:n]
	sort.Ints(order) // the kept, in their order
	kept := make([]continuingGroup, 0, n)
	for _, i := range order {
		kept = append(kept, items[i])
	}
	return kept
}

// sentence says briefly that what continued continues ("The light blue sky
// continues."), tail added to the verb, and what a surface turns to ("The
// gray sky continues, turning light blue."); "" for nothing.
func (c continued) sentence(tail string) string {
	if len(c.phrases) == 0 {
		return ""
	}
	verb := "continue"
	if len(c.phrases) == 1 && !c.plural {
		verb = "continues"
	}
	if c.turnColor != "" && len(c.phrases) == 1 {
		// Said only when the surface continues alone: "the book and the
		// gray sky continue, the sky turning white" named the sky twice,
		// and a reader of the plan took that for two skies.
		tail += ", turning " + c.turnColor
	}
	return capitalize(joinList(c.phrases)) + " " + verb + tail + "."
}

// extent says how much of the region a share of its area is, in words a
// caption uses; none of them is an anchor word ("half", "third" are).
func extent(share float64) string {
	switch {
	case share >= 0.97:
		return "the whole view"
	case share >= 0.9:
		return "nearly all of the view" // what else shows is a few rows
	case share >= 0.6:
		return "most of the view"
	case share >= 0.4:
		return "much of the view"
	case share >= 0.3:
		return "over a quarter of the view"
	case share >= 0.2:
		return "about a quarter of the view"
	case share >= 0.14:
		return "about a fifth of the view"
	case share >= 0.07:
		return "about a tenth of the view"
	}
	return "little of the view"
}

// toneWords describe a surface by the spread of its luma about its trend
// (Segment.Tone) and by that trend down the rows (Segment.Fall) and across
// the columns (Segment.Drift): "evenly toned", "richly textured, growing
// darker downward", "softly shaded, growing lighter to one side". Downward
// and to one side say which way the surface shades inside the region, not
// where the region is or which side (left and right are anchor words), so
// they are no anchor words.
func toneWords(spread, fall, drift float64) string {
	texture := "richly textured"
	switch {
	case spread < 8:
		texture = "evenly toned"
	case spread < 25:
		texture = "softly shaded"
	}
	degree := func(v float64) string {
		switch v = math.Abs(v); {
		case v < 12:
			return "slightly "
		case v < 24:
			return ""
		}
		return "much "
	}
	lighter := func(v float64) string {
		if v > 0 {
			return "lighter"
		}
		return "darker"
	}
	const seen = 5 // a change of luma under this is none a person sees
	down, side := math.Abs(fall) >= seen, math.Abs(drift) >= seen
	// A trend under half the other's is the other's shading, not one of its own.
	down, side = down && math.Abs(fall) >= math.Abs(drift)/2, side && math.Abs(drift) >= math.Abs(fall)/2
	var grade string
	switch {
	case down && side:
		// Side first: Link Grammar links "growing lighter to one side and
		// darker downward", not "… downward and lighter to one side".
		grade = "growing " + degree(drift) + "lighter to one side and " + degree(fall) + lighter(fall) + " downward"
	case down:
		grade = "growing " + degree(fall) + lighter(fall) + " downward"
	case side:
		// Which side would be an anchor word; lighter toward one side is
		// darker toward the other, so it is said one way.
		grade = "growing " + degree(drift) + "lighter to one side"
	default:
		return texture
	}
	if texture == "evenly toned" {
		return grade // a smooth gradient
	}
	return texture + ", " + grade // "textured and growing …" Link Grammar reads as no sentence
}

// phrase is colour and noun in the number of count: "red balls", "light blue sky".
func phrase(color, noun string, count int) string {
	if count > 1 {
		noun = english.Lemma(noun) // two "sandals": "two sandals", not "two sandalses"
	}
	return strings.TrimSpace(color + " " + english.Plural(noun, count))
}

// counted is a thing's phrase with its count word: "a red ball", "three
// green boxes"; an uncountable noun takes none ("dark green grass"), nor
// does a plural noun counted as one ("black sandals": the prompt gave no
// count).
func counted(color, noun string, count int) string {
	p := phrase(color, noun, count)
	if english.IsMass(noun) || count == 1 && english.LooksPlural(noun) {
		return p
	}
	return english.CountWord(count, p) + " " + p
}

// number is how many a group counts as for agreement: a plural noun counted
// as one is plural all the same.
func number(noun string, count int) int {
	if count == 1 && english.LooksPlural(noun) {
		return 2
	}
	return count
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// joinList joins phrases as English lists them: "a, b and c".
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
