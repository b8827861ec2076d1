package plan

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/stages/prompt"
)

// Templates are the clauses a revision is written with, one per kind of
// fix: a revision adds one sentence to the thought, its clauses joined by
// "; ". Each %[n]s is a slot; Read parses a revision back with the same
// templates, so rewording one here changes what is written and what is read.
type Templates struct {
	Color   string // %[1]s the entity's noun, %[2]s the prompt's colour, %[3]s the measured colour
	Missing string // %[1]s the missing instances, as a list of noun phrases
	Swap    string // %[1]s the relation's subject, %[2]s its object
	Seam    string // no slot
	Detail  string // %[1]s what the plan left out, as a list of noun phrases
}

// DefaultTemplates returns the wording twigdata writes.
func DefaultTemplates() Templates {
	return Templates{
		Color:   "the %[1]s must be %[2]s, not %[3]s",
		Missing: "%[1]s must also appear",
		Swap:    "the %[1]s and the %[2]s must trade places",
		Seam:    "the colors must continue across the seam without a break",
		Detail:  "%[1]s must be drawn as well",
	}
}

// Limits of a revision sentence, whatever the prompt: the first maxFixes
// fixes the critic asks for (in its order: colour, completeness, detail,
// spatial, coherence), and the first maxListed things of a list.
const (
	maxFixes  = 4
	maxListed = 3
)

// Revise writes τ̂_k: the thought and, when there is something to fix, one
// sentence naming the fixes, at most maxFixes of them.
func (t Templates) Revise(thought string, fixes []critic.Fix) string {
	var out []string
	for _, f := range fixes[:min(len(fixes), maxFixes)] {
		switch f.Kind {
		case critic.FixColor:
			out = append(out, fmt.Sprintf(t.Color, f.Noun, f.Want, f.Got))
		case critic.FixMissing:
			var ph []string
			for _, e := range f.Missing[:min(len(f.Missing), maxListed)] {
				ph = append(ph, nounPhrase(e))
			}
			out = append(out, fmt.Sprintf(t.Missing, joinList(ph)))
		case critic.FixSwap:
			out = append(out, fmt.Sprintf(t.Swap, f.Noun, f.Other))
		case critic.FixSeam:
			out = append(out, t.Seam)
		case critic.FixDetail:
			var ph []string
			for _, e := range f.Missing[:min(len(f.Missing), maxListed)] {
				ph = append(ph, nounPhrase(e))
			}
			out = append(out, fmt.Sprintf(t.Detail, joinList(ph)))
		}
	}
	if len(out) == 0 {
		return thought
	}
	return cleanAnchors(strings.TrimSpace(thought + " " + capitalize(strings.Join(out, "; ")) + "."))
}

// nounPhrase spells an entity with its count, attributes and noun: "two
// red balls"; a plural noun the prompt gave no count takes none ("black
// sandals").
func nounPhrase(e schema.Entity) string {
	return counted(strings.Join(prompt.Modifiers(e.Attributes), " "), e.Noun, int(e.Count))
}

// Read splits a thought or revision into the sentences that describe what
// to draw and the fixes its revision sentence asks for. Noun phrases in the
// fixes are read with the prompt parser: Missing holds the parsed entities.
func (t Templates) Read(text string) (describe []string, fixes []critic.Fix) {
	kinds := []struct {
		kind critic.FixKind
		re   *regexp.Regexp
	}{
		{critic.FixColor, templateRegexp(t.Color)},
		{critic.FixMissing, templateRegexp(t.Missing)},
		{critic.FixSwap, templateRegexp(t.Swap)},
		{critic.FixSeam, templateRegexp(t.Seam)},
		{critic.FixDetail, templateRegexp(t.Detail)},
	}
	for _, s := range sentences(text) {
		var found []critic.Fix
		clauses := strings.Split(strings.TrimRight(s, ".!?"), "; ")
		for _, c := range clauses {
			for _, k := range kinds {
				m := k.re.FindStringSubmatch(strings.TrimSpace(c))
				if m == nil {
					continue
				}
				slot := func(n int) string {
					if i := k.re.SubexpIndex(fmt.Sprintf("s%d", n)); i > 0 {
						return strings.ToLower(m[i])
					}
					return ""
				}
				switch k.kind {
				case critic.FixColor:
					found = append(found, critic.Fix{Kind: k.kind, Noun: slot(1), Want: slot(2), Got: slot(3)})
				case critic.FixMissing, critic.FixDetail:
					found = append(found, critic.Fix{Kind: k.kind, Missing: prompt.Parse(slot(1)).Entities})
				case critic.FixSwap:
					found = append(found, critic.Fix{Kind: k.kind, Noun: slot(1), Other: slot(2)})
				default:
					found = append(found, critic.Fix{Kind: k.kind})
				}
				break
			}
		}
		if len(found) == len(clauses) {
			fixes = append(fixes, found...)
		} else {
			describe = append(describe, s)
		}
	}
	return describe, fixes
}

// templateRegexp turns a template into a case-insensitive pattern whose
// slot %[n]s is the named group sn.
func templateRegexp(tmpl string) *regexp.Regexp {
	slot := regexp.MustCompile(`%\[(\d)\]s`)
	var b strings.Builder
	b.WriteString(`(?i)^`)
	last := 0
	for _, m := range slot.FindAllStringSubmatchIndex(tmpl, -1) {
		b.WriteString(regexp.QuoteMeta(tmpl[last:m[0]]))
		fmt.Fprintf(&b, `(?P<s%s>.+?)`, tmpl[m[2]:m[3]])
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(tmpl[last:]))
	b.WriteString(`$`)
	return regexp.MustCompile(b.String())
}

// sentences splits text after each full stop, question or exclamation mark.
func sentences(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		if r == '.' || r == '!' || r == '?' {
			if s := strings.TrimSpace(text[start : i+1]); s != "" {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, s)
	}
	return out
}
