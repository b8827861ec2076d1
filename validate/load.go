// Package validate checks a built dataset the way a trainer would load it and
// reports every problem with its shard, row and field.
package validate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // the canvas images are JPEG
	_ "image/png"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/critic"
	"github.com/twigdata/twigdata/storage"
)

// Problem is one thing wrong with a dataset, located as precisely as known.
type Problem struct {
	Shard   string `json:"shard"`
	Row     int    `json:"row"` // -1 when the problem concerns the whole file
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// String is the problem as "shard row N field: message".
func (p Problem) String() string {
	loc := p.Shard
	if p.Row >= 0 {
		loc += fmt.Sprintf(" row %d", p.Row)
	}
	if p.Field != "" {
		loc += " " + p.Field
	}
	return loc + ": " + p.Message
}

// LoadReport is what loading the dataset found.
type LoadReport struct {
	Samples  int       `json:"samples"`
	Tasks    int       `json:"tasks"`
	Training int       `json:"training"`
	Rejects  int       `json:"rejects"`
	Shards   int       `json:"shards"`
	Theta    int       `json:"theta"` // the reflection threshold the dataset was built with
	Problems []Problem `json:"problems"`
}

// empty reports whether a bucket holds nothing at all.
func empty(ctx context.Context, b storage.Reader) bool {
	found := errors.New("found")
	err := b.List(ctx, "", func(storage.Object) error { return found })
	return err == nil || storage.IsNotExist(err)
}

// maxShardBytes bounds how much of one shard is read into memory.
const maxShardBytes = 8 << 30

// Load reads every shard of every table: the manifest's schema version, row
// counts and sha256s, every row, every image (it must decode to the canvas
// size), the region schedule (token rows tile the grid) and the tasks'
// references to samples. keep, when not nil, receives every sample row.
func Load(ctx context.Context, b storage.Bucket, keep func(*schema.Sample)) (LoadReport, error) {
	var r LoadReport
	add := func(shard string, row int, field, format string, args ...any) {
		r.Problems = append(r.Problems, Problem{shard, row, field, fmt.Sprintf(format, args...)})
	}
	var m schema.Manifest
	data, err := storage.ReadAll(ctx, b, schema.ManifestKey, 64<<20)
	switch {
	case storage.IsNotExist(err) && empty(ctx, b):
		add(schema.ManifestKey, -1, "", "missing, and so is everything else: this is no dataset (point validate at the folder or prefix a build wrote)")
	case storage.IsNotExist(err):
		add(schema.ManifestKey, -1, "", "missing: the build did not finish (rerun it to resume)")
	case err != nil:
		return r, err
	default:
		if err := json.Unmarshal(data, &m); err != nil {
			add(schema.ManifestKey, -1, "", "not valid JSON: %v", err)
		} else if m.SchemaVersion != schema.Version {
			add(schema.ManifestKey, -1, "schema_version", "is %d, this twigdata reads %d", m.SchemaVersion, schema.Version)
		}
	}
	// A dataset without a readable manifest is judged at the default θ.
	r.Theta = critic.DefaultTheta
	if m.SchemaVersion != 0 {
		r.Theta = m.Canvas.Theta
	}
	listed := map[string]schema.ShardFile{}
	for _, s := range m.Shards {
		listed[s.Path] = s
	}
	// Every Parquet file of the three tables, listed or not.
	files := map[schema.Table][]string{}
	for _, table := range schema.Tables() {
		err := b.List(ctx, table.Dir(), func(o storage.Object) error {
			if strings.HasSuffix(o.Key, ".parquet") {
				files[table] = append(files[table], o.Key)
				if _, ok := listed[o.Key]; !ok && len(m.Shards) > 0 {
					add(o.Key, -1, "", "is not listed in manifest.json")
				}
			}
			return nil
		})
		if err != nil && !storage.IsNotExist(err) {
			return r, err
		}
		sort.Strings(files[table])
	}
	for _, s := range m.Shards {
		found := false
		for _, f := range files[s.Kind] {
			found = found || f == s.Path
		}
		if !found {
			add(s.Path, -1, "", "is listed in manifest.json but missing")
		}
	}
	read := func(key string) ([]byte, bool) {
		data, err := storage.ReadAll(ctx, b, key, maxShardBytes)
		if err != nil {
			add(key, -1, "", "cannot be read: %v", err)
			return nil, false
		}
		r.Shards++
		if s, ok := listed[key]; ok {
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != s.SHA256 {
				add(key, -1, "sha256", "is %s, manifest.json says %s", got, s.SHA256)
			}
		}
		return data, true
	}
	checkRows := func(key string, n int) {
		if s, ok := listed[key]; ok && s.Rows != n {
			add(key, -1, "rows", "holds %d rows, manifest.json says %d", n, s.Rows)
		}
	}
	keys := map[string]string{}  // input key → shard, for exactly-once
	samples := map[string]bool{} // sample ids, for the tasks' references
	once := func(shard string, i int, key string) {
		if prev, dup := keys[key]; dup {
			add(shard, i, "key", "%q is also in %s", key, prev)
		}
		keys[key] = shard
	}
	// Samples first: tasks refer to them.
	r.Samples = streamTable(ctx, files[schema.Samples], read, checkRows, add, func(shard string, i int, s *schema.Sample) {
		checkSample(shard, i, s, add)
		once(shard, i, s.Key)
		samples[s.ID] = true
		if keep != nil {
			keep(s)
		}
	})
	r.Tasks = streamTable(ctx, files[schema.Tasks], read, checkRows, add, func(shard string, i int, t *schema.Task) {
		if !samples[t.SampleID] {
			add(shard, i, "sample_id", "%q names no sample", t.SampleID)
		}
	})
	r.Training = streamTable(ctx, files[schema.Training], read, checkRows, add, func(shard string, i int, e *schema.Example) {
		if !samples[e.ID] {
			add(shard, i, "id", "%q names no sample", e.ID)
		}
		checkTurns(shard, i, e, add)
	})
	if r.Training != r.Samples {
		add(schema.Training.Dir(), -1, "", "holds %d rows for %d samples: the training table has one row per sample", r.Training, r.Samples)
	}
	r.Rejects = streamTable(ctx, files[schema.Rejects], read, checkRows, add, func(shard string, i int, rj *schema.Reject) {
		once(shard, i, rj.Key)
	})
	return r, ctx.Err()
}

// checkTurns verifies a training row's turns: think, generate, reflect for
// each region in order, each with what its kind has and nothing else.
func checkTurns(shard string, i int, e *schema.Example, add func(string, int, string, string, ...any)) {
	kinds := []string{schema.TaskThink, schema.TaskGenerate, schema.TaskReflect}
	if len(e.Turns)%3 != 0 || len(e.Turns) == 0 {
		add(shard, i, "turns", "%d turns: want think, generate and reflect for each region", len(e.Turns))
		return
	}
	for k, u := range e.Turns {
		f := fmt.Sprintf("turns[%d]", k)
		switch {
		case u.Kind != kinds[k%3] || int(u.Region) != k/3:
			add(shard, i, f, "is %s of region %d, want %s of region %d", u.Kind, u.Region, kinds[k%3], k/3)
		case (u.Text == "") != (u.Kind == schema.TaskGenerate):
			add(shard, i, f+".text", "a %s turn %s", u.Kind, map[bool]string{true: "has no text", false: "has text"}[u.Text == ""])
		case (u.Score == nil) != (u.Kind != schema.TaskReflect):
			add(shard, i, f+".score", "set on a %s turn, or missing on a reflect turn", u.Kind)
		case (u.TokenRowStart == nil || u.TokenRowEnd == nil) != (u.Kind != schema.TaskGenerate):
			add(shard, i, f+".token_row_start", "set on a %s turn, or missing on a generate turn", u.Kind)
		}
	}
}

// checkSample verifies one sample row's image and region schedule.
func checkSample(shard string, i int, s *schema.Sample, add func(string, int, string, string, ...any)) {
	img, _, err := image.Decode(bytes.NewReader(s.Image.Bytes))
	switch {
	case err != nil:
		add(shard, i, "image.bytes", "do not decode as an image: %v", err)
	case img.Bounds().Dx() != int(s.CanvasWidth) || img.Bounds().Dy() != int(s.CanvasHeight):
		add(shard, i, "image.bytes", "decode to %dx%d, the canvas is %dx%d", img.Bounds().Dx(), img.Bounds().Dy(), s.CanvasWidth, s.CanvasHeight)
	}
	if s.PatchSize <= 0 || s.GridRows*s.PatchSize != s.CanvasHeight {
		add(shard, i, "grid_rows", "%d rows of %d px do not cover the %d px canvas", s.GridRows, s.PatchSize, s.CanvasHeight)
		return
	}
	regs := append([]schema.Region(nil), s.Regions...)
	sort.Slice(regs, func(a, b int) bool { return regs[a].Index < regs[b].Index })
	next := int32(0)
	for _, reg := range regs {
		f := fmt.Sprintf("regions[%d]", reg.Index)
		if reg.TokenRowStart != next {
			add(shard, i, f+".token_row_start", "is %d, the region before ends at %d: token rows do not tile the grid", reg.TokenRowStart, next)
		}
		if reg.TokenRowEnd <= reg.TokenRowStart {
			add(shard, i, f+".token_row_end", "is %d, not after its start %d", reg.TokenRowEnd, reg.TokenRowStart)
		}
		if reg.Y0 != reg.TokenRowStart*s.PatchSize || reg.Y1 != reg.TokenRowEnd*s.PatchSize {
			add(shard, i, f+".y0", "pixel rows [%d,%d) are not token rows [%d,%d) × %d", reg.Y0, reg.Y1, reg.TokenRowStart, reg.TokenRowEnd, s.PatchSize)
		}
		next = reg.TokenRowEnd
	}
	if next != s.GridRows {
		add(shard, i, "regions", "end at token row %d, the grid has %d", next, s.GridRows)
	}
}

// streamTable streams every shard of one table through check and returns the
// number of rows read.
func streamTable[T any](ctx context.Context, shards []string, read func(string) ([]byte, bool),
	checkRows func(string, int), add func(string, int, string, string, ...any), check func(shard string, i int, row *T)) int {
	total := 0
	for _, key := range shards {
		data, ok := read(key)
		if !ok {
			continue
		}
		if err := schema.Conforms[T](bytes.NewReader(data), int64(len(data))); err != nil {
			// A reader built for the documented schema would fail on it.
			if errors.Is(err, schema.ErrSchemaMismatch) {
				add(key, -1, "", "%v", err)
			} else {
				add(key, -1, "", "is not a complete Parquet file: %v", err)
			}
			continue
		}
		n := 0
		err := schema.Stream(bytes.NewReader(data), int64(len(data)), func(i int, row *T) error {
			n++
			if field := invalidUTF8(reflect.ValueOf(row).Elem(), ""); field != "" {
				add(key, i, field, "is not valid UTF-8: readers such as DuckDB refuse the shard")
			}
			check(key, i, row)
			return ctx.Err()
		})
		if err != nil {
			add(key, -1, "", "is not a complete Parquet file: %v", err)
		}
		total += n
		checkRows(key, n)
	}
	return total
}

// invalidUTF8 finds the first string field of a row that is not valid UTF-8,
// by its path ("regions[1].caption"); "" when there is none.
func invalidUTF8(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.String:
		if !utf8.ValidString(v.String()) {
			return path
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			name := strings.Split(t.Field(i).Tag.Get("parquet"), ",")[0]
			if p := invalidUTF8(v.Field(i), strings.TrimPrefix(path+"."+name, ".")); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "" // bytes, not text
		}
		for i := 0; i < v.Len(); i++ {
			if p := invalidUTF8(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// Collect streams the samples table once more and keeps a copy of the
// samples whose id is in ids (the replay's and the bank's), in the order of
// the files: the rest pass by without being held.
func Collect(ctx context.Context, b storage.Reader, ids map[string]bool) ([]*schema.Sample, error) {
	var keys []string
	err := b.List(ctx, schema.Samples.Dir(), func(o storage.Object) error {
		if strings.HasSuffix(o.Key, ".parquet") {
			keys = append(keys, o.Key)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	var out []*schema.Sample
	for _, k := range keys {
		data, err := storage.ReadAll(ctx, b, k, maxShardBytes)
		if err != nil {
			return nil, err
		}
		err = schema.Stream(bytes.NewReader(data), int64(len(data)), func(_ int, s *schema.Sample) error {
			if ids[s.ID] {
				c := *s
				c.Image.Bytes = append([]byte(nil), s.Image.Bytes...)
				c.Regions = append([]schema.Region(nil), s.Regions...)
				out = append(out, &c)
			}
			return ctx.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.URI(k), err)
		}
	}
	return out, nil
}
