package source

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// TestPromptsLoseInvisibleCharactersAndRefuseReordering: zero-width spaces
// and joiners, soft hyphens and a byte-order mark are taken out (a joiner
// inside "ball" must not split the noun); a bidirectional override or
// isolate, which makes the text display in another order, and C0 and C1
// controls are a prompt_control_chars reject naming the character.
func TestPromptsLoseInvisibleCharactersAndRefuseReordering(t *testing.T) {
	for _, tc := range []struct {
		name, raw, want string
		reason          schema.Reason
		detail          string
	}{
		{"a zero-width joiner inside a noun", "a pink ba\u200dll", "a pink ball", "", ""},
		{"zero-width spaces and a soft hyphen", "\u200ba red\u200b cup\u00ad", "a red cup", "", ""},
		{"a byte-order mark inside", "a blue\ufeff box", "a blue box", "", ""},
		{"a bidi override", "A pink \u202eon and a box", "", schema.ReasonPromptControlChars, "U+202E"},
		{"a bidi isolate", "a cat \u2066on a mat", "", schema.ReasonPromptControlChars, "U+2066"},
		{"a C1 control", "a dog\u0090 running", "", schema.ReasonPromptControlChars, "U+0090"},
		{"a next-line as a space", "a dog\u0085running", "a dog running", "", ""},
		{"a C0 control", "a dog\x07", "", schema.ReasonPromptControlChars, "U+0007"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, rej := cleanPrompt("p.txt", []byte(tc.raw), "")
			switch {
			case tc.reason == "" && (rej != nil || got != tc.want):
				t.Errorf("cleanPrompt = %q, %v; want %q", got, rej, tc.want)
			case tc.reason != "" && (rej == nil || rej.Reason != tc.reason || !strings.Contains(rej.Detail, tc.detail)):
				t.Errorf("cleanPrompt = %q, %+v; want a %s reject naming %s", got, rej, tc.reason, tc.detail)
			}
		})
	}
}

// TestAJSONLLineTooLongIsOneReject: a 17 MiB line in a JSONL manifest is
// that row's prompt_too_large reject, read past within bounded memory; the
// rows around it are read, and the build goes on.
func TestAJSONLLineTooLongIsOneReject(t *testing.T) {
	long := `{"prompt": "` + strings.Repeat("a red ball ", (17<<20)/11) + `", "image": "b.jpg"}`
	body := `{"prompt": "a cat", "image": "a.jpg"}` + "\n" + long + "\n" + `{"prompt": "a dog", "image": "c.jpg"}`
	dir, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := &manifestSource{bucket: dir, key: "m.jsonl", promptCol: "prompt", imageCol: "image"}
	var got []string
	err = jsonlRows(strings.NewReader(body), func(r manifestRow) error {
		it := m.input(context.Background(), r, map[string]bool{})
		if it.Reject != nil {
			got = append(got, it.Reject.Reason)
		} else {
			got = append(got, it.Prompt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a cat", string(schema.ReasonPromptTooLarge), "a dog"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
}

// TestManifestRowsSayWhatIsWrongWithThem: a null prompt is an empty prompt
// (it was "has no prompt column"), and an http:// image is a reference
// twigdata does not fetch (it was looked for as a file named "http:").
func TestManifestRowsSayWhatIsWrongWithThem(t *testing.T) {
	dir, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := &manifestSource{bucket: dir, key: "m.jsonl", promptCol: "prompt", imageCol: "image"}
	for _, tc := range []struct {
		name, line string
		reason     schema.Reason
		detail     string
	}{
		{"a null prompt", `{"prompt": null, "image": "a.jpg"}`, schema.ReasonEmptyPrompt, `its "prompt" is null`},
		{"no prompt column", `{"image": "a.jpg"}`, schema.ReasonNoPrompt, `has no "prompt" column`},
		{"an http image", `{"prompt": "a cat", "image": "http://example.com/a.jpg"}`, schema.ReasonBadReference, "is a http:// URL; twigdata reads paths"},
		{"an https image", `{"prompt": "a cat", "image": "https://example.com/a.jpg"}`, schema.ReasonBadReference, "https:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var it *Input
			jsonlRows(strings.NewReader(tc.line), func(r manifestRow) error {
				it = m.input(context.Background(), r, map[string]bool{})
				return nil
			})
			if it == nil || it.Reject == nil || it.Reject.Reason != string(tc.reason) || !strings.Contains(it.Reject.Detail, tc.detail) {
				t.Errorf("got %+v, want a %s reject saying %q", it, tc.reason, tc.detail)
			}
		})
	}
}
