package schema

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// EscapeKey turns any byte sequence — an input's key, a path, an URI — into
// valid UTF-8 for the shards' string columns, reversibly: every byte that is
// not part of a valid UTF-8 sequence, and every "%", is written as %XX (two
// upper-case hex digits). A key that is valid UTF-8 without "%" is stored as
// it is. UnescapeKey gives back the original bytes.
func EscapeKey(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "%%%02X", s[i])
		case r == '%':
			b.WriteString("%25")
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// UnescapeKey undoes EscapeKey.
func UnescapeKey(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("escaped key %q: %% at %d is not followed by two hex digits", s, i)
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("escaped key %q: %% at %d is not followed by two hex digits", s, i)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}
