package stages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/twigdata/twigdata/storage"
)

// fetcher reads each pair's image and prompt bytes from the bucket, with size
// limits, and turns the prompt file into a clean prompt string.
type fetcher struct {
	bucket         storage.Bucket
	maxImageBytes  int64
	maxPromptBytes int64
	promptField    string
}

func (f *fetcher) process(ctx context.Context, batch []*Item) error {
	for _, it := range batch {
		if err := f.fetch(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

// fetch returns an error only for infrastructure failures; a bad file becomes a reject.
func (f *fetcher) fetch(ctx context.Context, it *Item) error {
	if !it.promptReady {
		raw, err := storage.ReadAll(ctx, f.bucket, it.PromptKey, f.maxPromptBytes)
		if err != nil {
			return f.classify(it, "prompt", it.PromptKey, err)
		}
		prompt, reason, detail := parsePrompt(it.PromptKey, raw, f.promptField)
		if reason != "" {
			it.rejectf("source", reason, "%s", detail)
			return nil
		}
		it.Prompt = prompt
	} else if int64(len(it.Prompt)) > f.maxPromptBytes {
		it.rejectf("source", "source.prompt_too_large", "the prompt of %s has %d bytes, above the %d-byte limit", it.Key, len(it.Prompt), f.maxPromptBytes)
		return nil
	}
	if it.imageReady {
		if len(it.RawImage) == 0 {
			it.rejectf("decode", "decode.empty_file", "%s is empty (0 bytes)", it.ImageKey)
		}
		return nil
	}
	b := f.bucket
	if it.imageBucket != nil {
		b = it.imageBucket
	}
	img, err := storage.ReadAll(ctx, b, it.ImageKey, f.maxImageBytes)
	if err != nil {
		if storage.IsNotExist(err) && it.promptReady {
			it.rejectf("source", "source.no_image", "%s, named by %s, does not exist", b.URI(it.ImageKey), it.SourceURI)
			return nil
		}
		return f.classify(it, "image", it.ImageKey, err)
	}
	if len(img) == 0 {
		it.rejectf("decode", "decode.empty_file", "%s is empty (0 bytes)", it.ImageKey)
		return nil
	}
	it.RawImage = img
	return nil
}

func (f *fetcher) classify(it *Item, what, key string, err error) error {
	switch {
	case errors.Is(err, storage.ErrTooLarge):
		limit := f.maxImageBytes
		if what == "prompt" {
			limit = f.maxPromptBytes
		}
		it.rejectf("source", "source."+what+"_too_large", "%s is larger than the %d-byte limit for %s files", key, limit, what)
		return nil
	case storage.IsNotExist(err):
		it.rejectf("source", "source."+what+"_vanished", "%s was listed but is gone: %v", key, err)
		it.Reject.Transient = true
		return nil
	case errors.Is(err, context.Canceled):
		return err
	}
	return fmt.Errorf("read %s: %w", key, err)
}

// parsePrompt returns the prompt, or a reject reason and detail.
func parsePrompt(key string, raw []byte, field string) (string, string, string) {
	if !utf8.Valid(raw) {
		return "", "source.prompt_not_utf8", fmt.Sprintf("%s is not valid UTF-8 text (re-save it as UTF-8)", key)
	}
	text := string(raw)
	if strings.HasSuffix(strings.ToLower(key), ".json") {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return "", "source.prompt_json_invalid", fmt.Sprintf("%s is not a JSON object: %v", key, err)
		}
		v, ok := m[field]
		if !ok {
			return "", "source.prompt_json_no_field", fmt.Sprintf("%s has no %q field", key, field)
		}
		s, ok := v.(string)
		if !ok {
			return "", "source.prompt_json_no_field", fmt.Sprintf("%s field %q is not a string", key, field)
		}
		text = s
	}
	text = strings.TrimPrefix(text, "\uFEFF")
	text = strings.Join(strings.Fields(text), " ") // CRLF, tabs and runs of spaces become single spaces
	if text == "" {
		return "", "source.empty_prompt", fmt.Sprintf("%s holds no prompt text", key)
	}
	for _, r := range text {
		if r < 0x20 || r == 0x7f {
			return "", "source.prompt_control_chars", fmt.Sprintf("%s contains control character %U", key, r)
		}
	}
	return text, "", ""
}
