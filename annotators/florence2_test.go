package annotators_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/florence"
	"github.com/twigdata/twigdata/annotators/florence2"
	"github.com/twigdata/twigdata/annotators/tokenizer"
)

// florenceCase is one row of what transformers' own generate and
// post-processing made of the Florence-2 twin (scripts/make_models.py).
type florenceCase struct {
	Task         string          `json:"task"`
	Input        string          `json:"input"`
	Image        string          `json:"image"`
	MaxNewTokens int             `json:"max_new_tokens"`
	Batch        int             `json:"batch"`
	PromptIDs    []int64         `json:"prompt_ids"`
	IDs          []int64         `json:"ids"`
	Post         json.RawMessage `json:"post"`
}

// inputs are the case's image, from dir, and its task's prompt.
func (c florenceCase) inputs(t *testing.T, dir string) (image.Image, string) {
	t.Helper()
	p, err := florence.Prompt(c.Task, c.Input)
	if err != nil {
		t.Fatal(err)
	}
	return loadPNG(t, dir+c.Image), p
}

func loadPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestFlorenceMatchesTransformers: on the Florence-2 twin, the Go generation
// loop (image features before the prompt, padded prompts in one batch, the
// merged decoder on its cache, forced BOS/EOS, no repeated 3-grams) gives
// transformers' greedy tokens id for id, and its captions and groundings are
// what Florence2Processor.post_process_generation makes of them.
func TestFlorenceMatchesTransformers(t *testing.T) {
	const dir = "testdata/florence2/"
	data, err := os.ReadFile(dir + "golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []florenceCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	tokJSON, err := os.ReadFile("../testdata/models/twins/florence2/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := tokenizer.EncoderFromJSON(tokJSON)
	if err != nil {
		t.Fatal(err)
	}
	const variant = "fp32"
	f, err := florence2.Load(twin("florence2", variant), annotators.Device{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for start := 0; start < len(cases); start += cases[start].Batch {
		batch := cases[start : start+cases[start].Batch]
		c0 := batch[0]
		t.Run(c0.Task, func(t *testing.T) {
			var imgs []image.Image
			var prompts []string
			for _, c := range batch {
				img, p := c.inputs(t, dir)
				imgs = append(imgs, img)
				ids, err := enc.Encode(p)
				want := c.PromptIDs // padded on the right to the batch's longest
				for len(want) > len(ids) && want[len(want)-1] == 1 {
					want = want[:len(want)-1]
				}
				if err != nil || !slices.Equal(ids, want) {
					t.Fatalf("prompt %q: ids %v (%v), transformers %v", p, ids, err, c.PromptIDs)
				}
				prompts = append(prompts, p)
			}
			seqs, err := f.Generate(context.Background(), imgs, prompts, c0.MaxNewTokens)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range batch {
				if !slices.Equal(seqs[i], c.IDs) {
					t.Errorf("row %d: generated %v, transformers %v", i, seqs[i], c.IDs)
				}
			}
			f.SetMaxNewTokens(c0.MaxNewTokens, c0.MaxNewTokens)
			if c0.Task == "<CAPTION_TO_PHRASE_GROUNDING>" {
				phrases := make([][]string, len(batch))
				for i, c := range batch {
					phrases[i] = []string{c.Input}
				}
				got, err := f.Ground(context.Background(), imgs, phrases)
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range batch {
					var want struct {
						Boxes  [][4]float64 `json:"bboxes"`
						Labels []string     `json:"labels"`
					}
					json.Unmarshal(c.Post, &want)
					var boxes [][4]float64
					var labels []string
					for _, g := range got[i] {
						for _, b := range g.Boxes {
							boxes = append(boxes, [4]float64{float64(b[0]), float64(b[1]), float64(b[2]), float64(b[3])})
							labels = append(labels, g.Phrase)
						}
					}
					if !sameJSON(boxes, want.Boxes) || !sameJSON(labels, want.Labels) {
						t.Errorf("row %d: grounded %v %q, transformers %v %q", i, boxes, labels, want.Boxes, want.Labels)
					}
				}
				return
			}
			caps, err := f.Caption(context.Background(), imgs)
			if c0.Task != "<CAPTION>" {
				g, err2 := florence2.Load(twin("florence2", variant), annotators.Device{}, c0.Task)
				if err2 != nil {
					t.Fatal(err2)
				}
				g.SetMaxNewTokens(c0.MaxNewTokens, c0.MaxNewTokens)
				caps, err = g.Caption(context.Background(), imgs)
				g.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range batch {
				var want string
				json.Unmarshal(c.Post, &want)
				if caps[i] != want {
					t.Errorf("row %d: caption %q, transformers %q", i, caps[i], want)
				}
			}
		})
	}
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestFlorenceBeamsMatchTransformers: with --beams N, Florence-2 decodes as
// transformers' generate(num_beams=N) does on the twin, token for token
// (annotators/testdata/florence2/beams.json, made by `make models`): the
// generation config's beams, a wider search, early stopping with a length
// penalty, and early_stopping "never" with a penalty above one, each on a
// batch whose inputs' caches follow their beams on the device.
func TestFlorenceBeamsMatchTransformers(t *testing.T) {
	const dir = "testdata/florence2/"
	data, err := os.ReadFile(dir + "beams.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		florenceCase
		NumBeams      int             `json:"num_beams"`
		EarlyStopping json.RawMessage `json:"early_stopping"`
		LengthPenalty float64         `json:"length_penalty"`
		EOS           int64           `json:"eos_token_id"`
		Steps         int64           `json:"steps"`
		Hypotheses    []struct {
			IDs   []int64 `json:"ids"`
			Score float64 `json:"score"`
		} `json:"hypotheses"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < len(cases); start += cases[start].Batch {
		batch := cases[start : start+cases[start].Batch]
		c0 := batch[0]
		name := fmt.Sprintf("%s %d beams, early_stopping %s, length_penalty %g, eos %d", c0.Task, c0.NumBeams, c0.EarlyStopping, c0.LengthPenalty, c0.EOS)
		t.Run(name, func(t *testing.T) {
			// The search's settings come from the generation config, as
			// transformers reads them.
			md := without(t, twin("florence2", ""))
			path := filepath.Join(md.Path, "generation_config.json")
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var gen map[string]any
			if err := json.Unmarshal(raw, &gen); err != nil {
				t.Fatal(err)
			}
			gen["length_penalty"] = c0.LengthPenalty
			gen["early_stopping"] = c0.EarlyStopping
			gen["eos_token_id"] = c0.EOS
			if raw, err = json.Marshal(gen); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := florence2.Load(md, annotators.Device{}, "")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.SetBeams(c0.NumBeams)
			var imgs []image.Image
			var prompts []string
			for _, c := range batch {
				img, p := c.inputs(t, dir)
				imgs, prompts = append(imgs, img), append(prompts, p)
			}
			annotators.ResetTransfers()
			hyps, err := f.GenerateBeams(context.Background(), imgs, prompts, c0.MaxNewTokens)
			if err != nil {
				t.Fatal(err)
			}
			// As many decoder steps as transformers ran: the search stops
			// where its does, not at max_new_tokens.
			for _, tr := range annotators.Transfers() {
				if strings.HasSuffix(tr.Graph, "/decoder_model_merged") && tr.Calls != c0.Steps {
					t.Errorf("%d decoder steps, transformers %d", tr.Calls, c0.Steps)
				}
			}
			// Every finished hypothesis, in order, with its score
			// (transformers fills the slots of those that never finished
			// with placeholders scored -1e9: they are not hypotheses).
			for i, c := range batch {
				var real []int
				for j, h := range c.Hypotheses {
					if h.Score > -1e8 {
						real = append(real, j)
					}
				}
				if len(hyps[i]) != len(real) {
					t.Errorf("row %d: %d hypotheses, transformers %d", i, len(hyps[i]), len(real))
					continue
				}
				for j, k := range real {
					h := c.Hypotheses[k]
					want := h.IDs // padded with pad_token_id to the longest returned
					for len(want) > len(hyps[i][j].IDs) && want[len(want)-1] == 1 {
						want = want[:len(want)-1]
					}
					if got := hyps[i][j]; !slices.Equal(got.IDs, want) || math.Abs(float64(got.Score)-h.Score) > 1e-4*math.Abs(h.Score) {
						t.Errorf("row %d, hypothesis %d: %v scored %.6f; transformers %v scored %.6f", i, j, got.IDs, got.Score, h.IDs, h.Score)
					}
				}
			}
			seqs, err := f.Generate(context.Background(), imgs, prompts, c0.MaxNewTokens)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range batch {
				if !slices.Equal(seqs[i], hyps[i][0].IDs) {
					t.Errorf("row %d: Generate gave %v, the best hypothesis is %v (transformers %v)", i, seqs[i], hyps[i][0].IDs, c.IDs)
				}
			}
			if d := f.Decoding(); !strings.Contains(d, fmt.Sprintf("beam search of %d beams", c0.NumBeams)) {
				t.Errorf("Decoding() = %q", d)
			}
			if o := f.Options(); o["beams"] != fmt.Sprint(c0.NumBeams) {
				t.Errorf("Options() = %v: the fingerprint must record the beams", o)
			}
		})
	}
}
