package stages

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// defaultIn finds the default a doc comment names: `default 16`, `default
// "prompt"`, `default 20ms`, `default false`, `default: the number of CPUs`.
var defaultIn = regexp.MustCompile(`default:? ("[^"]*"|the number of CPUs|-?[0-9][0-9.]*[a-z]*|false|true)`)

// TestDocumentedDefaultsAreTheDefaults reads every default the doc comments
// of Config name and compares it with DefaultConfig.
func TestDocumentedDefaultsAreTheDefaults(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "config.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	d := reflect.ValueOf(DefaultConfig())
	checked := 0
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Config" {
			return true
		}
		for _, field := range ts.Type.(*ast.StructType).Fields.List {
			text := field.Doc.Text() + field.Comment.Text()
			m := defaultIn.FindStringSubmatch(text)
			if m == nil {
				continue
			}
			for _, name := range field.Names {
				checked++
				v := d.FieldByName(name.Name).Interface()
				var got string
				switch x := v.(type) {
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
					t.Errorf("Config.%s: the doc comment says default %s, DefaultConfig has %s", name.Name, m[1], got)
				}
			}
		}
		return false
	})
	if checked < 25 {
		t.Errorf("only %d documented defaults found: the doc comments lost their defaults", checked)
	}
}

func TestZeroIsAValueNotUnset(t *testing.T) {
	c := DefaultConfig()
	c.Theta, c.MinSide, c.MinScore, c.MaxBlur = 0, 0, 0, 0
	if c.Theta != 0 || c.MinSide != 0 {
		t.Fatal("setting zero did not stick")
	}
	c.In, c.Out = nil, nil
	// Everything but the missing models and locations is valid with zeros.
	if err := c.Validate(); err == nil || err.Error() != "a segmenter and a captioner are required" {
		t.Errorf("theta 0 and min-side 0 should be valid settings; Validate: %v", err)
	}
}

func TestValidateRefusesImpossibleSettings(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"k zero", func(c *Config) { c.K = 0 }},
		{"patch zero", func(c *Config) { c.Patch = 0 }},
		{"jpeg quality zero", func(c *Config) { c.JPEGQuality = 0 }},
		{"negative shard rows", func(c *Config) { c.ShardRows = -1 }},
		{"unknown input format", func(c *Config) { c.InFormat = "nope" }},
		{"theta above 100", func(c *Config) { c.Theta = 101 }},
		{"canvas not on the patch grid", func(c *Config) { c.CanvasWidth = 390 }},
		{"partition index outside the count", func(c *Config) { c.PartitionCount, c.PartitionIndex = 4, 4 }},
		{"unknown task policy", func(c *Config) { c.TaskPolicy = "some" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			if err := c.Validate(); err == nil || err.Error() == "a segmenter and a captioner are required" {
				t.Errorf("Validate: %v, want a complaint about the setting", err)
			}
		})
	}
}
