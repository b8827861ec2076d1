package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages"
	"github.com/twigdata/twigdata/stages/write"
)

// printSummary tells what the build wrote, why inputs were rejected and how
// to look at the dataset.
func printSummary(w io.Writer, out string, sum stages.Summary, s3 *schema.ManifestS3, warnings []string) {
	where := out
	if !strings.HasPrefix(out, "s3://") {
		if abs, err := filepath.Abs(out); err == nil {
			where = abs
		}
	}
	fmt.Fprintf(w, "\nDataset written to %s\n", where)
	fmt.Fprintf(w, "  inputs:   %d\n  accepted: %d\n  rejected: %d\n", sum.Inputs, sum.Accepted, sum.Rejected)
	if sum.Resumed > 0 || sum.Orphans > 0 || sum.Retried > 0 {
		fmt.Fprintf(w, "  resumed:  %d inputs were already committed by an earlier run (%d uncommitted files removed, %d transient rejects retried)\n", sum.Resumed, sum.Orphans, sum.Retried)
	}
	for _, r := range sum.Redone {
		fmt.Fprintf(w, "  redone:   %s\n", r)
	}
	reasons := make([]string, 0, len(sum.ByReason))
	for r := range sum.ByReason {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(w, "    %-28s %d\n", r, sum.ByReason[r])
	}
	if len(sum.Tasks) > 0 {
		flawed, faithful := sum.Tasks[schema.CountReflectFlawed], sum.Tasks[schema.CountReflectFaithful]
		share := 0.0
		if flawed+faithful > 0 {
			share = float64(flawed) / float64(flawed+faithful)
		}
		fmt.Fprintf(w, "  tasks:    %d think, %d generate, %d reflect (%d flawed, %d faithful: %.1f%% flawed)\n",
			sum.Tasks[schema.CountThink], sum.Tasks[schema.CountGenerate], flawed+faithful, flawed, faithful, 100*share)
	}
	var throughput float64
	if sum.Stats.Wall > 0 {
		throughput = float64(sum.Stats.Items) / sum.Stats.Wall.Seconds()
	}
	fmt.Fprintf(w, "  took:     %s (%.1f samples/s)\n", sum.Stats.Wall.Round(time.Millisecond), throughput)
	glob := strings.TrimSuffix(where, "/")
	fmt.Fprintf(w, "\nLook at it with DuckDB:\n\n  duckdb -c \"SELECT s.prompt, r.index, r.plan, r.critic.score, r.reflected\n    FROM read_parquet('%s/samples/*.parquet') s, unnest(s.regions) t(r) LIMIT 9\"\n\n", glob)
	fmt.Fprintf(w, "  duckdb -c \"SELECT stage, reason, key, detail FROM read_parquet('%s/rejects/*.parquet')\"\n", glob)
	if strings.HasPrefix(glob, "s3://") {
		fmt.Fprintf(w, "\nRead it where it is (credentials from the environment; DuckDB needs its httpfs extension):\n%s", write.S3Readers(glob, s3))
	}
	for _, warning := range warnings {
		fmt.Fprintf(w, "\nWarning: this dataset was %s.\n", warning)
	}
	if !strings.HasPrefix(glob, "s3://") && sum.Accepted > 0 {
		fmt.Fprintf(w, "\nor with Hugging Face datasets (one row per sample: the image and its TwiG turns):\n\n  python -c \"from datasets import load_dataset; print(load_dataset('%s', 'training', split='train'))\"\n", glob)
	}
}
