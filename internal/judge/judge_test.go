package judge

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/testutil"
)

func vocabulary(t *testing.T) *Vocabulary {
	t.Helper()
	bin := testutil.Dep(t, "../..", ".deps/link-grammar/usr/bin/link-parser", "make grammar")
	v, err := Load(filepath.Dir(filepath.Dir(filepath.Dir(bin))))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestJudgeReadsPlansAsPeopleWould: the judge's reading of plan sentences
// — head nouns in the singular, counts, colour words — from Link Grammar's
// constituents, and its colour terms from the survey.
func TestJudgeReadsPlansAsPeopleWould(t *testing.T) {
	v := vocabulary(t)
	for _, tc := range []struct {
		sentence string
		want     []string
	}{
		{"A red apple and two blue cups take up much of the view.", []string{"1 apple red", "2 cup blue"}},
		{"The light gray sky continues, turning white.", []string{"1 sky light gray"}},
		{"A brown and yellow book is set against a grayish beige wall.", []string{"1 book brown/yellow", "1 wall grayish beige"}},
		{"Three white vases are set against dark green grass.", []string{"3 vase white", "1 grass dark green"}},
		{"Red cups and a knife stand out against beige sand.", []string{"-1 cup red", "1 knife", "1 sand beige"}},
		{"Two boxes and some gray stones fill the view.", []string{"2 box", "-1 stone gray"}},
	} {
		got, err := v.Read([]string{tc.sentence})
		if err != nil {
			t.Fatal(err)
		}
		var d []string
		for _, m := range got[0] {
			d = append(d, strings.TrimSpace(fmt.Sprintf("%d %s %s", m.Count, m.Noun, strings.Join(m.Colours, "/"))))
		}
		if !slices.Equal(d, tc.want) {
			t.Errorf("%q read as %q, want %q", tc.sentence, d, tc.want)
		}
	}
	for _, tc := range []struct {
		rgb  [3]float64
		name string
		want string
	}{
		{[3]float64{188, 28, 46}, "", "red"}, {[3]float64{112, 52, 158}, "", "purple"}, {[3]float64{236, 234, 228}, "", "white"},
		{[3]float64{232, 124, 172}, "", "pink"}, {[3]float64{0, 0, 0}, "light purple", "purple"}, {[3]float64{0, 0, 0}, "grayish beige", ""},
	} {
		got := v.Basic(tc.rgb)
		if tc.name != "" {
			got = v.BasicOfName(tc.name)
		}
		if tc.want != "" && got != tc.want {
			t.Errorf("basic of %v %q = %q, want %q", tc.rgb, tc.name, got, tc.want)
		}
	}
}

// TestTheJudgeSharesNoCodeWithTheProductsLanguage: nothing the judge
// imports, tests aside, is twigdata's language code.
func TestTheJudgeSharesNoCodeWithTheProductsLanguage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/twigdata/twigdata/internal/judge").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, banned := range []string{"/lang/", "/stages/", "/schema", "/annotators"} {
			if strings.Contains(p, "twigdata/twigdata"+banned) || strings.HasSuffix(p, "twigdata/twigdata"+strings.TrimSuffix(banned, "/")) {
				t.Errorf("the judge imports %s", p)
			}
		}
	}
}
