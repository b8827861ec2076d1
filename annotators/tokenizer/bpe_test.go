package tokenizer

import "testing"

func TestBPEDecodeRoundTripsBytes(t *testing.T) {
	table := ByteToUnicode()
	vocab := map[string]int{"<s>": 0, "</s>": 1}
	text := "héllo wörld ✓"
	var ids []int64
	for _, b := range []byte(text) {
		tok := string(table[b])
		if _, ok := vocab[tok]; !ok {
			vocab[tok] = len(vocab)
		}
		ids = append(ids, int64(vocab[tok]))
	}
	d, err := NewBPEDecoder(vocab, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Decode(append(append([]int64{0}, ids...), 1)); got != text {
		t.Fatalf("decode = %q, want %q", got, text)
	}
}

func TestFromJSONDecodesWordPieceAndSkipsSpecialTokens(t *testing.T) {
	data := []byte(`{
		"added_tokens": [{"id": 0, "content": "[PAD]", "special": true}, {"id": 1, "content": "[CLS]", "special": true}, {"id": 2, "content": "[SEP]", "special": true}],
		"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
			"vocab": {"[PAD]": 0, "[CLS]": 1, "[SEP]": 2, "a": 3, "red": 4, "ball": 5, "##s": 6, "on": 7, "grass": 8, ".": 9, "isn": 10, "'": 11, "t": 12}},
		"decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true}}`)
	d, err := FromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Decode([]int64{1, 3, 4, 5, 6, 7, 8, 9, 2, 0, 0}); got != "a red balls on grass." {
		t.Errorf("decoded %q", got)
	}
	if d.Size() != 13 {
		t.Errorf("size %d", d.Size())
	}
}

func TestFromJSONBPESkipsAddedSpecialTokens(t *testing.T) {
	data := []byte(`{"added_tokens": [{"id": 3, "content": "<loc_1>", "special": false}, {"id": 0, "content": "<s>", "special": true}],
		"model": {"type": "BPE", "vocab": {"<s>": 0, "a": 1, "Ġball": 2}}}`)
	d, err := FromJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Decode([]int64{0, 1, 2, 3}); got != "a ball<loc_1>" {
		t.Errorf("decoded %q", got)
	}
	if _, err := FromJSON([]byte(`{"model": {"type": "Unigram", "vocab": {"a": 0}}}`)); err == nil {
		t.Error("a Unigram model was accepted")
	}
}
