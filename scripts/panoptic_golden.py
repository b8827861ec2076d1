"""Writes what transformers' post_process_panoptic_segmentation (the pinned
version in scripts/models-requirements.txt) makes of seeded random query
outputs, for annotators/segmap's TestPanopticMatchesTransformers:
Mask2Former's (mask logits upsampled to 384×384 first, threshold 0.8) and
DETR's (at the mask resolution, threshold 0.85). No label is fused: with
fusion transformers can give two segments one id, so fusion is tested
apart. `make models` runs it.
"""
import json
import os
import sys

import torch
from transformers import DetrImageProcessor, Mask2FormerImageProcessor
from transformers.models.detr.modeling_detr import DetrSegmentationOutput
from transformers.models.mask2former.modeling_mask2former import Mask2FormerForUniversalSegmentationOutput

OUT = sys.argv[1] if len(sys.argv) > 1 else "annotators/segmap/testdata"


def rle(seg):
    flat, out = seg.flatten().tolist(), []
    for v in flat:
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return out


def outputs(seed, Q, C, H, W):
    g = torch.Generator().manual_seed(seed)
    classes = torch.randn(Q, C + 1, generator=g)
    # Most queries confident in one class, some "no object", some weak.
    for q in range(Q):
        classes[q, int(torch.randint(0, C + 1 if q % 4 == 3 else C, (1,), generator=g))] += 6 if q % 5 else 1
    # Masks: blobs around random centres, plus noise.
    ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32), indexing="ij")
    masks = torch.empty(Q, H, W)
    for q in range(Q):
        cy, cx = torch.rand(2, generator=g) * torch.tensor([H, W])
        r = 2 + torch.rand(1, generator=g) * H / 3
        masks[q] = 4 * (1 - ((ys - cy) ** 2 + (xs - cx) ** 2).sqrt() / r) + torch.randn(H, W, generator=g)
    return classes, masks


cases = []
for seed in range(6):
    Q, C, H, W = 8, 5, 12 + seed * 2, 14
    classes, masks = outputs(seed, Q, C, H, W)
    m2f = Mask2FormerForUniversalSegmentationOutput(class_queries_logits=classes[None], masks_queries_logits=masks[None])
    r = Mask2FormerImageProcessor().post_process_panoptic_segmentation(m2f, threshold=0.8, mask_threshold=0.5, overlap_mask_area_threshold=0.8)[0]
    detr = DetrSegmentationOutput(logits=classes[None], pred_masks=masks[None], pred_boxes=torch.zeros(1, Q, 4))
    d = DetrImageProcessor().post_process_panoptic_segmentation(detr, threshold=0.85, mask_threshold=0.5, overlap_mask_area_threshold=0.8)[0]
    case = {"Q": Q, "C": C, "H": H, "W": W, "classes": classes.flatten().tolist(), "masks": masks.flatten().tolist(), "results": []}
    for family, res, size, threshold in (("mask2former", r, 384, 0.8), ("detr", d, 0, 0.85)):
        seg = res["segmentation"].to(torch.int64)
        case["results"].append({"family": family, "upsample": size, "threshold": threshold, "height": seg.shape[0], "width": seg.shape[1],
                                "segmentation": rle(seg),
                                "segments": [{"id": s["id"], "label": s["label_id"], "score": s["score"]} for s in res["segments_info"]]})
    cases.append(case)
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "panoptic.json"), "w") as f:
    json.dump(cases, f)
print(f"{len(cases)} post-processings into {OUT}/panoptic.json:", [[len(r["segments"]) for r in c["results"]] for c in cases])
