package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Fetch reads the input's image and prompt bytes, with the size limits, and
// turns the prompt file into a clean prompt. It returns an error only for
// infrastructure failures; a bad file sets in.Reject.
func (c Config) Fetch(ctx context.Context, in *Input) error {
	if !in.promptReady {
		raw, err := storage.ReadAll(ctx, c.In, in.PromptKey, c.MaxPromptBytes)
		if err != nil {
			return c.classify(in, false, in.PromptKey, err)
		}
		prompt, rej := cleanPrompt(in.PromptKey, raw, c.PromptField)
		if rej != nil {
			in.rejectWith(rej)
			return nil
		}
		in.Prompt = prompt
	} else if int64(len(in.Prompt)) > c.MaxPromptBytes {
		in.reject(schema.ReasonPromptTooLarge, "the prompt of %s has %d bytes, above the %d-byte limit", in.Key, len(in.Prompt), c.MaxPromptBytes)
		return nil
	}
	if in.imageReady {
		if len(in.Image) == 0 {
			in.reject(schema.ReasonEmptyFile, "%s is empty (0 bytes)", in.ImageKey)
		}
		return nil
	}
	b := c.In
	if in.imageBucket != nil {
		b = in.imageBucket
	}
	if in.imageSize > c.MaxImageBytes {
		// The listing gave the size: no need to ask for the object.
		in.reject(schema.ReasonImageTooLarge, "%s has %d bytes, above the %d-byte limit for image files", storage.Quote(in.ImageKey), in.imageSize, c.MaxImageBytes)
		return nil
	}
	img, err := storage.ReadAll(ctx, b, in.ImageKey, c.MaxImageBytes)
	if err != nil {
		if storage.IsNotExist(err) && in.promptReady {
			in.reject(schema.ReasonNoImage, "%s, named by %s, does not exist", b.URI(in.ImageKey), in.SourceURI)
			return nil
		}
		return c.classify(in, true, in.ImageKey, err)
	}
	if len(img) == 0 {
		in.reject(schema.ReasonEmptyFile, "%s is empty (0 bytes)", in.ImageKey)
		return nil
	}
	in.Image = img
	return nil
}

// classify turns a read error into a reject where it concerns this input
// alone, and returns it otherwise.
func (c Config) classify(in *Input, image bool, key string, err error) error {
	what, limit := "prompt", c.MaxPromptBytes
	tooLarge, vanished := schema.ReasonPromptTooLarge, schema.ReasonPromptVanished
	if image {
		what, limit = "image", c.MaxImageBytes
		tooLarge, vanished = schema.ReasonImageTooLarge, schema.ReasonImageVanished
	}
	reference := image && in.imageBucket != nil // a manifest's s3:// reference into another bucket
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, storage.ErrTooLarge):
		in.reject(tooLarge, "%s is larger than the %d-byte limit for %s files", storage.Quote(key), limit, what)
	case errors.Is(err, storage.ErrNotRegular):
		in.reject(schema.ReasonNotRegular, "%v", err)
	case errors.Is(err, storage.ErrInvalidKey):
		in.reject(schema.ReasonInvalidName, "%v", err)
	case reference && (errors.Is(err, storage.ErrNoBucket) || errors.Is(err, storage.ErrDenied)):
		in.reject(schema.ReasonBadReference, "%s, named by %s: %v", in.SourceURI, in.Key, err)
	case storage.IsNotExist(err):
		in.reject(vanished, "%s was listed but is gone: %v", storage.Quote(key), err)
	default:
		return fmt.Errorf("read %s: %w", storage.Quote(key), err)
	}
	return nil
}

// cleanPrompt returns the prompt text of a prompt file (a .json file's field,
// else the text) with whitespace runs folded, or why it cannot be used.
func cleanPrompt(key string, raw []byte, field string) (string, *schema.Rejection) {
	if !utf8.Valid(raw) {
		return "", schema.Rejectf(schema.ReasonPromptNotUTF8, "%s is not valid UTF-8 text (re-save it as UTF-8)", key)
	}
	text := string(raw)
	if strings.HasSuffix(strings.ToLower(key), ".json") {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return "", schema.Rejectf(schema.ReasonPromptJSONInvalid, "%s is not a JSON object: %v", key, err)
		}
		v, ok := m[field]
		if !ok {
			return "", schema.Rejectf(schema.ReasonPromptJSONNoField, "%s has no %q field", key, field)
		}
		s, ok := v.(string)
		if !ok {
			return "", schema.Rejectf(schema.ReasonPromptJSONNoField, "%s field %q is not a string", key, field)
		}
		text = s
	}
	// Invisible characters that join or break nothing a reader sees (a
	// byte-order mark, zero-width spaces and joiners, soft hyphens) go: left
	// in, one splits a noun in two for the parser and lands in the plans.
	text = strings.Map(func(r rune) rune {
		if invisible[r] {
			return -1
		}
		return r
	}, text)
	text = strings.Join(strings.Fields(text), " ") // CRLF, tabs and runs of spaces become single spaces
	if text == "" {
		return "", schema.Rejectf(schema.ReasonEmptyPrompt, "%s holds no prompt text", key)
	}
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Cc, r):
			return "", schema.Rejectf(schema.ReasonPromptControlChars, "%s contains control character %U", key, r)
		case unicode.Is(unicode.Cf, r):
			// Bidirectional overrides and isolates reorder how the text
			// displays (U+202E shows "abc" as "cba"), tag characters hide text.
			return "", schema.Rejectf(schema.ReasonPromptControlChars, "%s contains invisible format character %U, which changes how the text displays", key, r)
		}
	}
	return text, nil
}

// invisible are the format characters a prompt loses: they show nothing
// and mean nothing to a text-to-image model.
var invisible = map[rune]bool{'\uFEFF': true, '\u200B': true, '\u200C': true, '\u200D': true, '\u2060': true, '\u00AD': true}
