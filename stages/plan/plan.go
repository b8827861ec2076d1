// Package plan words the thoughts τ_k — what a band shows, consistent with
// the thoughts before it, with no spatial-anchor words — and the revisions
// τ̂_k that ask for the critic's fixes. The revision sentences are templates
// that Read parses back, so the reference generator follows whatever wording
// this package writes.
package plan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/prompt"
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

// Thought writes τ_k for a band: what is visible in it, consistent with
// earlier thoughts — a group described before (described holds "color noun"
// keys, and Thought adds this band's) is "the rest of" it.
func Thought(b *critic.Band, described map[string]bool) string {
	var stuffPh []string
	for _, g := range b.Stuff {
		stuffPh = append(stuffPh, g.Color+" "+g.Noun)
	}
	var newPh, contPh []string
	for _, g := range b.Objects {
		key := g.Color + " " + g.Noun
		if described[key] {
			contPh = append(contPh, "the rest of the "+g.Color+" "+prompt.Plural(g.Noun, g.Count))
			continue
		}
		described[key] = true
		newPh = append(newPh, prompt.CountWord(g.Count, g.Color)+" "+g.Color+" "+prompt.Plural(g.Noun, g.Count))
	}
	var parts []string
	switch {
	case len(newPh) > 0 && len(stuffPh) > 0:
		parts = append(parts, fmt.Sprintf("%s %s out against %s.", capitalize(joinList(newPh)), verb(b.Objects, newPh), joinList(stuffPh)))
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

func verb(objs []critic.Group, phrases []string) string {
	if len(phrases) == 1 && len(objs) > 0 && objs[0].Count == 1 {
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
