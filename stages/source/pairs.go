package source

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// pairSource lists a bucket and groups objects by stem into input pairs
// (<stem>.<jpg|jpeg|png|webp> + <stem>.txt|.json). It streams: a stem is
// emitted as soon as the lexical listing has passed every key that could
// belong to it, so memory does not grow with the number of objects.
type pairSource struct {
	bucket storage.Reader
	// OnIgnored is told about objects that are neither images nor prompts.
	onIgnored func(key string)
}

type pairParts struct {
	images, prompts []string
	imageSize       int64 // of the first image, from the listing
}

func (s *pairSource) run(ctx context.Context, emit func(*Input) error) error {
	pending := map[string]*pairParts{}
	flush := func(stems []string) error {
		sort.Strings(stems)
		for _, st := range stems {
			it := s.pair(st, pending[st])
			delete(pending, st)
			if err := emit(it); err != nil {
				return err
			}
		}
		return nil
	}
	err := s.bucket.List(ctx, "", func(o storage.Object) error {
		var ready []string
		for st := range pending {
			if !strings.HasPrefix(o.Key, st+".") {
				ready = append(ready, st)
			}
		}
		if err := flush(ready); err != nil {
			return err
		}
		ext := strings.ToLower(path.Ext(o.Key))
		stem := strings.TrimSuffix(o.Key, path.Ext(o.Key))
		if !imageExts[ext] && !promptExts[ext] {
			if s.onIgnored != nil {
				s.onIgnored(o.Key)
			}
			return nil
		}
		p := pending[stem]
		if p == nil {
			p = &pairParts{}
			pending[stem] = p
		}
		if imageExts[ext] {
			if len(p.images) == 0 {
				p.imageSize = o.Size
			}
			p.images = append(p.images, o.Key)
		} else {
			p.prompts = append(p.prompts, o.Key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var rest []string
	for st := range pending {
		rest = append(rest, st)
	}
	return flush(rest)
}

func (s *pairSource) pair(stem string, p *pairParts) *Input {
	it := &Input{Key: stem}
	if len(p.images) > 0 {
		it.ImageKey, it.imageSize = p.images[0], p.imageSize
		it.SourceURI = s.bucket.URI(p.images[0])
	} else {
		it.SourceURI = s.bucket.URI(p.prompts[0])
	}
	if len(p.prompts) > 0 {
		it.PromptKey = p.prompts[0]
	}
	switch {
	case len(p.images) == 0:
		it.reject(schema.ReasonNoImage, "prompt %s has no image beside it (expected %s.jpg, .jpeg, .png or .webp)", p.prompts[0], stem)
	case len(p.prompts) == 0:
		it.reject(schema.ReasonNoPrompt, "image %s has no prompt beside it (expected %s.txt or %s.json)", p.images[0], stem, stem)
	case len(p.images) > 1:
		it.reject(schema.ReasonAmbiguousImage, "stem %s has %d images (%s): keep one", stem, len(p.images), strings.Join(p.images, ", "))
	case len(p.prompts) > 1:
		it.reject(schema.ReasonAmbiguousPrompt, "stem %s has %d prompt files (%s): keep one", stem, len(p.prompts), strings.Join(p.prompts, ", "))
	}
	return it
}
