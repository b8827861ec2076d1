package source

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// tarSource reads WebDataset shards, the format img2dataset writes: tar files
// whose members <key>.jpg and <key>.txt (or .json) form a pair. The key is the
// member path up to the first dot of its base name; members of one key are
// consecutive. A shard is read one member at a time.
type tarSource struct {
	bucket         storage.Reader
	keys           []string // the shards, in order; empty: every .tar under the bucket
	maxShardBytes  int64
	maxImageBytes  int64
	maxPromptBytes int64
	promptField    string
}

func (s *tarSource) run(ctx context.Context, emit func(*Input) error) error {
	if len(s.keys) == 0 {
		// Each shard is read as the listing reaches it, so nothing grows with
		// the number of shards.
		return s.bucket.List(ctx, "", func(o storage.Object) error {
			if !strings.HasSuffix(strings.ToLower(o.Key), ".tar") {
				return nil
			}
			return s.shard(ctx, o.Key, emit)
		})
	}
	for _, sh := range s.keys {
		if err := s.shard(ctx, sh, emit); err != nil {
			return err
		}
	}
	return nil
}

// member is one file of a pair inside a shard.
type member struct {
	name string
	ext  string
	data []byte
	big  bool
}

func (s *tarSource) shard(ctx context.Context, shard string, emit func(*Input) error) error {
	data, err := storage.ReadAll(ctx, s.bucket, shard, s.maxShardBytes)
	if err != nil {
		if errors.Is(err, storage.ErrTooLarge) {
			it := &Input{Key: shard, SourceURI: s.bucket.URI(shard)}
			it.reject(schema.ReasonTarTooLarge, "shard %s is larger than %d bytes", shard, s.maxShardBytes)
			return emit(it)
		}
		return fmt.Errorf("read shard %s: %w", s.bucket.URI(shard), err)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	var cur string
	var group []member
	flush := func() error {
		if cur == "" {
			return nil
		}
		it := s.pair(shard, cur, group)
		cur, group = "", nil
		return emit(it)
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return flush()
		}
		if err != nil {
			// Members read so far are kept; what the damage hides is one reject.
			if err := flush(); err != nil {
				return err
			}
			it := &Input{Key: shard + "#rest", SourceURI: s.bucket.URI(shard)}
			it.reject(schema.ReasonTarCorrupt, "shard %s is corrupt or truncated after its last readable member: %v", shard, err)
			return emit(it)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(hdr.Name)
		base := path.Base(name)
		dot := strings.IndexByte(base, '.')
		if dot <= 0 {
			continue
		}
		key := path.Join(path.Dir(name), base[:dot])
		ext := strings.ToLower(base[dot:])
		if key != cur {
			if err := flush(); err != nil {
				return err
			}
			cur = key
		}
		limit := s.maxPromptBytes
		if imageExts[ext] {
			limit = s.maxImageBytes
		}
		m := member{name: name, ext: ext}
		if hdr.Size > limit {
			m.big = true
		} else if imageExts[ext] || promptExts[ext] {
			if m.data, err = io.ReadAll(tr); err != nil {
				if err := flush(); err != nil {
					return err
				}
				it := &Input{Key: shard + "#rest", SourceURI: s.bucket.URI(shard)}
				it.reject(schema.ReasonTarCorrupt, "shard %s is truncated inside member %s: %v", shard, name, err)
				return emit(it)
			}
		}
		group = append(group, m)
	}
}

func (s *tarSource) pair(shard, key string, group []member) *Input {
	it := &Input{Key: shard + "/" + key, SourceURI: s.bucket.URI(shard) + "#" + key, imageReady: true, promptReady: true}
	var img, prompt *member
	for i := range group {
		switch m := &group[i]; {
		case imageExts[m.ext] && img == nil:
			img = m
		case promptExts[m.ext] && prompt == nil:
			prompt = m
		}
	}
	switch {
	case img == nil && prompt == nil:
		it.reject(schema.ReasonNoImage, "shard %s key %s has neither an image nor a prompt member", shard, key)
	case img == nil:
		it.reject(schema.ReasonNoImage, "shard %s key %s has a prompt but no image member", shard, key)
	case prompt == nil:
		it.reject(schema.ReasonNoPrompt, "shard %s key %s has an image but no .txt or .json member", shard, key)
	case img.big:
		it.reject(schema.ReasonImageTooLarge, "shard %s member %s is larger than the image limit", shard, img.name)
	case prompt.big:
		it.reject(schema.ReasonPromptTooLarge, "shard %s member %s is larger than the prompt limit", shard, prompt.name)
	default:
		it.ImageKey = img.name
		it.Image = img.data
		p, rej := cleanPrompt(prompt.name, prompt.data, s.promptField)
		if rej != nil {
			rej.Detail += " (in shard " + shard + ")"
			it.rejectWith(rej)
			return it
		}
		it.Prompt = p
	}
	return it
}
