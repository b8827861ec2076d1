package schema

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// declaredReasons reads every Reason constant declared in reasons.go, so a
// code added without registering it fails the test.
func declaredReasons(t *testing.T) []Reason {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Reason
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Reason" {
				continue
			}
			code, err := strconv.Unquote(v.Values[0].(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, Reason(code))
		}
	}
	return out
}

func TestEveryReasonIsRegisteredOnce(t *testing.T) {
	declared := declaredReasons(t)
	if len(declared) != len(Reasons()) {
		t.Errorf("%d reason constants, %d registered", len(declared), len(Reasons()))
	}
	seen := map[Reason]bool{}
	for _, ri := range Reasons() {
		if seen[ri.Code] {
			t.Errorf("%s registered twice", ri.Code)
		}
		seen[ri.Code] = true
		if ri.Meaning == "" {
			t.Errorf("%s has no meaning", ri.Code)
		}
		if st := ri.Code.Stage(); st != "source" && st != "decode" && st != "filter" {
			t.Errorf("%s: stage %q is not a stage that rejects", ri.Code, st)
		}
	}
	for _, r := range declared {
		if !seen[r] {
			t.Errorf("%s is declared but not registered", r)
		}
	}
}

func TestNewRejectTakesStageAndTransienceFromTheRegistry(t *testing.T) {
	r := NewReject("k", "uri", ReasonImageVanished, "gone")
	if r.Stage != "source" || r.Reason != "source.image_vanished" || !r.Transient {
		t.Errorf("vanished image: %+v", r)
	}
	if r := NewReject("k", "uri", ReasonTruncated, "cut"); r.Stage != "decode" || r.Transient {
		t.Errorf("truncated: %+v", r)
	}
	defer func() {
		if recover() == nil {
			t.Error("an unregistered code did not panic")
		}
	}()
	NewReject("k", "uri", Reason("source.made_up"), "")
}

// The docs promise stable codes: docs/dataset.md must list every one.
func TestReadmeListsEveryReason(t *testing.T) {
	b, err := os.ReadFile("../docs/dataset.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, ri := range Reasons() {
		if !strings.Contains(readme, "`"+string(ri.Code)+"`") {
			t.Errorf("docs/dataset.md does not list reason code %s", ri.Code)
		}
	}
}
