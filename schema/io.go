package schema

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Encode writes rows as one zstd-compressed Parquet file into memory.
// Shards are bounded by row count, so holding one in memory is bounded too,
// and a finished buffer can go to local disk or S3 in one atomic put.
func Encode[T any](rows []T, createdBy string) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf,
		parquet.Compression(&parquet.Zstd),
		parquet.CreatedBy("twigdata", createdBy, ""),
		parquet.MaxRowsPerRowGroup(1024),
	)
	if _, err := w.Write(rows); err != nil {
		return nil, fmt.Errorf("parquet write: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("parquet close: %w", err)
	}
	return buf.Bytes(), nil
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
