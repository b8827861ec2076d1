// Package judge reads plans as an outsider would, to score them against a
// test world's truth with no code or word list of twigdata's language code
// (lang/*, stages/prompt, stages/plan, stages/critic): what a shared
// lexicon gets wrong it would get wrong on both sides and forgive.
//
// Its vocabulary comes from elsewhere: the noun phrases of a plan and their
// heads from Link Grammar (CMU's parser and dictionary, the constituent
// tree of each sentence), singular forms from Link Grammar's word lists,
// and colour names from the XKCD colour survey (what people call a colour;
// xkcd.tsv). A colour word is right when its basic colour term (red,
// orange, yellow, green, blue, purple, pink, brown, black, white, gray) is
// the one people give the true colour.
package judge

import (
	"bufio"
	_ "embed"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

//go:embed xkcd.tsv
var xkcdTSV string

// Colour is one named colour of the survey.
type Colour struct {
	Name string
	RGB  [3]float64
}

// basicTerms are Berlin and Kay's eleven basic colour terms of English.
var basicTerms = map[string]bool{"red": true, "orange": true, "yellow": true, "green": true, "blue": true, "purple": true,
	"pink": true, "brown": true, "black": true, "white": true, "gray": true}

// Vocabulary is what the judge knows of words: the survey's colours, and
// Link Grammar's nouns.
type Vocabulary struct {
	colours   map[string]Colour
	basics    []Colour          // the survey's colours named by a basic term
	singular  map[string]bool   // Link Grammar's singular and mass nouns
	plural    map[string]bool   // its plural nouns
	verbs     map[string]bool   // its verb forms
	colourWds map[string]bool   // every word of a colour name
	lgDir     string            // the Link Grammar installation
	basicOf   map[string]string // cache: colour name → basic term
}

// Load reads the vocabulary; lg is the Link Grammar installation
// (.deps/link-grammar).
func Load(lg string) (*Vocabulary, error) {
	v := &Vocabulary{colours: map[string]Colour{}, singular: map[string]bool{}, plural: map[string]bool{}, verbs: map[string]bool{}, colourWds: map[string]bool{},
		lgDir: lg, basicOf: map[string]string{}}
	for _, line := range strings.Split(xkcdTSV, "\n") {
		name, hex, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("xkcd.tsv: %q: %w", line, err)
		}
		name = strings.ReplaceAll(name, "grey", "gray")
		c := Colour{name, [3]float64{float64(n >> 16 & 255), float64(n >> 8 & 255), float64(n & 255)}}
		v.colours[name] = c
		if basicTerms[name] {
			v.basics = append(v.basics, c)
		}
		for _, w := range strings.Fields(name) {
			v.colourWds[w] = true
		}
	}
	words := filepath.Join(lg, "usr/share/link-grammar/en/words")
	for file, into := range map[string]map[string]bool{"words.n.1-const": v.singular, "words.n.1-vowel": v.singular, "words.n.3-const": v.singular,
		"words.n.3-vowel": v.singular, "measures.1": v.singular, "words.n.2.s": v.plural, "words.n.2.x": v.plural, "measures.2": v.plural} {
		if err := readWords(filepath.Join(words, file), into); err != nil {
			return nil, err
		}
	}
	verbLists, err := filepath.Glob(filepath.Join(words, "words.v.*"))
	if err != nil {
		return nil, err
	}
	for _, f := range verbLists {
		if err := readWords(f, v.verbs); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// readWords adds the words of a Link Grammar word list ("apple.n") to set.
func readWords(path string, set map[string]bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Split(bufio.ScanWords)
	for sc.Scan() {
		w := sc.Text()
		if i := strings.IndexByte(w, '.'); i > 0 {
			w = w[:i]
		}
		set[strings.ToLower(w)] = true
	}
	return sc.Err()
}

// Singular is a noun's singular form by Link Grammar's lists: a word its
// singular list holds and its plural lists do not is one; otherwise the
// singular the lists hold that the word is a plural of ("cups" → "cup",
// "boxes" → "box", "berries" → "berry", "knives" → "knife").
func (v *Vocabulary) Singular(w string) string {
	if v.singular[w] && !v.plural[w] || !strings.HasSuffix(w, "s") {
		return w
	}
	for _, c := range []string{strings.TrimSuffix(w, "s"), strings.TrimSuffix(w, "es"), strings.TrimSuffix(w, "ies") + "y",
		strings.TrimSuffix(w, "ves") + "f", strings.TrimSuffix(w, "ves") + "fe"} {
		if c != w && v.singular[c] {
			return c
		}
	}
	return w
}

// IsColourWord reports whether w is a word of a survey colour's name.
func (v *Vocabulary) IsColourWord(w string) bool { return v.colourWds[w] }

// Basic is the basic colour term people give an sRGB colour: the term of
// the survey colour named by a basic term that is nearest it in CIELAB.
func (v *Vocabulary) Basic(rgb [3]float64) string {
	best, dist := "", math.Inf(1)
	for _, c := range v.basics {
		if d := deltaE(lab(rgb), lab(c.RGB)); d < dist {
			best, dist = c.Name, d
		}
	}
	return best
}

// BasicOfName is the basic colour term of a colour name: its last word when
// that is a basic term ("light purple" → purple), else the basic colour
// nearest the survey's value of the longest name it ends with ("beige").
// "" when no survey name ends the words.
func (v *Vocabulary) BasicOfName(name string) string {
	name = strings.ReplaceAll(name, "grey", "gray")
	if b, ok := v.basicOf[name]; ok {
		return b
	}
	f := strings.Fields(name)
	out := ""
	if len(f) > 0 && basicTerms[f[len(f)-1]] {
		out = f[len(f)-1]
	} else {
		for i := range f {
			c, ok := v.colours[strings.Join(f[i:], " ")]
			if !ok {
				continue
			}
			best, dist := "", math.Inf(1)
			for _, b := range v.basics {
				if d := deltaE(lab(c.RGB), lab(b.RGB)); d < dist {
					best, dist = b.Name, d
				}
			}
			out = best
			break
		}
	}
	v.basicOf[name] = out
	return out
}

// lab converts sRGB (0..255) to CIELAB under D65: the judge's own, from the
// standard's formulas.
func lab(c [3]float64) [3]float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	r, g, b := lin(c[0]), lin(c[1]), lin(c[2])
	x := (0.4124564*r + 0.3575761*g + 0.1804375*b) / 0.95047
	y := 0.2126729*r + 0.7151522*g + 0.0721750*b
	z := (0.0193339*r + 0.1191920*g + 0.9503041*b) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

func deltaE(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}
