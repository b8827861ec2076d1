package plan

import (
	"regexp"
	"slices"
	"strings"

	"github.com/twigdata/twigdata/lang/colour"
	"github.com/twigdata/twigdata/lang/english"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/stages/prompt"
)

// maxWords bounds a thought: a longer rewritten caption gives way to the
// evidence's own wording.
const maxWords = 40

// captionOpeners are the phrases captioners start with that describe the
// picture rather than what it shows.
var captionOpeners = regexp.MustCompile(`(?i)^\s*(?:in this (?:image|picture|photo),?\s*)?(?:we can see\s+|there (?:is|are)\s+|this is\s+|(?:the|this) (?:image|picture|photo) (?:shows|depicts|features|is of)\s+|(?:the|this) (?:image|picture|photo) is\s+)?(?:an? (?:image|picture|photo|close[- ]?up|view) of\s+)?`)

// anchorPhrases are the prepositional phrases that place a thing in the
// picture ("in the background", "on the left side of the image"): a plan
// must not say where a region is, and cutting the whole phrase keeps the
// sentence whole where cutting the word would not.
var anchorPhrases = regexp.MustCompile(`(?i),?\s*\b(?:on|at|in|to|towards|near|from|along)\s+(?:the\s+|its\s+)?(?:very\s+)?(?:top|bottom|left|right|middle|center|centre|background|foreground|upper|lower|front|back)(?:\s+(?:side|corner|part|half|edge|left|right|area|portion|section))*(?:\s+of\s+(?:the\s+|this\s+)?(?:image|picture|photo|frame|scene))?\b`)

// relationalAnchors are anchor phrases that relate two things rather than
// place one in the picture ("on top of the table", "to the left of the
// cup"): group 1 is the phrase up to its "of", group 2 its anchor word,
// group 3 the noun it relates to.
var relationalAnchors = regexp.MustCompile(`(?i)(\b(?:on|at|in|to|towards)\s+(?:the\s+|its\s+)?(?:very\s+)?(top|bottom|left|right|side|back|front|middle|center|centre)(?:\s+(?:side|edge|corner|part|half))?\s+of\s+)(?:(?:the|this|a|an|its)\s+)?(\w+)`)

// relationWords say a relational anchor phrase without its anchor word.
var relationWords = map[string]string{"top": "on", "bottom": "at the foot of", "left": "beside", "right": "beside", "side": "beside",
	"back": "behind", "front": "in front of", "middle": "amid", "center": "amid", "centre": "amid"}

// pictureNouns name the picture itself.
var pictureNouns = map[string]bool{"image": true, "picture": true, "photo": true, "photograph": true, "frame": true, "scene": true}

// relate rewrites the relational anchor phrases of a caption to a
// preposition with no anchor word ("sitting on top of a table": "sitting on
// a table"); cutting the anchor phrase had left "sitting of a table". A
// phrase that places a thing in the picture ("at the top of the image") is
// left to anchorPhrases.
func relate(c string) string {
	ms := relationalAnchors.FindAllStringSubmatchIndex(c, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if pictureNouns[strings.ToLower(c[m[6]:m[7]])] {
			continue
		}
		c = c[:m[2]] + relationWords[strings.ToLower(c[m[4]:m[5]])] + " " + c[m[3]:]
	}
	return c
}

// cutAnchors cuts the anchor phrases that place a thing in the picture; one
// followed by "of" relates two things (relate has said it without an anchor
// word: "in front of the cup") and stays.
func cutAnchors(c string) string {
	ms := anchorPhrases.FindAllStringIndex(c, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		if rest := strings.TrimLeft(c[ms[i][1]:], " "); strings.HasPrefix(rest, "of ") {
			continue
		}
		c = c[:ms[i][0]] + c[ms[i][1]:]
	}
	return c
}

// pictureWords are phrases that name the picture itself.
var pictureWords = regexp.MustCompile(`(?i)\s*\b(?:in|of)\s+(?:the|this)\s+(?:image|picture|photo|frame)\b`)

// modifiers may stand in a noun phrase before its head.
func modifier(w string) bool {
	switch w {
	case "a", "an", "the", "some", "light", "dark", "bright", "pale", "deep", "several", "many":
		return true
	}
	_, count := english.CountOf(w)
	return count || prompt.IsAttribute(w)
}

// Write writes τ_k for a band from its caption when the caption can be
// rewritten on the evidence — opening words and anchor phrases cut,
// placeholder nouns given the evidence's names by colour, things the
// evidence grounds to the prompt given the prompt's noun, attributes and the
// counted number — and adds, briefly, the salient things the caption left
// out and what continues from the band above. A caption that cannot be
// rewritten (a placeholder the evidence cannot name, an anchor word left, too
// long, nothing left, or only a list of noun phrases with no verb of its
// own) gives way to Thought.
func Write(b *evidence.Band, caption string, ents []schema.Entity) Written {
	if out, ok := fromCaption(b, caption, ents); ok {
		return out
	}
	return Thought(b)
}

func fromCaption(b *evidence.Band, caption string, ents []schema.Entity) (Written, bool) {
	words := captionWords(caption)
	if len(words) < 2 || FindAnchor(strings.Join(words, " ")) != "" {
		return Written{}, false
	}
	r, ok := rewritePhrases(words, b, ents)
	if !ok || r.nounPhrases == 0 {
		return Written{}, false
	}
	out, ok := withVerb(r.out, r.phrase)
	if !ok {
		return Written{}, false
	}
	text := listCommas(strings.ReplaceAll(strings.Join(out, " "), " , ", ", "))
	w, ok := withLeftOut(capitalize(text)+".", b, ents, r.used, r.usedStuff)
	w.Names = nouns(append(w.Names, captionNouns(words)...))
	return w, ok
}

// captionNouns are the nouns of a caption's own words: the model's text,
// parsed as a prompt is, its placeholders ("object") aside — they are
// given the evidence's names. A plan keeps them where the evidence does not
// speak to them, and names them all the same.
func captionNouns(words []string) []string {
	var out []string
	for _, e := range prompt.Parse(strings.Join(words, " ")).Entities {
		if _, kind, _ := headOf(e.Noun, &evidence.Band{}, nil); kind != headPlaceholder {
			out = append(out, e.Noun)
		}
	}
	return out
}

// captionWords is the first sentence of a caption, lower case, without its
// opening ("in this image we can see"), anchor phrases and picture words,
// as words (a comma a word of its own).
func captionWords(caption string) []string {
	c := strings.TrimSpace(strings.ToLower(caption))
	if i := strings.IndexAny(c, ".!?"); i >= 0 {
		c = c[:i] // the first sentence: the one that describes
	}
	c = captionOpeners.ReplaceAllString(c, "")
	c = cutAnchors(relate(c))
	c = pictureWords.ReplaceAllString(c, "")
	return strings.Fields(strings.NewReplacer(",", " , ").Replace(c))
}

// rewritten is a caption with its noun phrases put in the evidence's words.
type rewritten struct {
	out             []string
	phrase          []bool       // whether each word of out is of a noun phrase the evidence speaks to
	used, usedStuff map[int]bool // the object and scenery groups the caption names
	nounPhrases     int
}

// rewritePhrases puts each noun phrase of the caption the evidence speaks to
// in the evidence's words: a placeholder ("a red object") takes the name
// of the named thing of its colour, a thing grounded to the prompt its
// noun, attributes, measured colour and count. ok is false for a
// placeholder no model names.
func rewritePhrases(words []string, b *evidence.Band, ents []schema.Entity) (rewritten, bool) {
	r := rewritten{used: map[int]bool{}, usedStuff: map[int]bool{}}
	for _, w := range words {
		head, kind, gi := headOf(w, b, r.used)
		if kind == headNone {
			r.out, r.phrase = append(r.out, w), append(r.phrase, false)
			continue
		}
		start := phraseStart(r.out, r.phrase)
		mods := append([]string(nil), r.out[start:]...)
		r.out, r.phrase = r.out[:start], r.phrase[:start]
		r.nounPhrases++
		put, ok := r.phraseFor(kind, gi, head, mods, b, ents)
		if !ok {
			return r, false // a thing no model names: the evidence's wording instead
		}
		r.out = append(r.out, put...)
		for len(r.phrase) < len(r.out) {
			r.phrase = append(r.phrase, true)
		}
	}
	return r, true
}

// phraseStart is where the noun phrase whose head follows out begins: the
// words before the head back to its determiner — modifiers and the nouns
// that modify it ("a basketball player") —, none of a phrase put in before
// (phrase marks those).
func phraseStart(out []string, phrase []bool) int {
	start := len(out)
	for start > 0 && !phrase[start-1] {
		w := out[start-1]
		// "black and white": two colours of one thing are one phrase.
		colors := w == "and" && start >= 2 && !phrase[start-2] && start < len(out) && colour.IsWord(out[start-2]) && colour.IsWord(out[start])
		if !colors && !inPhrase(w) && !participle(out, phrase, start-1) {
			break
		}
		start--
		if prompt.IsDeterminer(w) {
			break
		}
	}
	return start
}

// phraseFor is the evidence's words for a noun phrase of head and its
// modifiers mods: a placeholder takes the name of the first named thing
// not yet used of its colour, a thing its group's phrase, scenery its own
// words; the groups it names are marked used. ok is false for a
// placeholder no model names.
func (r *rewritten) phraseFor(kind headKind, gi int, head string, mods []string, b *evidence.Band, ents []schema.Entity) ([]string, bool) {
	switch kind {
	case headPlaceholder:
		color := colour.Of(mods)
		for k, grp := range b.Objects {
			if grp.Named && !r.used[k] && (color == "" || grp.Color == color || strings.HasSuffix(grp.Color, " "+color)) {
				r.used[k] = true
				return strings.Fields(entityPhrase(grp, ents, mods)), true
			}
		}
		return nil, false
	case headThing:
		r.used[gi] = true
		return strings.Fields(entityPhrase(b.Objects[gi], ents, mods)), true
	default: // headStuff
		r.usedStuff[gi] = true
		return append(mods, head), true
	}
}

// withVerb gives a caption that relates its noun phrases with no verb of
// its own the verb it left out; ok is false for one that only lists them.
func withVerb(out []string, phrase []bool) ([]string, bool) {
	// The caption's own words: not those of the noun phrases put in or kept,
	// which hold no verb of the caption's.
	var own []string
	for i, w := range out {
		if !phrase[i] {
			own = append(own, w)
		}
	}
	if !prompt.HasVerb(own) {
		// A list of noun phrases ("blue sky and red object") adds no wording
		// the evidence lacks: the evidence's sentences say more. A caption
		// that relates them does ("a red apple on a wooden table"): it takes
		// the verb it left out ("A red apple is on a brown table."), which
		// a parser of English asks of "next to", "behind", "in front of". The
		// verb or relation must be the caption's: a prompt attribute put in
		// ("a setting sun") is no verb of the sentence.
		at := prompt.RelationAt(out)
		switch {
		case at > 0 && subjectOnly(out[:at], phrase[:at]):
			// The relation follows noun phrases alone: the verb goes
			// between. After a word of the caption's own it does not ("a
			// book sit on a chair", "bookcases hold books in a library":
			// the lexicon does not know "sit" and "hold").
			out = slices.Insert(out, at, english.Be(subjectNumber(out[:at]), false))
		case !slices.Contains(own, "with"): // "two red balls with a white cup" reads whole
			return nil, false
		}
	}
	return out, true
}

// listCommas writes "a and b and c" as "a, b and c" where what stands
// between the "and"s is a noun phrase, not a clause ("a spoon and a cup mix
// the whisk and the spatula" is no list).
func listCommas(text string) string {
	if and := strings.Split(text, " and "); len(and) > 2 {
		list := true
		for _, mid := range and[1 : len(and)-1] {
			// Each a noun phrase of its own: "black and white tile and a
			// window" is no list of three.
			f := strings.Fields(mid)
			_, counted := english.CountOf(f[0])
			list = list && (counted || prompt.IsDeterminer(f[0])) && !prompt.HasVerb(f) && prompt.RelationAt(f) < 0
		}
		if list {
			text = strings.Join(and[:len(and)-1], ", ") + " and " + and[len(and)-1]
		}
	}
	return text
}

// withLeftOut adds to the caption's sentence what it left out: the salient
// named things, then what continues across the seam — three things and two
// kinds of scenery in all, the caption's own first, the rest the most
// salient of the others. ok is false when that is too long or holds an
// anchor word.
func withLeftOut(first string, b *evidence.Band, ents []schema.Entity, used, usedStuff map[int]bool) (Written, bool) {
	parts := []string{first}
	var names []string
	for k, g := range b.Objects {
		if used[k] {
			names = append(names, g.Noun)
		}
	}
	for k, g := range b.Stuff {
		if usedStuff[k] {
			names = append(names, g.Noun)
		}
	}
	skipObj, skipStuff := leftOut(b)
	things := len(used)
	var left []string
	leftN := 0
	for k, g := range b.Objects {
		if !g.Named || !g.Shown || used[k] || skipObj[k] || g.Continues {
			continue
		}
		if things == maxObjects {
			skipObj[k] = true
			continue
		}
		things++
		left = append(left, entityPhrase(g, ents, nil))
		names = append(names, g.Noun)
		leftN += number(g.Noun, g.Count)
	}
	within(b.Objects, used, skipObj, things, maxObjects)
	within(b.Stuff, usedStuff, skipStuff, len(usedStuff), maxScenery)
	cont := continuing(b, skipObj, skipStuff)
	names = append(names, cont.nouns...)
	contS := cont.sentence("")
	if len(left) > 0 {
		verb := "also appear"
		if len(left) == 1 && leftN == 1 {
			verb = "also appears"
		}
		second := capitalize(joinList(left)) + " " + verb
		if contS != "" {
			// Two sentences at most: what continues joins the second.
			second += ", and " + strings.ToLower(contS[:1]) + contS[1:len(contS)-1]
		}
		parts = append(parts, second+".")
	} else if contS != "" {
		parts = append(parts, contS)
	}
	out2 := strings.Join(parts, " ")
	if n := len(strings.Fields(out2)); n > maxWords || FindAnchor(out2) != "" {
		return Written{}, false
	}
	return Written{Text: out2, Names: names}, true
}

// within marks in skip the continuing groups past a limit of phrases, n
// of which are written already; the groups in used are marked too (the
// caption names them).
func within(gs []evidence.Group, used, skip map[int]bool, n, limit int) {
	for k, g := range gs {
		switch {
		case used[k]:
			skip[k] = true
		case !g.Named || !g.Shown || !g.Continues || skip[k]:
		case n == limit:
			skip[k] = true
		default:
			n++
		}
	}
}

type headKind int

const (
	headNone        headKind = iota
	headPlaceholder          // "object", "thing": to be named from the evidence
	headThing                // a thing group's noun
	headStuff                // a scenery group's noun
)

// headOf says whether a caption word heads a noun phrase the evidence
// speaks to, and which group it names.
func headOf(w string, b *evidence.Band, used map[int]bool) (string, headKind, int) {
	switch w {
	case "object", "objects", "thing", "things", "item", "items", "stuff":
		return w, headPlaceholder, -1
	}
	single := english.Singular(w, 2)
	for k, g := range b.Objects {
		if g.Named && !used[k] && (g.Noun == w || g.Noun == single) {
			return w, headThing, k
		}
	}
	for k, g := range b.Stuff {
		if g.Named && (g.Noun == w || g.Noun == single) {
			return w, headStuff, k
		}
	}
	return w, headNone, -1
}

// inPhrase reports whether a caption word may stand in a noun phrase before
// its noun: a determiner, a modifier, or a noun that modifies ("basketball"
// in "a basketball player") — not a preposition, conjunction, verb or
// punctuation.
func inPhrase(w string) bool {
	if modifier(w) || prompt.IsDeterminer(w) {
		return true
	}
	return w != "," && !prompt.IsFunctionWord(w) && !prompt.IsVerb(w) && !strings.HasSuffix(w, "ed")
}

// participle reports whether the -ing or -ed word words[i] stands in a
// noun phrase ("a spherical mixing bowl", "a parked car") rather than acts
// ("a man holding a cup"): it follows a determiner or an adjective of the
// caption's own (phrase marks the words of a noun phrase put in).
func participle(words []string, phrase []bool, i int) bool {
	w := words[i]
	if i == 0 || phrase[i-1] || !strings.HasSuffix(w, "ing") && !strings.HasSuffix(w, "ed") {
		return false
	}
	p := words[i-1]
	return prompt.IsDeterminer(p) || modifier(p) || describes(p)
}

// subjectOnly reports whether the words before a caption's relation are
// noun phrases the evidence speaks to and the words that join them ("and",
// ","), so that the verb the caption left out goes between; phrase says
// which words are of those phrases.
func subjectOnly(words []string, phrase []bool) bool {
	for i, w := range words {
		if !phrase[i] && w != "and" && w != "," {
			return false
		}
	}
	return len(words) > 0
}

// entityPhrase is a thing group's counted phrase, its colour the measured
// one. The caption's own words before the noun (mods, its determiner,
// count and colour words aside) are kept in its order, the colour where the
// caption had one or before the first word that does not describe (a noun
// that modifies: "a red basketball player"); one grounded to a prompt
// entity takes the prompt's lexicon attributes the caption lacks — sizes and
// shapes first, materials after the colour.
func entityPhrase(g evidence.Group, ents []schema.Entity, mods []string) string {
	var words []string
	colorAt := -1
	for i, w := range mods {
		_, count := english.CountOf(w)
		switch {
		case count || prompt.IsDeterminer(w) || w == "," || w == "and": // "and" only joins two colours here
		case colour.IsWord(w) || shadesColor(mods[i:]): // the evidence's colour, shade and all, replaces the caption's
			if colorAt < 0 {
				colorAt = len(words)
			}
		default:
			words = append(words, w)
		}
	}
	var pre, post []string
	if g.Entity >= 0 && g.Entity < len(ents) {
		for _, a := range prompt.Modifiers(ents[g.Entity].Attributes) {
			switch {
			case !prompt.IsAttribute(a) || colour.IsWord(a) || slices.Contains(words, a):
			case prompt.IsTexture(a):
				post = append(post, a)
			default:
				pre = append(pre, a)
			}
		}
	}
	if colorAt < 0 {
		colorAt = len(words)
		for i, w := range words {
			if !describes(w) {
				colorAt = i
				break
			}
		}
	}
	desc := slices.Concat(pre, words[:colorAt], []string{g.Color}, post, words[colorAt:])
	return counted(strings.Join(strings.Fields(strings.Join(desc, " ")), " "), g.Noun, g.Count)
}

// shadesColor reports whether words start with shade words of a colour
// word ("pale" in "pale blue"; not "deep" in "a deep bowl").
func shadesColor(words []string) bool {
	i := 0
	for i < len(words) && colour.IsShade(words[i]) {
		i++
	}
	return i > 0 && i < len(words) && colour.IsWord(words[i])
}

// describes reports whether a modifier is an adjective that stands before a
// colour — a size, a shape or a word of adjective form ("delicious",
// "sleek") — rather than a noun or an -ing form that modifies
// ("basketball", "mixing bowl").
func describes(w string) bool {
	// A material follows the colour ("a gray crystal vase"); an adverb of
	// degree goes with the adjective after it ("a very small white cup").
	return !prompt.IsTexture(w) && prompt.IsAdjective(w) || english.IsDegree(w)
}

// subjectNumber is how many the words before a caption's relation name, as
// agreement counts them: two or more when they list things (before any
// "with") or count them.
func subjectNumber(words []string) int {
	if i := slices.Index(words, "with"); i > 0 {
		words = words[:i] // "a bathroom with a sink and a tub" is one bathroom
	}
	for i, w := range words {
		// "a and b" lists two things; "a pink and red cup" is one thing of
		// two colours.
		joinsColours := w == "and" && i > 0 && i+1 < len(words) && colour.IsWord(words[i-1]) && colour.IsWord(words[i+1])
		if w == "," || w == "and" && !joinsColours {
			return 2
		}
	}
	if len(words) > 0 {
		if n, ok := english.CountOf(words[0]); ok && n > 1 {
			return n
		}
		if last := words[len(words)-1]; english.LooksPlural(last) && !english.IsMass(last) {
			return 2
		}
	}
	return 1
}
