package source

import (
	"archive/tar"
	"bufio"
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

// linkBudget bounds the member contents kept for hard links to refer back
// to: a shard is streamed, and only its most recent members stay in memory.
const linkBudget = 64 << 20

func (s *tarSource) shard(ctx context.Context, shard string, emit func(*Input) error) error {
	body, err := storage.Stream(ctx, s.bucket, shard, s.maxShardBytes)
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
	defer body.Close()
	tr := tar.NewReader(bufio.NewReaderSize(body, 1<<20))
	groups := map[string][]member{}
	var order []string          // keys in the order first seen
	emitted := map[string]int{} // key → pairs emitted under it
	// byName holds the recent members' contents, for hard links; the oldest
	// go once they pass linkBudget.
	byName := map[string][]byte{}
	var held []string
	var heldBytes int
	hold := func(name string, data []byte) {
		byName[name] = data
		held = append(held, name)
		heldBytes += len(data)
		for heldBytes > linkBudget && len(held) > 1 {
			heldBytes -= len(byName[held[0]])
			delete(byName, held[0])
			held = held[1:]
		}
	}
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
			return s.damaged(ctx, shard, "after its last readable member", err, finish, emit)
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
				m.bad = fmt.Sprintf("member %s is a hard link to %s, which is no image or prompt member among the last %d MiB of the shard", storage.Quote(name), storage.Quote(hdr.Linkname), linkBudget>>20)
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
				return s.damaged(ctx, shard, "inside member "+storage.Quote(name), err, finish, emit)
			}
			hold(name, m.data)
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

// damaged ends a shard whose stream failed at where: the members read so
// far are kept and what the damage hides is one reject — unless the storage
// failed (retries exhausted, the run stopping), which fails the run as any
// storage fault does, or the shard turned out larger than its limit.
func (s *tarSource) damaged(ctx context.Context, shard, where string, err error, finish func() error, emit func(*Input) error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var reason schema.Reason
	switch {
	case errors.Is(err, storage.ErrTooLarge):
		reason = schema.ReasonTarTooLarge
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, tar.ErrHeader) || errors.Is(err, tar.ErrFieldTooLong) || errors.Is(err, tar.ErrInsecurePath):
		reason = schema.ReasonTarCorrupt
	case strings.HasPrefix(err.Error(), "archive/tar:"):
		reason = schema.ReasonTarCorrupt
	default:
		return fmt.Errorf("read shard %s: %w", s.bucket.URI(shard), err)
	}
	if ferr := finish(); ferr != nil {
		return ferr
	}
	it := &Input{Key: shard + "#rest", SourceURI: s.bucket.URI(shard)}
	if reason == schema.ReasonTarTooLarge {
		it.reject(reason, "shard %s is larger than %d bytes: the members after %s were not read", storage.Quote(shard), s.maxShardBytes, where)
	} else {
		it.reject(reason, "shard %s is corrupt or truncated %s: %v", storage.Quote(shard), where, err)
	}
	return emit(it)
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
