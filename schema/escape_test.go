package schema

import (
	"testing"
	"unicode/utf8"
)

func TestEscapeKeyIsValidUTF8AndReversible(t *testing.T) {
	for _, k := range []string{"plain/key", "caf\xe9/\xff\xfe.jpg", "100%/a%25b", "日本/写真", "", "%", "a\x00b", "\xe2\x82"} {
		e := EscapeKey(k)
		if !utf8.ValidString(e) {
			t.Errorf("%q escaped to invalid UTF-8 %q", k, e)
		}
		back, err := UnescapeKey(e)
		if err != nil || back != k {
			t.Errorf("%q → %q → %q, %v", k, e, back, err)
		}
	}
	if EscapeKey("scene-001") != "scene-001" {
		t.Error("a plain key changed")
	}
	if _, err := UnescapeKey("bad%4"); err == nil {
		t.Error("a cut-off escape was accepted")
	}
}

func FuzzEscapeKey(f *testing.F) {
	for _, s := range []string{"a", "caf\xe9", "%41", "\xff%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, k string) {
		e := EscapeKey(k)
		if !utf8.ValidString(e) {
			t.Fatalf("%q escaped to invalid UTF-8", k)
		}
		if back, err := UnescapeKey(e); err != nil || back != k {
			t.Fatalf("%q → %q → %q, %v", k, e, back, err)
		}
	})
}

func TestNewRejectCapsAndEscapesItsDetail(t *testing.T) {
	long := string(make([]byte, 100_000))
	r := NewReject("k\xff", "uri", ReasonInvalidName, "name "+long)
	if len(r.Detail) > MaxDetail+40 || !utf8.ValidString(r.Detail) || !utf8.ValidString(r.Key) {
		t.Errorf("detail of %d bytes, valid %v; key %q", len(r.Detail), utf8.ValidString(r.Detail), r.Key)
	}
}
