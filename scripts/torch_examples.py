"""Run the torch DataLoader examples of the README and of a dataset card as
written (`make test-torch`): the README's from the repository root with
out/sample built, the card's from the dataset's folder. torch comes from
.deps/torch (scripts/fetch-torch.sh), after .deps/py's packages.

    .deps/py/bin/python scripts/torch_examples.py DATASET_FOLDER
"""

import os
import re
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".deps", "torch"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def blocks(path):
    text = open(path, encoding="utf-8").read()
    return [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "import torch" in b]


def main(folder):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = [(os.path.join(root, "README.md"), root), (os.path.join(folder, "README.md"), folder)]
    n = 0
    for path, cwd in runs:
        for code in blocks(path):
            os.chdir(cwd)
            print(f"{path}: the DataLoader example", flush=True)
            exec(compile(code, path, "exec"), {})
            n += 1
    if n < 2:
        print(f"FAIL: {n} torch examples found, want the README's and the card's")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(os.path.abspath(sys.argv[1])))
