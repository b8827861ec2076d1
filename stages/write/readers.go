package write

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/twigdata/twigdata/schema"
)

// Readers is the card's "how to read it": `datasets` and DuckDB from the
// dataset's folder (or the Hub), and, for a dataset on S3, `datasets`,
// pyarrow, polars and DuckDB lines that reach it where it is — the endpoint
// and addressing of the build included, credentials from the reader's
// environment. The build's summary prints the same S3 lines.
func Readers(m schema.Manifest) string {
	var b strings.Builder
	b.WriteString(`From this folder (or with the Hub repository id in place of os.getcwd()), with Hugging
Face datasets:

` + "```python" + `
import os
from datasets import load_dataset

training = load_dataset(os.getcwd(), "training", split="train")
example = training[0]
print(example["image"].size, [(turn["kind"], turn["target"]) for turn in example["turns"]])

samples = load_dataset("parquet", data_files={"train": "samples/*.parquet"}, split="train")
print(samples[0]["prompt"], samples[0]["regions"][0]["plan"])
` + "```" + `

or with DuckDB:

` + "```sql" + `
SELECT id, prompt, r.index, r.plan, r.critic.score
FROM read_parquet('samples/*.parquet'), unnest(regions) AS t(r) LIMIT 10;
` + "```" + `

A torch DataLoader over the training table: a turn's nulls (a generate turn has no text, a
think turn no score) are kept as None by a collate that batches the images and leaves the
turns as lists:

` + "```python" + `
import os
import numpy as np
import torch
from datasets import load_dataset
from torch.utils.data import DataLoader

training = load_dataset(os.getcwd(), "training", split="train")

def collate(rows):
    images = torch.stack([torch.from_numpy(np.array(r["image"].convert("RGB"))).permute(2, 0, 1) for r in rows])
    return {"id": [r["id"] for r in rows], "prompt": [r["prompt"] for r in rows], "image": images,
            "turns": [r["turns"] for r in rows]}

for batch in DataLoader(training, batch_size=4, collate_fn=collate):
    targets = sum(t["target"] for turns in batch["turns"] for t in turns)
    print(batch["image"].shape, len(batch["turns"][0]), "turns,", targets, "of them targets")
    break
` + "```" + `

and a ` + "`datasets`" + ` map that turns an episode into the interleaved sequence a TwiG model trains on
(the image's token rows stand in for the generate turns; the loss mask follows ` + "`target`" + `):

` + "```python" + `
import os
from datasets import load_dataset

training = load_dataset(os.getcwd(), "training", split="train")

def interleave(row):
    pieces, mask = [row["prompt"]], [False]
    for t in row["turns"]:
        if t["kind"] == "think":
            pieces.append("<think>" + t["text"] + "</think>")
        elif t["kind"] == "generate":
            pieces.append(f"<image rows {t['token_row_start']}-{t['token_row_end']}>")
        else:
            pieces.append(f"<reflect>score: {t['score']}\nrevision: {t['revision']}</reflect>")
        mask.append(t["target"])
    return {"sequence": "\n".join(pieces), "loss_mask": mask}

episodes = training.map(interleave, remove_columns=["turns"])
print(episodes[0]["sequence"][:300], sum(episodes[0]["loss_mask"]))
` + "```" + `
`)
	if strings.HasPrefix(m.Out, "s3://") {
		b.WriteString("\nWhere it was written, on S3 (credentials from the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`):\n\n")
		b.WriteString(S3Readers(m.Out, m.S3))
	}
	return b.String()
}

// S3Readers are `datasets`, pyarrow, polars and DuckDB lines that read a
// dataset at an s3:// URI, reaching a custom endpoint when one is set.
func S3Readers(uri string, s3 *schema.ManifestS3) string {
	uri = strings.TrimSuffix(uri, "/")
	if s3 == nil {
		s3 = &schema.ManifestS3{}
	}
	region := s3.Region
	if region == "" {
		region = "us-east-1"
	}
	duckSettings := []string{fmt.Sprintf("REGION '%s'", region)}
	fsspecOpts := fmt.Sprintf(`{"client_kwargs": {"region_name": %q}}`, region)
	arrowOpts := fmt.Sprintf("region=%q", region)
	polarsOpts := fmt.Sprintf(`{"aws_region": %q}`, region)
	if s3.Endpoint != "" {
		u, err := url.Parse(s3.Endpoint)
		host, scheme := s3.Endpoint, "https"
		if err == nil && u.Host != "" {
			host, scheme = u.Host, u.Scheme
		}
		fsspecOpts = fmt.Sprintf(`{"endpoint_url": %q, "client_kwargs": {"region_name": %q}}`, s3.Endpoint, region)
		arrowOpts = fmt.Sprintf("endpoint_override=%q, scheme=%q, region=%q", host, scheme, region)
		polarsOpts = fmt.Sprintf(`{"aws_endpoint_url": %q, "aws_region": %q, "aws_allow_http": "%t"}`, s3.Endpoint, region, scheme == "http")
		duckSettings = append(duckSettings, fmt.Sprintf("ENDPOINT '%s'", host), fmt.Sprintf("USE_SSL %t", scheme == "https"))
	}
	if s3.Endpoint != "" || s3.PathStyle {
		duckSettings = append(duckSettings, "URL_STYLE 'path'")
		if s3.Endpoint == "" {
			polarsOpts = strings.TrimSuffix(polarsOpts, "}") + `, "aws_virtual_hosted_style_request": "false"}`
		}
	}
	path := strings.TrimPrefix(uri, "s3://") // pyarrow's filesystems take bucket/prefix
	return fmt.Sprintf(`
`+"```python"+`
import os
from datasets import load_dataset

storage_options = {%s, "key": os.environ["AWS_ACCESS_KEY_ID"], "secret": os.environ["AWS_SECRET_ACCESS_KEY"]}
training = load_dataset("parquet", data_files={"train": "%s/training/*.parquet"}, split="train", storage_options=storage_options)
print(training)
`+"```"+`

`+"```python"+`
import pyarrow.dataset as ds
from pyarrow import fs

s3 = fs.S3FileSystem(%s)
samples = ds.dataset("%s/samples/", filesystem=s3, format="parquet")
print(samples.count_rows())
`+"```"+`

`+"```python"+`
import polars as pl

samples = pl.scan_parquet("%s/samples/*.parquet", storage_options=%s)
print(samples.select(pl.len()).collect())
`+"```"+`

`+"```sql"+`
CREATE OR REPLACE SECRET twigdata (TYPE s3, PROVIDER credential_chain, %s);
SELECT count(*) FROM read_parquet('%s/samples/*.parquet');
`+"```"+`
`, strings.TrimSuffix(strings.TrimPrefix(fsspecOpts, "{"), "}"), uri, arrowOpts, path, uri, polarsOpts, strings.Join(duckSettings, ", "), uri)
}
