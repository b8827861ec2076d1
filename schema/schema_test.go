package schema

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

func TestRoundTrip(t *testing.T) {
	in := []Sample{{ID: "a", Regions: []Region{{Index: 1, Objects: []Object{{Label: "ball"}}}}, Entities: []Entity{{Noun: "ball", Attributes: []string{"red"}}}, Image: Image{Bytes: []byte{1, 2}}}}
	b, err := Encode(in, "test")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode[Sample](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Regions[0].Objects[0].Label != "ball" || out[0].Entities[0].Attributes[0] != "red" || string(out[0].Image.Bytes) != "\x01\x02" {
		t.Fatalf("round trip: %+v", out)
	}
}

// dictColumns are the low-cardinality columns, dictionary-encoded; every
// other column is PLAIN.
var dictColumns = map[string]bool{"task": true, "stage": true, "reason": true, "orig_format": true, "segmenter": true,
	"captioner": true, "tool_version": true, "class": true, "kind": true, "source": true}

// TestFilesForTheEcosystem holds the physical layout that readers other than
// DuckDB need (see Encode): page version 1, PLAIN or dictionary encoding,
// image bytes uncompressed and without statistics, bounded row groups, and
// the `huggingface` metadata key.
func TestFilesForTheEcosystem(t *testing.T) {
	big := bytes.Repeat([]byte{0xFF, 0xD8, 7}, 300<<10) // 900 KiB "images": 64 MiB fill a group before 100 rows
	tests := []struct {
		name   string
		encode func() ([]byte, error)
		groups []int64 // rows per row group
	}{
		{"samples cut at 100 rows", func() ([]byte, error) {
			rows := make([]Sample, 250)
			for i := range rows {
				rows[i] = Sample{ID: fmt.Sprint(i), Image: Image{Bytes: []byte{0xFF, 0xD8, byte(i)}, Path: "x.jpg"}, OrigFormat: "png"}
			}
			return Encode(rows, "test")
		}, []int64{100, 100, 50}},
		{"samples cut at 64 MiB", func() ([]byte, error) {
			rows := make([]Sample, 80)
			for i := range rows {
				rows[i] = Sample{ID: fmt.Sprint(i), Image: Image{Bytes: big}}
			}
			return Encode(rows, "test")
		}, []int64{72, 8}},
		{"tasks in one group", func() ([]byte, error) {
			rows := make([]Task, 900)
			for i := range rows {
				rows[i] = Task{ID: fmt.Sprint(i), Task: TaskThink}
			}
			return Encode(rows, "test")
		}, []int64{900}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.encode()
			if err != nil {
				t.Fatal(err)
			}
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			md := f.Metadata()
			var groups []int64
			for _, rg := range md.RowGroups {
				groups = append(groups, rg.NumRows)
			}
			if !slices.Equal(groups, tc.groups) {
				t.Errorf("row groups of %v rows, want %v", groups, tc.groups)
			}
			hf := false
			for _, kv := range md.KeyValueMetadata {
				hf = hf || kv.Key == "huggingface" && strings.Contains(kv.Value, `"_type":"Value"`)
			}
			if !hf {
				t.Error("no huggingface features in the key-value metadata")
			}
			for _, rg := range md.RowGroups {
				for _, c := range rg.Columns {
					cm := c.MetaData
					path := strings.Join(cm.PathInSchema, ".")
					off := cm.DataPageOffset
					if cm.DictionaryPageOffset > 0 {
						off = cm.DictionaryPageOffset
					}
					var h format.PageHeader
					if err := thrift.NewDecoder(new(thrift.CompactProtocol).NewReader(bytes.NewReader(data[off:]))).Decode(&h); err != nil {
						t.Fatalf("%s: page header: %v", path, err)
					}
					if h.Type == format.DataPageV2 {
						t.Errorf("%s: DATA_PAGE_V2", path)
					}
					dict := slices.Contains(cm.Encoding, format.RLEDictionary)
					wantDict := dictColumns[path[strings.LastIndexByte(path, '.')+1:]]
					if dict != wantDict {
						t.Errorf("%s: encodings %v, dictionary %v, want %v", path, cm.Encoding, dict, wantDict)
					}
					for _, e := range cm.Encoding {
						if e != format.Plain && e != format.RLE && e != format.RLEDictionary {
							t.Errorf("%s: encoding %v", path, e)
						}
					}
					if path == "image.bytes" {
						if cm.Codec != format.Uncompressed || len(cm.Statistics.MinValue)+len(cm.Statistics.MaxValue)+len(cm.Statistics.Min)+len(cm.Statistics.Max) > 0 {
							t.Errorf("image.bytes: codec %v, statistics min/max %d/%d bytes", cm.Codec, len(cm.Statistics.MinValue), len(cm.Statistics.MaxValue))
						}
						if len(h.DataPageHeader.V.Statistics.MinValue)+len(h.DataPageHeader.V.Statistics.MaxValue) > 0 {
							t.Error("image.bytes: page header holds min/max")
						}
					}
				}
			}
		})
	}
}

// TestEveryFieldIsDocumented: the card documents every field of every
// table from its doc tag, so a field without one would be a hole in it.
func TestEveryFieldIsDocumented(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeOf(Sample{}), reflect.TypeOf(Task{}), reflect.TypeOf(Example{}), reflect.TypeOf(Reject{})} {
		t.Run(typ.Name(), func(t *testing.T) {
			docs := FieldDocs(typ)
			if len(docs) < typ.NumField() {
				t.Fatalf("%d field docs for %d columns", len(docs), typ.NumField())
			}
			for _, f := range docs {
				if strings.TrimSpace(f.Doc) == "" {
					t.Errorf("%s.%s has no doc tag", typ.Name(), f.Path)
				}
			}
		})
	}
}
