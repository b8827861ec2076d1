package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/internal/testutil"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/validate"
)

// copyTree copies a dataset folder so a test can damage it.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	copyFiles(t, src, dst, func(string) bool { return true })
	return dst
}

// copyFiles copies the files below src that keep takes (by their path
// relative to src) to the same places below dst.
func copyFiles(t *testing.T, src, dst string, keep func(rel string) bool) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		switch {
		case !keep(rel):
			return nil
		case info.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func onlyShard(t *testing.T, dir, table string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, table, "*.parquet"))
	if len(files) != 1 {
		t.Fatalf("%d %s shards, want 1", len(files), table)
	}
	return files[0]
}

// rewrite decodes a shard, lets edit change its rows and writes it back.
func rewrite[T any](t *testing.T, path string, edit func([]T)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := schema.Decode[T](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	edit(rows)
	out, err := schema.Encode(rows, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateFindsEachKindOfCorruption(t *testing.T) {
	t.Parallel()
	clean := buildSample(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate", clean}, &stdout, &stderr); code != 0 {
		t.Fatalf("a clean build does not validate: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   []string
	}{
		{"truncated shard", func(t *testing.T, dir string) {
			p := onlyShard(t, dir, "samples")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, []string{"samples/part-", "is not a complete Parquet file"}},
		{"image bytes that are not an image", func(t *testing.T, dir string) {
			rewrite(t, onlyShard(t, dir, "samples"), func(rows []schema.Sample) { rows[3].Image.Bytes = []byte("not an image") })
		}, []string{"row 3 image.bytes: do not decode"}},
		{"gap in the token rows", func(t *testing.T, dir string) {
			rewrite(t, onlyShard(t, dir, "samples"), func(rows []schema.Sample) { rows[5].Regions[1].TokenRowStart++ })
		}, []string{"row 5 regions[1].token_row_start", "do not tile the grid"}},
		{"manifest sha256 mismatch", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "manifest.json")
			b, _ := os.ReadFile(p)
			var m map[string]any
			json.Unmarshal(b, &m)
			m["shards"].([]any)[0].(map[string]any)["sha256"] = strings.Repeat("0", 64)
			b, _ = json.Marshal(m)
			os.WriteFile(p, b, 0o644)
		}, []string{"sha256: is ", "manifest.json says 0000"}},
		{"string that is not UTF-8", func(t *testing.T, dir string) {
			rewrite(t, onlyShard(t, dir, "samples"), func(rows []schema.Sample) { rows[2].Regions[1].Caption = "caf\xe9" })
			refreshManifest(t, dir)
		}, []string{"row 2 regions[1].caption: is not valid UTF-8"}},
		{"shard missing a column, manifest updated", func(t *testing.T, dir string) {
			// A rejects shard written without its detail column.
			type short struct {
				Key       string `parquet:"key"`
				SourceURI string `parquet:"source_uri"`
				Stage     string `parquet:"stage"`
				Reason    string `parquet:"reason"`
				Transient bool   `parquet:"transient"`
			}
			p := onlyShard(t, dir, "rejects")
			b, _ := os.ReadFile(p)
			rows, _ := schema.Decode[schema.Reject](bytes.NewReader(b), int64(len(b)))
			var cut []short
			for _, r := range rows {
				cut = append(cut, short{r.Key, r.SourceURI, r.Stage, r.Reason, r.Transient})
			}
			out, _ := schema.Encode(cut, "test")
			os.WriteFile(p, out, 0o644)
			refreshManifest(t, dir)
		}, []string{"rejects/part-", "missing columns [detail]"}},
		{"task pointing at a missing sample", func(t *testing.T, dir string) {
			rewrite(t, onlyShard(t, dir, "tasks"), func(rows []schema.Task) { rows[7].SampleID = "no-such-sample" })
		}, []string{"tasks/part-", "row 7 sample_id", `"no-such-sample" names no sample`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyTree(t, clean)
			tc.damage(t, dir)
			var stdout, stderr bytes.Buffer
			report := filepath.Join(t.TempDir(), "report.json")
			code := run([]string{"validate", dir, "--report", report}, &stdout, &stderr)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout.String())
				}
			}
			b, err := os.ReadFile(report)
			if err != nil || !bytes.Contains(b, []byte(`"problems"`)) {
				t.Errorf("report %s: %v", report, err)
			}
		})
	}
}

type validateReport struct {
	Load struct {
		Samples  int   `json:"samples"`
		Problems []any `json:"problems"`
	} `json:"load"`
	Replay struct {
		Generator          string  `json:"generator"`
		Samples            int     `json:"samples"`
		Regions            int     `json:"regions"`
		SourceMeanScore    float64 `json:"source_mean_score"`
		GeneratedMeanScore float64 `json:"generated_mean_score"`
		ReflectionRate     float64 `json:"reflection_rate"`
		Reflected          int     `json:"reflected"`
		MeanBefore         float64 `json:"mean_score_before_reflection"`
		MeanAfter          float64 `json:"mean_score_after_reflection"`
		SpecificityTop1    float64 `json:"plan_specificity_top1"`
		SpecificityTop5    float64 `json:"plan_specificity_top5"`
	} `json:"replay"`
}

func runValidate(t *testing.T, dir string, args ...string) (int, validateReport, string) {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"validate", dir, "--report", report}, args...), &stdout, &stderr)
	var r validateReport
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report (exit %d): %v\n%s%s", code, err, stdout.String(), stderr.String())
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return code, r, stdout.String()
}

func TestValidateReplaysTheBundledSample(t *testing.T) {
	t.Parallel()
	ds := buildSample(t)
	grid := filepath.Join(t.TempDir(), "grid.png")
	code, r, out := runValidate(t, ds, "--all", "--grid", grid, "--seed", "7")
	if code != 0 || len(r.Load.Problems) != 0 {
		t.Fatalf("exit %d, problems %v\n%s", code, r.Load.Problems, out)
	}
	rp := r.Replay
	if rp.Samples != 32 || rp.Regions != 96 || !strings.Contains(rp.Generator, "bank") {
		t.Errorf("replayed %d samples, %d regions with %q", rp.Samples, rp.Regions, rp.Generator)
	}
	for name, v := range map[string]float64{"source": rp.SourceMeanScore, "generated": rp.GeneratedMeanScore, "before": rp.MeanBefore, "after": rp.MeanAfter} {
		if v < 0 || v > 100 {
			t.Errorf("%s mean score %.1f outside 0..100", name, v)
		}
	}
	for name, v := range map[string]float64{"reflection rate": rp.ReflectionRate, "top-1": rp.SpecificityTop1, "top-5": rp.SpecificityTop5} {
		if v < 0 || v > 1 {
			t.Errorf("%s %.3f outside 0..1", name, v)
		}
	}
	if rp.SpecificityTop5 < rp.SpecificityTop1 {
		t.Errorf("top-5 %.3f below top-1 %.3f", rp.SpecificityTop5, rp.SpecificityTop1)
	}
	// Reflection helps: regions rendered again from their revised plans score higher.
	if rp.Reflected == 0 || rp.MeanAfter <= rp.MeanBefore {
		t.Errorf("reflection on %d regions: mean %.1f before, %.1f after; it should help", rp.Reflected, rp.MeanBefore, rp.MeanAfter)
	}
	t.Logf("replay: generated %.1f vs source %.1f; reflected %d (%.1f%%): %.1f → %.1f; specificity top-1 %.1f%%, top-5 %.1f%%",
		rp.GeneratedMeanScore, rp.SourceMeanScore, rp.Reflected, 100*rp.ReflectionRate, rp.MeanBefore, rp.MeanAfter, 100*rp.SpecificityTop1, 100*rp.SpecificityTop5)
	f, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("grid does not decode: %v", err)
	}

	// The same build with every plan replaced by one sentence must score
	// clearly lower on specificity: the measure can fail.
	dull := copyTree(t, ds)
	rewrite(t, onlyShard(t, dull, "samples"), func(rows []schema.Sample) {
		for i := range rows {
			for k := range rows[i].Regions {
				rows[i].Regions[k].Plan = "Something is visible here."
				rows[i].Regions[k].RevisedPlan = "Something is visible here."
			}
		}
	})
	refreshManifest(t, dull)
	code, d, out := runValidate(t, dull, "--all", "--seed", "7")
	if code != 0 {
		t.Fatalf("the dull fixture does not load: exit %d\n%s", code, out)
	}
	t.Logf("meaningless plans: specificity top-1 %.1f%%, top-5 %.1f%%", 100*d.Replay.SpecificityTop1, 100*d.Replay.SpecificityTop5)
	if d.Replay.SpecificityTop1 > rp.SpecificityTop1/2 || d.Replay.SpecificityTop5 > rp.SpecificityTop5/2 {
		t.Errorf("meaningless plans reach top-1 %.3f, top-5 %.3f against %.3f, %.3f for the real ones", d.Replay.SpecificityTop1, d.Replay.SpecificityTop5, rp.SpecificityTop1, rp.SpecificityTop5)
	}
}

// refreshManifest recomputes the sha256 and rows of every shard a test rewrote.
func refreshManifest(t *testing.T, dir string) {
	t.Helper()
	p := filepath.Join(dir, "manifest.json")
	b, _ := os.ReadFile(p)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range m["shards"].([]any) {
		sh := s.(map[string]any)
		data, err := os.ReadFile(filepath.Join(dir, sh["path"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		sh["sha256"] = hex.EncodeToString(sum[:])
	}
	b, _ = json.Marshal(m)
	os.WriteFile(p, b, 0o644)
}

func TestReferenceGeneratorFollowsThePlan(t *testing.T) {
	ds := buildSample(t)
	samples := testutil.ReadTable[schema.Sample](t, ds, "samples")
	ptrs := make([]*schema.Sample, len(samples))
	for i := range samples {
		ptrs[i] = &samples[i]
	}
	bank, err := validate.Bank(ptrs)
	if err != nil {
		t.Fatal(err)
	}
	gen := validate.NewBankGenerator(bank, plan.DefaultTemplates())
	render := func(plans ...string) *image.RGBA {
		canvas := image.NewRGBA(image.Rect(0, 0, 384, 384))
		for k := range plans {
			px, err := gen.Generate(context.Background(), validate.GenerateRequest{Plans: plans[:k+1], K: k, Y0: 128 * k, Y1: 128 * (k + 1), Canvas: canvas, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			draw.Draw(canvas, image.Rect(0, 128*k, 384, 128*(k+1)), px, image.Point{}, draw.Src)
		}
		return canvas
	}
	sky := "Light blue sky stretches across the scene, smooth and evenly lit."
	ground := "Gray road stretches across the scene, smooth and evenly lit."
	a := render(sky, "An orange ball and a red box stand out against light blue sky.", ground)
	b := render(sky, "Three green boxes stand out against light blue sky.", ground)
	if bytes.Equal(a.Pix[384*4*128:384*4*256], b.Pix[384*4*128:384*4*256]) {
		t.Fatal("two different plans gave the same region")
	}
	// The build's critic must find what the plan named.
	if err := annotators.Init(""); err != nil {
		t.Fatal(err)
	}
	seg, err := segmenter.Load(modelDir("", "segmenter", "fp32"), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	capt, err := captioner.Load(modelDir("", "captioner", "fp32"), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	scorer := compose.NewScorer(compose.Models{Segmenter: seg, Captioner: capt}, 16, 3, 90)
	for _, tc := range []struct {
		canvas *image.RGBA
		prompt string
		want   []string
	}{
		{a, "an orange ball and a red box", []string{"orange ball", "red box"}},
		{b, "three green boxes", []string{"green box"}},
	} {
		rec, err := scorer.Score(context.Background(), "gen", tc.prompt, tc.canvas)
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]int{}
		for _, o := range rec.Regions[1].Objects {
			found[o.Color+" "+o.Label]++
		}
		for _, w := range tc.want {
			if found[w] == 0 {
				t.Errorf("plan for %q: the critic found %v in the generated region, not %q", tc.prompt, found, w)
			}
		}
		if tc.prompt == "three green boxes" && found["green box"] != 3 {
			t.Errorf("three green boxes asked, %d found", found["green box"])
		}
	}
}
