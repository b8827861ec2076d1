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
