package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEncoderMatchesTokenizers encodes real prompts and awkward text with the
// tokenizers the Hugging Face library wrote and compares the ids it gave
// (testdata/encodings.json, made by scripts/tokenizer_golden.py).
func TestEncoderMatchesTokenizers(t *testing.T) {
	raw, err := os.ReadFile("testdata/encodings.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Tokenizer string  `json:"tokenizer"`
		Text      string  `json:"text"`
		IDs       []int64 `json:"ids"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	encoders := map[string]*BPEEncoder{}
	decoders := map[string]Decoder{}
	for _, c := range cases {
		if encoders[c.Tokenizer] != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("testdata", c.Tokenizer))
		if err != nil {
			t.Fatal(err)
		}
		if encoders[c.Tokenizer], err = EncoderFromJSON(data); err != nil {
			t.Fatalf("%s: %v", c.Tokenizer, err)
		}
		if decoders[c.Tokenizer], err = FromJSON(data); err != nil {
			t.Fatalf("%s: %v", c.Tokenizer, err)
		}
	}
	if len(encoders) != 3 || len(cases) < 200 {
		t.Fatalf("%d cases for %d tokenizers: the golden file is incomplete", len(cases), len(encoders))
	}
	for i, c := range cases {
		t.Run(c.Tokenizer+"/"+strings.ReplaceAll(c.Text, "/", "_"), func(t *testing.T) {
			got, err := encoders[c.Tokenizer].Encode(c.Text)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.IDs) {
				t.Fatalf("case %d: Encode(%q) = %v, tokenizers gave %v", i, c.Text, got, c.IDs)
			}
			// Encoding then decoding gives the text back, but for the
			// surrounding spaces Decode trims and the added tokens it skips.
			if !strings.Contains(c.Text, "<") {
				if back := decoders[c.Tokenizer].Decode(got); back != strings.TrimSpace(c.Text) {
					t.Errorf("Decode(Encode(%q)) = %q", c.Text, back)
				}
			}
		})
	}
}

func TestEncoderRefusesWhatItCannotEncode(t *testing.T) {
	twin, err := os.ReadFile("testdata/gpt2.json")
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(twin, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	for _, tc := range []struct {
		name, want string
		data       []byte
	}{
		{"not JSON", "not valid JSON", []byte("{")},
		{"WordPiece", `"WordPiece" model`, edit(func(m map[string]any) { m["model"].(map[string]any)["type"] = "WordPiece" })},
		{"normalizer", "normalizer", edit(func(m map[string]any) { m["normalizer"] = map[string]any{"type": "Lowercase"} })},
		{"Metaspace", "pre-tokenizer Metaspace", edit(func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Metaspace"} })},
		{"no regex", "use_regex false", edit(func(m map[string]any) { m["pre_tokenizer"].(map[string]any)["use_regex"] = false })},
		{"bad merge", "merge 0", edit(func(m map[string]any) { m["model"].(map[string]any)["merges"] = []any{"ab"} })},
		{"unknown post-processor", "post-processor Sequence", edit(func(m map[string]any) { m["post_processor"] = map[string]any{"type": "Sequence"} })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncoderFromJSON(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %q", err, tc.want)
			}
		})
	}
	t.Run("byte missing from the vocabulary", func(t *testing.T) {
		e, err := EncoderFromJSON(edit(func(m map[string]any) { delete(m["model"].(map[string]any)["vocab"].(map[string]any), "z") }))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Encode("jazz"); err == nil || !strings.Contains(err.Error(), `no token "z"`) {
			t.Fatalf("err = %v, want one naming the missing token", err)
		}
	})
}

// FuzzEncode: any valid UTF-8 text encodes without error by a tokenizer whose
// vocabulary holds every byte, and decodes back to itself (trimmed).
func FuzzEncode(f *testing.F) {
	data, err := os.ReadFile("testdata/gpt2.json")
	if err != nil {
		f.Fatal(err)
	}
	e, err := EncoderFromJSON(data)
	if err != nil {
		f.Fatal(err)
	}
	d, err := FromJSON(data)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"a red ball", "  x\r\n", "don't 'll", "日本 🍎 1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.Contains(s, "<|endoftext|>") {
			t.Skip()
		}
		ids, err := e.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		if back := d.Decode(ids); back != strings.TrimSpace(s) {
			t.Fatalf("Decode(Encode(%q)) = %q", s, back)
		}
	})
}
