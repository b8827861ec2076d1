// Command twigbench measures twigdata's pipeline on a generated workload:
// samples/s, per-stage busy time, each stage's CPU time per sample when it
// runs alone, and the stage-overlap efficiency — pipeline
// throughput divided by the throughput of the slowest stage run alone — all
// measured in one run. `make bench` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/internal/synth"
	"github.com/twigdata/twigdata/pipeline"
	"github.com/twigdata/twigdata/stages"
	"github.com/twigdata/twigdata/stages/compose"
	"github.com/twigdata/twigdata/stages/source"
	"github.com/twigdata/twigdata/storage"
)

func main() {
	if p := os.Getenv(bigImageEnv); p != "" {
		if err := writeBigImage(p); err != nil {
			fmt.Fprintln(os.Stderr, "twigbench:", err)
			os.Exit(1)
		}
		return
	}
	n := flag.Int("n", 2000, "number of generated prompt/image pairs")
	dir := flag.String("dir", "", "workload folder, reused across runs (default: a temporary folder, removed afterwards)")
	batch := flag.Int("batch-size", 16, "annotate batch size")
	device := flag.String("device", "cpu", "cpu or cuda:N")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole benchmark to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile of the whole benchmark to this file")
	resumeAt := flag.Float64("resume-at", 0.5, "also measure resuming a run interrupted at this fraction of its inputs (0: skip)")
	shardRows := flag.Int("shard-rows", 100, "rows per shard (small shards bound the work an interruption loses)")
	scale := flag.String("scale", "", "instead: build manifests of these sizes (comma-separated, e.g. 5000,50000) with -bin at default settings and report peak memory (make bench-scale)")
	scaleRows := flag.Int("scale-rows", 0, "with -scale: also build a manifest of this many rows, every hundredth a real pair and the rest missing images")
	bin := flag.String("bin", "bin/twigdata", "with -scale: the twigdata binary to measure")
	validateAt := flag.Int("scale-validate", 20000, "with -scale: also time twigdata validate, and its peak memory, on the dataset built from this many inputs")
	stagesOnly := flag.Bool("stages-only", false, "measure only each stage alone (no pipeline run, batch sweep, model table or resume): quick, for work on one stage")
	composeRounds := flag.Int("compose-rounds", 0, "also run the compose stage alone this many more times on the same input and report its CPU time per sample each time (the machine's noise, seen)")
	flag.Parse()
	if *scale != "" {
		var sizes []int
		for _, f := range strings.Split(*scale, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				fmt.Fprintf(os.Stderr, "twigbench: -scale %q: want sizes such as 5000,50000\n", *scale)
				os.Exit(2)
			}
			sizes = append(sizes, n)
		}
		dir := *dir
		if dir == "" {
			dir = ".deps/bench"
		}
		if err := benchScale(*bin, dir, *n, sizes, *scaleRows, *validateAt); err != nil {
			fmt.Fprintln(os.Stderr, "twigbench:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "twigbench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			f, err := os.Create(*memprofile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "twigbench:", err)
			}
		}()
	}
	if err := run(*n, *dir, *batch, *device, *resumeAt, *shardRows, *stagesOnly, *composeRounds); err != nil {
		fmt.Fprintln(os.Stderr, "twigbench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(n int, dir string, batch int, device string, resumeAt float64, shardRows int, stagesOnly bool, composeRounds int) error {
	ctx := context.Background()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "twigbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	in := filepath.Join(dir, fmt.Sprintf("in-%d", n))
	t0 := time.Now()
	if err := generate(in, n); err != nil {
		return err
	}
	fmt.Printf("workload: %d pairs in %s (generated in %s)\n", n, in, time.Since(t0).Round(time.Millisecond))

	dev, err := annotators.ParseDevice(device)
	if err != nil {
		return err
	}
	if err := annotators.Init(""); err != nil {
		return err
	}
	seg, err := segmenter.Load(annotators.ModelDir{FS: twigdata.Model("segmenter"), Name: "bundled:segmenter"}, dev)
	if err != nil {
		return err
	}
	capt, err := captioner.Load(annotators.ModelDir{FS: twigdata.Model("captioner"), Name: "bundled:captioner"}, dev)
	if err != nil {
		return err
	}
	inB, _ := storage.NewLocal(in)
	outB, _ := storage.NewLocal(filepath.Join(dir, "out"))
	o := stages.DefaultConfig()
	o.Source.In, o.Output.Out, o.Source.Format, o.Models.Segmenter, o.Models.Captioner = inB, outB, source.FormatPairs, seg, capt
	o.Workers.BatchSize, o.Output.Overwrite, o.Output.ToolVersion, o.Output.ShardRows = batch, true, twigdata.Version, shardRows

	// 1. The whole pipeline, stages overlapping.
	var sum stages.Summary
	if !stagesOnly {
		if sum, err = stages.Run(ctx, o); err != nil {
			return err
		}
	}
	pipeRate := float64(sum.Inputs) / sum.Stats.Wall.Seconds()

	// 2. Each stage alone over materialized input: list once, then feed each
	// stage the previous stage's output, timing only the stage's own run.
	var items []*stages.Item
	if err := stages.Inputs(o)(ctx, func(it *stages.Item) error { items = append(items, it); return nil }); err != nil {
		return err
	}
	type alone struct {
		name string
		rate float64
		wall time.Duration
		cpu  time.Duration // the process's CPU time during the run: the stage's core time
		n    int           // the samples it ran on
	}
	var alones []alone
	var scheduled []*stages.Item // the annotate stage's input, for the batch-size sweep
	var annotated []*stages.Item // the compose stage's, for -compose-rounds
	var composeStage pipeline.Stage[*stages.Item]
	for _, st := range stages.Stages(o) {
		switch st.Name {
		case "annotate":
			scheduled = copyItems(items)
		case "compose":
			annotated, composeStage = copyItems(items), st
		}
		var mu sync.Mutex
		var next []*stages.Item
		runtime.GC() // the previous stage's garbage is not this one's
		cpu0 := cpuTime()
		stats, err := pipeline.Run(ctx, pipeline.Config[*stages.Item]{
			Source: pipeline.FromSlice(items),
			Stages: []pipeline.Stage[*stages.Item]{st},
			Done:   (*stages.Item).Rejected,
			Sink: func(_ context.Context, it *stages.Item) error {
				mu.Lock()
				next = append(next, it)
				mu.Unlock()
				return nil
			},
		})
		if err != nil {
			return fmt.Errorf("%s alone: %w", st.Name, err)
		}
		alones = append(alones, alone{st.Name, float64(len(items)) / stats.Wall.Seconds(), stats.Wall, cpuTime() - cpu0, len(items)})
		items = next
	}
	slowest := alones[0]
	for _, a := range alones {
		if a.rate < slowest.rate {
			slowest = a
		}
	}

	fmt.Printf("machine: %d CPUs, %s, ONNX Runtime %s, device %s, batch %d\n", runtime.NumCPU(), runtime.GOARCH, annotators.RuntimeVersion(), dev, batch)
	if !stagesOnly {
		fmt.Printf("pipeline: %d inputs (%d accepted, %d rejected) in %s = %.1f samples/s\n",
			sum.Inputs, sum.Accepted, sum.Rejected, sum.Stats.Wall.Round(time.Millisecond), pipeRate)
	}
	fmt.Printf("\n%-10s %8s %12s %14s %16s %14s\n", "stage", "workers", "busy (pipe)", "alone (wall)", "alone samples/s", "CPU ms/sample")
	byName := map[string]pipeline.StageStats{}
	for _, st := range sum.Stats.Stages {
		byName[st.Name] = st
	}
	for _, a := range alones {
		st := byName[a.name]
		workers := "-" // not run in the pipeline
		if st.Workers > 0 {
			workers = strconv.Itoa(st.Workers)
		}
		fmt.Printf("%-10s %8s %12s %14s %16.1f %14.2f\n", a.name, workers, st.Busy.Round(time.Millisecond), a.wall.Round(time.Millisecond), a.rate,
			a.cpu.Seconds()*1000/float64(a.n))
	}
	var serial time.Duration
	for _, a := range alones {
		serial += a.wall
	}
	fmt.Printf("\nslowest stage alone: %s at %.1f samples/s\n", slowest.name, slowest.rate)
	if composeRounds > 0 {
		var ms []float64
		for range composeRounds {
			in := copyItems(annotated)
			runtime.GC()
			cpu0 := cpuTime()
			if _, err := pipeline.Run(ctx, pipeline.Config[*stages.Item]{
				Source: pipeline.FromSlice(in),
				Stages: []pipeline.Stage[*stages.Item]{composeStage},
				Done:   (*stages.Item).Rejected,
				Sink:   func(context.Context, *stages.Item) error { return nil },
			}); err != nil {
				return fmt.Errorf("compose alone: %w", err)
			}
			ms = append(ms, (cpuTime()-cpu0).Seconds()*1000/float64(len(in)))
		}
		fmt.Printf("compose alone, %d more runs: CPU ms/sample %.2f (median %.2f)\n", composeRounds, ms, median(ms))
	}
	if stagesOnly {
		return nil
	}
	fmt.Printf("stages alone, one after another: %s; pipeline: %s (overlap ratio %.2f: above 1 means stages ran concurrently)\n",
		serial.Round(time.Millisecond), sum.Stats.Wall.Round(time.Millisecond), serial.Seconds()/sum.Stats.Wall.Seconds())
	fmt.Printf("stage-overlap efficiency: %.2f (pipeline %.1f / slowest alone %.1f samples/s)\n", pipeRate/slowest.rate, pipeRate, slowest.rate)
	if err := sweepBatch(ctx, o, scheduled); err != nil {
		return err
	}
	if err := perModel(ctx, o, scheduled, dev); err != nil {
		return err
	}
	if err := measureResumeReads(ctx, o, outB); err != nil {
		return err
	}
	if resumeAt > 0 {
		return measureResume(ctx, o, sum, resumeAt)
	}
	return nil
}

// measureResumeReads reruns the complete build (every input already
// committed) over a counting view of its output and reports what the
// resume reads from it against the dataset's size.
func measureResumeReads(ctx context.Context, o stages.Config, out storage.Bucket) error {
	c := storage.NewCounting(out)
	o.Output.Out, o.Output.Overwrite = c, false
	sum, err := stages.Run(ctx, o)
	if err != nil {
		return fmt.Errorf("resume of the complete build: %w", err)
	}
	var size int64
	for _, f := range sum.Shards {
		size += int64(f.Bytes)
	}
	fmt.Printf("\nresume reads: %d requests (%d lists, %d gets, %d ranged reads of shard footers), %d bytes of a %d-byte dataset (%.3f%%; %d shards, %d inputs already committed)\n",
		c.Lists.Load()+c.Gets.Load()+c.Ranges.Load(), c.Lists.Load(), c.Gets.Load(), c.Ranges.Load(), c.BytesRead.Load(), size,
		100*float64(c.BytesRead.Load())/float64(size), len(sum.Shards), sum.Resumed)
	return nil
}

// annotateAlone runs the annotate stage of o by itself over items.
func annotateAlone(ctx context.Context, o stages.Config, items []*stages.Item) (pipeline.Stats, error) {
	var st pipeline.Stage[*stages.Item]
	for _, s := range stages.Stages(o) {
		if s.Name == "annotate" {
			st = s
		}
	}
	return pipeline.Run(ctx, pipeline.Config[*stages.Item]{
		Source: pipeline.FromSlice(items),
		Stages: []pipeline.Stage[*stages.Item]{st},
		Done:   (*stages.Item).Rejected,
		Sink:   func(context.Context, *stages.Item) error { return nil },
	})
}

// sweepBatch runs the annotate stage alone at several batch sizes over the
// same scheduled samples.
func sweepBatch(ctx context.Context, o stages.Config, items []*stages.Item) error {
	fmt.Printf("\nannotate alone by batch size (%d samples, each = 1 segmenter image + %d captioner images):\n", len(items), 1+o.Canvas.K)
	for _, b := range []int{1, 8, 32} {
		o.Workers.BatchSize = b
		stats, err := annotateAlone(ctx, o, items)
		if err != nil {
			return err
		}
		fmt.Printf("  batch %2d: %7.1f samples/s (%d calls)\n", b, float64(len(items))/stats.Wall.Seconds(), stats.Stages[0].Batches)
	}
	return nil
}

// twinsDir holds the twin models made by the real exporters (make models).
const twinsDir = "testdata/models/twins"

// perModel runs the annotate stage alone with each twin model and variant
// over the same scheduled samples (the first 512), batch 16.
func perModel(ctx context.Context, o stages.Config, items []*stages.Item, dev annotators.Device) error {
	items = items[:min(len(items), 512)]
	fmt.Printf("\nannotate alone by model (%d samples, batch %d; twins: random weights, real export graphs):\n", len(items), o.Workers.BatchSize)
	load := func(seg, capt, variant string) (*segmenter.Model, captioner.Captioner, error) {
		open := func(name string) annotators.ModelDir {
			if name == "" {
				return annotators.ModelDir{}
			}
			p := filepath.Join(twinsDir, name)
			return annotators.ModelDir{FS: os.DirFS(p), Name: p, Path: p, Variant: variant}
		}
		sd, cd := open(seg), open(capt)
		if seg == "" {
			sd = annotators.ModelDir{FS: twigdata.Model("segmenter"), Name: "bundled:segmenter"}
		}
		if capt == "" {
			cd = annotators.ModelDir{FS: twigdata.Model("captioner"), Name: "bundled:captioner"}
		}
		s, err := segmenter.Load(sd, dev)
		if err != nil {
			return nil, nil, err
		}
		c, err := captioner.Open(cd, dev, "")
		if err != nil {
			s.Close()
			return nil, nil, err
		}
		return s, c, nil
	}
	var transfers []modelTransfers
	var post []string
	for _, m := range []struct{ seg, capt, variant string }{
		{"", "", "fp32"}, {"segformer", "", "fp32"}, {"segformer", "", "q8"}, {"segformer", "", "fp16"},
		{"mask2former", "", "fp32"}, {"oneformer", "", "fp32"}, {"detr-panoptic", "", "fp32"},
		{"", "vit-gpt2", "fp32"}, {"", "vit-gpt2", "q8"}, {"", "vit-gpt2", "fp16"}, {"", "vit-bert", "fp32"},
		{"", "florence2", "fp32"},
	} {
		seg, capt, err := load(m.seg, m.capt, m.variant)
		if err != nil {
			return err
		}
		o.Models.Segmenter, o.Models.Captioner, o.Models.Grounder = seg, capt, nil
		if g, ok := capt.(compose.Grounder); ok {
			o.Models.Grounder = g // Florence-2 captions the canvas and its bands and grounds the prompt
		}
		annotators.ResetTransfers()
		stats, err := annotateAlone(ctx, o, items)
		if n, took := seg.PostProcessing(); n > 0 {
			post = append(post, fmt.Sprintf("  %-18s %7.2f ms per image (%d images)", m.seg, float64(took.Microseconds())/1000/float64(n), n))
		}
		seg.Close()
		capt.Close()
		if err != nil {
			return err
		}
		transfers = append(transfers, modelTransfers{m.seg, m.capt, m.variant, len(items), annotators.Transfers()})
		name := func(s, role string) string {
			if s == "" {
				return "bundled " + role
			}
			return s
		}
		fmt.Printf("  %-18s + %-18s %-5s %7.1f samples/s\n", name(m.seg, "segmenter"), name(m.capt, "captioner"), m.variant, float64(len(items))/stats.Wall.Seconds())
	}
	if len(post) > 0 {
		fmt.Println("\npanoptic post-processing (queries to a label map, CPU time per image):")
		fmt.Println(strings.Join(post, "\n"))
	}
	printTransfers(transfers, o.Workers.BatchSize)
	return nil
}

// modelTransfers is what crossed between Go and ONNX Runtime while one
// model pair annotated the items.
type modelTransfers struct {
	seg, capt, variant string
	samples            int
	graphs             []annotators.Transfer
}

// printTransfers reports, per model pair, the bytes that crossed between Go
// memory and ONNX Runtime per sample (every graph) and, for the captioner's
// decoder graphs, per generated token; then the same per-token figures
// computed for the real checkpoints' shapes, today and with the caches
// bound to the device.
func printTransfers(all []modelTransfers, batch int) {
	fmt.Printf("\nbytes between Go memory and ONNX Runtime (batch %d; on a GPU each is a PCIe copy):\n", batch)
	fmt.Printf("  %-18s %-12s %-5s %12s %12s %10s %12s %12s\n", "segmenter", "captioner", "var.", "in/sample", "out/sample", "tokens", "in/token", "out/token")
	for _, m := range all {
		var in, out, decIn, decOut, tokens int64
		for _, g := range m.graphs {
			in, out = in+g.BytesIn, out+g.BytesOut
			if strings.HasPrefix(g.Graph, "captioner/decoder") || strings.HasSuffix(g.Graph, "/embed_tokens") {
				decIn, decOut = decIn+g.BytesIn, decOut+g.BytesOut
			}
			tokens += g.Generated
		}
		per := func(v, n int64) string {
			if n == 0 {
				return "-"
			}
			return fmt.Sprint(v / n)
		}
		fmt.Printf("  %-18s %-12s %-5s %12s %12s %10d %12s %12s\n", orBundled(m.seg), orBundled(m.capt), m.variant,
			per(in, int64(m.samples)), per(out, int64(m.samples)), tokens, per(decIn, tokens), per(decOut, tokens))
	}
	const B, L = 16, 40
	fmt.Printf("\ncomputed for the real checkpoints (annotators.RealDecoders), batch %d, %d tokens per generation, per generated token:\n", B, L)
	fmt.Printf("  %-18s %14s %14s %16s %16s %8s\n", "decoder", "in today", "out today", "in, bound", "out, bound", "ratio")
	for _, d := range annotators.RealDecoders {
		var in, out int64
		for t := 0; t < L; t++ {
			i, o := d.HostStepBytes(B, t)
			in, out = in+i, out+o
		}
		bi, bo := d.BoundStepBytes(B)
		fmt.Printf("  %-18s %14d %14d %16d %16d %7.1fx\n", d.Name, in/(B*L), out/(B*L), bi/B, bo/B, float64(in+out)/float64(L*(bi+bo)))
	}
}

// orBundled names a twin, or the bundled model for "".
func orBundled(s string) string {
	if s == "" {
		return "bundled"
	}
	return s
}

// measureResume interrupts a fresh build once resumeAt of its inputs are
// done — abandoning in-flight work and unflushed rows, as a kill does — then
// reruns it and compares the rerun's time with the full run's time for the
// inputs that were left.
func measureResume(ctx context.Context, o stages.Config, full stages.Summary, resumeAt float64) error {
	o.Output.Overwrite = true
	cut := int64(resumeAt * float64(full.Inputs))
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o.Hooks.Progress = func(a, r int64) {
		if a+r >= cut {
			cancel()
		}
	}
	first, err := stages.Run(cctx, o)
	if err == nil {
		return fmt.Errorf("the interrupted run finished before %d inputs", cut)
	}
	o.Output.Overwrite, o.Hooks.Progress = false, nil
	t0 := time.Now()
	second, err := stages.Run(ctx, o)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	took := time.Since(t0) // reading the committed shards included
	doneAtKill := first.Accepted + first.Rejected
	per := float64(full.Stats.Wall) / float64(full.Inputs)
	remaining := time.Duration(per * float64(full.Inputs-doneAtKill))
	fmt.Printf("\nresume: interrupted after %d of %d inputs; %d of them were in committed shards, %d were redone (shard-rows %d)\n",
		doneAtKill, full.Inputs, second.Resumed, doneAtKill-second.Resumed, o.Output.ShardRows)
	fmt.Printf("resume: the rerun took %s; the work left at the interruption (%d inputs) takes %s in a full run: resume overhead %.2fx\n",
		took.Round(time.Millisecond), full.Inputs-doneAtKill, remaining.Round(time.Millisecond), took.Seconds()/remaining.Seconds())
	return nil
}

// generate writes n synthetic pairs, spreading the encoding over all cores.
func generate(dir string, n int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	next := make(chan int)
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sc := synth.NewScene(i)
				if _, err := os.Stat(filepath.Join(dir, sc.Stem+".txt")); err == nil {
					continue // written by an earlier run: the workload is deterministic
				}
				files, err := sc.Files()
				if err != nil {
					errs <- err
					return
				}
				for name, b := range files {
					if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// copyItems makes shallow copies of items: a stage clears fields of its
// own items (compose drops the canvas), which a later run still needs.
func copyItems(items []*stages.Item) []*stages.Item {
	out := make([]*stages.Item, len(items))
	for i, it := range items {
		c := *it
		out[i] = &c
	}
	return out
}

// median is the middle of xs (the mean of the middle two).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
