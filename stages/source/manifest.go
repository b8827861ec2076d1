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
	"unicode/utf8"

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
	fields map[string]string // the text values
	other  map[string]string // the values that are not text: column → what they are
	nulls  map[string]bool   // the columns whose value is null
	bad    string
	// tooLarge says why the row was too large to read.
	tooLarge string
}

// set records one value of a row: text as it is, anything else by its kind.
func (r *manifestRow) set(col string, v any) {
	switch x := v.(type) {
	case nil:
		r.nulls[col] = true
	case string:
		r.fields[col] = x
	case []byte:
		if utf8.Valid(x) && len(x) <= maxTextValue {
			r.fields[col] = string(x)
		} else {
			r.other[col] = fmt.Sprintf("%d bytes of binary data", len(x))
		}
	case map[string]any:
		r.other[col] = "a struct or object"
	case []any:
		r.other[col] = "a list"
	case bool:
		r.other[col] = "a boolean"
	default:
		r.other[col] = fmt.Sprintf("the number %v", x)
	}
}

// maxTextValue is the longest binary value still read as text: a prompt or
// a path, not an image stored in the manifest.
const maxTextValue = 64 << 10

func newRow(line int) manifestRow {
	return manifestRow{line: line, fields: map[string]string{}, other: map[string]string{}, nulls: map[string]bool{}}
}

func (m *manifestSource) run(ctx context.Context, emit func(*Input) error) error {
	rows, closeRows, err := m.rows(ctx)
	if err != nil {
		return err
	}
	defer closeRows()
	seen := map[string]bool{} // duplicate keys are rejected, not silently merged
	return rows(func(r manifestRow) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return emit(m.input(ctx, r, seen))
	})
}

// rows opens the manifest in its format: text manifests are streamed a row
// at a time, whatever their size; Parquet needs its footer first and is
// read whole, within --max-manifest-bytes. done closes what it opened.
func (m *manifestSource) rows(ctx context.Context) (rows func(func(manifestRow) error) error, done func(), err error) {
	done = func() {}
	switch ext := strings.ToLower(path.Ext(m.key)); ext {
	case ".jsonl", ".ndjson", ".json", ".csv":
		body, err := storage.Stream(ctx, m.bucket, m.key, m.maxBytes)
		if err != nil {
			return nil, done, fmt.Errorf("read manifest %s: %w", m.bucket.URI(m.key), err)
		}
		done = func() { body.Close() }
		if ext == ".csv" {
			return func(fn func(manifestRow) error) error { return csvRows(body, fn) }, done, nil
		}
		return func(fn func(manifestRow) error) error { return jsonlRows(body, fn) }, done, nil
	case ".parquet":
		data, err := storage.ReadAll(ctx, m.bucket, m.key, m.maxBytes)
		if err != nil {
			return nil, done, fmt.Errorf("read manifest %s: %w", m.bucket.URI(m.key), err)
		}
		return func(fn func(manifestRow) error) error { return parquetRows(data, fn) }, done, nil
	default:
		return nil, done, fmt.Errorf("manifest %s: unknown format %q (use .jsonl, .csv or .parquet)", m.bucket.URI(m.key), ext)
	}
}

// input is a manifest row as an input: its key, its prompt and its image
// reference, or a reject saying what is wrong with the row. seen holds the
// keys of the rows before.
func (m *manifestSource) input(ctx context.Context, r manifestRow, seen map[string]bool) *Input {
	it := &Input{Key: fmt.Sprintf("%s#%d", m.key, r.line), SourceURI: fmt.Sprintf("%s#line=%d", m.bucket.URI(m.key), r.line)}
	if r.tooLarge != "" {
		it.reject(schema.ReasonPromptTooLarge, "%s: %s", m.key, r.tooLarge)
		return it
	}
	if r.bad != "" {
		it.reject(schema.ReasonManifestRowMalformed, "%s line %d: %s", m.key, r.line, r.bad)
		return it
	}
	if what, ok := r.other[m.imageCol]; ok {
		it.reject(schema.ReasonBadReference, "%s line %d: column %q holds %s, not a path or an s3:// URI", m.key, r.line, m.imageCol, what)
		return it
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
		return it
	}
	seen[it.Key] = true
	if what, ok := r.other[m.promptCol]; ok {
		it.reject(schema.ReasonPromptNotText, "%s line %d: column %q holds %s, not text", m.key, r.line, m.promptCol, what)
		return it
	}
	prompt, ok := r.fields[m.promptCol]
	switch {
	case ref == "":
		it.reject(schema.ReasonNoImage, "%s line %d has no %q value", m.key, r.line, m.imageCol)
		return it
	case !ok && r.nulls[m.promptCol]:
		it.reject(schema.ReasonEmptyPrompt, "%s line %d: its %q is null", m.key, r.line, m.promptCol)
		return it
	case !ok:
		it.reject(schema.ReasonNoPrompt, "%s line %d has no %q column", m.key, r.line, m.promptCol)
		return it
	}
	p, rej := cleanPrompt(fmt.Sprintf("%s line %d", m.key, r.line), []byte(prompt), "")
	if rej != nil {
		it.rejectWith(rej)
		return it
	}
	it.Prompt = p
	it.promptReady = true
	m.reference(ctx, it, r.line, ref)
	return it
}

// reference points an input at its row's image: an s3:// URI through the
// opener, else a path inside the manifest's folder; anything else rejects
// the input.
func (m *manifestSource) reference(ctx context.Context, it *Input, line int, ref string) {
	if strings.HasPrefix(ref, "s3://") {
		if m.open == nil {
			it.reject(schema.ReasonBadReference, "%s line %d: %s is an s3:// URI; this manifest's references must be relative", m.key, line, ref)
			return
		}
		b, key, err := m.open(ctx, ref)
		if err != nil {
			it.reject(schema.ReasonBadReference, "%s line %d: %v", m.key, line, err)
			return
		}
		it.imageBucket, it.ImageKey, it.SourceURI = b, key, ref
		return
	}
	if scheme, _, ok := strings.Cut(ref, "://"); ok && !strings.ContainsAny(scheme, "/.") {
		it.reject(schema.ReasonBadReference, "%s line %d: %s is a %s:// URL; twigdata reads paths inside the manifest's folder and s3:// URIs, and downloads nothing (fetch the images first, with img2dataset for one)", m.key, line, ref, scheme)
		return
	}
	base := path.Dir(m.key)
	key, err := storage.CleanKey(path.Join(base, ref))
	if errors.Is(err, storage.ErrInvalidKey) && !path.IsAbs(ref) && !strings.HasPrefix(path.Clean(path.Join(base, ref)), "..") {
		it.reject(schema.ReasonInvalidName, "%s line %d: %v", m.key, line, err)
		return
	}
	if path.IsAbs(ref) || err != nil || strings.HasPrefix(key, "../") || key == ".." {
		it.reject(schema.ReasonBadReference, "%s line %d: image %q must be a path inside the manifest's folder or an s3:// URI", m.key, line, ref)
		return
	}
	it.ImageKey, it.SourceURI = key, m.bucket.URI(key)
}

// maxManifestLine bounds one line of a JSONL manifest: a row holds a
// prompt (at most --max-prompt-kb) and references, far below it.
const maxManifestLine = 16 << 20

func jsonlRows(r io.Reader, fn func(manifestRow) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		text, long, err := readLine(br, maxManifestLine)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		row := newRow(line)
		switch text = bytes.TrimSpace(text); {
		case long:
			// One row too long is that row's reject, not the build's end.
			row.tooLarge = fmt.Sprintf("line %d is longer than %d MiB, more than a row of a prompt and references holds (is the file JSONL: one JSON object per line?)", line, maxManifestLine>>20)
		case len(text) == 0:
			if errors.Is(err, io.EOF) {
				return nil
			}
			continue
		default:
			var obj map[string]any
			if jerr := json.Unmarshal(text, &obj); jerr != nil {
				row.bad = "not a JSON object: " + jerr.Error()
			} else {
				for k, v := range obj {
					row.set(k, v)
				}
			}
		}
		if ferr := fn(row); ferr != nil {
			return ferr
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readLine reads one line of at most limit bytes; long is true for a line
// longer, whose rest is read past and dropped, so that memory stays within
// the limit. err is io.EOF after the last line.
func readLine(br *bufio.Reader, limit int) (line []byte, long bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			if len(line)+len(chunk) > limit {
				long, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return line, long, err
		}
	}
}

func csvRows(r io.Reader, fn func(manifestRow) error) error {
	// Spreadsheet programs save UTF-8 CSV with a byte-order mark; it is not
	// part of the first column's name.
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
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
		var pe *csv.ParseError
		var r manifestRow
		switch {
		case errors.As(err, &pe):
			// FieldPos must not be asked after an error: it panics.
			r = newRow(pe.Line)
			r.bad = pe.Err.Error()
		case err != nil:
			return err
		default:
			line, _ := cr.FieldPos(0)
			r = newRow(line)
			if len(rec) != len(header) {
				r.bad = fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))
				break
			}
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
		r := newRow(line)
		for k, v := range m {
			r.set(k, v)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}
