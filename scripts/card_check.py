"""Check a twigdata dataset card as the Hub and `datasets` read it.

    PYTHONPATH=[.deps/py-datasetsN] .deps/py/bin/python scripts/card_check.py DATASET_FOLDER

huggingface_hub parses the card (DatasetCard) and its metadata
(DatasetCardData, with the keys the Hub reads: pretty_name, license,
language, task_categories, size_categories, annotations_creators,
source_datasets, configs, dataset_info with num_bytes, num_examples and
dataset_size), the sections of the Hub's dataset card template are there,
and every config loads through the card and through its plain Parquet files
with no warning, the two with equal features that concatenate. Run under
each datasets release the suite installs (TestDatasetCardAcrossReleases in
cmd/twigdata). Exit status: the number of failures.
"""

import io
import logging
import os
import sys
import tempfile
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="twigdata-hf-"))

import datasets  # noqa: E402
import huggingface_hub  # noqa: E402
from datasets import concatenate_datasets, load_dataset  # noqa: E402
from huggingface_hub import DatasetCard, DatasetCardData  # noqa: E402

datasets.disable_progress_bars()
failures = []

# The template's sections (huggingface_hub's datasetcard_template.md) a
# build can fill; Glossary and More Information are left to the builder.
SECTIONS = ["Dataset Details", "Dataset Description", "Dataset Sources", "Uses", "Direct Use", "Out-of-Scope Use",
            "Dataset Structure", "Dataset Creation", "Curation Rationale", "Source Data", "Data Collection and Processing",
            "Who are the source data producers?", "Annotations", "Annotation process", "Who are the annotators?",
            "Personal and Sensitive Information", "Bias, Risks, and Limitations", "Recommendations", "Citation",
            "Dataset Card Contact"]


def fail(msg):
    failures.append(msg)
    print(f"FAIL {msg}", flush=True)


def check_card(folder):
    card = DatasetCard.load(os.path.join(folder, "README.md"))
    data = card.data
    if not isinstance(data, DatasetCardData):
        fail(f"card data is a {type(data).__name__}, not DatasetCardData")
    again = DatasetCardData(**data.to_dict())  # what the Hub's metadata validation constructs
    for key in ["pretty_name", "license", "language", "task_categories", "size_categories", "annotations_creators",
                "source_datasets", "configs", "dataset_info"]:
        if not getattr(again, key, None) and not again.to_dict().get(key):
            fail(f"card metadata lacks {key}")
    for info in data.to_dict().get("dataset_info", []):
        for split in info.get("splits", []):
            if not {"name", "num_bytes", "num_examples"} <= set(split):
                fail(f"dataset_info of {info.get('config_name')}: split {split} lacks name, num_bytes or num_examples")
        if "dataset_size" not in info:
            fail(f"dataset_info of {info.get('config_name')} lacks dataset_size")
    if "arxiv.org/abs/2511.16671" not in card.text or "@article{" not in card.text:
        fail("the card does not cite the TwiG paper (arXiv link and BibTeX)")
    headings = {line.lstrip("#").strip() for line in card.text.splitlines() if line.startswith("#")}
    missing = [s for s in SECTIONS if s not in headings]
    if missing:
        fail(f"the card lacks the template's sections {missing}")
    return [c["config_name"] for c in data.to_dict().get("configs", [])]


def check_loads(folder, configs):
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setLevel(logging.WARNING)
    datasets.utils.logging.get_logger().addHandler(handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for cfg in configs:
            via_card = load_dataset(folder, cfg, split="train")
            via_files = load_dataset("parquet", data_files={"train": f"{folder}/{cfg}/*.parquet"}, split="train")
            if via_card.features != via_files.features:
                fail(f"{cfg}: the card's features differ from the files': {via_card.features} vs {via_files.features}")
            both = concatenate_datasets([via_card, via_files])
            if len(both) != 2 * len(via_card):
                fail(f"{cfg}: {len(both)} rows concatenated, want {2 * len(via_card)}")
            print(f"datasets {datasets.__version__}: {cfg} loads through the card and the files, {len(via_card)} rows, features equal, concatenated", flush=True)
    ours = [w for w in caught if "datasets" in (w.filename or "") or "huggingface" in (w.filename or "")]
    for w in ours:
        fail(f"datasets {datasets.__version__} warns: {w.message}")
    if log.getvalue().strip():
        fail(f"datasets {datasets.__version__} logs warnings: {log.getvalue().strip()[:500]}")


def main(folder):
    print(f"datasets {datasets.__version__}, huggingface_hub {huggingface_hub.__version__}", flush=True)
    configs = check_card(folder)
    check_loads(os.path.abspath(folder), configs)
    print(f"{len(failures)} failures", flush=True)
    return min(len(failures), 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
