package judge

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Mention is a thing a plan's sentence names: its head noun (singular), how
// many, and the colours said of it (each a survey colour's words).
type Mention struct {
	Noun string
	// Count is the number its count word says ("a" 1, "three" 3), or
	// Several for a plural with none ("cups").
	Count   int
	Colours []string
}

// Several is the Count of a plural said with no number: more than one.
const Several = -1

// notThings are nouns a plan uses that name no thing in the picture: the
// picture itself and the ways a surface shades ("much of the view", "to
// one side"). The judge's own list.
// "set" is there because Link Grammar reads "a book is set against a wall"
// as "is [a] set": a parse the judge corrects rather than counts.
// "quarter", "fifth" … are amounts of the view, not things in it, and
// "lighter", "darker" ("growing lighter") are read as nouns (a cigarette
// lighter) where they are comparatives.
var notThings = map[string]bool{"view": true, "side": true, "part": true, "way": true, "one": true, "set": true,
	"quarter": true, "fifth": true, "tenth": true, "half": true, "third": true, "lighter": true, "darker": true}

// numbers are the count words the judge reads.
var numbers = map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

// Read parses each sentence with Link Grammar and returns, for each, the
// things its noun phrases name.
func (v *Vocabulary) Read(sentences []string) ([][]Mention, error) {
	dir := v.lgDir
	cmd := exec.Command(filepath.Join(dir, "usr/bin/link-parser"), filepath.Join(dir, "usr/share/link-grammar/en"),
		"-graphics=0", "-constituents=1", "-verbosity=0", "-echo=0", "-timeout=10")
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(dir, "usr/lib/x86_64-linux-gnu"))
	var in bytes.Buffer
	for _, s := range sentences {
		in.WriteString(strings.ReplaceAll(s, "\n", " ") + "\n")
	}
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("link-parser: %w", err)
	}
	trees := topLevel(string(out))
	if len(trees) != len(sentences) {
		return nil, fmt.Errorf("link-parser gave %d trees for %d sentences", len(trees), len(sentences))
	}
	res := make([][]Mention, len(trees))
	for i, t := range trees {
		res[i] = v.mentions(t)
	}
	return res, nil
}

// topLevel splits link-parser's output into its sentences' trees: the
// balanced groups that start at the top level.
func topLevel(out string) []string {
	var trees []string
	depth, start := 0, -1
	for i, r := range out {
		switch r {
		case '(':
			if depth == 0 {
				start = i
			}
			depth++
		case ')':
			depth--
			if depth == 0 && start >= 0 {
				trees = append(trees, out[start:i+1])
				start = -1
			}
		}
	}
	return trees
}

// node is a constituent: its label and its children, words or nodes.
type node struct {
	label string
	kids  []any // string or *node
}

var tokenRE = regexp.MustCompile(`\(|\)|[^\s()]+`)

func parseTree(s string) *node {
	toks := tokenRE.FindAllString(s, -1)
	var stack []*node
	var root *node
	for i := 0; i < len(toks); i++ {
		switch t := toks[i]; t {
		case "(":
			n := &node{}
			if i+1 < len(toks) {
				n.label = toks[i+1]
				i++
			}
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.kids = append(top.kids, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case ")":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		default:
			if len(stack) > 0 {
				top := stack[len(stack)-1]
				top.kids = append(top.kids, t)
			}
		}
	}
	return root
}

// mentions are the things of a sentence's tree: each noun phrase's words,
// its adjective phrases' included, split at its conjunctions, each part
// headed by its last noun.
func (v *Vocabulary) mentions(tree string) []Mention {
	root := parseTree(tree)
	var out []Mention
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		switch n.label {
		case "NP":
			out = append(out, v.phraseMentions(flatWords(n))...)
		case "PP":
			// Link Grammar leaves some objects of a preposition bare in the
			// PP ("against dark green grass"): the words after it.
			if w := flatWords(n); len(w) > 1 {
				out = append(out, v.phraseMentions(w[1:])...)
			}
		}
		for _, k := range n.kids {
			if c, ok := k.(*node); ok {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// flatWords are a noun phrase's own words and those of its adjective
// phrases, in order; nested noun, verb and prepositional phrases are theirs.
func flatWords(n *node) []string {
	var out []string
	for _, k := range n.kids {
		switch c := k.(type) {
		case string:
			out = append(out, c)
		case *node:
			if c.label == "ADJP" {
				out = append(out, flatWords(c)...)
			}
		}
	}
	return out
}

// nounTag matches Link Grammar's noun subscripts (.n, .s, .p, .n-u, …).
var nounTag = regexp.MustCompile(`^[nsp](-|$)`)

func (v *Vocabulary) phraseMentions(words []string) []Mention {
	var out []Mention
	var part []string
	flush := func() {
		if m, ok := v.mention(part); ok {
			out = append(out, m)
		}
		part = nil
	}
	for _, w := range words {
		word, tag, _ := strings.Cut(strings.ToLower(w), ".")
		if word == "," || tag == "j-n" || tag == "j-m" {
			flush()
			continue
		}
		part = append(part, w)
	}
	flush()
	return out
}

// mention reads one noun phrase: its head is its last noun; a head that is
// a basic colour term ("turning white") or names no thing is none.
func (v *Vocabulary) mention(words []string) (Mention, bool) {
	head := -1
	for i, w := range words {
		if _, tag, _ := strings.Cut(strings.ToLower(w), "."); nounTag.MatchString(tag) {
			head = i
		}
	}
	if head < 0 {
		return Mention{}, false
	}
	noun, _, _ := strings.Cut(strings.ToLower(words[head]), ".")
	noun = strings.Trim(noun, "[]")
	if basicTerms[noun] || notThings[noun] {
		return Mention{}, false
	}
	m := Mention{Noun: v.Singular(noun), Count: 1}
	if _, tag, _ := strings.Cut(strings.ToLower(words[head]), "."); strings.HasPrefix(tag, "p") || m.Noun != noun && v.plural[noun] {
		m.Count = Several // Link Grammar's .p, or a plural by its lists
	}
	var colour []string
	for _, w := range words[:head] {
		word, _, _ := strings.Cut(strings.ToLower(w), ".")
		word = strings.Trim(word, "[]")
		if n, ok := numbers[word]; ok {
			m.Count = n
			continue
		}
		switch {
		case word == "and" && len(colour) > 0:
			m.Colours = append(m.Colours, strings.Join(colour, " "))
			colour = nil
		case v.IsColourWord(word):
			colour = append(colour, word)
		default:
			if len(colour) > 0 {
				m.Colours = append(m.Colours, strings.Join(colour, " "))
				colour = nil
			}
		}
	}
	if len(colour) > 0 {
		m.Colours = append(m.Colours, strings.Join(colour, " "))
	}
	return m, true
}
