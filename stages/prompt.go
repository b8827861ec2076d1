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

var numberWords = map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a pair of": 2, "several": 3, "many": 5}

// colorWords are attribute words that name colors; they ground to measured colors.
var colorWords = set("red", "green", "blue", "yellow", "purple", "orange", "white", "black", "pink", "brown", "gray", "grey",
	"golden", "gold", "silver", "beige", "tan", "violet", "turquoise", "navy", "maroon", "teal", "cyan", "magenta", "cream")

// shapeWords are attribute words that name shapes.
var shapeWords = set("round", "square", "rectangular", "triangular", "circular", "oval", "oblong", "spherical", "cubic",
	"cylindrical", "conical", "pyramidal", "pentagonal", "hexagonal", "octagonal", "diamond", "teardrop", "crescent", "heart-shaped", "star-shaped", "curved", "flat")

// sizeWords are attribute words that name sizes; T2I-CompBench files them
// under "shape".
var sizeWords = set("big", "small", "tall", "short", "long", "wide", "narrow", "thin", "thick", "tiny", "huge", "large", "little", "giant", "miniature", "slim", "fat")

// textureWords are attribute words that name materials and textures.
var textureWords = set("wooden", "wood", "metallic", "metal", "fabric", "plastic", "glass", "leather", "fluffy", "rubber",
	"furry", "woolen", "wool", "silk", "silky", "velvet", "stone", "marble", "ceramic", "paper", "cotton", "fuzzy", "smooth",
	"rough", "shiny", "soft", "hard", "prickly", "knitted", "denim", "steel", "iron", "concrete", "brick", "porcelain")

// shapeOf maps shape adjectives and shape-defining nouns to the canonical
// shape the compose stage measures.
var shapeOf = map[string]string{"round": "round", "circular": "round", "spherical": "round", "oval": "round", "ball": "round",
	"sphere": "round", "orb": "round", "square": "square", "box": "square", "cube": "square", "cubic": "square", "crate": "square",
	"rectangular": "square", "triangular": "triangular", "cone": "triangular", "pyramid": "triangular", "pyramidal": "triangular",
	"conical": "triangular"}

// SpatialPredicates are the relation phrases that place one entity relative
// to another, longest first so that "on the left of" wins over "on".
var SpatialPredicates = []string{"on the left of", "on the right of", "on the top of", "on the bottom of", "on the side of",
	"to the left of", "to the right of", "in front of", "on top of", "at the bottom of", "next to", "hidden by", "close to",
	"on", "in", "at", "inside", "above", "below", "under", "beneath", "underneath", "behind", "near", "beside", "over", "atop", "across", "against"}

// canonicalPredicate folds variants onto the names the critic checks.
var canonicalPredicate = map[string]string{"to the left of": "on the left of", "to the right of": "on the right of",
	"on top of": "on the top of", "atop": "on the top of", "over": "above", "underneath": "under", "beneath": "under",
	"at the bottom of": "on the bottom of", "close to": "near", "beside": "next to", "inside": "in"}

var determiners = set("the", "a", "an", "its", "their", "his", "her", "my", "your", "our", "this", "that", "these", "those", "some", "each", "every")

var auxiliaries = set("is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "does", "do", "did", "can", "could", "will", "would", "seems", "seem")

// verbPreps are prepositions that end an action phrase ("playing with", "croaking by").
var verbPreps = set("with", "by", "on", "in", "at", "to", "into", "onto", "through", "from", "for", "of", "over", "under", "across",
	"around", "along", "against", "near", "toward", "towards", "past", "down", "up", "out", "off", "behind", "beside", "inside", "above", "below")

// irregular verbs common in T2I prompts that carry no -ing/-ed ending.
var verbs = set("sat", "stood", "lay", "hung", "held", "ate", "ran", "rang", "sang", "flew", "swam", "slept", "sits", "stands",
	"lies", "hangs", "holds", "eats", "runs", "rings", "flies", "swims", "sleeps", "reads", "plays", "wears", "rides", "drinks",
	"grazes", "chases", "rests", "leans", "fills", "adds", "makes", "contrasts", "sparkles", "shines", "grows", "gave",
	"made", "took", "brought", "caught", "threw", "wore", "rode", "drank", "fell", "left", "sewed", "lit", "spread", "cast", "shone", "kept",
	"drove", "blew", "grew", "stuck", "sold", "bought", "sent", "spun", "struck", "wove", "built", "dug", "fed", "met", "paid",
	"shook", "spoke", "told", "won", "wrote", "sank", "hid", "bit", "drew", "froze", "rose", "sprang", "swung", "tore", "wound")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// token is a word, or "," for a clause boundary.
func tokenize(prompt string) []string {
	text := strings.ToLower(strings.ReplaceAll(prompt, "\r", " "))
	var b strings.Builder
	for _, r := range text {
		switch {
		case strings.ContainsRune(",;:.!?()\"", r):
			b.WriteString(" , ")
		case r == '\'' || r == '’':
			// possessives ("the cat's toy") keep the word
		default:
			b.WriteRune(r)
		}
	}
	return strings.Fields(b.String())
}

// matchPhrase returns the longest phrase of list starting at toks[i].
func matchPhrase(toks []string, i int, list []string) (string, int) {
	best, n := "", 0
	for _, p := range list {
		w := strings.Fields(p)
		if len(w) <= n || i+len(w) > len(toks) {
			continue
		}
		ok := true
		for j := range w {
			if toks[i+j] != w[j] {
				ok = false
				break
			}
		}
		if ok {
			best, n = p, len(w)
		}
	}
	return best, n
}

func isVerbLike(w string) bool {
	if verbs[w] || auxiliaries[w] {
		return true
	}
	if len(w) > 4 && (strings.HasSuffix(w, "ing") || strings.HasSuffix(w, "ed")) {
		return !colorWords[w] && !shapeWords[w] && !textureWords[w] && !adjectiveEndings(w)
	}
	return false
}

// verbAt decides whether toks[i] acts as a verb: an -ing or -ed word right
// after a determiner ("the duckling") or right before another verb ("the
// duckling swam") is a noun or an adjective.
func verbAt(toks []string, i int) bool {
	w := toks[i]
	if verbs[w] || auxiliaries[w] {
		return true
	}
	if !isVerbLike(w) {
		return false
	}
	if i > 0 && determiners[toks[i-1]] {
		return false
	}
	if i+1 < len(toks) && isVerbLike(toks[i+1]) && !strings.HasSuffix(toks[i+1], "ing") {
		return false
	}
	return true
}

// adjectiveEndings catches -ed adjectives that describe rather than act.
func adjectiveEndings(w string) bool {
	switch w {
	case "striped", "spotted", "checkered", "curved", "knitted", "painted", "polished", "carved", "frosted", "stuffed", "wrinkled", "faded", "cracked", "tinted", "shaped", "heated", "wicked", "sliced", "baked", "fried", "scented", "dotted", "framed", "ruffled":
		return true
	}
	return strings.HasSuffix(w, "-shaped") || w == "ceiling" || w == "building" || w == "painting" || w == "clothing" || w == "wedding" || w == "evening" || w == "morning" || w == "ring" || w == "king" || w == "string" || w == "swing" || w == "wing" || w == "thing" || w == "something" || w == "bed" || w == "shed" || w == "sled" || w == "red"
}

// ParsePrompt extracts noun phrases (count, attributes, head noun) and the
// spatial or action relations between consecutive phrases. It tolerates
// capitals, articles, plurals, number words, CRLF and punctuation; prompts it
// cannot structure yield fewer entities, never an error.
func ParsePrompt(prompt string) ParsedPrompt {
	toks := tokenize(prompt)
	var out ParsedPrompt
	var chunk []string
	pending := "" // relation from the previous entity to the next one
	prev := -1    // index of the last entity
	closeChunk := func() {
		e, ok := entity(chunk)
		chunk = chunk[:0]
		if !ok {
			return
		}
		out.Entities = append(out.Entities, e)
		if pending != "" && prev >= 0 {
			out.Relations = append(out.Relations, schema.Relation{Subject: out.Entities[prev].Noun, Predicate: pending, Object: e.Noun})
		}
		pending = ""
		prev = len(out.Entities) - 1
	}
	for i := 0; i < len(toks); {
		w := toks[i]
		switch {
		case w == "," || w == "and" || w == "while" || w == "as" || w == "that" || w == "which" || w == "who":
			hadChunk := len(chunk) > 0
			closeChunk()
			if hadChunk || w != "," {
				pending = ""
			}
			i++
		case verbAt(toks, i) && len(chunk) > 0 || (auxiliaries[w] && len(chunk) == 0 && prev >= 0):
			closeChunk()
			// An action: auxiliaries, adverbs, verbs and a closing preposition.
			var act []string
			for i < len(toks) {
				t := toks[i]
				if verbAt(toks, i) || (strings.HasSuffix(t, "ly") && len(t) > 3) || t == "not" {
					act = append(act, t)
					i++
					continue
				}
				break
			}
			if i < len(toks) && verbPreps[toks[i]] {
				if p, n := matchPhrase(toks, i, SpatialPredicates); n > 1 {
					act = append(act, p)
					i += n
				} else {
					act = append(act, toks[i])
					i++
				}
			}
			pending = actionName(act)
		default:
			if p, n := matchPhrase(toks, i, SpatialPredicates); n > 0 && (len(chunk) > 0 || prev >= 0) {
				closeChunk()
				if c, ok := canonicalPredicate[p]; ok {
					p = c
				}
				pending = p
				i += n
				continue
			}
			if w == "with" || w == "of" && len(chunk) == 0 {
				closeChunk()
				pending = w
				i++
				continue
			}
			chunk = append(chunk, w)
			i++
		}
	}
	closeChunk()
	return out
}

// actionName drops auxiliaries and adverbs: "is carefully playing with" → "playing with".
func actionName(act []string) string {
	var kept []string
	for _, a := range act {
		if auxiliaries[a] || (strings.HasSuffix(a, "ly") && !verbPreps[a]) {
			continue
		}
		kept = append(kept, a)
	}
	if len(kept) == 0 && len(act) > 0 {
		return act[len(act)-1]
	}
	return strings.Join(kept, " ")
}

func entity(words []string) (schema.Entity, bool) {
	e := schema.Entity{Count: 1, Attributes: []string{}}
	var content []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if len(content) == 0 {
			if w == "pair" && i+1 < len(words) && words[i+1] == "of" {
				e.Count = 2
				i++
				continue
			}
			if n, ok := numberWords[w]; ok {
				e.Count = int32(n)
				continue
			}
			if n, err := strconv.Atoi(w); err == nil && n > 0 && n < 1000 {
				e.Count = int32(n)
				continue
			}
		}
		if determiners[w] || w == "of" {
			continue
		}
		content = append(content, w)
	}
	if len(content) == 0 {
		return e, false
	}
	noun := content[len(content)-1]
	if colorWords[noun] || shapeWords[noun] || sizeWords[noun] {
		// "the sky was blue": an attribute alone is no entity (material words
		// like "glass" or "paper" are nouns too, so they stay)
		return e, false
	}
	e.Noun = singular(noun, e.Count)
	e.Attributes = append(e.Attributes, content[:len(content)-1]...)
	return e, true
}

func singular(w string, count int32) string {
	switch {
	case count <= 1 && !strings.HasSuffix(w, "s"):
		return w
	case strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case count > 1 && strings.HasSuffix(w, "ves") && len(w) > 4:
		return w[:len(w)-3] + "f"
	case count > 1 && w == "women":
		return "woman"
	case count > 1 && w == "men":
		return "man"
	case count > 1 && w == "children":
		return "child"
	case count > 1 && w == "mice":
		return "mouse"
	case count > 1 && w == "geese":
		return "goose"
	case count > 1 && (w == "sheep" || w == "fish" || w == "deer"):
		return w
	case count > 1 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
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
