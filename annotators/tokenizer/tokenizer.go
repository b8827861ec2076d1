package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Decoder turns token ids back into text.
type Decoder interface {
	// Decode maps ids to text, skipping special and unknown ids.
	Decode(ids []int64) string
	// Size is the number of ids the vocabulary covers.
	Size() int
}

// FromJSON reads a Hugging Face tokenizers file (tokenizer.json): a
// byte-level BPE model (GPT-2, BART, Florence-2) or a WordPiece model (BERT),
// with its added tokens; the added tokens marked special, and the ids in
// special, are skipped on decode.
func FromJSON(data []byte, special ...int) (Decoder, error) {
	return fromJSON(data, false, special...)
}

// FromJSONKeepingAdded is FromJSON for models whose answers are written in
// added tokens, such as Florence-2's location tokens <loc_0>…<loc_999>
// (marked special in its tokenizer.json): only the ids in skip are dropped,
// as Hugging Face's decode with skip_special_tokens=False keeps the rest.
func FromJSONKeepingAdded(data []byte, skip ...int) (Decoder, error) {
	return fromJSON(data, true, skip...)
}

func fromJSON(data []byte, keepAdded bool, special ...int) (Decoder, error) {
	tok, err := parseFile(data)
	if err != nil {
		return nil, err
	}
	if len(tok.Model.Vocab) == 0 {
		return nil, fmt.Errorf("tokenizer.json has no model.vocab (a %q tokenizer)", tok.Model.Type)
	}
	for _, a := range tok.AddedTokens {
		tok.Model.Vocab[a.Content] = int(a.ID)
		if a.Special && !keepAdded {
			special = append(special, int(a.ID))
		}
	}
	switch tok.Model.Type {
	case "BPE", "":
		return NewBPEDecoder(tok.Model.Vocab, special...)
	case "WordPiece":
		prefix := "##"
		if tok.Model.ContinuingPrefix != nil {
			prefix = *tok.Model.ContinuingPrefix
		}
		cleanup := true
		if tok.Decoder != nil && tok.Decoder.Cleanup != nil {
			cleanup = *tok.Decoder.Cleanup
		}
		return NewWordPieceDecoder(tok.Model.Vocab, prefix, cleanup, special...)
	}
	return nil, fmt.Errorf("tokenizer.json has a %q model; twigdata decodes byte-level BPE and WordPiece", tok.Model.Type)
}

// file is the part of a tokenizer.json that twigdata reads, for decoding
// and for encoding.
type file struct {
	Normalizer   json.RawMessage `json:"normalizer"`
	PreTokenizer *struct {
		Type           string `json:"type"`
		AddPrefixSpace bool   `json:"add_prefix_space"`
		UseRegex       *bool  `json:"use_regex"`
	} `json:"pre_tokenizer"`
	PostProcessor *struct {
		Type   string          `json:"type"`
		Cls    json.RawMessage `json:"cls"`
		Sep    json.RawMessage `json:"sep"`
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int64 `json:"ids"`
		} `json:"special_tokens"`
	} `json:"post_processor"`
	Model struct {
		Type             string            `json:"type"`
		Vocab            map[string]int    `json:"vocab"`
		Merges           []json.RawMessage `json:"merges"`
		ContinuingPrefix *string           `json:"continuing_subword_prefix"`
	} `json:"model"`
	AddedTokens []struct {
		ID      int64  `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Decoder *struct {
		Cleanup *bool `json:"cleanup"`
	} `json:"decoder"`
}

func parseFile(data []byte) (*file, error) {
	var f file
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer.json is not valid JSON: %w", err)
	}
	return &f, nil
}

// WordPieceDecoder turns token ids back into text for a WordPiece vocabulary
// (BERT and the BLIP and GIT captioners that use its tokenizer).
type WordPieceDecoder struct {
	tokens  []string
	special map[int]bool
	prefix  string // marks a piece that continues the word before it ("##")
	cleanup bool
}

// NewWordPieceDecoder builds a decoder from a token→id map; ids in special
// ([CLS], [SEP], [PAD]) are dropped from decoded text.
func NewWordPieceDecoder(vocab map[string]int, prefix string, cleanup bool, special ...int) (*WordPieceDecoder, error) {
	maxID := -1
	for _, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("vocabulary: negative id %d", id)
		}
		maxID = max(maxID, id)
	}
	d := &WordPieceDecoder{tokens: make([]string, maxID+1), special: map[int]bool{}, prefix: prefix, cleanup: cleanup}
	for tok, id := range vocab {
		d.tokens[id] = tok
	}
	for _, id := range special {
		d.special[id] = true
	}
	return d, nil
}

// Size is the number of ids the vocabulary covers.
func (d *WordPieceDecoder) Size() int { return len(d.tokens) }

// Decode joins the pieces as the tokenizers library's WordPiece decoder does:
// words separated by spaces, continuation pieces glued to the word before,
// and with cleanup no space before punctuation or English contractions.
func (d *WordPieceDecoder) Decode(ids []int64) string {
	var b strings.Builder
	for _, id := range ids {
		if id < 0 || int(id) >= len(d.tokens) || d.special[int(id)] || d.tokens[id] == "" {
			continue
		}
		t := d.tokens[id]
		if rest, ok := strings.CutPrefix(t, d.prefix); ok && d.prefix != "" {
			b.WriteString(rest)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	s := b.String()
	if d.cleanup {
		s = cleanup.Replace(s)
	}
	return strings.TrimSpace(s)
}

// cleanup undoes the spaces WordPiece puts before punctuation and
// contractions, as the tokenizers library's cleanup does.
var cleanup = strings.NewReplacer(" .", ".", " ?", "?", " !", "!", " ,", ",", " ' ", "'", " n't", "n't", " 'm", "'m", " 's", "'s", " 've", "'ve", " 're", "'re")
