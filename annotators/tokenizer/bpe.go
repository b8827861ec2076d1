// Package tokenizer decodes token ids back into text for the vocabularies
// captioners ship with; pure Go, so it is tested without ONNX Runtime.
package tokenizer

import (
	"fmt"
	"strings"
)

// ByteToUnicode is GPT-2's reversible byte→printable-rune table that byte-level
// BPE vocabularies (vocab.json) spell their tokens in.
func ByteToUnicode() [256]rune {
	var table [256]rune
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			table[b] = rune(b)
		} else {
			table[b] = rune(256 + n)
			n++
		}
	}
	return table
}

// BPEDecoder turns token ids back into text for a byte-level BPE vocabulary.
type BPEDecoder struct {
	tokens  []string
	special map[int]bool
	bytes   map[rune]byte
}

// NewBPEDecoder builds a decoder from vocab.json's token→id map; ids in special
// (start, end, padding) are dropped from decoded text.
func NewBPEDecoder(vocab map[string]int, special ...int) (*BPEDecoder, error) {
	maxID := -1
	for _, id := range vocab {
		if id < 0 {
			return nil, fmt.Errorf("vocab.json: negative id %d", id)
		}
		maxID = max(maxID, id)
	}
	d := &BPEDecoder{tokens: make([]string, maxID+1), special: map[int]bool{}, bytes: map[rune]byte{}}
	for tok, id := range vocab {
		d.tokens[id] = tok
	}
	for _, id := range special {
		d.special[id] = true
	}
	for b, r := range ByteToUnicode() {
		d.bytes[r] = byte(b)
	}
	return d, nil
}

// Size is the number of ids the vocabulary covers.
func (d *BPEDecoder) Size() int { return len(d.tokens) }

// Decode maps ids to text; bytes that do not form valid UTF-8 are replaced.
func (d *BPEDecoder) Decode(ids []int64) string {
	var raw []byte
	for _, id := range ids {
		if id < 0 || int(id) >= len(d.tokens) || d.special[int(id)] {
			continue
		}
		for _, r := range d.tokens[id] {
			if b, ok := d.bytes[r]; ok {
				raw = append(raw, b)
			} else {
				raw = append(raw, string(r)...)
			}
		}
	}
	return strings.TrimSpace(strings.ToValidUTF8(string(raw), "\uFFFD"))
}
