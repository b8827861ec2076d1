package twigdata_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/twigdata/twigdata"

// packages lists the module's packages with their non-test imports of the
// module, by path relative to the module root ("." for the root).
func packages(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rel := func(p string) string {
		if p == module {
			return "."
		}
		return strings.TrimPrefix(p, module+"/")
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		var own []string
		for _, imp := range f[1:] {
			if imp == module || strings.HasPrefix(imp, module+"/") {
				own = append(own, rel(imp))
			}
		}
		pkgs[rel(f[0])] = own
	}
	return pkgs
}

// TestArchitectureListsEveryPackage holds docs/architecture.md to the code:
// every package is in its table, and no package it lists is gone.
func TestArchitectureListsEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := packages(t)
	listed := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "| `") {
			name := strings.SplitN(strings.TrimPrefix(line, "| `"), "`", 2)[0]
			listed[name] = true
			if _, ok := pkgs[name]; !ok {
				t.Errorf("docs/architecture.md lists %s, which is no package", name)
			}
		}
	}
	for p := range pkgs {
		if !listed[p] {
			t.Errorf("docs/architecture.md does not list package %s", p)
		}
	}
}

// TestImportsRunOneWay checks the import rules docs/architecture.md states.
func TestImportsRunOneWay(t *testing.T) {
	pkgs := packages(t)
	under := func(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	for p, imports := range pkgs {
		for _, imp := range imports {
			var broken string
			switch {
			case under(p, "lang") || p == "pipeline" || p == "schema":
				broken = "imports no other twigdata package"
			case p == "stages/evidence" && !under(imp, "lang") && imp != "schema" && imp != "stages/prompt" && imp != "stages/imageproc":
				broken = "measures: it imports only lang/*, schema, stages/prompt and stages/imageproc"
			case p == "stages/critic" && (imp == "stages/plan" || imp == "stages/compose"):
				broken = "judges evidence: it does not import the plan's wording or the composer"
			case under(p, "storage") && !under(imp, "storage"):
				broken = "imports no twigdata package but storage"
			case under(p, "stages") && under(imp, "annotators"):
				broken = "imports no annotators package (models reach stages through stages/compose and stages/evidence)"
			case under(p, "annotators") && under(imp, "stages") && imp != "stages/evidence":
				broken = "imports only stages/evidence of the stages"
			case p == "stages/prompt" && !under(imp, "lang") && imp != "schema":
				broken = "imports only lang/* and schema"
			case p == "show" && imp != "schema" && !under(imp, "storage"):
				broken = "reads datasets only: it imports schema and storage"
			case p == "validate" && (imp == "stages" || imp == "stages/write" || imp == "stages/source"):
				broken = "does not import the build runner"
			case under(imp, "internal") && !under(p, "internal") && !under(p, "cmd"):
				broken = "does not import the test worlds under internal/"
			}
			if broken != "" {
				t.Errorf("%s imports %s: %s %s", p, imp, p, broken)
			}
		}
	}
}

// TestCriticParsesNoText: the critic judges evidence and the nouns a plan
// chose to name, never text parsed back — the prompt parser's Parse is not
// called in stages/critic (its tests aside, which build prompts).
func TestCriticParsesNoText(t *testing.T) {
	files, err := filepath.Glob("stages/critic/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no critic sources: %v", err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "prompt.Parse(") {
			t.Errorf("%s calls prompt.Parse: the critic reads the parsed prompt it is given and the plan's Names", f)
		}
	}
}
