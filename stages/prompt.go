package stages

import (
	"strconv"
	"strings"

	"github.com/twigdata/twigdata/schema"
)

// ParsedPrompt is the prompt's entities and relations.
type ParsedPrompt struct {
	Entities  []schema.Entity
	Relations []schema.Relation
}

var numberWords = map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

// colorWords are attribute words that name colors; they ground to measured colors.
var colorWords = map[string]bool{"red": true, "green": true, "blue": true, "yellow": true, "purple": true, "orange": true,
	"white": true, "black": true, "pink": true, "brown": true, "gray": true, "grey": true, "golden": true, "silver": true, "beige": true}

// shapeOf maps shape adjectives and shape-defining nouns to a canonical shape.
var shapeOf = map[string]string{"round": "round", "circular": "round", "ball": "round", "sphere": "round", "orb": "round", "balls": "round",
	"square": "square", "box": "square", "cube": "square", "crate": "square", "boxes": "square", "rectangular": "square",
	"triangular": "triangular", "cone": "triangular", "pyramid": "triangular", "pyramidal": "triangular", "conical": "triangular", "cones": "triangular"}

// relationPhrases are matched longest first.
var relationPhrases = []string{"on the left of", "on the right of", "on the top of", "on top of", "on the bottom of",
	"in front of", "next to", "on the side of", "hidden by", "above", "below", "under", "beneath", "behind", "near", "beside", "on"}

var stopWords = map[string]bool{"the": true, "a": true, "an": true, "was": true, "is": true, "are": true, "were": true, "of": true, "with": true, "and": true, "its": true, "their": true}

// ParsePrompt extracts noun phrases with counts and attributes, and the
// relations between consecutive phrases. It is a small deterministic parser for
// T2I-CompBench-style prompts, not a general one: unknown structure yields
// fewer entities, never an error.
func ParsePrompt(prompt string) ParsedPrompt {
	text := strings.ToLower(prompt)
	text = strings.Map(func(r rune) rune {
		if strings.ContainsRune(".,;:!?\"()", r) {
			return ' '
		}
		return r
	}, text)
	text = " " + strings.Join(strings.Fields(text), " ") + " "
	// Split into chunks at relation phrases and conjunctions, remembering the relation.
	type chunk struct {
		words []string
		rel   string // relation linking the previous chunk to this one
	}
	var chunks []chunk
	rel := ""
	for len(strings.TrimSpace(text)) > 0 {
		best, bestAt := "", len(text)
		for _, p := range append(relationPhrases, "and") {
			if i := strings.Index(text, " "+p+" "); i >= 0 && (i < bestAt || (i == bestAt && len(p) > len(best))) {
				best, bestAt = p, i
			}
		}
		head := text[:bestAt]
		chunks = append(chunks, chunk{strings.Fields(head), rel})
		if best == "" {
			break
		}
		if best == "and" {
			rel = ""
		} else {
			rel = best
		}
		text = text[bestAt+len(best)+1:]
	}
	var out ParsedPrompt
	prev := ""
	for _, c := range chunks {
		e, ok := entity(c.words)
		if !ok {
			continue
		}
		out.Entities = append(out.Entities, e)
		if c.rel != "" && prev != "" {
			out.Relations = append(out.Relations, schema.Relation{Subject: prev, Predicate: c.rel, Object: e.Noun})
		}
		prev = e.Noun
	}
	return out
}

func entity(words []string) (schema.Entity, bool) {
	e := schema.Entity{Count: 1, Attributes: []string{}}
	var content []string
	for _, w := range words {
		if n, ok := numberWords[w]; ok && len(content) == 0 {
			e.Count = int32(n)
			continue
		}
		if n, err := strconv.Atoi(w); err == nil && n > 0 && n < 1000 && len(content) == 0 {
			e.Count = int32(n)
			continue
		}
		if stopWords[w] {
			continue
		}
		content = append(content, w)
	}
	// Verbs and trailing clauses ("is playing with") leave the noun as the
	// last word before them; T2I prompts put the head noun last in a phrase.
	if len(content) == 0 {
		return e, false
	}
	e.Noun = singular(content[len(content)-1], e.Count)
	e.Attributes = append(e.Attributes, content[:len(content)-1]...)
	return e, true
}

func singular(w string, count int32) string {
	switch {
	case count <= 1:
		return w
	case strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}

// plural spells a noun for count > 1.
func plural(w string, count int) string {
	if count <= 1 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "x") || strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh") || strings.HasSuffix(w, "s"):
		return w + "es"
	case strings.HasSuffix(w, "y") && len(w) > 2 && !strings.ContainsRune("aeiou", rune(w[len(w)-2])):
		return w[:len(w)-1] + "ies"
	}
	return w + "s"
}

// entityColor is the first color attribute of an entity, or "".
func entityColor(e schema.Entity) string {
	for _, a := range e.Attributes {
		if colorWords[a] {
			return a
		}
	}
	return ""
}

// entityShape is the shape an entity implies, or "".
func entityShape(e schema.Entity) string {
	for _, a := range e.Attributes {
		if s, ok := shapeOf[a]; ok {
			return s
		}
	}
	return shapeOf[e.Noun]
}
