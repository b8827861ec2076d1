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

// recent holds the contents of a shard's most recent members, for hard
// links; the oldest go once they pass linkBudget.
type recent struct {
	byName map[string][]byte
	held   []string
	bytes  int
}

func (r *recent) hold(name string, data []byte) {
	r.byName[name] = data
	r.held = append(r.held, name)
	r.bytes += len(data)
	for r.bytes > linkBudget && len(r.held) > 1 {
		r.bytes -= len(r.byName[r.held[0]])
		delete(r.byName, r.held[0])
		r.held = r.held[1:]
	}
}

// shardRead is the state of one shard being read. Members of one key are
// usually consecutive, but a shard made with "tar cf x.tar *.jpg *.txt" has
// all images first: a key's members are gathered until it has an image and
// a prompt, wherever they are, and keys still incomplete at the end of the
// shard are rejected then.
type shardRead struct {
	s       *tarSource
	shard   string
	emit    func(*Input) error
	groups  map[string][]member
	order   []string       // keys in the order first seen
	emitted map[string]int // key → pairs emitted under it
	links   recent
}

func (s *tarSource) shard(ctx context.Context, shard string, emit func(*Input) error) error {
	body, err := storage.Stream(ctx, s.bucket, shard, s.maxShardBytes)
	if err != nil {
		return s.unreadable(shard, err, emit)
	}
	defer body.Close()
	tr := tar.NewReader(bufio.NewReaderSize(body, 1<<20))
	r := &shardRead{s: s, shard: shard, emit: emit, groups: map[string][]member{}, emitted: map[string]int{}, links: recent{byName: map[string][]byte{}}}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return r.finish()
		}
		if err != nil {
			return s.damaged(ctx, shard, "after its last readable member", err, r.finish, emit)
		}
		key, m, read, ok := r.member(hdr)
		if !ok {
			continue
		}
		if read {
			if m.data, err = io.ReadAll(tr); err != nil {
				return s.damaged(ctx, shard, "inside member "+storage.Quote(m.name), err, r.finish, emit)
			}
			r.links.hold(m.name, m.data)
		}
		if err := r.add(key, m); err != nil {
			return err
		}
	}
}

// unreadable is the reject of a shard that cannot be opened for what it is
// (too large, no regular file, an invalid name); a storage fault fails the
// run.
func (s *tarSource) unreadable(shard string, err error, emit func(*Input) error) error {
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

// pairable reports whether a member extension is of an image or a prompt.
func pairable(ext string) bool { return imageExts[ext] || promptExts[ext] }

// member reads a tar header as a member of a key; ok is false for what a
// pair never holds (folders, names with no extension, special files of
// other extensions). A hard link takes its target's content; read is true
// for a regular image or prompt member within its limit, whose content is
// the caller's to read.
func (r *shardRead) member(hdr *tar.Header) (key string, m member, read, ok bool) {
	name := path.Clean(hdr.Name)
	base := path.Base(name)
	dot := strings.IndexByte(base, '.')
	if hdr.Typeflag == tar.TypeDir || dot <= 0 {
		return "", m, false, false
	}
	key = path.Join(path.Dir(name), base[:dot])
	m = member{name: name, ext: strings.ToLower(base[dot:])}
	limit := r.s.maxPromptBytes
	if imageExts[m.ext] {
		limit = r.s.maxImageBytes
	}
	switch {
	case hdr.Typeflag == tar.TypeLink && pairable(m.ext):
		// A hard link repeats an earlier member's content.
		target, ok := r.links.byName[path.Clean(hdr.Linkname)]
		if !ok {
			m.bad = fmt.Sprintf("member %s is a hard link to %s, which is no image or prompt member among the last %d MiB of the shard", storage.Quote(name), storage.Quote(hdr.Linkname), linkBudget>>20)
		}
		m.data = target
	case hdr.Typeflag != tar.TypeReg && pairable(m.ext):
		m.bad = fmt.Sprintf("member %s is not a regular file (tar type %q)", storage.Quote(name), hdr.Typeflag)
	case hdr.Typeflag != tar.TypeReg:
		return "", m, false, false
	case hdr.Size > limit:
		m.big = true
	case pairable(m.ext):
		read = true
	}
	return key, m, read, true
}

// add files a member under its key and emits the key's pair once complete;
// an image or prompt member of a key whose pair came earlier is a
// duplicate-key reject.
func (r *shardRead) add(key string, m member) error {
	if n, done := r.emitted[key]; done {
		if !pairable(m.ext) {
			return nil
		}
		// A second pair under one key would give two samples one id.
		r.emitted[key] = n + 1
		it := &Input{Key: fmt.Sprintf("%s/%s#%d", r.shard, key, n+1), SourceURI: r.s.bucket.URI(r.shard) + "#" + key}
		it.reject(schema.ReasonDuplicateKey, "shard %s member %s repeats key %s, whose pair came earlier", storage.Quote(r.shard), storage.Quote(m.name), storage.Quote(key))
		return r.emit(it)
	}
	if _, seen := r.groups[key]; !seen {
		r.order = append(r.order, key)
	}
	r.groups[key] = append(r.groups[key], m)
	if !complete(r.groups[key]) {
		return nil
	}
	if err := r.emit(r.s.pair(r.shard, key, r.groups[key])); err != nil {
		return err
	}
	delete(r.groups, key)
	r.emitted[key] = 1
	return nil
}

// finish emits the keys still incomplete at the shard's end, in the order
// first seen: each a reject saying what it lacks.
func (r *shardRead) finish() error {
	for _, k := range r.order {
		if g, ok := r.groups[k]; ok {
			if err := r.emit(r.s.pair(r.shard, k, g)); err != nil {
				return err
			}
		}
	}
	return nil
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
