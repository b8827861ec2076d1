"""Makes the twin models: tiny, random-weight models built from Hugging Face
`transformers` configs (no download) and exported to ONNX by the real
exporter (optimum's `main_export`), in the layouts users have (an Optimum
export at the folder's root; a Hub repository with its graphs under onnx/),
with a quantized and a float16 variant and a graph with an external data
file. `make models` runs it; its outputs are committed under
testdata/models/twins/. Random weights caption nonsense: the twins prove the
loaders (files, tensor names, dtypes, ranks, decoders, tokenizers), not text.
Two runs give the same weights but not the same bytes everywhere: the
tokenizer trainers break frequency ties arbitrarily and merged decoders get
fresh node names; the tests assert structure, never bytes.
"""
import os
import json
import shutil
import sys
import tempfile

import onnx
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers.float16 import convert_float_to_float16
from optimum.exporters.onnx import main_export
from optimum.onnx import merge_decoders
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from PIL import Image, ImageDraw
from tokenizers import AddedToken, Regex
from transformers.cache_utils import EncoderDecoderCache
from transformers import (CLIPTokenizer, CLIPTokenizerFast, OneFormerConfig, OneFormerForUniversalSegmentation, OneFormerImageProcessor,
                          OneFormerProcessor)
from transformers import (BartConfig, BartTokenizerFast, CLIPImageProcessor, Florence2Config, Florence2ForConditionalGeneration,
                          Florence2Processor, Florence2VisionConfig, GenerationConfig)
from transformers import (DetrConfig, DetrForSegmentation, DetrImageProcessor, ResNetConfig, Mask2FormerConfig, Mask2FormerForUniversalSegmentation, Mask2FormerImageProcessor, SwinConfig,
                          BertConfig, GPT2Config, GPT2TokenizerFast, PreTrainedTokenizerFast, SegformerConfig,
                          SegformerForSemanticSegmentation, SegformerImageProcessor, ViTConfig, ViTImageProcessor,
                          VisionEncoderDecoderConfig, VisionEncoderDecoderModel, BertTokenizerFast)

OUT = sys.argv[1] if len(sys.argv) > 1 else "testdata/models/twins"
torch.manual_seed(0)

CITYSCAPES = ["road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
              "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"]


def corpus():
    """The tokenizers learn their tiny vocabularies from T2I-CompBench prompts."""
    base = os.environ.get("T2I_COMPBENCH_DIR", "../shared/data/t2i-compbench")
    lines = []
    for name in sorted(os.listdir(base)):
        if name.endswith("_train.txt"):
            with open(os.path.join(base, name), encoding="utf-8") as f:
                lines += [l.strip() for l in f if l.strip()][:200]
    return lines


def note(dir_, how):
    with open(os.path.join(dir_, "TWIN.md"), "w") as f:
        f.write(how.strip() + "\n")


def variants(graph, onnx_dir):
    """model.onnx → model_quantized.onnx (dynamic int8, onnxruntime) and
    model_fp16.onnx (float16 weights, inputs and outputs)."""
    base = graph[:-len(".onnx")]
    quantize_dynamic(graph, base + "_quantized.onnx", weight_type=QuantType.QUInt8)
    m = convert_float_to_float16(onnx.load(graph), keep_io_types=False)
    onnx.save(m, base + "_fp16.onnx")


def segformer():
    torch.manual_seed(0)
    d = os.path.join(OUT, "segformer")
    shutil.rmtree(d, ignore_errors=True)
    cfg = SegformerConfig(num_encoder_blocks=2, depths=[1, 1], sr_ratios=[2, 1], hidden_sizes=[8, 16],
                          patch_sizes=[7, 3], strides=[4, 2], num_attention_heads=[1, 1], mlp_ratios=[2, 2],
                          decoder_hidden_size=16, num_labels=len(CITYSCAPES),
                          id2label={i: l for i, l in enumerate(CITYSCAPES)},
                          label2id={l: i for i, l in enumerate(CITYSCAPES)})
    with tempfile.TemporaryDirectory() as tmp:
        SegformerForSemanticSegmentation(cfg).eval().save_pretrained(tmp)
        SegformerImageProcessor(size={"height": 64, "width": 64}).save_pretrained(tmp)
        # The Hub layout: configs at the root, graphs under onnx/.
        main_export(tmp, os.path.join(tmp, "export"), task="semantic-segmentation", do_validation=False)
        os.makedirs(os.path.join(d, "onnx"))
        for f in ("config.json", "preprocessor_config.json"):
            shutil.copy(os.path.join(tmp, "export", f), d)
        shutil.copy(os.path.join(tmp, "export", "model.onnx"), os.path.join(d, "onnx", "model.onnx"))
    variants(os.path.join(d, "onnx", "model.onnx"), os.path.join(d, "onnx"))
    note(d, """SegFormer (semantic segmentation), 19 Cityscapes labels, random weights, 64×64 input.
Made by scripts/make_models.py: SegformerConfig(hidden_sizes=[8,16], depths=[1,1]) →
optimum main_export(task="semantic-segmentation"), graphs moved under onnx/ as Hub repositories
keep them; model_quantized.onnx by onnxruntime.quantization.quantize_dynamic (QUInt8),
model_fp16.onnx by onnxruntime.transformers.float16 (float16 inputs and outputs).""")


def mask2former():
    """Optimum has no Mask2Former exporter: torch.onnx.export reproduces the
    graph signature of the published exports (Xenova/mask2former-*: input
    pixel_values; outputs class_queries_logits [B,Q,C+1] and
    masks_queries_logits [B,Q,H/4,W/4]; dynamic batch). Its deformable
    attention bakes the feature-map sizes in, so the twin takes 64×64."""
    torch.manual_seed(0)
    d = os.path.join(OUT, "mask2former")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "onnx"))
    backbone = SwinConfig(image_size=64, patch_size=4, embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                          window_size=4, out_features=["stage1", "stage2", "stage3", "stage4"])
    cfg = Mask2FormerConfig(backbone_config=backbone, feature_size=32, mask_feature_size=32, hidden_dim=32,
                            encoder_feedforward_dim=64, dim_feedforward=64, encoder_layers=1, decoder_layers=2,
                            num_attention_heads=2, num_queries=8, num_labels=len(CITYSCAPES),
                            id2label={i: l for i, l in enumerate(CITYSCAPES)},
                            label2id={l: i for i, l in enumerate(CITYSCAPES)})
    model = Mask2FormerForUniversalSegmentation(cfg).eval()
    # Random weights would drop every query under the 0.8 score threshold;
    # a class bias gives some queries a confident class, so the twin's maps
    # exercise the post-processing (the masks stay random).
    with torch.no_grad():
        model.class_predictor.weight.mul_(60)
        model.class_predictor.bias.zero_()
        model.class_predictor.bias[-1] = -20  # "no object" rarely wins

    class Queries(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, pixel_values):
            o = self.m(pixel_values=pixel_values)
            return o.class_queries_logits, o.masks_queries_logits

    x = torch.randn(2, 3, 64, 64)
    torch.onnx.export(Queries(model), (x,), os.path.join(d, "onnx", "model.onnx"), input_names=["pixel_values"],
                      output_names=["class_queries_logits", "masks_queries_logits"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "class_queries_logits": {0: "batch_size"},
                                    "masks_queries_logits": {0: "batch_size"}}, opset_version=17, dynamo=False)
    cfg.save_pretrained(d)
    Mask2FormerImageProcessor(size={"height": 64, "width": 64}).save_pretrained(d)
    note(d, """Mask2Former (panoptic segmentation), 19 Cityscapes labels (8 things, 11 stuff), random weights with the
class head scaled up so that queries pass the score threshold, 64×64 input. Optimum has no Mask2Former exporter:
made by scripts/make_models.py with torch.onnx.export, reproducing the published exports' signature
(pixel_values → class_queries_logits [B,Q,C+1], masks_queries_logits [B,Q,h,w], dynamic batch); Hub layout.""")


class Outputs(torch.nn.Module):
    """Exposes the named outputs of a model's forward pass as a tuple."""

    def __init__(self, m, names):
        super().__init__()
        self.m, self.names = m, names

    def forward(self, pixel_values):
        o = self.m(pixel_values=pixel_values)
        return tuple(getattr(o, n) for n in self.names)


def detr_panoptic():
    """Optimum exports DETR for object detection only: torch.onnx.export
    reproduces the panoptic export's signature (pixel_values → logits
    [B,Q,C+1], pred_boxes [B,Q,4], pred_masks [B,Q,H/4,W/4], dynamic batch)."""
    torch.manual_seed(0)
    d = os.path.join(OUT, "detr-panoptic")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cfg = DetrConfig(use_timm_backbone=False, use_pretrained_backbone=False,
                     backbone_config=ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 32, 64], depths=[1, 1, 1, 1],
                                                  out_features=["stage1", "stage2", "stage3", "stage4"]),
                     d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=8, decoder_attention_heads=8,
                     encoder_ffn_dim=64, decoder_ffn_dim=64, num_queries=8, num_labels=len(CITYSCAPES),
                     id2label={i: l for i, l in enumerate(CITYSCAPES)}, label2id={l: i for i, l in enumerate(CITYSCAPES)})
    model = DetrForSegmentation(cfg).eval()
    with torch.no_grad():  # confident classes, as for the Mask2Former twin
        model.detr.class_labels_classifier.weight.mul_(60)
        model.detr.class_labels_classifier.bias.zero_()
        model.detr.class_labels_classifier.bias[-1] = -20
    names = ["logits", "pred_boxes", "pred_masks"]
    torch.onnx.export(Outputs(model, names), (torch.randn(2, 3, 64, 64),), os.path.join(d, "model.onnx"),
                      input_names=["pixel_values"], output_names=names,
                      dynamic_axes={n: {0: "batch_size"} for n in ["pixel_values"] + names}, opset_version=17, dynamo=False)
    cfg.save_pretrained(d)
    DetrImageProcessor(size={"height": 64, "width": 64}, do_pad=False).save_pretrained(d)
    note(d, """DETR-panoptic (DetrForSegmentation), 19 Cityscapes labels, a tiny ResNet backbone from its config (no timm,
no download), random weights with the class head scaled up, 64×64 input; the Optimum layout (graph at the root).
Optimum exports DETR for detection only: made by scripts/make_models.py with torch.onnx.export, reproducing the
panoptic export's signature (pixel_values → logits, pred_boxes, pred_masks, dynamic batch).""")


def byte_bpe(lines, size=400):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=size, special_tokens=["<|endoftext|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return GPT2TokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                             pad_token="<|endoftext|>")


def wordpiece(lines, size=300):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.train_from_iterator(lines, trainers.WordPieceTrainer(vocab_size=size, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    return BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                             cls_token="[CLS]", mask_token="[MASK]")


def vit():
    return ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64)


def captioner(name, decoder_cfg, tokenizer, task, hub_layout, how):
    # Each twin its own seed, so adding a twin changes no other; with seed 2
    # greedy decoding of the random weights does not end at the first token.
    torch.manual_seed(2)
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(vit(), decoder_cfg)
    model = VisionEncoderDecoderModel(cfg).eval()
    start = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    end = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
    model.config.decoder_start_token_id = start
    model.config.eos_token_id = end
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.decoder_start_token_id = start
    model.generation_config.eos_token_id = end
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.max_length = 8
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(tmp)
        main_export(tmp, os.path.join(tmp, "export"), task=task, do_validation=False)
        ex = os.path.join(tmp, "export")
        graphs = [f for f in os.listdir(ex) if f.endswith(".onnx")]
        gdir = os.path.join(d, "onnx") if hub_layout else d
        os.makedirs(gdir)
        for f in os.listdir(ex):
            if f.endswith(".onnx") or f.endswith(".onnx_data"):
                shutil.copy(os.path.join(ex, f), gdir)
            elif f.endswith(".json") or f.endswith(".txt"):
                shutil.copy(os.path.join(ex, f), d)
    # Every graph also in a quantized and a float16 variant, as Hub repositories ship them.
    for g in sorted(graphs):
        if g != "decoder_model_merged.onnx":
            variants(os.path.join(gdir, g), gdir)
    if "decoder_model_merged.onnx" in graphs:
        # Converting a merged decoder's If subgraphs to float16 gives an
        # invalid graph; the variants are merged from the converted decoders,
        # as optimum merges the float32 ones.
        for v in ("_fp16", "_quantized"):
            merge_decoders(os.path.join(gdir, "decoder_model" + v + ".onnx"), os.path.join(gdir, "decoder_with_past_model" + v + ".onnx"),
                           save_path=os.path.join(gdir, "decoder_model_merged" + v + ".onnx"), strict=False)
    # The encoder keeps its weights in an external data file, as large exports do.
    enc = os.path.join(gdir, "encoder_model.onnx")
    onnx.save_model(onnx.load(enc), enc, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="encoder_model.onnx_data", size_threshold=0)
    note(d, how + "\nGraphs: " + ", ".join(sorted(graphs)) + ", each also as _quantized (onnxruntime quantize_dynamic, QUInt8) and _fp16 (onnxruntime.transformers.float16, float16 inputs and outputs; the merged variants merged from those with optimum's merge_decoders); encoder_model.onnx keeps its weights in encoder_model.onnx_data.")


def florence_tokens():
    """The tokens Florence-2's processor adds to BART's vocabulary."""
    return (["<od>", "</od>", "<ocr>", "</ocr>"] + [f"<loc_{i}>" for i in range(1000)] +
            ["<cap>", "</cap>", "<ncap>", "</ncap>", "<dcap>", "</dcap>", "<grounding>", "</grounding>", "<seg>", "</seg>",
             "<sep>", "<region_cap>", "</region_cap>", "<region_to_desciption>", "</region_to_desciption>", "<proposal>",
             "</proposal>", "<poly>", "</poly>", "<and>"])

def bart_tok(lines, size=400):
    """A BART-style byte-level BPE tokenizer (<s> … </s>) with Florence-2's tokens and the <image> token."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=size, special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(sep=("</s>", 2), cls=("<s>", 0))
    fast = BartTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
                             cls_token="<s>", sep_token="</s>", mask_token="<unk>",
                             extra_special_tokens={"image_token": "<image>"})
    fast.add_special_tokens({"additional_special_tokens": florence_tokens()})
    fast.add_tokens([AddedToken("<image>", special=True)], special_tokens=True)
    return fast

def florence2(lines):
    """Florence-2 in the layout of onnx-community/Florence-2-base-ft, which
    transformers.js loads: onnx/vision_encoder.onnx (pixel_values →
    image_features), embed_tokens.onnx (input_ids → inputs_embeds),
    encoder_model.onnx (inputs_embeds, attention_mask → last_hidden_state),
    decoder_model_merged.onnx (encoder_attention_mask, encoder_hidden_states,
    inputs_embeds, past_key_values.N.{decoder,encoder}.{key,value},
    use_cache_branch → logits, present.*). Optimum has no Florence-2
    exporter; the names and dynamic axes are read from transformers.js'
    Florence2ForConditionalGeneration (models/florence2) and the Hub repository.
    The twin is a tiny Florence2ForConditionalGeneration (transformers' own
    port) with a BART tokenizer trained on the prompts plus Florence-2's 1,024
    task and location tokens; transformers' greedy generate on four fixed
    images writes annotators/testdata/florence2/golden.json, which the Go loop
    must match id for id."""
    tok = bart_tok(lines)
    torch.manual_seed(3)
    d = os.path.join(OUT, "florence2")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "onnx"))
    V = len(tok)
    text = BartConfig(vocab_size=V, d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                      decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128,
                      bos_token_id=0, pad_token_id=1, eos_token_id=2, decoder_start_token_id=2, forced_bos_token_id=0,
                      forced_eos_token_id=2, scale_embedding=False)
    vision = Florence2VisionConfig(depths=[1, 1], patch_size=[7, 3], patch_stride=[4, 2], patch_padding=[3, 1],
                                   patch_prenorm=[False, True], embed_dim=[16, 32], num_heads=[2, 4], num_groups=[2, 4],
                                   window_size=4, projection_dim=32, max_temporal_embeddings=4, max_position_embeddings=16)
    cfg = Florence2Config(text_config=text.to_dict(), vision_config=vision.to_dict(), image_token_id=tok.image_token_id)
    model = Florence2ForConditionalGeneration(cfg).eval()
    gen = GenerationConfig(decoder_start_token_id=2, bos_token_id=0, eos_token_id=2, pad_token_id=1, forced_bos_token_id=0,
                           forced_eos_token_id=2, no_repeat_ngram_size=3, num_beams=3, max_length=20)
    model.generation_config = gen

    class Vision(torch.nn.Module):
        def __init__(s, m): super().__init__(); s.m = m
        def forward(s, pixel_values): return s.m.get_image_features(pixel_values)
    class Embed(torch.nn.Module):
        def __init__(s, m): super().__init__(); s.m = m
        def forward(s, input_ids): return s.m.get_input_embeddings()(input_ids)
    class Enc(torch.nn.Module):
        def __init__(s, m): super().__init__(); s.m = m
        def forward(s, inputs_embeds, attention_mask):
            return s.m.model.language_model.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
    L = text.decoder_layers
    class Dec(torch.nn.Module):
        def __init__(s, m, past): super().__init__(); s.m, s.past = m, past
        def forward(s, encoder_attention_mask, encoder_hidden_states, inputs_embeds, *pkv):
            cache = None
            if s.past:
                cache = EncoderDecoderCache.from_legacy_cache(tuple(tuple(pkv[4 * i:4 * i + 4]) for i in range(L)))
            o = s.m.model.language_model.decoder(inputs_embeds=inputs_embeds, encoder_hidden_states=encoder_hidden_states,
                                                 encoder_attention_mask=encoder_attention_mask, past_key_values=cache, use_cache=True)
            logits = s.m.lm_head(o.last_hidden_state)
            out = [logits]
            for layer in o.past_key_values.to_legacy_cache():
                out += list(layer[:2]) if s.past else list(layer)
            return tuple(out)

    g = os.path.join(d, "onnx")
    B = 2
    px = torch.randn(B, 3, 64, 64)
    torch.onnx.export(Vision(model), (px,), f"{g}/vision_encoder.onnx", input_names=["pixel_values"], output_names=["image_features"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size", 1: "sequence_length"}},
                      opset_version=17, dynamo=False)
    ids = torch.randint(3, 300, (B, 7))
    torch.onnx.export(Embed(model), (ids,), f"{g}/embed_tokens.onnx", input_names=["input_ids"], output_names=["inputs_embeds"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
                      opset_version=17, dynamo=False)
    emb = torch.randn(B, 72, 32); mask = torch.ones(B, 72, dtype=torch.int64)
    torch.onnx.export(Enc(model), (emb, mask), f"{g}/encoder_model.onnx", input_names=["inputs_embeds", "attention_mask"],
                      output_names=["last_hidden_state"],
                      dynamic_axes={"inputs_embeds": {0: "batch_size", 1: "encoder_sequence_length"}, "attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
                                    "last_hidden_state": {0: "batch_size", 1: "encoder_sequence_length"}}, opset_version=17, dynamo=False)
    H, hd = text.decoder_attention_heads, text.d_model // text.decoder_attention_heads
    enc_h = torch.randn(B, 72, 32)
    names_in, names_out, past = [], [], []
    for i in range(L):
        for who in ("decoder", "encoder"):
            for kv in ("key", "value"):
                names_in.append(f"past_key_values.{i}.{who}.{kv}")
                names_out.append(f"present.{i}.{who}.{kv}")
                past.append(torch.randn(B, H, 5 if who == "decoder" else 72, hd))
    axes = {"encoder_attention_mask": {0: "batch_size", 1: "encoder_sequence_length"},
            "encoder_hidden_states": {0: "batch_size", 1: "encoder_sequence_length"},
            "inputs_embeds": {0: "batch_size", 1: "decoder_sequence_length"}, "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for n in names_in:
        axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length" if ".decoder." in n else "encoder_sequence_length_out"}
    for n in names_out:
        axes[n] = {0: "batch_size", 2: "past_decoder_sequence_length + 1" if ".decoder." in n else "encoder_sequence_length_out"}
    common = ["encoder_attention_mask", "encoder_hidden_states", "inputs_embeds"]
    with tempfile.TemporaryDirectory() as tmp:
        torch.onnx.export(Dec(model, False), (mask, enc_h, torch.randn(B, 3, 32)), f"{tmp}/decoder_model.onnx", input_names=common,
                          output_names=["logits"] + names_out, dynamic_axes={k: v for k, v in axes.items() if k in common + ["logits"] + names_out},
                          opset_version=17, dynamo=False)
        dec_out = [n for n in names_out if ".decoder." in n]
        torch.onnx.export(Dec(model, True), (mask, enc_h, torch.randn(B, 1, 32), *past), f"{tmp}/decoder_with_past_model.onnx",
                          input_names=common + names_in, output_names=["logits"] + dec_out,
                          dynamic_axes={k: v for k, v in axes.items() if k in common + names_in + ["logits"] + dec_out},
                          opset_version=17, dynamo=False)
        merge_decoders(f"{tmp}/decoder_model.onnx", f"{tmp}/decoder_with_past_model.onnx", save_path=f"{g}/decoder_model_merged.onnx", strict=False)

    # torch.onnx.export leaves a module in the mode it found it in, and the
    # wrappers were made in training mode: back to eval, or dropout is on below.
    model.eval()
    cfg.save_pretrained(d)
    gen.save_pretrained(d)
    tok.save_pretrained(d)
    ip = CLIPImageProcessor(size={"height": 64, "width": 64}, crop_size={"height": 64, "width": 64}, do_center_crop=False,
                            image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225], resample=3)
    ip.image_seq_length = 65
    BANNED = ["it", "its", "image", "the image", "they", "them", "this", "there"]
    post_cfg = {"pure_text": {}, "ocr": {"pattern": r"(.+?)<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>", "area_threshold": 0.0},
                "phrase_grounding": {"banned_grounding_tokens": BANNED}, "description_with_bboxes": {}, "description_with_polygons": {},
                "polygons": {}, "bboxes": {}, "description_with_bboxes_or_polygons": {}}
    proc = Florence2Processor(image_processor=ip, tokenizer=tok, post_processor_config=post_cfg)
    proc.save_pretrained(d)


    # Golden: what transformers' own generate (greedy) and post-processing make of
    # fixed images, for annotators' TestFlorenceMatchesTransformers.
    gold = os.path.join("annotators", "testdata", "florence2")
    shutil.rmtree(gold, ignore_errors=True)
    os.makedirs(gold)
    imgs = []
    for i in range(4):
        im = Image.new("RGB", (64, 64), (20 + 60 * i, 200 - 40 * i, 90 + 30 * (i % 2)))
        dr = ImageDraw.Draw(im)
        dr.ellipse([8 + 4 * i, 10, 40 + 4 * i, 42], fill=(230, 30 + 50 * i, 40))
        dr.rectangle([30, 36 - 3 * i, 60, 60], fill=(40, 60, 200 - 30 * i))
        im.save(os.path.join(gold, f"image{i}.png"))
        imgs.append(im)
    cases = [("<CAPTION>", ["", "", "", ""], 12), ("<DETAILED_CAPTION>", ["", ""], 16),
             ("<CAPTION_TO_PHRASE_GROUNDING>", ["a red ball", "two blue boxes and a green cat", "a cat", "the sky"], 24)]
    out = []
    for task, inputs, new in cases:
        ims = imgs[:len(inputs)]
        batch = proc(images=ims, text=[task + x for x in inputs], return_tensors="pt", padding=True)
        with torch.no_grad():
            seqs = model.generate(**batch, max_new_tokens=new, num_beams=1, do_sample=False)
        for b in range(len(inputs)):
            raw = proc.batch_decode(seqs[b:b + 1], skip_special_tokens=False)[0]
            post = proc.post_process_generation(raw, task=task, image_size=(64, 64))[task]
            if isinstance(post, dict):
                post = {"bboxes": [[float(v) for v in bb] for bb in post["bboxes"]], "labels": post["labels"]}
            out.append({"task": task, "input": inputs[b], "image": f"image{b}.png", "max_new_tokens": new,
                        "batch": len(inputs), "prompt_ids": batch["input_ids"][b].tolist()[proc.num_image_tokens:],
                        "ids": seqs[b].tolist(), "text": raw, "post": post})
    with open(os.path.join(gold, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    # Beam search as the generation config asks (num_beams 3, length_penalty 1,
    # early_stopping false), and with early stopping and a length penalty:
    # the ids `--beams N` must reproduce, token for token.
    beams = []
    for task, inputs, new, nb, extra in [("<CAPTION>", ["", "", "", ""], 12, 3, {}),
                                         ("<DETAILED_CAPTION>", ["", ""], 16, 4, {}),
                                         ("<CAPTION_TO_PHRASE_GROUNDING>", ["a red ball", "two blue boxes and a green cat", "a cat"], 24, 3, {}),
                                         ("<CAPTION>", ["", "", ""], 14, 2, {"early_stopping": True, "length_penalty": 0.6}),
                                         ("<MORE_DETAILED_CAPTION>", ["", ""], 18, 5, {"early_stopping": "never", "length_penalty": 2.0}),
                                         # An end token the twin reaches mid-search (its own, 2, it never
                                         # picks before the forced last one): beams end early, others go on.
                                         ("<CAPTION>", ["", "", ""], 12, 3, {"eos_token_id": 1422}),
                                         ("<DETAILED_CAPTION>", ["", ""], 16, 4, {"eos_token_id": 973}),
                                         ("<CAPTION>", ["", ""], 14, 3, {"eos_token_id": 966, "early_stopping": True}),
                                         ("<CAPTION_TO_PHRASE_GROUNDING>", ["a red ball", "two blue boxes and a green cat"], 20, 4,
                                          {"eos_token_id": 1203, "length_penalty": 0.5}),
                                         # An end token the twin favours: hypotheses finish early and the
                                         # search stops before max_new_tokens once none running can win.
                                         ("<CAPTION>", ["", "", ""], 16, 3, {"eos_token_id": 1094}),
                                         ("<DETAILED_CAPTION>", ["", ""], 16, 2, {"eos_token_id": 0, "early_stopping": True}),
                                         ("<CAPTION>", ["", ""], 16, 3, {"eos_token_id": 1094, "early_stopping": "never", "length_penalty": 1.5})]:
        ims = imgs[:len(inputs)]
        batch = proc(images=ims, text=[task + x for x in inputs], return_tensors="pt", padding=True)
        with torch.no_grad():
            got = model.generate(**batch, max_new_tokens=new, num_beams=nb, do_sample=False, num_return_sequences=nb,
                                 return_dict_in_generate=True, output_scores=True, **extra)
        for b in range(len(inputs)):
            # Every finished hypothesis, best first, with its score: the
            # whole search, not only its winner, must match.
            hyps = [{"ids": got.sequences[b * nb + j].tolist(), "score": float(got.sequences_scores[b * nb + j])} for j in range(nb)]
            beams.append({"task": task, "input": inputs[b], "image": f"image{b}.png", "max_new_tokens": new, "batch": len(inputs),
                          "num_beams": nb, "early_stopping": extra.get("early_stopping", False),
                          "length_penalty": extra.get("length_penalty", 1.0), "eos_token_id": extra.get("eos_token_id", 2),
                          "steps": len(got.scores), "ids": hyps[0]["ids"], "hypotheses": hyps})
    with open(os.path.join(gold, "beams.json"), "w", encoding="utf-8") as f:
        json.dump(beams, f, ensure_ascii=False, indent=1)
    # , o["ids"][:8], repr(o["text"][:60]), o["post"] if not isinstance(o["post"], str) else repr(o["post"][:40]))
    note(d, """Florence-2 (Florence2ForConditionalGeneration from a config: DaViT depths [1,1], BART d_model 32 with
one encoder and one decoder layer), random weights, 64×64 input (65 image features), a byte-level BPE tokenizer
(400 tokens) trained on T2I-CompBench prompts plus Florence-2's <loc_0>…<loc_999> and task tokens (1,425 in all).
Made by scripts/make_models.py with torch.onnx.export in the onnx-community layout (graphs under onnx/: vision_encoder,
embed_tokens, encoder_model, decoder_model_merged merged by optimum's merge_decoders); optimum has no Florence-2
exporter, so the graph signatures reproduce transformers.js' Florence2ForConditionalGeneration. generation_config.json
as Florence-2's (forced BOS and EOS, no_repeat_ngram_size 3).""")


def clip_tok(lines, size=300):
    """A CLIP-style tokenizer (lowercased words, byte-level BPE with </w> at
    each word's end) saved as CLIP checkpoints ship it: vocab.json and
    merges.txt."""
    tok = Tokenizer(models.BPE(end_of_word_suffix="</w>", unk_token="<|endoftext|>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.BPEDecoder(suffix="</w>")
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    tok.train_from_iterator([l.lower() for l in lines] + ["the task is panoptic", "the task is semantic", "the task is instance"],
                            trainers.BpeTrainer(vocab_size=size, special_tokens=["<|startoftext|>", "<|endoftext|>"],
                                                end_of_word_suffix="</w>", initial_alphabet=alphabet + [a + "</w>" for a in alphabet]))
    return CLIPTokenizerFast(tokenizer_object=tok, bos_token="<|startoftext|>", eos_token="<|endoftext|>",
                             pad_token="<|endoftext|>", unk_token="<|endoftext|>")


def oneformer(lines):
    """OneFormer (panoptic, with a task prompt). Optimum has no OneFormer
    exporter and the Hub has no published ONNX export: torch.onnx.export
    writes the model's own forward signature (pixel_values float32
    [B,3,H,W], task_inputs int64 [B,77] — the CLIP token ids of "the task is
    panoptic", which OneFormer's task MLP reads as numbers — →
    class_queries_logits [B,Q,C+1], masks_queries_logits [B,Q,H/4,W/4];
    dynamic batch). The directory is laid out as shi-labs/oneformer_*
    checkpoints are: CLIP's vocab.json and merges.txt (no tokenizer.json) and
    a class_info_file naming each class and whether it is a thing. What
    transformers' processor and post-processing make of four fixed images
    goes to annotators/testdata/oneformer/golden.json."""
    torch.manual_seed(0)
    d = os.path.join(OUT, "oneformer")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "onnx"))
    things = {"person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"}
    with open(os.path.join(d, "cityscapes_panoptic.json"), "w") as f:
        json.dump({str(i): {"name": l, "isthing": int(l in things)} for i, l in enumerate(CITYSCAPES)}, f, indent=1)
    backbone = SwinConfig(image_size=64, patch_size=4, embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1],
                          window_size=4, out_features=["stage1", "stage2", "stage3", "stage4"])
    cfg = OneFormerConfig(backbone_config=backbone, hidden_dim=32, conv_dim=32, mask_dim=32, encoder_feedforward_dim=64,
                          dim_feedforward=64, encoder_layers=1, decoder_layers=2, num_attention_heads=2, num_queries=8,
                          text_encoder_width=32, text_encoder_num_layers=1, text_encoder_context_length=77,
                          text_encoder_proj_layers=1, text_encoder_n_ctx=4, task_seq_len=77, max_seq_len=77,
                          text_encoder_vocab_size=300, num_labels=len(CITYSCAPES), id2label=dict(enumerate(CITYSCAPES)),
                          label2id={l: i for i, l in enumerate(CITYSCAPES)})
    model = OneFormerForUniversalSegmentation(cfg).eval()
    with torch.no_grad():  # confident classes, as for the Mask2Former twin
        head = model.model.transformer_module.decoder.class_embed
        head.weight.mul_(60)
        head.bias.zero_()
        head.bias[-1] = -20

    class Queries(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, pixel_values, task_inputs):
            o = self.m(pixel_values=pixel_values, task_inputs=task_inputs)
            return o.class_queries_logits, o.masks_queries_logits

    tok = clip_tok(lines)
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        for f in ("vocab.json", "merges.txt", "special_tokens_map.json"):
            shutil.copy(os.path.join(tmp, f), d)
    slow = CLIPTokenizer(os.path.join(d, "vocab.json"), os.path.join(d, "merges.txt"), bos_token="<|startoftext|>",
                         eos_token="<|endoftext|>", pad_token="<|endoftext|>", unk_token="<|endoftext|>")
    slow.save_pretrained(d)
    for f in ("added_tokens.json", "tokenizer.json"):
        if os.path.exists(os.path.join(d, f)):
            os.remove(os.path.join(d, f))
    ip = OneFormerImageProcessor(size={"shortest_edge": 64, "longest_edge": 128}, class_info_file="cityscapes_panoptic.json",
                                 repo_path=d, num_labels=len(CITYSCAPES))
    proc = OneFormerProcessor(image_processor=ip, tokenizer=slow)
    x = torch.randn(2, 3, 64, 64)
    t = proc.tokenizer(["the task is panoptic"] * 2, padding="max_length", max_length=77, return_tensors="pt").input_ids
    torch.onnx.export(Queries(model), (x, t), os.path.join(d, "onnx", "model.onnx"), input_names=["pixel_values", "task_inputs"],
                      output_names=["class_queries_logits", "masks_queries_logits"],
                      dynamic_axes={n: {0: "batch_size"} for n in ["pixel_values", "task_inputs", "class_queries_logits", "masks_queries_logits"]},
                      opset_version=17, dynamo=False)
    model.eval()  # torch.onnx.export left it in the wrapper's training mode
    cfg.save_pretrained(d)
    proc.save_pretrained(d)
    # As shi-labs checkpoints name it: the class info lives in the demo repository.
    pc = os.path.join(d, "preprocessor_config.json")
    with open(pc) as f:
        pcj = json.load(f)
    pcj["repo_path"] = "shi-labs/oneformer_demo"
    with open(pc, "w") as f:
        json.dump(pcj, f, indent=2)

    gold = os.path.join("annotators", "testdata", "oneformer")
    shutil.rmtree(gold, ignore_errors=True)
    os.makedirs(gold)
    imgs = []
    for i in range(4):
        im = Image.new("RGB", (64, 64), (30 + 50 * i, 180 - 30 * i, 60 + 40 * (i % 2)))
        dr = ImageDraw.Draw(im)
        dr.ellipse([6 + 5 * i, 8, 38 + 5 * i, 40], fill=(220, 40 + 40 * i, 30))
        dr.rectangle([28, 30 - 4 * i, 62, 62], fill=(30, 70, 210 - 40 * i))
        im.save(os.path.join(gold, f"image{i}.png"))
        imgs.append(im)
    batch = proc(images=imgs, task_inputs=["panoptic"] * 4, return_tensors="pt")
    with torch.no_grad():
        out = model(pixel_values=batch["pixel_values"], task_inputs=batch["task_inputs"])
    res = ip.post_process_panoptic_segmentation(out)
    tasks = {t: proc.tokenizer(f"the task is {t}", padding="max_length", max_length=77).input_ids for t in ("panoptic", "semantic", "instance")}
    golden = {"task_inputs": tasks, "images": []}
    for i, r in enumerate(res):
        seg = r["segmentation"].to(torch.int64)
        label = {s["id"]: s["label_id"] for s in r["segments_info"]}
        golden["images"].append({"image": f"image{i}.png", "labels": [[label.get(int(v), -1) for v in row] for row in seg.tolist()],
                                 "segments": len(r["segments_info"])})
    with open(os.path.join(gold, "golden.json"), "w") as f:
        json.dump(golden, f)
    note(d, """OneFormer (panoptic segmentation with a task prompt), 19 Cityscapes labels, random weights, 64×64 input, a
CLIP-style tokenizer (300 tokens, vocab.json and merges.txt) trained on T2I-CompBench prompts, a class_info_file with the
thing/stuff split. Optimum has no OneFormer exporter and no ONNX export is published: made by scripts/make_models.py with
torch.onnx.export of the model's own signature (pixel_values, task_inputs int64 [B,77] → class_queries_logits,
masks_queries_logits, dynamic batch); Hub layout.""")


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = corpus()
    if len(sys.argv) > 2:  # named families only: scripts/make_models.py OUT florence2
        for name in sys.argv[2:]:
            {"florence2": florence2}[name](lines)
        return
    segformer()
    mask2former()
    detr_panoptic()
    gpt2_tok = byte_bpe(lines)
    captioner("vit-gpt2", GPT2Config(vocab_size=len(gpt2_tok), n_positions=32, n_embd=32, n_layer=1, n_head=2,
                                     add_cross_attention=True, bos_token_id=gpt2_tok.bos_token_id,
                                     eos_token_id=gpt2_tok.eos_token_id),
              gpt2_tok, "image-to-text-with-past", hub_layout=False,
              how="""ViT encoder + GPT-2 decoder (VisionEncoderDecoder, image-to-text-with-past), random weights, 32×32 input,
a byte-level BPE tokenizer (400 tokens) trained on T2I-CompBench prompts. Made by scripts/make_models.py with
optimum main_export; the Optimum layout (graphs at the root), separate, with-past and merged decoders.""")
    bert_tok = wordpiece(lines)
    captioner("vit-bert", BertConfig(vocab_size=len(bert_tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64, max_position_embeddings=32, is_decoder=True,
                                     add_cross_attention=True),
              bert_tok, "image-to-text", hub_layout=True,
              how="""ViT encoder + BERT decoder (VisionEncoderDecoder, image-to-text), random weights, 32×32 input, a WordPiece
tokenizer (300 tokens, tokenizer.json) trained on T2I-CompBench prompts, as BLIP- and GIT-style captioners
use. Made by scripts/make_models.py with optimum main_export; the Hub layout (graphs under onnx/).""")
    florence2(lines)
    oneformer(lines)


if __name__ == "__main__":
    main()
