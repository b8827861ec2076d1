package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/twigdata/twigdata/storage"
	"github.com/twigdata/twigdata/validate"
)

const validateUsage = `Usage: twigdata validate DATASET [--report FILE.json]

Loads a dataset (a folder or s3://bucket/prefix) as a trainer would: the
manifest's schema version, row counts and sha256s, every row of every table,
every image (it must decode to the canvas size), the region schedule (token
rows tile the grid), the tasks' references to samples and exactly-once keys.
Every problem is printed with its shard, row and field; the exit code is 1 when
there is any.

Flags:
`

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	report := fs.String("report", "", "also write the report as JSON to this file")
	s3Endpoint := fs.String("s3-endpoint", "", "S3-compatible endpoint URL (also AWS_ENDPOINT_URL_S3)")
	fs.Usage = func() { fmt.Fprint(stderr, validateUsage); fs.PrintDefaults() }
	var dataset string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		dataset, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if dataset == "" && fs.NArg() == 1 {
		dataset = fs.Arg(0)
	}
	if dataset == "" {
		fs.Usage()
		return exitUsage
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
	r, err := validate.Load(sig.ctx, b, nil)
	if err != nil {
		fmt.Fprintln(stderr, "twigdata validate:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "%s: %d samples, %d tasks, %d rejects in %d shards\n", dataset, r.Samples, r.Tasks, r.Rejects, r.Shards)
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, "  problem:", p)
	}
	if *report != "" {
		data, _ := json.MarshalIndent(map[string]any{"dataset": dataset, "load": r}, "", "  ")
		if err := os.WriteFile(*report, append(data, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "twigdata validate:", err)
			return exitFailure
		}
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(stdout, "%d problems\n", len(r.Problems))
		return exitFailure
	}
	fmt.Fprintln(stdout, "loads cleanly")
	return exitOK
}

func isS3(s string) bool { return len(s) > 5 && s[:5] == "s3://" }
