package prompt

import (
	"strconv"
	"strings"

	"github.com/twigdata/twigdata/lang/english"
)

// People frame what they want drawn: "a photo of a cat", "an oil painting
// of two ships", "there are three apples on a table", "an image showing a
// red car". The frame says what the picture is, not what is in it: it is
// no entity, and its words are no attributes of the thing framed ("a photo
// cat"), so the parser reads past it.

// frameNouns name a picture of something.
var frameNouns = set("photo", "photograph", "photography", "picture", "pic", "image", "painting", "drawing", "illustration", "rendering",
	"render", "sketch", "portrait", "shot", "snapshot", "closeup", "close-up", "watercolor", "watercolour", "artwork", "depiction",
	"cartoon", "poster", "selfie", "still", "scene", "view", "graphic", "wallpaper")

// frameLinks join a frame to what it frames.
var frameLinks = set("of", "showing", "depicting", "featuring", "with", "shows", "depicts", "features", "containing")

// maxFrameWords bounds the words between a frame's determiner and its noun
// ("a high quality 3d render of"): a longer run is no frame.
const maxFrameWords = 4

// unframe drops the frames at the start of each sentence of a prompt's
// tokens.
func unframe(toks []string) []string {
	var out []string
	start := true
	for i := 0; i < len(toks); {
		if start {
			if n := frameAt(toks[i:]); n > 0 {
				i += n
				continue
			}
		}
		start = toks[i] == "." || toks[i] == ","
		out = append(out, toks[i])
		i++
	}
	return out
}

// frameAt is how many tokens of a frame toks starts with, or 0: "there
// is/are", "this is", or a determiner, a few words, a frame noun and its
// link ("a photo of", "an old black and white photograph showing").
func frameAt(toks []string) int {
	if len(toks) >= 2 && (toks[0] == "there" || toks[0] == "here" || toks[0] == "this" || toks[0] == "it") {
		switch toks[1] {
		case "is", "are", "was", "were", "shows", "depicts":
			return 2
		}
	}
	i := 0
	if len(toks) > 0 && determiners[toks[0]] {
		i = 1
	}
	for j := i; j < len(toks) && j <= i+maxFrameWords; j++ {
		w := toks[j]
		if w == "." || w == "," || auxiliaries[w] {
			return 0
		}
		noun := frameNouns[w] || w == "up" && j > 0 && toks[j-1] == "close"
		if !noun || j+1 >= len(toks) {
			continue
		}
		if frameLinks[toks[j+1]] {
			return j + 2
		}
		if toks[j+1] == "that" && j+2 < len(toks) && (toks[j+2] == "shows" || toks[j+2] == "depicts") {
			return j + 3
		}
	}
	return 0
}

// englishWords and foreignWords are the function words of English and of
// the Latin-script languages prompts are most often written in (French,
// Spanish, German, Italian, Portuguese, Dutch): a prompt with two foreign
// ones and no English one is in another language.
var (
	englishWords = set("a", "an", "the", "of", "and", "with", "on", "in", "is", "are", "at", "to", "by", "next", "under", "behind")
	foreignWords = set("un", "une", "le", "la", "les", "des", "du", "sur", "avec", "et", "el", "los", "las", "una", "unos", "con", "del", "y",
		"der", "die", "das", "ein", "eine", "einen", "und", "mit", "auf", "il", "lo", "gli", "di", "che", "uma", "um", "os", "em", "het", "een", "op", "en")
)

// foreign reports whether a prompt's tokens are in another language.
func foreign(toks []string) bool {
	var en, other int
	for _, w := range toks {
		switch {
		case englishWords[w]:
			en++
		case foreignWords[w]:
			other++
		}
	}
	return en == 0 && other >= 2
}

// salad reports whether a prompt's tokens hold words but none an English
// word list knows ("blorf zindle quax"): nothing is read from it, as from
// another language. One known word is enough to read the rest.
func salad(toks []string) bool {
	content := 0
	for _, w := range toks {
		w = strings.Trim(w, "-")
		if w == "" || w == "." || w == "," || !latin(w) {
			continue
		}
		if english.IsWord(w) || english.IsWord(english.Singular(w, 2)) {
			return false
		}
		if _, err := strconv.Atoi(w); err == nil {
			return false
		}
		content++
	}
	return content > 0
}
