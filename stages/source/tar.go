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
// usually consecutive. A shard is read one member at a time.
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
	big  bool   // over its size limit: not read
	bad  string // why the member cannot be used (a special file, a dangling link)
}

func (s *tarSource) shard(ctx context.Context, shard string, emit func(*Input) error) error {
	data, err := storage.ReadAll(ctx, s.bucket, shard, s.maxShardBytes)
	if err != nil {
		it := &Input{Key: shard, SourceURI: s.bucket.URI(shard)}
		switch {
		case errors.Is(err, storage.ErrTooLarge):
			it.reject(schema.ReasonTarTooLarge, "shard %s is larger than %d bytes", storage.Quote(shard), s.maxShardBytes)
		case errors.Is(err, storage.ErrNotRegular):
			it.reject(schema.ReasonNotRegular, "%v", err)
		case errors.Is(err, storage.ErrInvalidKey):
			it.reject(schema.ReasonInvalidName, "%v", err)
		default:
			return fmt.Errorf("read shard %s: %w", s.bucket.URI(shard), err)
		}
		return emit(it)
	}
	// Members of one key are usually consecutive, but a shard made with
	// "tar cf x.tar *.jpg *.txt" has all images first: a key's members are
	// gathered until it has an image and a prompt, wherever they are, and
	// keys still incomplete at the end of the shard are rejected then.
	tr := tar.NewReader(bytes.NewReader(data))
	groups := map[string][]member{}
	var order []string          // keys in the order first seen
	emitted := map[string]int{} // key → pairs emitted under it
	byName := map[string][]byte{}
	finish := func() error {
		for _, k := range order {
			if g, ok := groups[k]; ok {
				if err := emit(s.pair(shard, k, g)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return finish()
		}
		if err != nil {
			// Members read so far are kept; what the damage hides is one reject.
			if err := finish(); err != nil {
				return err
			}
			it := &Input{Key: shard + "#rest", SourceURI: s.bucket.URI(shard)}
			it.reject(schema.ReasonTarCorrupt, "shard %s is corrupt or truncated after its last readable member: %v", storage.Quote(shard), err)
			return emit(it)
		}
		name := path.Clean(hdr.Name)
		base := path.Base(name)
		dot := strings.IndexByte(base, '.')
		if hdr.Typeflag == tar.TypeDir || dot <= 0 {
			continue
		}
		key := path.Join(path.Dir(name), base[:dot])
		ext := strings.ToLower(base[dot:])
		pairExt := imageExts[ext] || promptExts[ext]
		limit := s.maxPromptBytes
		if imageExts[ext] {
			limit = s.maxImageBytes
		}
		m := member{name: name, ext: ext}
		switch {
		case hdr.Typeflag == tar.TypeLink && pairExt:
			// A hard link repeats an earlier member's content.
			target, ok := byName[path.Clean(hdr.Linkname)]
			if !ok {
				m.bad = fmt.Sprintf("member %s is a hard link to %s, which is no earlier image or prompt member", storage.Quote(name), storage.Quote(hdr.Linkname))
			}
			m.data = target
		case hdr.Typeflag != tar.TypeReg && pairExt:
			m.bad = fmt.Sprintf("member %s is not a regular file (tar type %q)", storage.Quote(name), hdr.Typeflag)
		case hdr.Typeflag != tar.TypeReg:
			continue
		case hdr.Size > limit:
			m.big = true
		case pairExt:
			if m.data, err = io.ReadAll(tr); err != nil {
				if err := finish(); err != nil {
					return err
				}
				it := &Input{Key: shard + "#rest", SourceURI: s.bucket.URI(shard)}
				it.reject(schema.ReasonTarCorrupt, "shard %s is truncated inside member %s: %v", storage.Quote(shard), storage.Quote(name), err)
				return emit(it)
			}
			byName[name] = m.data
		}
		if n, done := emitted[key]; done {
			if pairExt {
				// The key's pair was emitted already: a second pair under
				// one key would give two samples one id.
				emitted[key] = n + 1
				it := &Input{Key: fmt.Sprintf("%s/%s#%d", shard, key, n+1), SourceURI: s.bucket.URI(shard) + "#" + key}
				it.reject(schema.ReasonDuplicateKey, "shard %s member %s repeats key %s, whose pair came earlier", storage.Quote(shard), storage.Quote(name), storage.Quote(key))
				if err := emit(it); err != nil {
					return err
				}
			}
			continue
		}
		if _, seen := groups[key]; !seen {
			order = append(order, key)
		}
		groups[key] = append(groups[key], m)
		if complete(groups[key]) {
			if err := emit(s.pair(shard, key, groups[key])); err != nil {
				return err
			}
			delete(groups, key)
			emitted[key] = 1
		}
	}
}

// complete reports whether a key's members hold an image and a prompt.
func complete(g []member) bool {
	var img, prompt bool
	for _, m := range g {
		img = img || imageExts[m.ext]
		prompt = prompt || promptExts[m.ext]
	}
	return img && prompt
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
	for _, m := range group {
		if m.bad != "" {
			it.reject(schema.ReasonTarCorrupt, "shard %s: %s", storage.Quote(shard), m.bad)
			return it
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
