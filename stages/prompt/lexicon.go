package prompt

import (
	"strings"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
)

// This file holds the attribute words a prompt's entities are read with:
// shapes, sizes, textures. Colours are lang/colour's, morphology is
// lang/english's, so a word means the same thing everywhere.

// shapeWords are attribute words that name shapes.
var shapeWords = set("round", "square", "rectangular", "triangular", "circular", "oval", "oblong", "spherical", "cubic",
	"cylindrical", "conical", "pyramidal", "pentagonal", "hexagonal", "octagonal", "diamond", "teardrop", "crescent", "heart-shaped", "star-shaped", "curved", "flat", "jagged")

// sizeWords are attribute words that name sizes; T2I-CompBench files them
// under "shape".
var sizeWords = set("big", "small", "tall", "short", "long", "wide", "narrow", "thin", "thick", "tiny", "huge", "large", "little", "giant", "miniature", "slim", "fat")

// textureWords are attribute words that name materials and textures.
var textureWords = set("wooden", "wood", "metallic", "metal", "fabric", "plastic", "glass", "leather", "fluffy", "rubber",
	"furry", "woolen", "wool", "silk", "silky", "velvet", "stone", "marble", "ceramic", "paper", "cotton", "fuzzy", "smooth",
	"rough", "shiny", "soft", "hard", "prickly", "knitted", "denim", "steel", "iron", "concrete", "brick", "porcelain", "crystal")

// shapeOf maps shape adjectives and shape-defining nouns to the canonical
// shape the critic measures.
var shapeOf = map[string]string{"round": "round", "circular": "round", "spherical": "round", "oval": "round", "ball": "round",
	"sphere": "round", "orb": "round", "square": "square", "box": "square", "cube": "square", "cubic": "square", "crate": "square",
	"rectangular": "square", "triangular": "triangular", "cone": "triangular", "pyramid": "triangular", "pyramidal": "triangular",
	"conical": "triangular"}

// functionWords end a run of modifiers: what a parse keeps before a noun
// after one of them ("addition to cubic office wall") modifies the noun only
// from there on.
var functionWords = set("to", "of", "with", "for", "from", "in", "on", "at", "by", "a", "an", "the", "is", "are")

// Modifiers are the attribute words of a parsed entity that can stand
// before its noun in a phrase we write: those after the last function word,
// without plural nouns ("icy shards glacier" becomes "icy glacier").
func Modifiers(attrs []string) []string {
	start := 0
	for i, a := range attrs {
		if functionWords[a] || verbPreps[a] || auxiliaries[a] { // "and" joins attributes: "black and white"
			start = i + 1
		}
	}
	var out []string
	for _, a := range attrs[start:] {
		if !english.LooksPlural(a) {
			out = append(out, a)
		}
	}
	return out
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// IsAttribute reports whether w is a colour, shape, size or texture word.
func IsAttribute(w string) bool {
	return colour.IsWord(w) || shapeWords[w] || sizeWords[w] || textureWords[w]
}

// IsTexture reports whether w names a material or texture, which English
// puts after a colour ("a red rubber ball").
func IsTexture(w string) bool { return textureWords[w] }

// IsAdjective reports whether w is an adjective by the lexicon (a size, a
// shape or one of adjectives) or by its ending ("delicious", "metallic"); a
// noun that modifies ("basketball", "coffee") is not.
func IsAdjective(w string) bool {
	if shapeWords[w] || sizeWords[w] || adjectives[w] {
		return true
	}
	for _, end := range []string{"ful", "ous", "ic", "al", "ive", "ed", "less", "ish", "able", "ible", "ent", "ant", "ern", "ar"} {
		if strings.HasSuffix(w, end) {
			return true
		}
	}
	return false
}

// adjectives are common adjectives with no adjective ending, -y ones among
// them (a -y word may be a noun: "toy", "baby").
var adjectives = set("happy", "pretty", "cozy", "rusty", "dusty", "sunny", "shaggy", "curly", "heavy", "busy", "fancy", "messy",
	"sturdy", "tasty", "juicy", "crispy", "spicy", "sleepy", "lazy", "tidy", "silly", "ugly", "lovely", "friendly", "healthy",
	"wealthy", "chubby", "skinny", "hairy", "muddy", "rainy", "snowy", "windy", "cloudy", "foggy", "shady", "grassy", "rocky",
	"sandy", "leafy", "woody", "glossy", "fluffy", "shiny", "creamy", "crunchy", "bumpy", "lumpy", "slimy", "sticky", "greasy",
	"salty", "sweaty", "big", "old", "new", "young", "tall", "sleek", "soft", "bright", "pale", "deep", "fresh", "ripe", "warm",
	"cold", "cool", "hot", "clean", "dirty", "empty", "full", "huge", "tiny", "small", "large", "long", "short", "round", "flat",
	"thin", "thick", "wide", "narrow", "dark", "light", "cute", "nice", "fine", "rare", "wild", "calm", "quiet", "loud", "plain",
	"smooth", "rough", "sharp", "dull", "vivid", "elegant", "vintage", "modern", "ancient")
