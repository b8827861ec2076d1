// Package english is the English morphology twigdata writes and reads
// with: plurals (irregular and plural-only nouns), uncountable nouns,
// articles, number words, agreement, lemmas and adverbs of degree. It
// imports nothing of twigdata.
package english

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
)

// degreeWords are adverbs of degree that stand before an adjective ("very
// small"); "very" also shades a colour ("very dark blue").
var degreeWords = set("very", "quite", "rather", "extremely", "fairly", "slightly")

// IsDegree reports whether w is an adverb of degree ("very", "rather").
func IsDegree(w string) bool { return degreeWords[w] }

// numberWords are the words that give a count ("a pair of" is handled by the parser).
var numberWords = map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a pair of": 2, "several": 3, "many": 5}

// cardinals spell counts 0..10 as words.
var cardinals = []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}

// CountWord spells a count before the words that follow it: "a"/"an" for
// one (by the next word's first letter), a number word up to ten, digits
// beyond.
func CountWord(n int, next string) string {
	if n == 1 {
		if next != "" && strings.ContainsRune("aeiou", rune(next[0])) {
			return "an"
		}
		return "a"
	}
	if n >= 0 && n < len(cardinals) {
		return cardinals[n]
	}
	return fmt.Sprint(n)
}

// massNouns are uncountable nouns — among them the stuff classes of
// COCO-panoptic, ADE20K and Cityscapes that English does not count (sky,
// sand, vegetation) — which take no plural, no count and no article.
// Material nouns that are also countable ("two glasses", "three stones") are
// left out.
var massNouns = set("sky", "grass", "sand", "water", "snow", "dirt", "gravel", "mud", "fog", "smoke", "pavement", "tundra",
	"asphalt", "concrete", "foliage", "vegetation", "hay", "straw", "rice", "milk", "coffee", "juice", "soup", "sugar",
	"salt", "furniture", "luggage", "clothing", "hair", "fur", "wool", "wood", "metal", "plastic", "marble", "leather",
	"cotton", "silk", "velvet", "denim", "terrain", "earth", "soil", "ground", "sea", "ice", "cardboard", "flooring",
	"land", "sunlight", "darkness", "mist", "rain", "lava", "scenery")

// IsMass reports whether a noun (or a phrase ending in it) is uncountable.
func IsMass(noun string) bool {
	f := strings.Fields(noun)
	return len(f) > 0 && massNouns[f[len(f)-1]]
}

// Article is the article a singular noun phrase takes ("a", "an"), or ""
// for an uncountable one ("sand", "light blue sky").
func Article(phrase string) string {
	if IsMass(phrase) {
		return ""
	}
	return CountWord(1, phrase)
}

// Be is the form of "to be" (or of a verb's -s ending) a subject of n things
// takes: singular for one or a mass noun.
func Be(n int, mass bool) string {
	if n == 1 || mass {
		return "is"
	}
	return "are"
}

// irregularPlurals spell the plurals that no suffix rule gives.
var irregularPlurals = map[string]string{"man": "men", "woman": "women", "child": "children", "mouse": "mice",
	"goose": "geese", "sheep": "sheep", "fish": "fish", "deer": "deer", "person": "people", "foot": "feet",
	"tooth": "teeth", "knife": "knives", "leaf": "leaves", "shelf": "shelves", "wolf": "wolves", "loaf": "loaves",
	"half": "halves", "scarf": "scarves", "life": "lives", "wife": "wives", "calf": "calves", "thief": "thieves", "hoof": "hooves", "elf": "elves", "cactus": "cacti",
	"ox": "oxen", "potato": "potatoes", "tomato": "tomatoes", "mango": "mangoes", "hero": "heroes", "bus": "buses",
	"glasses": "glasses", "scissors": "scissors", "pants": "pants", "jeans": "jeans", "shorts": "shorts", "series": "series"}

// IsPlural reports whether w is already a plural form the lexicon spells
// (a plural of an irregular noun, or a noun that is plural only), so that it
// is not pluralised twice ("bananases").
func IsPlural(w string) bool {
	for s, p := range irregularPlurals {
		if p == w && s != w {
			return true
		}
	}
	return pluralOnly[w]
}

// LooksPlural reports whether a noun read with no count word is plural all
// the same ("sandals", "notes", "scissors"): an irregular or plural-only
// plural, or a regular -s plural whose singular the lexicon spells back to
// it; not a mass noun, nor a word whose -s is part of the singular ("glass",
// "cactus", "iris").
func LooksPlural(w string) bool {
	if IsPlural(w) {
		return true
	}
	if massNouns[w] || len(w) < 4 || !strings.HasSuffix(w, "s") {
		return false
	}
	for _, end := range []string{"ss", "us", "is", "os"} {
		if strings.HasSuffix(w, end) {
			return false
		}
	}
	return Plural(Singular(w, 2), 2) == w
}

// Lemma is the singular of a noun that looks plural ("apples" → "apple",
// "sheep" stays), the noun itself otherwise: what a plan's "the red apples",
// which the parser keeps as written for want of a count word, is matched by.
func Lemma(w string) string {
	if LooksPlural(w) {
		return Singular(w, 2)
	}
	return w
}

// pluralOnly are nouns used only in the plural.
var pluralOnly = set("glasses", "scissors", "pants", "jeans", "shorts", "trousers", "people", "clothes")

// Plural spells a noun (or a phrase ending in one) for a count: unchanged
// for one, a mass noun or a word already plural.
func Plural(w string, count int) string {
	if f := strings.Fields(w); len(f) > 1 {
		return strings.Join(f[:len(f)-1], " ") + " " + Plural(f[len(f)-1], count)
	}
	if count <= 1 || massNouns[w] || IsPlural(w) {
		return w
	}
	if p, ok := irregularPlurals[w]; ok {
		return p
	}
	switch {
	case strings.HasSuffix(w, "x") || strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh") || strings.HasSuffix(w, "s"):
		return w + "es"
	case strings.HasSuffix(w, "y") && len(w) > 2 && !strings.ContainsRune("aeiou", rune(w[len(w)-2])):
		return w[:len(w)-1] + "ies"
	}
	return w + "s"
}

// Singular undoes Plural on a word read with a count: a word counted as one
// keeps its spelling unless it has a plural ending no singular noun has.
func Singular(w string, count int) string {
	switch {
	case count <= 1 && !strings.HasSuffix(w, "s"):
		return w
	case strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	}
	if count > 1 {
		for s, p := range irregularPlurals {
			if p == w {
				return s
			}
		}
		if strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 2 {
			return w[:len(w)-1] // not "s" nor "as", which would lose their only letter
		}
	}
	return w
}

// CountOf reads a number word ("a", "two", "several") as a count.
func CountOf(w string) (int, bool) {
	n, ok := numberWords[w]
	return n, ok
}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// words.gz is SCOWL's American English word list (Kevin Atkinson; as
// Debian's wamerican 2020.12.07-2 ships it; licence in words.COPYRIGHT):
// 104,334 words, names and their inflected forms.
//
//go:embed words.gz
var wordsGz []byte

// dictionary is the word list, lower-cased, read on first use.
var dictionary = sync.OnceValue(func() map[string]bool {
	r, err := gzip.NewReader(bytes.NewReader(wordsGz))
	if err != nil {
		panic("lang/english: the embedded word list does not read: " + err.Error())
	}
	data, err := io.ReadAll(r)
	if err != nil {
		panic("lang/english: the embedded word list does not read: " + err.Error())
	}
	words := strings.Split(string(data), "\n")
	m := make(map[string]bool, len(words))
	for _, w := range words {
		w = strings.ToLower(strings.TrimSuffix(w, "'s"))
		if w != "" {
			m[w] = true
		}
	}
	return m
})

// IsWord reports whether w (lower case) is an English word of the list, in
// any of its forms: what tells a prompt from word salad.
func IsWord(w string) bool {
	return dictionary()[w]
}
