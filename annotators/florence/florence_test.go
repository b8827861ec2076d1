package florence

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/stages/evidence"
)

// TestParseGroundingMatchesTransformers compares the parse with what
// transformers' Florence2PostProcessor made of the same text and image sizes
// (testdata/grounding.json, written by scripts/florence_golden.py), quirks
// included: "<obj>a bird</obj><loc_…>" is the phrase "/obj>" there too.
func TestParseGroundingMatchesTransformers(t *testing.T) {
	raw, err := os.ReadFile("testdata/grounding.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Banned []string `json:"banned"`
		Cases  []struct {
			Text       string `json:"text"`
			Width      int    `json:"width"`
			Height     int    `json:"height"`
			Groundings []struct {
				Phrase string   `json:"phrase"`
				Boxes  [][4]int `json:"boxes"`
			} `json:"groundings"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) < 100 {
		t.Fatalf("%d cases: the golden file is incomplete", len(golden.Cases))
	}
	banned := map[string]bool{}
	for _, b := range golden.Banned {
		banned[b] = true
	}
	found := 0
	for i, c := range golden.Cases {
		t.Run(fmt.Sprintf("%d/%dx%d/%s", i, c.Width, c.Height, strings.ReplaceAll(c.Text, "/", "_")), func(t *testing.T) {
			want := []evidence.Grounding{}
			for _, g := range c.Groundings {
				want = append(want, evidence.Grounding{Phrase: g.Phrase, Boxes: g.Boxes})
			}
			got := append([]evidence.Grounding{}, ParseGrounding(c.Text, c.Width, c.Height, banned)...)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseGrounding(%q, %d, %d) = %v, transformers gave %v", c.Text, c.Width, c.Height, got, want)
			}
			found += len(got)
		})
	}
	if found == 0 {
		t.Fatal("no case grounds anything: the golden file proves nothing")
	}
}

func TestPrompt(t *testing.T) {
	for _, tc := range []struct {
		name, task, input, want, err string
	}{
		{name: "caption", task: "<CAPTION>", want: "What does the image describe?"},
		{name: "detailed caption", task: "<DETAILED_CAPTION>", want: "Describe in detail what is shown in the image."},
		{name: "grounding", task: "<CAPTION_TO_PHRASE_GROUNDING>", input: " a red ball and two cups ", want: "Locate the phrases in the caption: a red ball and two cups"},
		{name: "input to a task without one", task: "<CAPTION>", input: "a cat", err: "takes no input"},
		{name: "unknown task", task: "<SUMMARY>", err: "unknown task <SUMMARY>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Prompt(tc.task, tc.input)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Prompt = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzParseGrounding: any text parses without panic into phrases that each
// have at least one box, none with a negative coordinate.
func FuzzParseGrounding(f *testing.F) {
	for _, s := range []string{"a cat<loc_1><loc_2><loc_3><loc_4>", "<loc_999999999999999999999><loc_1><loc_2><loc_3>x<loc_1><loc_1><loc_1><loc_1>", "\n<ground>\x1c"} {
		f.Add(s, 640, 480)
	}
	f.Fuzz(func(t *testing.T, s string, w, h int) {
		w, h = 1+abs(w)%5000, 1+abs(h)%5000
		for _, g := range ParseGrounding(s, w, h, nil) {
			if len(g.Boxes) == 0 {
				t.Fatalf("%q: phrase %q without a box", s, g.Phrase)
			}
			for _, b := range g.Boxes {
				for i, v := range b {
					if v < 0 {
						t.Fatalf("%q: box %v coordinate %d negative", s, b, i)
					}
				}
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
