package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/show"
	"github.com/twigdata/twigdata/stages/write"
	"github.com/twigdata/twigdata/storage"
)

const showUsage = `Usage: twigdata show DATASET [--out report.html] [flags]

Writes one self-contained HTML page of a dataset (a folder or s3://bucket/prefix)
to look at before training on it: figures over every row (histograms of the
region score and of each criterion, the reflection rate, blur, alignment), a
gallery of a seeded sample of samples — each canvas with its region bands and
object masks drawn over it, each region's plan, sub-scores and revision —
filterable in the page by reflected, score and prompt words, and the rejects
grouped by reason (with thumbnails when --in names the build's input). The page
needs no network and no server; the dataset is streamed one shard at a time.
`

func cmdShow(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "report.html", "the HTML file to write")
	gallery := fs.Int("sample", 24, "samples in the gallery, chosen by --seed (1..1000)")
	seed := fs.Int64("seed", 1, "seed of the gallery's choice")
	in := fs.String("in", "", "the build's input folder or s3:// prefix, for the rejects' thumbnails (optional)")
	s3Endpoint := fs.String("s3-endpoint", "", "S3-compatible endpoint URL (also AWS_ENDPOINT_URL_S3)")
	fs.Usage = func() { fmt.Fprint(stderr, showUsage); fs.PrintDefaults() }
	dataset, code, ok := parseWithTarget(fs, args)
	if !ok {
		return code
	}
	switch {
	case dataset == "":
		fmt.Fprintln(stderr, "twigdata show: name the dataset: twigdata show DATASET [--out report.html]")
		return exitUsage
	case *gallery < 1 || *gallery > 1000:
		fmt.Fprintf(stderr, "twigdata show: --sample %d: want 1..1000 samples in the gallery (each adds its canvas to the page)\n", *gallery)
		return exitUsage
	case inside(*out, dataset):
		fmt.Fprintf(stderr, "twigdata show: --out %s lies inside the dataset: write it elsewhere (show never changes a dataset)\n", *out)
		return exitUsage
	}
	sig := newSignals(0, nil)
	defer sig.done()
	cfg := storage.S3Config{Endpoint: *s3Endpoint}
	b, err := storage.Open(sig.ctx, dataset, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "twigdata show:", err)
		return exitFailure
	}
	if err := write.Check(sig.ctx, b, schema.LockKey(0, 1)); err != nil {
		fmt.Fprintf(stderr, "twigdata show: %v; show it once that build has finished\n", err)
		return exitFailure
	}
	o := show.Options{Gallery: *gallery, Seed: *seed}
	if *in != "" {
		src, err := storage.Open(sig.ctx, *in, cfg)
		if err != nil {
			fmt.Fprintln(stderr, "twigdata show: --in:", err)
			return exitFailure
		}
		o.Image = func(ctx context.Context, key string) ([]byte, bool) { return inputImage(ctx, src, key) }
	}
	d, err := show.Gather(sig.ctx, b, dataset, o)
	if err != nil {
		fmt.Fprintln(stderr, "twigdata show:", err)
		return exitFailure
	}
	tmp := *out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		fmt.Fprintln(stderr, "twigdata show:", err)
		return exitFailure
	}
	if err := show.Write(f, d); err != nil {
		f.Close()
		os.Remove(tmp)
		fmt.Fprintln(stderr, "twigdata show:", err)
		return exitFailure
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		fmt.Fprintln(stderr, "twigdata show:", err)
		return exitFailure
	}
	if err := os.Rename(tmp, *out); err != nil {
		fmt.Fprintln(stderr, "twigdata show:", err)
		return exitFailure
	}
	abs, _ := filepath.Abs(*out)
	fmt.Fprintf(stdout, "%s: %d samples (%d in the gallery), %d regions (%d reflected), %d rejects\nwrote %s\n",
		dataset, d.Samples, len(d.Gallery), d.Regions, d.Reflected, d.Rejects, abs)
	return exitOK
}

// inputImage finds a rejected input's image in the build's input: the key
// itself when it names an image, else the key with an image extension (a
// pair's key is its stem). Images over 64 MB are not read.
func inputImage(ctx context.Context, src storage.Reader, key string) ([]byte, bool) {
	cands := []string{key}
	if ext := strings.ToLower(filepath.Ext(key)); ext != ".jpg" && ext != ".jpeg" && ext != ".png" && ext != ".webp" {
		for _, e := range []string{".jpg", ".jpeg", ".png", ".webp"} {
			cands = append(cands, key+e)
		}
	}
	for _, k := range cands {
		if data, err := storage.ReadAll(ctx, src, k, 64<<20); err == nil {
			return data, true
		}
	}
	return nil, false
}
