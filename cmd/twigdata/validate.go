package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/plan"
	"github.com/twigdata/twigdata/stages/write"
	"github.com/twigdata/twigdata/storage"
	"github.com/twigdata/twigdata/validate"
)

const validateUsage = `Usage: twigdata validate DATASET [--sample N | --all] [--seed S] [--report FILE.json] [--grid FILE.png]

1. Loads a dataset (a folder or s3://bucket/prefix) as a trainer would: the
   manifest's schema version, row counts and sha256s, every row of every table,
   every image (it must decode to the canvas size), the region schedule (token
   rows tile the grid), the tasks' references to samples and exactly-once keys.
   Every problem is printed with its shard, row and field.
2. Replays the TwiG loop on the chosen samples with the bundled reference
   generator (non-parametric: each region retrieved from the dataset's own
   regions by its plan, leaving the sample out, blended across the seam): the
   generator sees only the plans, never the prompt; the build's critic scores
   every generated region; regions below θ are rendered once more from their
   revised plan and scored again.
3. Reports load errors, the generated regions' mean score against the source
   regions' recorded scores, the reflection rate, the mean score change after
   reflection, and plan specificity (how often a plan picks out its own region
   among all regions of the dataset, top-1 and top-5).

Validate streams the dataset: memory follows --sample, --bank and the word
index of the plans, not the number of samples.

The exit code is 1 when loading found any problem.

Flags:
`

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	report := fs.String("report", "", "also write the report as JSON to this file")
	sample := fs.Int("sample", 16, "replay this many samples, chosen by --seed (0: load and check only, no replay)")
	all := fs.Bool("all", false, "replay every sample")
	seed := fs.Int64("seed", 1, "seed of the sample choice and the generator's tie-breaks")
	grid := fs.String("grid", "", "write a picture of a few replays (source, generated, plans and scores) to this PNG")
	segDir := fs.String("segmenter", "", "segmenter model directory for the critic (default: bundled)")
	capDir := fs.String("captioner", "", "captioner model directory for the critic (default: bundled)")
	ortLib := fs.String("ort-lib", "", "path of libonnxruntime.so")
	s3Endpoint := fs.String("s3-endpoint", "", "S3-compatible endpoint URL (also AWS_ENDPOINT_URL_S3)")
	bankSize := fs.Int("bank", 256, "cut the reference generator's bank from at most this many samples (chosen by --seed; its pixels are held in memory)")
	queries := fs.Int("specificity-queries", 2000, "measure plan specificity on at most this many plans (chosen by --seed), each ranked against every region through a word index")
	fs.Usage = func() { fmt.Fprint(stderr, validateUsage); fs.PrintDefaults() }
	dataset, code, ok := parseWithTarget(fs, args)
	if !ok {
		return code
	}
	switch {
	case *sample < 0:
		fmt.Fprintf(stderr, "twigdata validate: --sample %d must not be negative (0 loads without replaying, --all replays every sample)\n", *sample)
		return exitUsage
	case *bankSize < 1:
		fmt.Fprintf(stderr, "twigdata validate: --bank %d must be at least 1\n", *bankSize)
		return exitUsage
	case *queries < 1:
		fmt.Fprintf(stderr, "twigdata validate: --specificity-queries %d must be at least 1\n", *queries)
		return exitUsage
	case *grid != "" && !strings.EqualFold(filepath.Ext(*grid), ".png"):
		fmt.Fprintf(stderr, "twigdata validate: --grid %s: the picture is a PNG; name it .png\n", *grid)
		return exitUsage
	}
	for _, f := range []struct{ flag, path string }{{"--report", *report}, {"--grid", *grid}} {
		if inside(f.path, dataset) {
			fmt.Fprintf(stderr, "twigdata validate: %s %s lies inside the dataset: write it elsewhere (validate never changes a dataset)\n", f.flag, f.path)
			return exitUsage
		}
	}
	sig := newSignals(0, nil)
	defer sig.done()
	b, err := storage.Open(sig.ctx, dataset, storage.S3Config{Endpoint: *s3Endpoint})
	if err != nil {
		fmt.Fprintln(stderr, "twigdata validate:", err)
		return exitFailure
	}
	if _, err := os.Stat(dataset); err != nil && !isS3(dataset) {
		fmt.Fprintf(stderr, "twigdata validate: %s is not a dataset folder: %v\n", dataset, err)
		return exitFailure
	}
	if err := write.Check(sig.ctx, b, schema.LockKey(0, 1)); err != nil {
		fmt.Fprintf(stderr, "twigdata validate: %v; validate it once that build has finished\n", err)
		return exitFailure
	}
	// One streaming pass validates every row and gathers what the replay
	// needs of every sample (ids, and plans and evidence for specificity);
	// a second keeps only the samples replayed and those the generator's
	// bank is cut from. Memory follows those, not the dataset.
	idx := validate.NewSpecificityIndex()
	var ids []string
	r, err := validate.Load(sig.ctx, b, func(s *schema.Sample) {
		if validate.Usable(s) {
			ids = append(ids, s.ID)
		}
		idx.Add(s)
	})
	if err != nil {
		fmt.Fprintln(stderr, "twigdata validate:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s: %d samples, %d tasks, %d training rows, %d rejects in %d files\n", dataset, r.Samples, r.Tasks, r.Training, r.Rejects, r.Shards)
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, "  problem:", p)
	}
	out := map[string]any{"dataset": dataset, "load": r}
	if len(ids) > 1 {
		n := *sample
		if *all {
			n = 0
		}
		chosen := validate.Choose(ids, *seed, n)
		bankIDs := validate.BankChoice(ids, *seed, *bankSize)
		keep := map[string]bool{}
		for _, id := range append(append([]string(nil), chosen...), bankIDs...) {
			keep[id] = true
		}
		kept, err := validate.Collect(sig.ctx, b, keep)
		if err != nil {
			fmt.Fprintln(stderr, "twigdata validate:", err)
			return exitFailure
		}
		byID := map[string]*schema.Sample{}
		for _, s := range kept {
			byID[s.ID] = s
		}
		pick := func(ids []string) []*schema.Sample {
			out := make([]*schema.Sample, 0, len(ids))
			for _, id := range ids {
				if s := byID[id]; s != nil {
					out = append(out, s)
				}
			}
			return out
		}
		rep, err := replay(sig.ctx, pick(chosen), pick(bankIDs), r.Theta, *seed, *grid, *segDir, *capDir, *ortLib)
		if err != nil {
			fmt.Fprintln(stderr, "twigdata validate:", err)
			return exitFailure
		}
		rep.SpecificityTop1, rep.SpecificityTop5, rep.DatasetRegions, rep.SpecificityQueries = idx.Measure(*queries, *seed)
		out["replay"] = rep
		fmt.Fprintf(stdout, "replay (%s) of %d samples, %d regions (bank: %d samples):\n", rep.Generator, rep.Samples, rep.Regions, len(bankIDs))
		fmt.Fprintf(stdout, "  mean critic score: generated %.1f, source %.1f\n", rep.GeneratedMeanScore, rep.SourceMeanScore)
		fmt.Fprintf(stdout, "  reflection triggered on %d regions (%.1f%%); mean score %.1f before, %.1f after (%+.1f)\n",
			rep.Reflected, 100*rep.ReflectionRate, rep.MeanBefore, rep.MeanAfter, rep.MeanChange)
		fmt.Fprintf(stdout, "  plan specificity of %d plans among %d regions: top-1 %.1f%%, top-5 %.1f%%\n", rep.SpecificityQueries, rep.DatasetRegions, 100*rep.SpecificityTop1, 100*rep.SpecificityTop5)
	}
	if *report != "" {
		data, _ := json.MarshalIndent(out, "", "  ")
		if err := os.WriteFile(*report, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "twigdata validate:", err)
			return exitFailure
		}
	}
	if n := len(r.Problems); n > 0 {
		if n == 1 {
			fmt.Fprintln(stdout, "1 problem")
		} else {
			fmt.Fprintf(stdout, "%d problems\n", n)
		}
		return exitFailure
	}
	fmt.Fprintln(stdout, "loads cleanly")
	return exitOK
}

func isS3(s string) bool { return len(s) > 5 && s[:5] == "s3://" }

// inside reports whether the local file path lies within the folder dir.
func inside(path, dir string) bool {
	if path == "" || isS3(dir) {
		return false
	}
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	if rp, err := filepath.EvalSymlinks(filepath.Dir(p)); err == nil {
		p = filepath.Join(rp, filepath.Base(p))
	}
	if rd, err := filepath.EvalSymlinks(d); err == nil {
		d = rd
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func replay(ctx context.Context, chosen, bankSamples []*schema.Sample, theta int, seed int64, gridPath, segDir, capDir, ortLib string) (validate.ReplayReport, error) {
	if err := annotators.Init(ortLib); err != nil {
		return validate.ReplayReport{}, err
	}
	seg, err := segmenter.Load(modelDir(segDir, "segmenter", "fp32"), annotators.Device{})
	if err != nil {
		return validate.ReplayReport{}, err
	}
	defer seg.Close()
	capt, err := captioner.Open(modelDir(capDir, "captioner", "fp32"), annotators.Device{}, "")
	if err != nil {
		return validate.ReplayReport{}, err
	}
	defer capt.Close()
	ground, _ := capt.(compose.Grounder) // a Florence-2 captioner grounds, as in the build
	bank, err := validate.Bank(bankSamples)
	if err != nil {
		return validate.ReplayReport{}, err
	}
	s0 := chosen[0]
	rp := &validate.Replayer{
		Gen:    validate.NewBankGenerator(bank, plan.DefaultTemplates()),
		Scorer: compose.NewScorer(compose.Models{Segmenter: seg, Captioner: capt, Grounder: ground}, int(s0.PatchSize), len(s0.Regions), theta),
		Theta:  theta, Seed: seed, Grid: 4,
	}
	rep, rows, err := rp.Run(ctx, chosen)
	if err != nil {
		return rep, err
	}
	if gridPath != "" {
		png, err := validate.GridPNG(rows)
		if err != nil {
			return rep, err
		}
		if err := os.WriteFile(gridPath, png, 0o644); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
