package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// manifestSource reads a JSONL, CSV or Parquet manifest: one row per pair, a
// prompt column and an image column holding a path relative to the manifest
// or an absolute s3:// URI; an optional key column names the input.
type manifestSource struct {
	bucket                      storage.Reader
	key                         string
	promptCol, imageCol, keyCol string
	maxBytes                    int64
	// open resolves an s3:// reference to a bucket and key (nil: references must be relative).
	open func(ctx context.Context, uri string) (storage.Reader, string, error)
}

// manifestRow is one parsed row, or the reason it could not be parsed.
type manifestRow struct {
	line   int
	fields map[string]string
	bad    string
}

func (m *manifestSource) run(ctx context.Context, emit func(*Input) error) error {
	data, err := storage.ReadAll(ctx, m.bucket, m.key, m.maxBytes)
	if err != nil {
		return fmt.Errorf("read manifest %s: %w", m.bucket.URI(m.key), err)
	}
	var rows func(func(manifestRow) error) error
	switch ext := strings.ToLower(path.Ext(m.key)); ext {
	case ".jsonl", ".ndjson", ".json":
		rows = func(fn func(manifestRow) error) error { return jsonlRows(data, fn) }
	case ".csv":
		rows = func(fn func(manifestRow) error) error { return csvRows(data, fn) }
	case ".parquet":
		rows = func(fn func(manifestRow) error) error { return parquetRows(data, fn) }
	default:
		return fmt.Errorf("manifest %s: unknown format %q (use .jsonl, .csv or .parquet)", m.bucket.URI(m.key), ext)
	}
	seen := map[string]bool{} // duplicate keys are rejected, not silently merged
	base := path.Dir(m.key)
	return rows(func(r manifestRow) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		it := &Input{Key: fmt.Sprintf("%s#%d", m.key, r.line), SourceURI: fmt.Sprintf("%s#line=%d", m.bucket.URI(m.key), r.line)}
		if r.bad != "" {
			it.reject(schema.ReasonManifestRowMalformed, "%s line %d: %s", m.key, r.line, r.bad)
			return emit(it)
		}
		ref := strings.TrimSpace(r.fields[m.imageCol])
		if k := strings.TrimSpace(r.fields[m.keyCol]); m.keyCol != "" && k != "" {
			it.Key = k
		} else if ref != "" {
			it.Key = strings.TrimSuffix(ref, path.Ext(ref))
		}
		if seen[it.Key] {
			it.Key = fmt.Sprintf("%s#%d", it.Key, r.line)
			it.reject(schema.ReasonDuplicateKey, "%s line %d repeats an earlier row's key", m.key, r.line)
			return emit(it)
		}
		seen[it.Key] = true
		prompt, ok := r.fields[m.promptCol]
		switch {
		case ref == "":
			it.reject(schema.ReasonNoImage, "%s line %d has no %q value", m.key, r.line, m.imageCol)
			return emit(it)
		case !ok:
			it.reject(schema.ReasonNoPrompt, "%s line %d has no %q column", m.key, r.line, m.promptCol)
			return emit(it)
		}
		p, rej := cleanPrompt(fmt.Sprintf("%s line %d", m.key, r.line), []byte(prompt), "")
		if rej != nil {
			it.rejectWith(rej)
			return emit(it)
		}
		it.Prompt = p
		it.promptReady = true
		if strings.HasPrefix(ref, "s3://") {
			if m.open == nil {
				it.reject(schema.ReasonBadReference, "%s line %d: %s is an s3:// URI; this manifest's references must be relative", m.key, r.line, ref)
				return emit(it)
			}
			b, key, err := m.open(ctx, ref)
			if err != nil {
				it.reject(schema.ReasonBadReference, "%s line %d: %v", m.key, r.line, err)
				return emit(it)
			}
			it.imageBucket, it.ImageKey, it.SourceURI = b, key, ref
			return emit(it)
		}
		key, err := storage.CleanKey(path.Join(base, ref))
		if path.IsAbs(ref) || err != nil || strings.HasPrefix(key, "../") || key == ".." {
			it.reject(schema.ReasonBadReference, "%s line %d: image %q must be a path inside the manifest's folder or an s3:// URI", m.key, r.line, ref)
			return emit(it)
		}
		it.ImageKey, it.SourceURI = key, m.bucket.URI(key)
		return emit(it)
	})
}

func jsonlRows(data []byte, fn func(manifestRow) error) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var obj map[string]any
		r := manifestRow{line: line}
		if err := json.Unmarshal(text, &obj); err != nil {
			r.bad = "not a JSON object: " + err.Error()
		} else {
			r.fields = map[string]string{}
			for k, v := range obj {
				if s, ok := v.(string); ok {
					r.fields[k] = s
				} else if v != nil {
					r.fields[k] = fmt.Sprint(v)
				}
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return sc.Err()
}

func csvRows(data []byte, fn func(manifestRow) error) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("CSV manifest has no header row: %w", err)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		r := manifestRow{line: line}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			r.line, r.bad = pe.Line, pe.Err.Error()
		case err != nil:
			return err
		case len(rec) != len(header):
			r.bad = fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))
		default:
			r.fields = map[string]string{}
			for i, h := range header {
				r.fields[strings.TrimSpace(h)] = rec[i]
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}

func parquetRows(data []byte, fn func(manifestRow) error) error {
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("Parquet manifest: %w", err)
	}
	rd := parquet.NewReader(f)
	defer rd.Close()
	for line := 1; ; line++ {
		m := map[string]any{}
		if err := rd.Read(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("Parquet manifest row %d: %w", line, err)
		}
		r := manifestRow{line: line, fields: map[string]string{}}
		for k, v := range m {
			switch x := v.(type) {
			case string:
				r.fields[k] = x
			case []byte:
				r.fields[k] = string(x)
			case nil:
			default:
				r.fields[k] = fmt.Sprint(x)
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}
