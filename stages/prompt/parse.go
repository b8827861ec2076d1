// Package prompt parses prompts — and plans, which are written in the same
// words — into entities (counts, colour, shape, size and texture
// attributes) and relations. Colour words are lang/colour's and morphology
// lang/english's; the attribute words of shapes, sizes and textures are
// here.
package prompt

import (
	"slices"
	"strconv"
	"strings"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
)

// Parsed is a prompt's entities and relations.
type Parsed struct {
	Entities  []schema.Entity
	Relations []schema.Relation
	// Absent are the things the prompt says must not be there ("no box",
	// "without a hat"): never in Entities, so never asked to appear.
	Absent []schema.Entity
}

// spatialPredicates are the relation phrases that place one entity relative
// to another, longest first so that "on the left of" wins over "on".
var spatialPredicates = []string{"on the left of", "on the right of", "on the top of", "on the bottom of", "on the side of",
	"to the left of", "to the right of", "in front of", "on top of", "at the bottom of", "next to", "hidden by", "close to",
	"on", "in", "at", "inside", "above", "below", "under", "beneath", "underneath", "behind", "near", "beside", "over", "atop", "across", "against"}

// predicateWords are spatialPredicates split into words, once.
var predicateWords = func() [][]string {
	out := make([][]string, len(spatialPredicates))
	for i, p := range spatialPredicates {
		out[i] = strings.Fields(p)
	}
	return out
}()

// RelationAt is the index in words where the first spatial relation phrase
// of the lexicon begins ("on", "next to", "in front of"), or -1.
func RelationAt(words []string) int {
	for i := range words {
		for _, pw := range predicateWords {
			if i+len(pw) <= len(words) && slices.Equal(words[i:i+len(pw)], pw) {
				return i
			}
		}
	}
	return -1
}

// canonicalPredicate folds variants onto the names the critic checks.
var canonicalPredicate = map[string]string{"to the left of": "on the left of", "to the right of": "on the right of",
	"on top of": "on the top of", "atop": "on the top of", "over": "above", "underneath": "under", "beneath": "under",
	"at the bottom of": "on the bottom of", "close to": "near", "beside": "next to", "inside": "in"}

var determiners = set("the", "a", "an", "its", "their", "his", "her", "my", "your", "our", "this", "that", "these", "those", "some", "each", "every")

var auxiliaries = set("is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "does", "do", "did", "can", "could", "will", "would", "seems", "seem",
	"must", "should", "may", "might", "shall")

// notEntities are nouns and words plans use that name nothing to draw: the
// view itself and the words of tone ("evenly toned", "growing darker
// downward").
var notEntities = set("view", "scene", "frame", "places", "place", "evenly", "softly", "richly", "toned", "shaded", "textured", "downward", "side", "also",
	// pronouns and words of no thing: "it", "they're", "nothing on it"
	"it", "they", "them", "theyre", "he", "she", "him", "we", "us", "you", "i", "me", "there", "here",
	"something", "nothing", "anything", "everything", "someone", "somebody", "nobody", "none", "one", "ones")

// verbPreps are prepositions that end an action phrase ("playing with", "croaking by").
var verbPreps = set("with", "by", "on", "in", "at", "to", "into", "onto", "through", "from", "for", "of", "over", "under", "across",
	"around", "along", "against", "near", "toward", "towards", "past", "down", "up", "out", "off", "behind", "beside", "inside", "above", "below")

// irregular verbs common in T2I prompts that carry no -ing/-ed ending.
// The present forms plans use ("stand out against", "fill the view", "take
// up", "cover") are among them, so that plans parse as prompts do.
var verbs = set("stand", "fill", "meet", "meets", "continue", "continues", "stretch", "stretches", "appear", "appears", "take", "takes", "cover", "covers",
	"come", "comes", "set", "trade", "sat", "stood", "lay", "hung", "held", "ate", "ran", "rang", "sang", "flew", "swam", "slept", "sits", "stands",
	"lies", "hangs", "holds", "eats", "runs", "rings", "flies", "swims", "sleeps", "reads", "plays", "wears", "rides", "drinks",
	"grazes", "chases", "rests", "leans", "fills", "adds", "makes", "contrasts", "sparkles", "shines", "grows", "gave",
	"made", "took", "brought", "caught", "threw", "wore", "rode", "drank", "fell", "left", "sewed", "lit", "spread", "cast", "shone", "kept",
	"drove", "blew", "grew", "stuck", "sold", "bought", "sent", "spun", "struck", "wove", "built", "dug", "fed", "met", "paid",
	"shook", "spoke", "told", "won", "wrote", "sank", "hid", "bit", "drew", "froze", "rose", "sprang", "swung", "tore", "wound",
	// present forms of what people ask a scene's figures to do
	"watches", "looks", "walks", "jumps", "waits", "stares", "climbs", "floats", "sings", "dances", "smiles", "laughs", "cries",
	"drives", "writes", "cooks", "kicks", "throws", "bites", "licks", "hugs", "kisses", "feeds", "crosses", "carries",
	"pushes", "pulls", "catches", "touches", "builds", "digs", "opens", "closes", "enters")

// tokenize splits a prompt into lower-case words, with "," for every clause
// boundary and "." for every sentence end.
func tokenize(prompt string) []string {
	text := strings.ToLower(strings.ReplaceAll(prompt, "\r", " "))
	var b strings.Builder
	for _, r := range text {
		switch {
		case strings.ContainsRune(".!?", r):
			b.WriteString(" . ") // a sentence's end: no relation reaches past it
		case strings.ContainsRune(",;:()\"", r):
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
		return !colour.IsWord(w) && !shapeWords[w] && !textureWords[w] && !adjectiveEndings(w)
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

// describingWords are -ed and -ing words that describe or name rather than
// act: adjectives ("striped", "baked") and nouns ("ceiling", "bed").
var describingWords = set("striped", "spotted", "checkered", "curved", "knitted", "painted", "polished", "carved", "frosted", "stuffed",
	"wrinkled", "faded", "cracked", "tinted", "shaped", "heated", "wicked", "sliced", "baked", "fried", "scented", "dotted", "framed", "ruffled",
	"ceiling", "building", "painting", "clothing", "wedding", "evening", "morning", "ring", "king", "string", "swing", "wing", "thing",
	"something", "bed", "shed", "sled", "red")

// adjectiveEndings catches -ed and -ing words that describe rather than act.
func adjectiveEndings(w string) bool {
	return describingWords[w] || strings.HasSuffix(w, "-shaped")
}

// MaxEntities bounds the entities Parse reads from a prompt: what follows
// the last of them is not read. T2I prompts name a handful; the bound keeps
// the work of a sample, and the length of its revisions, independent of a
// prompt that repeats itself for 64 KB.
const MaxEntities = 24

// Parse extracts noun phrases (count, attributes, head noun) and the
// spatial or action relations between consecutive phrases, up to
// MaxEntities of them. It tolerates capitals, articles, plurals, number
// words, CRLF and punctuation; prompts it cannot structure yield fewer
// entities, never an error.
func Parse(prompt string) Parsed {
	toks := tokenize(prompt)
	if foreign(toks) || salad(toks) {
		return Parsed{} // another language, or no word of one: nothing invented from words it cannot read
	}
	p := parser{toks: unframe(toks), prev: -1}
	for i := 0; i < len(p.toks) && len(p.out.Entities) < MaxEntities; {
		i = p.step(i)
	}
	if len(p.out.Entities) < MaxEntities {
		p.closeChunk()
	}
	return p.out
}

// parser is Parse's state as it reads a prompt's tokens left to right.
type parser struct {
	toks    []string
	out     Parsed
	chunk   []string // the words of the noun phrase being read
	pending string   // relation from the previous entity to the next one
	prev    int      // index of the last entity, -1 for none
	negated bool     // the noun phrase being read follows "no", "without", "not"
}

// closeChunk ends the noun phrase being read: an entity, related to the
// one before by the pending relation.
func (p *parser) closeChunk() {
	// A lone -ing word is a verb read as a phrase (", poring over").
	bare := len(p.chunk) == 1 && IsVerb(p.chunk[0])
	e, ok := entity(p.chunk)
	p.chunk = p.chunk[:0]
	negated := p.negated
	p.negated = false
	if !ok || bare {
		return
	}
	if negated {
		p.out.Absent = append(p.out.Absent, e) // to be absent: no relation, never asked for
		p.pending = ""
		return
	}
	p.out.Entities = append(p.out.Entities, e)
	if p.pending != "" && p.prev >= 0 {
		p.out.Relations = append(p.out.Relations, schema.Relation{Subject: p.out.Entities[p.prev].Noun, Predicate: p.pending, Object: e.Noun})
	}
	p.pending = ""
	p.prev = len(p.out.Entities) - 1
}

// step reads the token at i and returns the index of the next unread one.
func (p *parser) step(i int) int {
	toks, w := p.toks, p.toks[i]
	switch {
	case w == ".":
		p.closeChunk()
		p.pending, p.prev = "", -1
		return i + 1
	case p.afterComma(i) && p.attributesAt(i) > i:
		// "a car, red, parked by the road", "a bird, blue and small, on a
		// branch": attributes set off by commas are the thing's before it.
		return p.attach(i, p.attributesAt(i))
	case p.colouredAfter(i) > i:
		// "a car painted red", "a dress in red", "a vase made of glass": the
		// colour or material said after the thing is the thing's.
		from := p.colouredAfter(i)
		p.closeChunk()
		if p.prev < 0 {
			return from
		}
		return p.attach(from, p.attributesAt(from))
	case (w == "colored" || w == "coloured") && len(p.chunk) > 0 && (colour.IsWord(p.chunk[len(p.chunk)-1]) || colour.IsShade(p.chunk[len(p.chunk)-1])):
		// "a blue colored car": "colored" says only that blue is a colour.
		return i + 1
	case p.afterComma(i) && verbAt(toks, i):
		// ", parked by the road": an action of the thing before the comma.
		return p.action(i)
	case p.joinsColours(i):
		// "a black and white cat": one thing of two colours.
		p.chunk = append(p.chunk, w)
		return i + 1
	case negations[w] && (len(p.chunk) == 0 || w == "without"):
		// "no box", "without a hat", "not a dog": what follows must be absent.
		p.closeChunk()
		p.negated = true
		return i + 1
	case clauseBreaks[w]:
		hadChunk := len(p.chunk) > 0
		p.closeChunk()
		if hadChunk || w != "," {
			p.pending = ""
		}
		return i + 1
	case p.startsAction(i):
		p.closeChunk()
		return p.action(i)
	}
	if pr, n := matchPhrase(toks, i, spatialPredicates); n > 0 && (len(p.chunk) > 0 || p.prev >= 0) {
		p.closeChunk()
		if c, ok := canonicalPredicate[pr]; ok {
			pr = c
		}
		p.pending = pr
		return i + n
	}
	if w == "with" || w == "of" && len(p.chunk) == 0 {
		p.closeChunk()
		p.pending = w
		return i + 1
	}
	p.chunk = append(p.chunk, w)
	return i + 1
}

// colouring are the phrases after which a colour or material said after a
// noun is the noun's: "painted red", "colored blue", "in red", "made of
// glass".
var colouring = []string{"painted", "colored", "coloured", "dyed", "tinted", "stained", "glazed", "in", "all", "dressed in", "made of", "made from", "carved from", "carved out of"}

// colouredAfter reports where the attributes begin when the token at i
// starts a colouring phrase after a noun phrase (or after a comma that
// follows one) and attributes end it: the index after the phrase, or i.
func (p *parser) colouredAfter(i int) int {
	if len(p.chunk) == 0 && !(p.prev >= 0 && i > 0 && p.toks[i-1] == ",") {
		return i
	}
	if _, n := matchPhrase(p.toks, i, colouring); n > 0 && p.attributesAt(i+n) > i+n {
		return i + n
	}
	return i
}

// attributesAt reads a run of attribute words from i — colours, shades,
// shapes, sizes, textures, joined by "and", with an optional trailing
// "color" ("in blue color") — that ends where a noun phrase could not go
// on: the prompt's or a clause's end, a relation, a verb. It returns the
// index after the run, or i when there is none.
func (p *parser) attributesAt(i int) int {
	toks := p.toks
	j, words := i, 0
	for j < len(toks) {
		w := toks[j]
		switch {
		case IsAttribute(w) || colour.IsShade(w):
			words++
		case w == "and" && words > 0 && j+1 < len(toks) && (IsAttribute(toks[j+1]) || colour.IsShade(toks[j+1])):
		default:
			goto end
		}
		j++
	}
end:
	if words == 0 {
		return i
	}
	if j < len(toks) && (toks[j] == "color" || toks[j] == "colour" || toks[j] == "colored" || toks[j] == "coloured") {
		j++
	}
	if j == len(toks) || clauseBreaks[toks[j]] || toks[j] == "." || verbAt(toks, j) || toks[j] == "with" {
		return j
	}
	if _, n := matchPhrase(toks, j, spatialPredicates); n > 0 {
		return j
	}
	return i
}

// attach gives the attribute words of toks[i:j] to the last entity, and
// returns j.
func (p *parser) attach(i, j int) int {
	e := &p.out.Entities[p.prev]
	for _, w := range p.toks[i:j] {
		if w != "and" && w != "color" && w != "colour" && w != "colored" && w != "coloured" {
			e.Attributes = append(e.Attributes, w)
		}
	}
	return j
}

// negations make the noun phrase after them one that must be absent.
var negations = set("no", "without", "not", "never", "nor")

// clauseBreaks end a noun phrase and the relation pending to the next.
var clauseBreaks = set(",", "and", "while", "as", "that", "which", "who", "whose")

// joinsColours reports whether the token at i is an "and" between two
// colour words of one noun phrase.
func (p *parser) joinsColours(i int) bool {
	toks := p.toks
	return toks[i] == "and" && len(p.chunk) > 0 && colour.IsWord(p.chunk[len(p.chunk)-1]) && i+1 < len(toks) && colour.IsWord(toks[i+1])
}

// afterComma reports whether the token at i starts a comma's clause after
// an entity, with no noun phrase begun.
func (p *parser) afterComma(i int) bool {
	return i > 0 && p.toks[i-1] == "," && len(p.chunk) == 0 && p.prev >= 0 && !p.negated
}

// startsAction reports whether the token at i starts an action: a verb
// after a noun phrase, or an auxiliary after an entity ("the cat, which is
// sleeping").
func (p *parser) startsAction(i int) bool {
	return verbAt(p.toks, i) && len(p.chunk) > 0 || auxiliaries[p.toks[i]] && len(p.chunk) == 0 && p.prev >= 0
}

// action reads an action from i — auxiliaries, adverbs, verbs and a closing
// preposition — as the pending relation, and returns the index after it.
func (p *parser) action(i int) int {
	toks := p.toks
	var act []string
	for i < len(toks) {
		t := toks[i]
		if !verbAt(toks, i) && !(strings.HasSuffix(t, "ly") && len(t) > 3) && t != "not" {
			break
		}
		act = append(act, t)
		i++
	}
	if i < len(toks) && verbPreps[toks[i]] {
		if pr, n := matchPhrase(toks, i, spatialPredicates); n > 1 {
			act = append(act, pr)
			i += n
		} else {
			act = append(act, toks[i])
			i++
		}
	}
	p.pending = actionName(act)
	copula := len(act) == 1 && (act[0] == "is" || act[0] == "are" || act[0] == "was" || act[0] == "were")
	if copula && p.prev >= 0 {
		// "a car that is red", "a dress which is long and red": what the
		// clause says of the thing before it is its attributes.
		if j := p.attributesAt(i); j > i {
			p.pending = ""
			return p.attach(i, j)
		}
	}
	return i
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
			if n, ok := english.CountOf(w); ok {
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
	if !latin(noun) {
		// Another script ("一只红色的猫"): the parser reads English and
		// invents no entity from what it cannot read.
		return e, false
	}
	if colour.IsWord(noun) || shapeWords[noun] || sizeWords[noun] || notEntities[noun] {
		// "the sky was blue": an attribute alone is no entity (material words
		// like "glass" or "paper" are nouns too, so they stay)
		return e, false
	}
	e.Noun = english.Singular(noun, int(e.Count))
	e.Attributes = append(e.Attributes, content[:len(content)-1]...)
	return e, true
}

// latin reports whether a word has a letter of the Latin alphabet (with
// its accented forms), as an English noun does.
func latin(w string) bool {
	for _, r := range w {
		if r >= 'a' && r <= 'z' || r >= 0xE0 && r <= 0x24F {
			return true
		}
	}
	return false
}

// ColorOf is the colour an entity's attributes give, with its shade words
// ("light brown" for "a light brown dog", so that the critic judges it
// against light brown, not brown), or "".
func ColorOf(e schema.Entity) string { return colour.Of(e.Attributes) }

// ShapeOf is the shape an entity implies — round, square, triangular — or "".
func ShapeOf(e schema.Entity) string {
	for _, a := range e.Attributes {
		if s, ok := shapeOf[a]; ok {
			return s
		}
	}
	return shapeOf[e.Noun]
}

// HasVerb reports whether a sentence's words hold a verb where it stands:
// "sheep grazed in a meadow" has one, "the polished floor" has not.
func HasVerb(words []string) bool {
	for i := range words {
		if verbAt(words, i) {
			return true
		}
	}
	return false
}

// IsDeterminer reports whether w begins a noun phrase as an article, a
// possessive pronoun or a demonstrative does ("the", "their", "this"); a
// possessive noun ("a chef's knife") modifies the noun after it.
func IsDeterminer(w string) bool { return determiners[w] }

// IsFunctionWord reports whether w is a preposition, a conjunction or an
// auxiliary: a word no noun phrase holds before its noun.
func IsFunctionWord(w string) bool {
	return verbPreps[w] || auxiliaries[w] || conjunctions[w]
}

// conjunctions join phrases and clauses.
var conjunctions = set("and", "or", "but", "as", "while", "than", "that", "which", "who", "where", "when", "because", "so", "yet", "nor", "then")

// IsVerb reports whether a word acts as a verb wherever it stands: one the
// lexicon lists, an auxiliary, or an -ing form that is not a noun
// ("sitting", not "building").
func IsVerb(w string) bool {
	return verbs[w] || auxiliaries[w] || (strings.HasSuffix(w, "ing") && len(w) > 4 && !adjectiveEndings(w))
}
