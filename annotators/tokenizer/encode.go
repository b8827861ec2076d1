package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BPEEncoder turns text into token ids for a byte-level BPE tokenizer (GPT-2,
// BART, Florence-2) as the tokenizers library does: added tokens split out
// first, then GPT-2's pre-tokenizer, byte-level BPE on each piece, and the
// post-processor's special tokens around the result. Task prompts for
// prompt-taking models (Florence-2) need it; captions only need a Decoder.
// It is read-only once made, so safe for concurrent use.
type BPEEncoder struct {
	vocab       map[string]int
	ranks       map[[2]string]int
	added       []addedToken // longest first, so "<loc_10>" wins over "<loc_1>"
	prefixSpace bool         // ByteLevel add_prefix_space
	before      []int64      // post-processor ids put before the sequence
	after       []int64      // and after it
	bytes       [256]rune
	// clip: CLIP's tokenizer instead of GPT-2's pre-tokenizer: text
	// lowercased and its whitespace collapsed, split by CLIP's pattern, and
	// suffix ("</w>") marking the end of each word.
	clip   bool
	suffix string
}

type addedToken struct {
	content string
	id      int64
}

// EncoderFromJSON reads a tokenizer.json whose model is BPE with a ByteLevel
// pre-tokenizer; a normalizer, another pre-tokenizer or a post-processor it
// does not know is refused by name rather than encoded differently from the
// tokenizers library.
func EncoderFromJSON(data []byte) (*BPEEncoder, error) {
	tok, err := parseFile(data)
	if err != nil {
		return nil, err
	}
	if tok.Model.Type != "BPE" {
		return nil, fmt.Errorf("tokenizer.json has a %q model; twigdata encodes text only with byte-level BPE", tok.Model.Type)
	}
	if n := strings.TrimSpace(string(tok.Normalizer)); n != "" && n != "null" {
		return nil, fmt.Errorf("tokenizer.json has a normalizer (%.60s); twigdata encodes only with none, as byte-level BPE tokenizers ship", n)
	}
	if tok.PreTokenizer == nil || tok.PreTokenizer.Type != "ByteLevel" {
		name := "none"
		if tok.PreTokenizer != nil {
			name = tok.PreTokenizer.Type
		}
		return nil, fmt.Errorf("tokenizer.json has pre-tokenizer %s; twigdata encodes only with ByteLevel", name)
	}
	if u := tok.PreTokenizer.UseRegex; u != nil && !*u {
		return nil, fmt.Errorf("tokenizer.json has a ByteLevel pre-tokenizer without its regex (use_regex false); twigdata encodes only with it")
	}
	e := &BPEEncoder{vocab: tok.Model.Vocab, ranks: map[[2]string]int{}, prefixSpace: tok.PreTokenizer.AddPrefixSpace, bytes: ByteToUnicode()}
	for rank, raw := range tok.Model.Merges {
		pair, err := parseMerge(raw)
		if err != nil {
			return nil, fmt.Errorf("tokenizer.json: merge %d: %w", rank, err)
		}
		if _, ok := e.ranks[pair]; !ok {
			e.ranks[pair] = rank
		}
	}
	for _, a := range tok.AddedTokens {
		if a.Content != "" {
			e.added = append(e.added, addedToken{a.Content, a.ID})
		}
	}
	sort.SliceStable(e.added, func(i, j int) bool { return len(e.added[i].content) > len(e.added[j].content) })
	if p := tok.PostProcessor; p != nil {
		switch p.Type {
		case "ByteLevel":
		case "RobertaProcessing", "BertProcessing":
			var cls, sep int64
			if cls, err = pairID(p.Cls); err == nil {
				sep, err = pairID(p.Sep)
			}
			e.before, e.after = []int64{cls}, []int64{sep}
		case "TemplateProcessing":
			seen := false
			for _, piece := range p.Single {
				switch {
				case piece.Sequence != nil:
					seen = true
				case piece.SpecialToken != nil:
					st, ok := p.SpecialTokens[piece.SpecialToken.ID]
					if !ok {
						return nil, fmt.Errorf("tokenizer.json: template token %q is not among its special_tokens", piece.SpecialToken.ID)
					}
					if seen {
						e.after = append(e.after, st.IDs...)
					} else {
						e.before = append(e.before, st.IDs...)
					}
				}
			}
		default:
			return nil, fmt.Errorf("tokenizer.json has post-processor %s; twigdata encodes with ByteLevel, RobertaProcessing, BertProcessing or TemplateProcessing", p.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("tokenizer.json: %s: %w", p.Type, err)
		}
	}
	return e, nil
}

// clipPattern is the word pattern of CLIP's tokenizer (after its special
// tokens, which Encode splits out first).
var clipPattern = regexp.MustCompile(`(?i)'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+`)

// NewCLIPEncoder is the encoder of a CLIP tokenizer from its vocab.json and
// merges.txt (as OneFormer checkpoints ship it, for their task prompts):
// <|startoftext|> … <|endoftext|> around the words, each word's last symbol
// marked with "</w>". Text is lowercased and its whitespace collapsed, as
// CLIPTokenizer does without ftfy; ftfy's repairs of broken Unicode are not
// made.
func NewCLIPEncoder(vocab map[string]int, merges string) (*BPEEncoder, error) {
	e := &BPEEncoder{vocab: vocab, ranks: map[[2]string]int{}, bytes: ByteToUnicode(), clip: true, suffix: "</w>"}
	rank := 0
	for n, line := range strings.Split(merges, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || (n == 0 && strings.HasPrefix(line, "#version")) {
			continue
		}
		a, b, ok := strings.Cut(line, " ")
		if !ok || a == "" || b == "" {
			return nil, fmt.Errorf("merges.txt line %d: %q is not two tokens separated by a space", n+1, line)
		}
		if _, dup := e.ranks[[2]string{a, b}]; !dup {
			e.ranks[[2]string{a, b}] = rank
		}
		rank++
	}
	for _, sp := range []string{"<|startoftext|>", "<|endoftext|>"} {
		id, ok := vocab[sp]
		if !ok {
			return nil, fmt.Errorf("vocab.json has no %s: not a CLIP vocabulary", sp)
		}
		e.added = append(e.added, addedToken{sp, int64(id)})
	}
	e.before, e.after = []int64{e.added[0].id}, []int64{e.added[1].id}
	return e, nil
}

// parseMerge reads one merge in either spelling tokenizers has written:
// "a b" (before 0.20) or ["a", "b"].
func parseMerge(raw json.RawMessage) ([2]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		a, b, ok := strings.Cut(s, " ")
		if !ok || a == "" || b == "" {
			return [2]string{}, fmt.Errorf("%q is not two tokens separated by a space", s)
		}
		return [2]string{a, b}, nil
	}
	var p []string
	if err := json.Unmarshal(raw, &p); err != nil || len(p) != 2 {
		return [2]string{}, fmt.Errorf("%s is neither \"a b\" nor [\"a\", \"b\"]", raw)
	}
	return [2]string{p[0], p[1]}, nil
}

// pairID reads a post-processor's ["<s>", 0].
func pairID(raw json.RawMessage) (int64, error) {
	var p []json.RawMessage
	var id int64
	if err := json.Unmarshal(raw, &p); err != nil || len(p) != 2 || json.Unmarshal(p[1], &id) != nil {
		return 0, fmt.Errorf("%s is not a [token, id] pair", raw)
	}
	return id, nil
}

// Encode returns the ids of text with the post-processor's special tokens.
// A piece the vocabulary cannot spell (a byte missing from it) is an error.
func (e *BPEEncoder) Encode(text string) ([]int64, error) {
	ids := append([]int64(nil), e.before...)
	for len(text) > 0 {
		at, tok := e.nextAdded(text)
		if at > 0 {
			var err error
			if ids, err = e.encodeSegment(ids, text[:at]); err != nil {
				return nil, err
			}
		}
		if tok == nil {
			break
		}
		ids = append(ids, tok.id)
		text = text[at+len(tok.content):]
	}
	return append(ids, e.after...), nil
}

// nextAdded finds the first added token in text, the longest where several
// start at the same place; at is len(text) when there is none.
func (e *BPEEncoder) nextAdded(text string) (at int, tok *addedToken) {
	for i := range e.added {
		if j := strings.Index(text, e.added[i].content); j >= 0 && (tok == nil || j < at) {
			at, tok = j, &e.added[i]
		}
	}
	if tok == nil {
		return len(text), nil
	}
	return at, tok
}

func (e *BPEEncoder) encodeSegment(ids []int64, s string) ([]int64, error) {
	if e.clip {
		for _, piece := range clipPattern.FindAllString(strings.ToLower(strings.Join(strings.Fields(s), " ")), -1) {
			got, err := e.bpe(piece)
			if err != nil {
				return nil, err
			}
			ids = append(ids, got...)
		}
		return ids, nil
	}
	if e.prefixSpace && !strings.HasPrefix(s, " ") {
		s = " " + s
	}
	for _, piece := range splitGPT2(s) {
		got, err := e.bpe(piece)
		if err != nil {
			return nil, err
		}
		ids = append(ids, got...)
	}
	return ids, nil
}

// bpe spells piece's bytes in the byte-level alphabet and merges adjacent
// symbols, lowest-ranked pair first, until no pair in the merges remains.
func (e *BPEEncoder) bpe(piece string) ([]int64, error) {
	syms := make([]string, 0, len(piece))
	for i := 0; i < len(piece); i++ {
		syms = append(syms, string(e.bytes[piece[i]]))
	}
	if len(syms) > 0 {
		syms[len(syms)-1] += e.suffix
	}
	for len(syms) > 1 {
		best, bestRank := -1, 0
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := e.ranks[[2]string{syms[i], syms[i+1]}]; ok && (best < 0 || r < bestRank) {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		pair := [2]string{syms[best], syms[best+1]}
		merged := syms[:0:0]
		for i := 0; i < len(syms); i++ {
			if i+1 < len(syms) && syms[i] == pair[0] && syms[i+1] == pair[1] {
				merged = append(merged, pair[0]+pair[1])
				i++
				continue
			}
			merged = append(merged, syms[i])
		}
		syms = merged
	}
	ids := make([]int64, len(syms))
	for i, s := range syms {
		id, ok := e.vocab[s]
		if !ok {
			return nil, fmt.Errorf("tokenizer: the vocabulary has no token %q, needed to encode %q", s, piece)
		}
		ids[i] = int64(id)
	}
	return ids, nil
}

// splitGPT2 is GPT-2's pre-tokenizer regex, which Go's regexp cannot write
// (it looks ahead): 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
// ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ — tried in that order at each place.
func splitGPT2(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		n := gpt2Match(s[i:])
		out = append(out, s[i:i+n])
		i += n
	}
	return out
}

// gpt2Match is the length of the regex's match at the start of s (never 0).
func gpt2Match(s string) int {
	if s[0] == '\'' {
		for _, c := range [...]string{"s", "t", "re", "ve", "m", "ll", "d"} {
			if strings.HasPrefix(s[1:], c) {
				return 1 + len(c)
			}
		}
	}
	start := 0
	if s[0] == ' ' && len(s) > 1 {
		if r, _ := utf8.DecodeRuneInString(s[1:]); !unicode.IsSpace(r) {
			start = 1
		}
	}
	r, _ := utf8.DecodeRuneInString(s[start:])
	var class func(rune) bool
	switch {
	case unicode.IsLetter(r):
		class = unicode.IsLetter
	case unicode.IsNumber(r):
		class = unicode.IsNumber
	case !unicode.IsSpace(r):
		class = func(r rune) bool { return !unicode.IsSpace(r) && !unicode.IsLetter(r) && !unicode.IsNumber(r) }
	}
	if class != nil {
		return start + runLength(s[start:], class)
	}
	// Whitespace: all of it at the end of the text, else all but its last
	// rune, which the next word takes as its leading space (\s+(?!\S)),
	// unless the run is one rune long (\s+).
	n := runLength(s, unicode.IsSpace)
	if n == len(s) {
		return n
	}
	_, last := utf8.DecodeLastRuneInString(s[:n])
	if n > last {
		return n - last
	}
	return n
}

// runLength is how many leading bytes of s are runes in class; a byte that
// is not UTF-8 reads as U+FFFD, a symbol, so it joins the punctuation class.
func runLength(s string, class func(rune) bool) int {
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if !class(r) {
			break
		}
		n += size
	}
	return n
}
