"""Writes the encodings the Go byte-level BPE encoder must reproduce, made by
the Hugging Face `tokenizers` library itself (the pinned version in
scripts/models-requirements.txt). Three tokenizers derived from the ViT-GPT2
twin's tokenizer.json cover what real checkpoints ship: GPT-2 as is; BART and
Florence-2 (<s>…</s> by RobertaProcessing, added tokens such as <loc_N>, merges
written in the old "a b" form); and a prefix space with a template
post-processor. `make models` runs it; annotators/tokenizer/testdata holds the
output, and TestEncoderMatchesTokenizers reads it.
"""
import glob
import json
import os
import sys

from tokenizers import AddedToken, Tokenizer, processors

TWIN = "testdata/models/twins/vit-gpt2/tokenizer.json"
OUT = sys.argv[1] if len(sys.argv) > 1 else "annotators/tokenizer/testdata"

# Real prompts (every 89th line of each T2I-CompBench file, CRLF kept) and the
# text real prompts and task prompts put in a tokenizer's way.
texts = []
base = os.environ.get("T2I_COMPBENCH_DIR", "../shared/data/t2i-compbench")
for path in sorted(glob.glob(os.path.join(base, "*_train.txt"))):
    with open(path, encoding="utf-8", newline="") as f:
        texts += f.read().split("\n")[::89][:6]
texts += [
    "", " ", "  ", "a", " a", "a  b", "a   b   ", "\tthe cat\n", "two cats\r\nthree dogs", "the cat's toy",
    "they're here, we'll see", "I'M", "don't", "'s", "x'sy", "12 apples and 3.5 pears", "naïve café", "日本の猫",
    "🍎 an apple 🍎", "a  \n  b", "end with space ", "!!!???", "email@example.com", "$100 (approx.)",
    "What does the image describe?", "Locate the phrases in the image: a red ball",
    "<loc_1><loc_12> a cat<loc_3>", "<s>a cat</s>", "a<loc_1>b", "<od>", "<loc_10><loc_1>",
    "Ⅻ roman", "a\u00a0b", "a\u2003b c", "tab\there", "x" * 40,
]

with open(TWIN, encoding="utf-8") as f:
    twin = json.load(f)


def save(name, tok, old_merges=False):
    data = json.loads(tok.to_str())
    if old_merges:
        data["model"]["merges"] = [" ".join(m) for m in data["model"]["merges"]]
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    return Tokenizer.from_file(path)  # encode with what the Go test reads


os.makedirs(OUT, exist_ok=True)
cases = {}

gpt2 = save("gpt2.json", Tokenizer.from_str(json.dumps(twin)))
cases["gpt2.json"] = gpt2

bart = Tokenizer.from_str(json.dumps(twin))
bart.add_special_tokens(["<s>", "<pad>", "</s>", "<unk>"])
bart.add_tokens([AddedToken(f"<loc_{i}>", special=False) for i in range(20)] + [AddedToken("<od>"), AddedToken("</od>")])
bart.post_processor = processors.RobertaProcessing(sep=("</s>", bart.token_to_id("</s>")), cls=("<s>", bart.token_to_id("<s>")))
cases["bart.json"] = save("bart.json", bart, old_merges=True)

prefix = json.loads(json.dumps(twin))
prefix["pre_tokenizer"]["add_prefix_space"] = True
prefix = Tokenizer.from_str(json.dumps(prefix))
eot = prefix.token_to_id("<|endoftext|>")
prefix.post_processor = processors.TemplateProcessing(single="<|endoftext|> $A <|endoftext|>", special_tokens=[("<|endoftext|>", eot)])
cases["prefix.json"] = save("prefix.json", prefix)

golden = [{"tokenizer": name, "text": t, "ids": tok.encode(t).ids} for name, tok in cases.items() for t in texts]
with open(os.path.join(OUT, "encodings.json"), "w", encoding="utf-8") as f:
    f.write("[\n" + ",\n".join(json.dumps(g, ensure_ascii=False) for g in golden) + "\n]\n")
print(f"{len(golden)} encodings of {len(texts)} texts by {len(cases)} tokenizers into {OUT}")
