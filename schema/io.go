package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Row group limits: a row group of image rows holds at most
// ImageRowGroupRows rows or ImageRowGroupBytes bytes (about what
// img2dataset and `datasets` write, so that streaming readers get many
// units of work per file and the Hub's viewer takes every group); text
// tables hold TextRowGroupRows.
const (
	ImageRowGroupRows  = 100
	ImageRowGroupBytes = 64 << 20
	TextRowGroupRows   = 10000
)

// sized rows report roughly how many bytes they add to a row group.
type sized interface{ approxBytes() int }

// FileWriter writes one Parquet file of records row by row, in the form the
// Python ecosystem reads without help: DATA_PAGE_V1 pages (older vectorised
// readers know no other), PLAIN encoding except the columns tagged dict,
// zstd except the image bytes, no statistics for the image bytes, row groups
// within the limits above, and the `huggingface` metadata key with the
// table's features. A row group is written out as soon as it is full, so
// what it holds in memory is one row group, whatever the file's size.
type FileWriter[T any] struct {
	w                  *parquet.GenericWriter[T]
	maxRows, groupRows int64
	groupBytes         int
	rows               int
}

// NewFileWriter starts a file of T records on out.
func NewFileWriter[T any](out io.Writer, createdBy string) *FileWriter[T] {
	typ := reflect.TypeOf((*T)(nil)).Elem()
	maxRows := int64(TextRowGroupRows)
	if hasImage(typ) {
		maxRows = ImageRowGroupRows
	}
	return &FileWriter[T]{maxRows: maxRows, w: parquet.NewGenericWriter[T](out,
		parquet.Compression(&parquet.Zstd),
		parquet.CreatedBy("twigdata", createdBy, ""),
		parquet.DataPageVersion(1),
		parquet.DefaultEncoding(&parquet.Plain),
		parquet.SkipPageBounds("image", "bytes"),
		parquet.SkipPageStatistics("image", "bytes"),
		parquet.KeyValueMetadata("huggingface", HuggingFaceMetadata(typ)),
	)}
}

// Write adds rows, cutting a row group before one would pass its limits.
func (f *FileWriter[T]) Write(rows ...T) error {
	for i := range rows {
		n := 0
		if s, ok := any(&rows[i]).(sized); ok {
			n = s.approxBytes()
		}
		if f.groupRows == f.maxRows || (f.groupRows > 0 && f.groupBytes+n > ImageRowGroupBytes) {
			if err := f.w.Flush(); err != nil {
				return fmt.Errorf("parquet write: %w", err)
			}
			f.groupRows, f.groupBytes = 0, 0
		}
		if _, err := f.w.Write(rows[i : i+1]); err != nil {
			return fmt.Errorf("parquet write: %w", err)
		}
		f.groupRows++
		f.groupBytes += n
		f.rows++
	}
	return nil
}

// Rows is the number of rows written so far.
func (f *FileWriter[T]) Rows() int { return f.rows }

// Close writes the last row group and the footer.
func (f *FileWriter[T]) Close() error {
	if err := f.w.Close(); err != nil {
		return fmt.Errorf("parquet close: %w", err)
	}
	return nil
}

// Encode writes rows as one Parquet file into memory (see FileWriter).
func Encode[T any](rows []T, createdBy string) ([]byte, error) {
	var buf bytes.Buffer
	w := NewFileWriter[T](&buf, createdBy)
	if err := w.Write(rows...); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hasImage reports whether a record type has an image column.
func hasImage(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type == imageType {
			return true
		}
	}
	return false
}

// Decode reads every row of a Parquet file written by Encode.
func Decode[T any](r io.ReaderAt, size int64) ([]T, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, err
	}
	rd := parquet.NewGenericReader[T](f)
	defer rd.Close()
	rows := make([]T, f.NumRows())
	n, err := rd.Read(rows)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return rows[:n], nil
}

// Stream reads a Parquet file written by Encode one batch at a time and calls
// fn with each row and its index, so a shard of any size is checked in bounded
// memory. An error from fn stops the read and is returned.
func Stream[T any](r io.ReaderAt, size int64, fn func(i int, row *T) error) error {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return err
	}
	rd := parquet.NewGenericReader[T](f)
	defer rd.Close()
	buf := make([]T, 64)
	i := 0
	for {
		n, err := rd.Read(buf)
		for j := 0; j < n; j++ {
			if ferr := fn(i, &buf[j]); ferr != nil {
				return ferr
			}
			i++
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
	}
}

// Conforms reports whether a Parquet file has exactly the schema this
// twigdata writes for T — the same columns, in the same order, with the same
// types and repetition — naming what differs when it has not.
func Conforms[T any](r io.ReaderAt, size int64) error {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return err
	}
	want := parquet.SchemaOf(new(T))
	if parquet.EqualNodes(f.Schema(), want) {
		return nil
	}
	have := map[string]bool{}
	for _, p := range f.Schema().Columns() {
		have[strings.Join(p, ".")] = true
	}
	var missing, extra []string
	for _, p := range want.Columns() {
		k := strings.Join(p, ".")
		if !have[k] {
			missing = append(missing, k)
		}
		delete(have, k)
	}
	for k := range have {
		extra = append(extra, k)
	}
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		return fmt.Errorf("%w: missing columns %v, unexpected columns %v", ErrSchemaMismatch, missing, extra)
	}
	return fmt.Errorf("%w in column types or order:\n%s\nwant:\n%s", ErrSchemaMismatch, f.Schema(), want)
}

// ErrSchemaMismatch is wrapped by Conforms when a file's schema is not twigdata's.
var ErrSchemaMismatch = errors.New("schema differs from twigdata's")
