"""Writes what transformers' Florence2PostProcessor (the pinned version in
scripts/models-requirements.txt) makes of generated phrase-grounding text, for
annotators/florence's TestParseGroundingMatchesTransformers. The parser needs a
tokenizer only to decode token ids; these cases are text, so it gets none.
`make models` runs it.
"""
import json
import os
import sys
import types

from transformers.models.florence2.processing_florence2 import Florence2PostProcessor

OUT = sys.argv[1] if len(sys.argv) > 1 else "annotators/florence/testdata"
BANNED = ["it", "its", "image", "the image", "they", "them", "this", "there"]

post = Florence2PostProcessor(
    config={"phrase_grounding": {"banned_grounding_tokens": BANNED}},
    tokenizer=types.SimpleNamespace(all_special_tokens=[]),
)
texts = [
    "</s><s>a red ball<loc_10><loc_20><loc_300><loc_400></s>",
    "a cat<loc_0><loc_0><loc_999><loc_999>two dogs<loc_1><loc_2><loc_3><loc_4><loc_500><loc_501><loc_502><loc_503>",
    "a cat<loc_1><loc_2><loc_3>",  # three locations: no box
    "a cat<loc_1><loc_2><loc_3><loc_4><loc_5>",  # five: one box
    "  the image<loc_1><loc_2><loc_3><loc_4>it<loc_5><loc_6><loc_7><loc_8>a vase<loc_9><loc_10><loc_11><loc_12>",
    "<ground>a bird<loc_100><loc_100><loc_200><loc_200>",
    "<obj>a bird</obj><loc_100><loc_100><loc_200><loc_200>",
    "a\nbird<loc_1><loc_2><loc_3><loc_4>",
    "\n a bird<loc_1><loc_2><loc_3><loc_4>",
    "a bird\r<loc_1><loc_2><loc_3><loc_4>",
    "café au lait<loc_1><loc_2><loc_3><loc_4>",
    "日本<loc_1><loc_2><loc_3><loc_4>",
    "<pad><pad>a dog<od><loc_1><loc_2><loc_3><loc_4>",
    "a dog<box><loc_7><loc_8><loc_9><loc_10></box>",
    "no locations here",
    "",
    "<loc_1><loc_2><loc_3><loc_4>",
    "x<loc_1000><loc_1000><loc_1000><loc_1000>",
    "\x1ca sign\x1f<loc_1><loc_2><loc_3><loc_4>",
    "a cat <loc_333><loc_667><loc_1><loc_998>",
]
sizes = [(768, 768), (640, 480), (1, 1), (999, 1001), (1234, 567), (3, 7), (4096, 2160), (333, 77)]
cases = []
for t in texts:
    for w, h in sizes:
        got = post.parse_phrase_grounding_from_text_and_spans(t, image_size=(w, h))
        cases.append({"text": t, "width": w, "height": h,
                      "groundings": [{"phrase": g["cat_name"], "boxes": [[int(v) for v in b] for b in g["bbox"]]} for g in got]})
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "grounding.json"), "w", encoding="utf-8") as f:
    f.write('{"banned": ' + json.dumps(BANNED) + ', "cases": [\n' + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]}\n")
print(f"{len(cases)} parses into {OUT}/grounding.json")
