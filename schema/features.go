package schema

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Feature is one Hugging Face `datasets` feature of a record type, read off
// the same struct tags that define the Parquet schema, so the card's
// dataset_info and the files' `huggingface` metadata cannot drift from the
// files. Exactly one of its fields is set.
type Feature struct {
	Dtype  string         // a Value: string, int32, float32, bool, binary
	Image  bool           // the Image feature (the Image struct)
	List   *Feature       // a list of its element
	Struct []NamedFeature // a struct's fields, in column order
}

// NamedFeature is a struct field's feature.
type NamedFeature struct {
	Name    string
	Feature Feature
}

var imageType = reflect.TypeOf(Image{})

// FeaturesOf lists a record type's columns as features.
func FeaturesOf(t reflect.Type) []NamedFeature {
	var out []NamedFeature
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("parquet"), ",")[0]
		if name == "-" {
			continue
		}
		out = append(out, NamedFeature{Name: name, Feature: featureOf(f.Type)})
	}
	return out
}

func featureOf(t reflect.Type) Feature {
	if t.Kind() == reflect.Pointer {
		t = t.Elem() // a nullable value: the same feature
	}
	switch {
	case t == imageType:
		return Feature{Image: true}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return Feature{Dtype: "binary"}
	case t.Kind() == reflect.Slice:
		e := featureOf(t.Elem())
		return Feature{List: &e}
	case t.Kind() == reflect.Struct:
		return Feature{Struct: FeaturesOf(t)}
	}
	switch t.Kind() {
	case reflect.String:
		return Feature{Dtype: "string"}
	case reflect.Int32:
		return Feature{Dtype: "int32"}
	case reflect.Int64, reflect.Int:
		return Feature{Dtype: "int64"}
	case reflect.Float32:
		return Feature{Dtype: "float32"}
	case reflect.Float64:
		return Feature{Dtype: "float64"}
	case reflect.Bool:
		return Feature{Dtype: "bool"}
	}
	panic(fmt.Sprintf("schema: no feature type for %s", t))
}

// YAML renders features as a dataset card's dataset_info lists them.
func YAML(fs []NamedFeature, indent string) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(indent + "- name: " + f.Name + "\n")
		f.Feature.yaml(&b, indent+"  ")
	}
	return b.String()
}

func (f Feature) yaml(b *strings.Builder, indent string) {
	switch {
	case f.Image:
		b.WriteString(indent + "dtype: image\n")
	case f.List != nil && f.List.Struct != nil:
		b.WriteString(indent + "list:\n" + YAML(f.List.Struct, indent+"  "))
	case f.List != nil && f.List.Dtype != "":
		// A list of values is a Sequence, as the files' own metadata has it
		// (see json): "list: string" reads as a Python list in datasets 2.x
		// and 3.x, and a card-loaded split would not concatenate with a
		// files-loaded one ("The features can't be aligned").
		b.WriteString(indent + "sequence: " + f.List.Dtype + "\n")
	case f.List != nil:
		b.WriteString(indent + "list:\n")
		f.List.yaml(b, indent+"  ")
	case f.Struct != nil:
		b.WriteString(indent + "struct:\n" + YAML(f.Struct, indent+"  "))
	default:
		b.WriteString(indent + "dtype: " + f.Dtype + "\n")
	}
}

// json is the feature in the serialised form of `datasets`' Features.to_dict:
// {"dtype": …, "_type": "Value"}, {"_type": "Image"}, a struct as an object
// of its fields, a list of values as a Sequence and a list of structs as a
// one-element array — what every release from 2.x to 5.x infers from the
// Arrow schema itself, so reading the metadata and reading the schema agree
// (4.x's {"_type": "List"} is unknown to 2.x and 3.x; a Sequence of structs
// would read as a struct of lists in 2.x).
func (f Feature) json() any {
	switch {
	case f.Image:
		return map[string]any{"_type": "Image"}
	case f.List != nil && f.List.Struct == nil && f.List.List == nil:
		return map[string]any{"feature": f.List.json(), "_type": "Sequence"}
	case f.List != nil:
		return []any{f.List.json()}
	case f.Struct != nil:
		return structJSON(f.Struct)
	}
	return map[string]any{"dtype": f.Dtype, "_type": "Value"}
}

// orderedObject keeps a struct's fields in column order when marshalled.
type orderedObject []NamedFeature

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Name)
		v, err := json.Marshal(f.Feature.json())
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func structJSON(fs []NamedFeature) any { return orderedObject(fs) }

// HuggingFaceMetadata is the value of the `huggingface` key a Parquet file
// of record type t carries in its key-value metadata: `datasets` reads the
// features from it (load_dataset("parquet", …), Dataset.from_parquet, the
// Hub's viewer) wherever the Arrow field equals the stored one.
func HuggingFaceMetadata(t reflect.Type) string {
	b, err := json.Marshal(map[string]any{"info": map[string]any{"features": orderedObject(FeaturesOf(t))}})
	if err != nil {
		panic(err) // features are strings and nested objects: they always marshal
	}
	return string(b)
}

// FieldDoc is one column or nested field of a record type, for the card:
// its path ("regions[].critic.score"), its type and its doc tag.
type FieldDoc struct {
	Path, Type, Doc string
}

// FieldDocs lists every field of a record type, nested ones included, with
// the `doc` tags beside the `parquet` tags that make the features: the card
// documents the same fields the files hold.
func FieldDocs(t reflect.Type) []FieldDoc {
	var out []FieldDoc
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := strings.Split(f.Tag.Get("parquet"), ",")[0]
			if name == "-" {
				continue
			}
			ft, path := f.Type, prefix+name
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			out = append(out, FieldDoc{Path: path, Type: featureOf(f.Type).typeName(), Doc: f.Tag.Get("doc")})
			switch {
			case ft == imageType:
			case ft.Kind() == reflect.Struct:
				walk(ft, path+".")
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), path+"[].")
			}
		}
	}
	walk(t, "")
	return out
}

// typeName is a feature's type as the card's field tables write it.
func (f Feature) typeName() string {
	switch {
	case f.Image:
		return "image"
	case f.List != nil && f.List.Struct != nil:
		return "list of struct"
	case f.List != nil:
		return "list of " + f.List.typeName()
	case f.Struct != nil:
		return "struct"
	}
	return f.Dtype
}
