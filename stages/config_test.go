package stages

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"math"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/twigdata/twigdata/stages/evidence"
	"github.com/twigdata/twigdata/storage"
)

// defaultIn finds the default a doc comment names: `default 16`, `default
// "prompt"`, `default 20ms`, `default false`, `default: the number of CPUs`.
var defaultIn = regexp.MustCompile(`default:? ("[^"]*"|the number of CPUs|-?[0-9][0-9.]*[a-z]*|false|true)`)

// TestDocumentedDefaultsAreTheDefaults reads every default the doc comments
// of Config's parts name and compares it with DefaultConfig.
func TestDocumentedDefaultsAreTheDefaults(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "config.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	d := reflect.ValueOf(DefaultConfig())
	parts := map[string]reflect.Value{}
	for i := 0; i < d.NumField(); i++ {
		parts[d.Type().Field(i).Type.Name()] = d.Field(i)
	}
	checked := 0
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		part, ok := parts[ts.Name.Name]
		if !ok {
			return false
		}
		for _, field := range ts.Type.(*ast.StructType).Fields.List {
			text := field.Doc.Text() + field.Comment.Text()
			m := defaultIn.FindStringSubmatch(text)
			if m == nil {
				continue
			}
			for _, name := range field.Names {
				checked++
				var got string
				switch x := part.FieldByName(name.Name).Interface().(type) {
				case string:
					got = strconv.Quote(x)
				case time.Duration:
					got = x.String()
				default:
					got = fmt.Sprint(x)
				}
				want := m[1]
				if want == "the number of CPUs" {
					want = fmt.Sprint(runtime.NumCPU())
				}
				if got != want {
					t.Errorf("%s.%s: the doc comment says default %s, DefaultConfig has %s", ts.Name.Name, name.Name, m[1], got)
				}
			}
		}
		return false
	})
	if checked < 35 {
		t.Errorf("only %d documented defaults found: the doc comments lost their defaults", checked)
	}
}

// TestEveryConfigFieldIsClassified fails when a field is added to a part of
// Config without a setting tag saying whether it changes records, and when
// two settings share a name.
func TestEveryConfigFieldIsClassified(t *testing.T) {
	ct := reflect.TypeFor[Config]()
	for i := 0; i < ct.NumField(); i++ {
		part := ct.Field(i)
		if part.Type.Kind() != reflect.Struct {
			t.Errorf("Config.%s is not a part (a struct of settings)", part.Name)
			continue
		}
		for j := 0; j < part.Type.NumField(); j++ {
			f := part.Type.Field(j)
			tag, ok := f.Tag.Lookup("setting")
			if !ok {
				t.Errorf("Config.%s.%s has no setting tag: classify it (setting:\"name,record\", setting:\"name\" or setting:\"-\")", part.Name, f.Name)
				continue
			}
			if name, opt, _ := strings.Cut(tag, ","); tag != "-" && (name == "" || (opt != "" && opt != "record")) {
				t.Errorf("Config.%s.%s: malformed setting tag %q", part.Name, f.Name, tag)
			}
		}
	}
	seen := map[string]bool{}
	records := 0
	for _, s := range Settings() {
		if seen[s.Name] {
			t.Errorf("two settings are named %s", s.Name)
		}
		seen[s.Name] = true
		if s.Record {
			records++
		}
	}
	if records < 25 {
		t.Errorf("only %d record-changing settings", records)
	}
}

// model stands in for a captioner or grounder in fingerprint tests; it is
// never run.
type model struct{ id, task string }

func (m model) ID() string { return m.id }
func (m model) Options() map[string]string {
	if m.task == "" {
		return nil
	}
	return map[string]string{"caption-task": m.task}
}
func (model) Caption(context.Context, []image.Image) ([]string, error) { return nil, nil }
func (model) VocabSize() int                                           { return 0 }
func (model) Ground(context.Context, []image.Image, [][]string) ([][]evidence.Grounding, error) {
	return nil, nil
}

// fingerprinted is the default configuration with an input and an output.
func fingerprinted(t *testing.T) Config {
	out, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Source.In = storage.NewFS(fstest.MapFS{}, "mem:in")
	c.Output.Out = out
	return c
}

// TestFingerprintFollowsEveryRecordSetting changes each setting in turn: the
// digest must change with every record-changing one and with no other.
func TestFingerprintFollowsEveryRecordSetting(t *testing.T) {
	base := fingerprinted(t).Fingerprint().Digest()
	for _, s := range Settings() {
		t.Run(s.Name, func(t *testing.T) {
			c := fingerprinted(t)
			v := reflect.ValueOf(&c).Elem().FieldByIndex(s.Index)
			switch v.Kind() {
			case reflect.String:
				v.SetString(v.String() + "x")
			case reflect.Int, reflect.Int64:
				v.SetInt(v.Int() + 1)
			case reflect.Float64:
				v.SetFloat(v.Float() + 0.5)
			case reflect.Bool:
				v.SetBool(!v.Bool())
			case reflect.Interface:
				switch s.Name {
				case "in":
					v.Set(reflect.ValueOf(storage.NewFS(fstest.MapFS{}, "mem:elsewhere")))
				case "out":
					other, _ := storage.NewLocal(t.TempDir())
					v.Set(reflect.ValueOf(other))
				default:
					t.Skipf("a model: TestFingerprintRecordsModelsAndTheirOptions")
				}
			default:
				t.Fatalf("no change for a %s", v.Kind())
			}
			changed := c.Fingerprint().Digest() != base
			if changed != s.Record {
				t.Errorf("changing %s (record: %v) changed the digest: %v", s.Name, s.Record, changed)
			}
		})
	}
}

func TestFingerprintRecordsModelsAndTheirOptions(t *testing.T) {
	withModels := func(capt, ground model, grounding bool) Fingerprint {
		c := fingerprinted(t)
		c.Models.Captioner = capt
		if grounding {
			c.Models.Grounder = ground
		}
		return c.Fingerprint()
	}
	plain := withModels(model{id: "florence2@a", task: "caption"}, model{id: "florence2@a"}, true)
	tests := []struct {
		name    string
		fp      Fingerprint
		setting string
	}{
		{"another caption task", withModels(model{id: "florence2@b", task: "detailed_caption"}, model{id: "florence2@a"}, true), "caption-task"},
		{"grounding off", withModels(model{id: "florence2@a", task: "caption"}, model{}, false), "grounding"},
		{"another captioner", withModels(model{id: "captioner@c"}, model{id: "florence2@a"}, true), "captioner"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fp.Digest() == plain.Digest() {
				t.Fatal("the digest did not change")
			}
			if tc.fp[tc.setting] == plain[tc.setting] {
				t.Errorf("%s is %q in both", tc.setting, plain[tc.setting])
			}
		})
	}
	if plain["grounding"] != "florence2@a" || withModels(model{id: "x"}, model{}, false)["grounding"] != "off" {
		t.Errorf("grounding recorded as %q", plain["grounding"])
	}
}

func TestZeroIsAValueNotUnset(t *testing.T) {
	c := fingerprinted(t)
	c.Canvas.Theta, c.Filter.MinSide, c.Filter.MinScore, c.Filter.MaxBlur = 0, 0, 0, 0
	// Everything but the missing models is valid with zeros.
	var se *SettingError
	if err := c.Validate(); !errors.As(err, &se) || se.Setting != "segmenter" {
		t.Errorf("theta 0 and min-side 0 should be valid settings; Validate: %v", err)
	}
}

func TestValidateNamesTheSettingToFix(t *testing.T) {
	tests := []struct {
		setting string
		edit    func(*Config)
	}{
		{"k", func(c *Config) { c.Canvas.K = 0 }},
		{"patch", func(c *Config) { c.Canvas.Patch = 0 }},
		{"jpeg-quality", func(c *Config) { c.Canvas.JPEGQuality = 0 }},
		{"shard-rows", func(c *Config) { c.Output.ShardRows = -1 }},
		{"in-format", func(c *Config) { c.Source.Format = "nope" }},
		{"theta", func(c *Config) { c.Canvas.Theta = 101 }},
		{"patch", func(c *Config) { c.Canvas.Width = 390 }},
		{"partition-index", func(c *Config) { c.Output.PartitionCount, c.Output.PartitionIndex = 4, 4 }},
		{"task-policy", func(c *Config) { c.Output.TaskPolicy = "some" }},
		{"max-blur", func(c *Config) { c.Filter.MaxBlur = math.NaN() }},
		{"max-blockiness", func(c *Config) { c.Filter.MaxBlockiness = math.NaN() }},
		{"min-alignment", func(c *Config) { c.Filter.MinAlignment = math.NaN() }},
		{"reflect-share", func(c *Config) { c.Output.ReflectShare = math.NaN() }},
		{"batch-wait", func(c *Config) { c.Workers.BatchWait = -time.Second }},
		{"max-image-bytes", func(c *Config) { c.Source.MaxImageBytes = 0 }},
		{"license", func(c *Config) { c.Output.License = "other" }},
	}
	for _, tc := range tests {
		t.Run(tc.setting, func(t *testing.T) {
			c := fingerprinted(t)
			tc.edit(&c)
			var se *SettingError
			if err := c.Validate(); !errors.As(err, &se) || se.Setting != tc.setting {
				t.Errorf("Validate: %v, want a complaint about %s", err, tc.setting)
			}
		})
	}
}
