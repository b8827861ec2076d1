package stages

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Setting describes one field of Config: its name, where it is and whether
// it changes records.
type Setting struct {
	Name   string // the `setting` tag's name: the config-file key and the CLI's flag name
	Index  []int  // the field's index in Config, for reflect.Value.FieldByIndex
	Record bool   // its value changes the records
}

// Settings lists every setting of Config in field order, from the `setting`
// tags; it panics on a field without one, which a test makes fail first.
func Settings() []Setting {
	var out []Setting
	walkSettings(reflect.TypeFor[Config](), nil, nil, func(s Setting) { out = append(out, s) })
	return out
}

// walkSettings visits every tagged leaf field below t (at index in Config,
// named path); a field tagged "-" is skipped, an untagged struct field of
// Config is a part and is walked into.
func walkSettings(t reflect.Type, index []int, path []string, visit func(Setting)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		idx := append(append([]int{}, index...), i)
		p := append(append([]string{}, path...), f.Name)
		tag, ok := f.Tag.Lookup("setting")
		if !ok {
			if f.Type.Kind() == reflect.Struct && len(path) == 0 {
				walkSettings(f.Type, idx, p, visit)
				continue
			}
			panic(fmt.Sprintf("stages.Config.%s has no setting tag: classify it as record-changing or not", strings.Join(p, ".")))
		}
		if tag == "-" {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		visit(Setting{Name: name, Index: idx, Record: opt == "record"})
	}
}

// Fingerprint is what identifies the kind of records a configuration makes:
// every record-changing setting by name, with the schema version.
type Fingerprint map[string]string

// Fingerprint computes the record-changing settings of c from its parts'
// tags: a model is recorded by its ID and by each of its Options, a
// storage location by its URI.
func (c Config) Fingerprint() Fingerprint {
	fp := Fingerprint{"schema-version": strconv.Itoa(schema.Version)}
	v := reflect.ValueOf(c)
	walkSettings(v.Type(), nil, nil, func(s Setting) {
		if !s.Record {
			return
		}
		fv := v.FieldByIndex(s.Index)
		fp[s.Name] = settingValue(fv)
		if fv.Kind() == reflect.Interface && !fv.IsNil() {
			if o, ok := fv.Interface().(Optioned); ok {
				maps.Copy(fp, o.Options())
			}
		}
	})
	return fp
}

// Digest is a short hash of the fingerprint: commit records, partition
// marks and the manifest carry it, and a run whose digest differs from the
// dataset's is refused.
func (fp Fingerprint) Digest() string {
	b, _ := json.Marshal(map[string]string(fp)) // map keys are sorted
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// settingValue spells a setting's value: numbers as Go formats them (floats
// shortest), a location by its URI, a model by its ID, an absent model
// as "off".
func settingValue(v reflect.Value) string {
	if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer || v.Kind() == reflect.Func {
		if v.IsNil() {
			return "off"
		}
		switch x := v.Interface().(type) {
		case storage.Reader:
			return x.URI("")
		case interface{ ID() string }:
			return x.ID()
		}
		panic(fmt.Sprintf("no record value for a setting of type %s", v.Type()))
	}
	switch x := v.Interface().(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Duration:
		return x.String()
	}
	return fmt.Sprint(v.Interface())
}
