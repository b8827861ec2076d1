// Package florence2 runs Florence-2 as onnx-community exports it (vision
// encoder, token embedding, encoder, merged decoder): captions of a task
// and phrase grounding, generated as transformers does.
package florence2

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/florence"
	"github.com/twigdata/twigdata/annotators/preprocess"
	"github.com/twigdata/twigdata/annotators/tokenizer"
	"github.com/twigdata/twigdata/stages/evidence"
)

// Florence is a Florence-2 model as Hugging Face ONNX exports ship it
// (onnx-community/Florence-2-*, and what transformers.js loads): a vision
// encoder, the token embedding, a BART encoder and a merged BART decoder. It
// captions images (<CAPTION>, <DETAILED_CAPTION>, <MORE_DETAILED_CAPTION>) and
// grounds phrases in them (<CAPTION_TO_PHRASE_GROUNDING>), decoding greedily
// with its generation config's forced tokens and n-gram ban and a KV cache.
type Model struct {
	vision, embed, encoder, decoder *annotators.Session
	pastNames                       []string
	pastShapes                      [][]int64
	pre                             preprocess.Processor
	enc                             *tokenizer.BPEEncoder
	dec                             tokenizer.Decoder
	gen                             generation
	beams                           beamConfig
	banned                          map[string]bool
	task                            string // the caption task
	id                              string
}

// generation is what greedy decoding needs from a generation config.
type generation struct {
	start, bos, eos, pad int64
	forcedBOS, forcedEOS int64 // -1: none
	noRepeat             int   // no_repeat_ngram_size; 0: off
	captionTokens        int   // new tokens a caption may take
	groundTokens         int   // new tokens a grounding may take
}

type florenceIDs struct {
	DecoderStart      *int64          `json:"decoder_start_token_id"`
	BOS               *int64          `json:"bos_token_id"`
	EOS               *int64          `json:"eos_token_id"`
	Pad               *int64          `json:"pad_token_id"`
	ForcedBOS         *int64          `json:"forced_bos_token_id"`
	ForcedEOS         *int64          `json:"forced_eos_token_id"`
	NoRepeatNGramSize *int            `json:"no_repeat_ngram_size"`
	NumBeams          *int            `json:"num_beams"`
	LengthPenalty     *float64        `json:"length_penalty"`
	EarlyStopping     json.RawMessage `json:"early_stopping"`
}

type florenceConfig struct {
	ModelType  string      `json:"model_type"`
	TextConfig florenceIDs `json:"text_config"`
	florenceIDs
}

// Tasks are the Florence-2 tasks that describe an image in words.
func Tasks() []string {
	return []string{"<CAPTION>", "<DETAILED_CAPTION>", "<MORE_DETAILED_CAPTION>"}
}

// IsFlorence reports whether a captioner directory holds a Florence-2 export
// (its vision_encoder graph), which Load opens instead of captioner.Load.
func IsFlorence(dir annotators.ModelDir) bool { return len(dir.VariantsOf("vision_encoder")) > 0 }

// florenceGraphs are the four graphs of a Florence-2 export, in run order.
var florenceGraphs = []string{"vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"}

// Load opens a Florence-2 directory: onnx/vision_encoder.onnx
// (pixel_values → image_features), embed_tokens.onnx (input_ids →
// inputs_embeds), encoder_model.onnx (inputs_embeds, attention_mask →
// last_hidden_state) and decoder_model_merged.onnx (inputs_embeds,
// encoder_hidden_states, encoder_attention_mask, use_cache_branch,
// past_key_values.* → logits, present.*), at the root or under onnx/, in the
// directory's variant; config.json and generation_config.json for the
// special ids, tokenizer.json, preprocessor_config.json, and
// processor_config.json for the phrases grounding never returns. task is the
// caption task (one of Tasks; "" is <CAPTION>).
func Load(dir annotators.ModelDir, dev annotators.Device, task string) (*Model, error) {
	dir.Role = "captioner"
	if task == "" {
		task = "<CAPTION>"
	}
	if !slices.Contains(Tasks(), task) {
		return nil, fmt.Errorf("--caption-task %s: want one of %s", task, strings.Join(Tasks(), ", "))
	}
	var missing []string
	for _, f := range []string{"config.json", "preprocessor_config.json", "tokenizer.json"} {
		if _, err := fs.Stat(dir.FS, f); err != nil {
			missing = append(missing, f)
		}
	}
	for _, g := range florenceGraphs {
		if len(dir.VariantsOf(g)) == 0 {
			missing = append(missing, g+".onnx")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("Florence-2 model directory %s: missing %s (a Florence-2 export holds onnx/vision_encoder.onnx, embed_tokens.onnx, encoder_model.onnx and decoder_model_merged.onnx beside config.json, preprocessor_config.json and tokenizer.json, as onnx-community/Florence-2-base-ft does)",
			dir.Name, strings.Join(missing, ", "))
	}
	f := &Model{task: task}
	var err error
	if f.gen, f.beams, err = readGeneration(dir); err != nil {
		return nil, err
	}
	data, err := dir.Read("tokenizer.json")
	if err != nil {
		return nil, err
	}
	if f.enc, err = tokenizer.EncoderFromJSON(data); err != nil {
		return nil, fmt.Errorf("Florence-2 model directory %s: %w", dir.Name, err)
	}
	if f.dec, err = tokenizer.FromJSONKeepingAdded(data, int(f.gen.bos), int(f.gen.eos), int(f.gen.pad)); err != nil {
		return nil, fmt.Errorf("Florence-2 model directory %s: %w", dir.Name, err)
	}
	if f.pre, err = dir.Preprocessor(); err != nil {
		return nil, err
	}
	if f.banned, err = bannedPhrases(dir); err != nil {
		return nil, err
	}
	if err := f.open(dir, dev); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// readGeneration reads the special ids and decoding rules: generation_config.json
// wins over config.json, whose top level wins over its text_config.
func readGeneration(dir annotators.ModelDir) (generation, beamConfig, error) {
	bc := beamConfig{n: 1, lengthPenalty: 1, earlyStopping: "false", configured: 1}
	var cfg florenceConfig
	if err := dir.JSON("config.json", &cfg); err != nil {
		return generation{}, bc, err
	}
	var gen florenceIDs
	if _, err := fs.Stat(dir.FS, "generation_config.json"); err == nil {
		if err := dir.JSON("generation_config.json", &gen); err != nil {
			return generation{}, bc, err
		}
	}
	for _, c := range []florenceIDs{gen, cfg.florenceIDs, cfg.TextConfig} {
		if c.NumBeams != nil && bc.configured == 1 {
			bc.configured = max(1, *c.NumBeams)
		}
		if c.LengthPenalty != nil && bc.lengthPenalty == 1 {
			bc.lengthPenalty = *c.LengthPenalty
		}
	}
	for _, c := range []florenceIDs{gen, cfg.florenceIDs, cfg.TextConfig} {
		if len(c.EarlyStopping) > 0 {
			es, err := readEarlyStopping(c.EarlyStopping)
			if err != nil {
				return generation{}, bc, fmt.Errorf("Florence-2 model directory %s: %w", dir.Name, err)
			}
			bc.earlyStopping = es
			break
		}
	}
	pick := func(get func(florenceIDs) *int64) (int64, bool) {
		return annotators.FirstID(get(gen), get(cfg.florenceIDs), get(cfg.TextConfig))
	}
	g := generation{forcedBOS: -1, forcedEOS: -1, captionTokens: 40, groundTokens: 128}
	var ok bool
	if g.start, ok = pick(func(c florenceIDs) *int64 { return c.DecoderStart }); !ok {
		return g, bc, fmt.Errorf("Florence-2 model directory %s: neither generation_config.json nor config.json gives decoder_start_token_id", dir.Name)
	}
	if g.eos, ok = pick(func(c florenceIDs) *int64 { return c.EOS }); !ok {
		return g, bc, fmt.Errorf("Florence-2 model directory %s: neither generation_config.json nor config.json gives eos_token_id", dir.Name)
	}
	if g.bos, ok = pick(func(c florenceIDs) *int64 { return c.BOS }); !ok {
		g.bos = g.start
	}
	if g.pad, ok = pick(func(c florenceIDs) *int64 { return c.Pad }); !ok {
		g.pad = g.eos
	}
	if v, ok := pick(func(c florenceIDs) *int64 { return c.ForcedBOS }); ok {
		g.forcedBOS = v
	}
	if v, ok := pick(func(c florenceIDs) *int64 { return c.ForcedEOS }); ok {
		g.forcedEOS = v
	}
	for _, c := range []florenceIDs{gen, cfg.florenceIDs, cfg.TextConfig} {
		if c.NoRepeatNGramSize != nil {
			g.noRepeat = *c.NoRepeatNGramSize
			break
		}
	}
	return g, bc, nil
}

// bannedPhrases reads processor_config.json's banned grounding phrases
// ("it", "the image"), which Florence-2's post-processing drops; without
// the file none are banned.
func bannedPhrases(dir annotators.ModelDir) (map[string]bool, error) {
	banned := map[string]bool{}
	if _, err := fs.Stat(dir.FS, "processor_config.json"); err != nil {
		return banned, nil
	}
	var pc struct {
		Post struct {
			Grounding struct {
				Banned []string `json:"banned_grounding_tokens"`
			} `json:"phrase_grounding"`
		} `json:"post_processor_config"`
	}
	if err := dir.JSON("processor_config.json", &pc); err != nil {
		return nil, err
	}
	for _, b := range pc.Post.Grounding.Banned {
		banned[b] = true
	}
	return banned, nil
}

func (f *Model) open(dir annotators.ModelDir, dev annotators.Device) error {
	float := func(name string, rank int) annotators.TensorSpec {
		return annotators.TensorSpec{Name: name, DType: ort.TensorElementDataTypeFloat, Rank: rank}
	}
	int64s := func(name string, rank int) annotators.TensorSpec {
		return annotators.TensorSpec{Name: name, DType: ort.TensorElementDataTypeInt64, Rank: rank}
	}
	var sums [4]string
	var err error
	if f.vision, sums[0], err = dir.Session("vision_encoder", dev,
		[]annotators.TensorSpec{float("pixel_values", 4)}, []annotators.TensorSpec{float("image_features", 3)}); err != nil {
		return err
	}
	if f.embed, sums[1], err = dir.Session("embed_tokens", dev,
		[]annotators.TensorSpec{int64s("input_ids", 2)}, []annotators.TensorSpec{float("inputs_embeds", 3)}); err != nil {
		return err
	}
	if f.encoder, sums[2], err = dir.Session("encoder_model", dev,
		[]annotators.TensorSpec{float("inputs_embeds", 3), int64s("attention_mask", 2)}, []annotators.TensorSpec{float("last_hidden_state", 3)}); err != nil {
		return err
	}
	names, pasts, presents, shapes, err := annotators.MergedPastSpecs(dir)
	if err != nil {
		return err
	}
	ins := append([]annotators.TensorSpec{int64s("encoder_attention_mask", 2), float("encoder_hidden_states", 3), float("inputs_embeds", 3),
		{Name: "use_cache_branch", DType: ort.TensorElementDataTypeBool, Rank: 1}}, pasts...)
	outs := append([]annotators.TensorSpec{float("logits", 3)}, presents...)
	if f.decoder, sums[3], err = dir.Session("decoder_model_merged", dev, ins, outs); err != nil {
		return err
	}
	f.pastNames, f.pastShapes = names, shapes
	f.id, err = dir.ModelID("florence2", sums[:], "task="+f.task)
	return err
}

// ID is "florence2@<sha256>" over the four graphs, the configuration and
// tokenizer files and the caption task: everything that changes its output.
func (f *Model) ID() string { return f.id }

// Options names the caption task and the beam count, which change every
// caption: a build's fingerprint records them by name.
func (f *Model) Options() map[string]string {
	return map[string]string{"caption-task": strings.ToLower(strings.Trim(f.task, "<>")), "beams": strconv.Itoa(f.beams.n)}
}

// VocabSize is the number of token ids the tokenizer covers.
func (f *Model) VocabSize() int { return f.dec.Size() }

// Preprocessing describes how images are prepared for the vision encoder.
func (f *Model) Preprocessing() string { return f.pre.String() }

// Decoding describes the decoder and how it is used.
func (f *Model) Decoding() string {
	how := "greedy"
	if f.beams.n > 1 {
		how = fmt.Sprintf("beam search of %d beams (length_penalty %g, early_stopping %s)", f.beams.n, f.beams.lengthPenalty, f.beams.earlyStopping)
	} else if f.beams.configured > 1 {
		how = fmt.Sprintf("greedy (its generation config asks for %d beams: --beams %d)", f.beams.configured, f.beams.configured)
	}
	return fmt.Sprintf("Florence-2, merged decoder with a KV cache (decoder_model_merged.onnx), %s; captions by %s, grounding by <CAPTION_TO_PHRASE_GROUNDING>", how, f.task)
}

// SetMaxNewTokens bounds how many tokens a caption and a grounding may take
// (40 and 128 by default: a sentence, and a few phrases of five tokens each).
func (f *Model) SetMaxNewTokens(caption, ground int) {
	f.gen.captionTokens, f.gen.groundTokens = max(1, caption), max(1, ground)
}

// Close releases the sessions.
func (f *Model) Close() error {
	for _, s := range []*annotators.Session{f.vision, f.embed, f.encoder, f.decoder} {
		if s != nil {
			s.Destroy()
		}
	}
	return nil
}

// Caption describes each image with the caption task, one batch per tensor shape.
func (f *Model) Caption(ctx context.Context, imgs []image.Image) ([]string, error) {
	p, err := florence.Prompt(f.task, "")
	if err != nil {
		return nil, err
	}
	prompts := make([]string, len(imgs))
	for i := range prompts {
		prompts[i] = p
	}
	seqs, err := f.Generate(ctx, imgs, prompts, f.gen.captionTokens)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(seqs))
	for i, s := range seqs {
		out[i] = strings.TrimSpace(f.dec.Decode(s))
	}
	return out, nil
}

// Ground finds the phrases of each image in it (<CAPTION_TO_PHRASE_GROUNDING>
// of the phrases joined into one caption), with boxes in the image's pixels.
// An image with no phrases gets none and costs no model call.
func (f *Model) Ground(ctx context.Context, imgs []image.Image, phrases [][]string) ([][]evidence.Grounding, error) {
	out := make([][]evidence.Grounding, len(imgs))
	var sub []image.Image
	var prompts []string
	var idx []int
	for i, ps := range phrases {
		if len(ps) == 0 {
			continue
		}
		p, err := florence.Prompt("<CAPTION_TO_PHRASE_GROUNDING>", strings.Join(ps, ", "))
		if err != nil {
			return nil, err
		}
		sub, prompts, idx = append(sub, imgs[i]), append(prompts, p), append(idx, i)
	}
	if len(sub) == 0 {
		return out, nil
	}
	seqs, err := f.Generate(ctx, sub, prompts, f.gen.groundTokens)
	if err != nil {
		return nil, err
	}
	for n, s := range seqs {
		b := sub[n].Bounds()
		out[idx[n]] = florence.ParseGrounding(f.dec.Decode(s), b.Dx(), b.Dy(), f.banned)
	}
	return out, nil
}

// Generate decodes an answer to prompts[i] about imgs[i] for every image,
// batched by tensor shape, at most maxNew tokens each; each sequence starts
// with the decoder start token, as transformers' generate returns it.
func (f *Model) Generate(ctx context.Context, imgs []image.Image, prompts []string, maxNew int) ([][]int64, error) {
	hyps, err := f.hypotheses(ctx, imgs, prompts, maxNew)
	if err != nil {
		return nil, err
	}
	out := make([][]int64, len(hyps))
	for i, h := range hyps {
		out[i] = h[0].IDs
	}
	return out, nil
}

// Hypothesis is a finished beam: its token ids (the decoder's start token
// first) and its score, the sum of its tokens' log-probabilities over its
// length to the length penalty, as transformers' sequences_scores gives it.
type Hypothesis struct {
	IDs   []int64
	Score float32
}

// GenerateBeams is Generate with a beam search (SetBeams above one): every
// input's finished hypotheses, as many as beams, best first.
func (f *Model) GenerateBeams(ctx context.Context, imgs []image.Image, prompts []string, maxNew int) ([][]Hypothesis, error) {
	if f.beams.n <= 1 {
		return nil, fmt.Errorf("florence: GenerateBeams needs a beam search: SetBeams(n) with n > 1")
	}
	return f.hypotheses(ctx, imgs, prompts, maxNew)
}

// hypotheses runs every batch of the call: one hypothesis per input
// decoded greedily (its score 0), or a beam search's finished ones.
func (f *Model) hypotheses(ctx context.Context, imgs []image.Image, prompts []string, maxNew int) ([][]Hypothesis, error) {
	if len(imgs) == 0 {
		return nil, annotators.ErrEmptyBatch
	}
	if len(prompts) != len(imgs) {
		return nil, fmt.Errorf("florence: %d prompts for %d images", len(prompts), len(imgs))
	}
	if maxNew < 1 {
		return nil, fmt.Errorf("florence: %d new tokens: want at least 1", maxNew)
	}
	out := make([][]Hypothesis, len(imgs))
	for _, b := range f.pre.Group(imgs) {
		got, err := f.generateBatch(ctx, imgs, prompts, b, maxNew)
		if err != nil {
			return nil, err
		}
		for n, i := range b.Idx {
			out[i] = got[n]
		}
	}
	return out, nil
}

// generateBatch runs one batch: the vision encoder, the prompt's embeddings
// after the image features, the encoder once, then the decoder once per token
// for the whole batch, on its cache, until every row has ended. Every run
// goes through an I/O binding: the image features, embeddings, encoder
// states and both caches stay where the sessions run (GPU memory with
// --device cuda:N); what crosses is the pixels and the prompt's ids once,
// then per step the new token ids in and the logits out.
func (f *Model) generateBatch(ctx context.Context, imgs []image.Image, prompts []string, bt preprocess.Batch, maxNew int) ([][]Hypothesis, error) {
	B := int64(len(bt.Idx))
	px, err := ort.NewTensor(ort.NewShape(B, 3, int64(bt.H), int64(bt.W)), f.pre.Pixels(imgs, bt))
	if err != nil {
		return nil, err
	}
	vis, err := annotators.RunBound(f.vision, map[string]ort.Value{"pixel_values": px}, nil, []string{"image_features"})
	if err != nil {
		return nil, fmt.Errorf("florence vision encoder: %w", err)
	}
	feats := vis[0]
	defer feats.Release()
	fsh, err := feats.Shape()
	if err != nil {
		return nil, fmt.Errorf("florence vision encoder: %w", err)
	}
	N := fsh[1]

	// The prompts, padded on the right as BART's tokenizer pads.
	ids := make([][]int64, B)
	var T int64
	for n, i := range bt.Idx {
		if ids[n], err = f.enc.Encode(prompts[i]); err != nil {
			return nil, fmt.Errorf("florence: encode the prompt %q: %w", prompts[i], err)
		}
		T = max(T, int64(len(ids[n])))
	}
	flat := make([]int64, 0, B*T)
	mask := make([]int64, 0, B*(N+T))
	for _, s := range ids {
		for range N {
			mask = append(mask, 1)
		}
		for t := range T {
			if t < int64(len(s)) {
				flat, mask = append(flat, s[t]), append(mask, 1)
			} else {
				flat, mask = append(flat, f.gen.pad), append(mask, 0)
			}
		}
	}
	idt, err := ort.NewTensor(ort.NewShape(B, T), flat)
	if err != nil {
		return nil, err
	}
	text, err := annotators.RunBound(f.embed, map[string]ort.Value{"input_ids": idt}, nil, []string{"inputs_embeds"})
	if err != nil {
		return nil, fmt.Errorf("florence embed_tokens: %w", err)
	}
	// Image features first, then the prompt, as Florence-2 reads them.
	embeds, err := annotators.Concat(f.encoder.Device(), feats, text[0])
	text[0].Release()
	if err != nil {
		return nil, fmt.Errorf("florence: join the image features and the prompt: %w", err)
	}
	defer embeds.Release()
	am, err := ort.NewTensor(ort.NewShape(B, N+T), mask)
	if err != nil {
		return nil, err
	}
	// The mask crosses once: the encoder and every decoder step read it.
	maskR, err := annotators.Place(f.encoder.Device(), am)
	if err != nil {
		return nil, fmt.Errorf("florence: the attention mask: %w", err)
	}
	encOut, err := annotators.RunBound(f.encoder, nil, map[string]*annotators.Resident{"inputs_embeds": embeds, "attention_mask": maskR}, []string{"last_hidden_state"})
	if err != nil {
		maskR.Release()
		return nil, fmt.Errorf("florence encoder: %w", err)
	}
	return f.decode(ctx, encOut[0], maskR, B, maxNew)
}

// stepper runs the decoder one token at a time on a batch whose encoder
// states, mask and caches stay where the sessions run.
type stepper struct {
	f         *Model
	dev       annotators.Device
	enc, mask *annotators.Resident
	cache     []*annotators.Resident // present.* of the last step, bound as past_key_values.*
	dec, emb  *annotators.Binding
	step      int
}

// newStepper takes enc and mask (the encoder's states and attention mask);
// close releases them.
func (f *Model) newStepper(enc, mask *annotators.Resident) (*stepper, error) {
	s := &stepper{f: f, dev: f.decoder.Device(), enc: enc, mask: mask, cache: make([]*annotators.Resident, len(f.pastNames))}
	var err error
	if s.emb, err = f.embed.Bind(); err != nil {
		s.close()
		return nil, err
	}
	s.emb.Outputs([]string{"inputs_embeds"})
	if s.dec, err = f.decoder.Bind(); err != nil {
		s.close()
		return nil, err
	}
	outs := []string{"logits"}
	for _, n := range f.pastNames {
		outs = append(outs, "present."+strings.TrimPrefix(n, "past_key_values."))
	}
	s.dec.Outputs(outs, "logits")
	return s, nil
}

func (s *stepper) close() {
	annotators.ReleaseAll(s.cache)
	s.enc.Release()
	s.mask.Release()
	s.dec.Release()
	s.emb.Release()
}

// next runs one step on each row's newest token: the first on empty past
// tensors, every later one on the cache. The cross-attention entries of the
// cache come from the first step only: they depend on the encoder alone.
// It returns the logits, [rows, V].
func (s *stepper) next(last []int64) ([]float32, int64, error) {
	f, n := s.f, int64(len(last))
	ids, err := ort.NewTensor(ort.NewShape(n, 1), last)
	if err != nil {
		return nil, 0, err
	}
	if err := s.emb.Input("input_ids", ids); err != nil {
		return nil, 0, err
	}
	e, err := s.emb.Run()
	if err != nil {
		return nil, 0, fmt.Errorf("florence embed_tokens: %w", err)
	}
	err = s.dec.Resident("inputs_embeds", e[0])
	e[0].Release()
	if err != nil {
		return nil, 0, err
	}
	if err := s.dec.Resident("encoder_hidden_states", s.enc); err != nil {
		return nil, 0, err
	}
	if err := s.dec.Resident("encoder_attention_mask", s.mask); err != nil {
		return nil, 0, err
	}
	if s.step <= 1 {
		branch, err := ort.NewTensor(ort.NewShape(1), []bool{s.step > 0})
		if err != nil {
			return nil, 0, err
		}
		if err := s.dec.Input("use_cache_branch", branch); err != nil {
			return nil, 0, err
		}
	}
	if s.step == 0 {
		empty, err := annotators.EmptyPasts(n, f.pastShapes)
		if err != nil {
			return nil, 0, err
		}
		for i, name := range f.pastNames {
			if err := s.dec.Input(name, empty[i]); err != nil {
				annotators.DestroyAll(empty[i+1:])
				return nil, 0, err
			}
		}
	} else {
		for i, name := range f.pastNames {
			if err := s.dec.Resident(name, s.cache[i]); err != nil {
				return nil, 0, err
			}
		}
	}
	outs, err := s.dec.Run()
	if err != nil {
		return nil, 0, fmt.Errorf("florence decoder: %w", err)
	}
	for i, r := range outs[1:] {
		if s.step > 0 && strings.Contains(f.pastNames[i], ".encoder.") {
			r.Release() // keep the first step's cross-attention entries
			continue
		}
		s.cache[i].Release()
		s.cache[i] = r
	}
	logits, sh, err := s.dec.Floats("logits", outs[0])
	outs[0].Release()
	if err != nil {
		return nil, 0, fmt.Errorf("florence decoder: logits: %w", err)
	}
	s.step++
	f.decoder.CountGenerated(int(n))
	return logits, sh[2], nil
}

// keep goes on with the rows given, in that order, cut or reordered where
// they are: the self-attention cache always (beams follow their parents),
// the encoder's states, its mask and the cross-attention cache only when
// the inputs change (rows ended, or finished inputs left a beam search):
// they are the same for every beam of an input.
func (s *stepper) keep(rows []int, inputsChanged bool) error {
	var all []*annotators.Resident
	var at []*(*annotators.Resident)
	for i := range s.cache {
		if inputsChanged || !strings.Contains(s.f.pastNames[i], ".encoder.") {
			all, at = append(all, s.cache[i]), append(at, &s.cache[i])
		}
	}
	if inputsChanged {
		all, at = append(all, s.enc, s.mask), append(at, &s.enc, &s.mask)
	}
	err := annotators.GatherAllRows(s.dev, all, rows)
	for i, p := range at {
		*p = all[i]
	}
	return err
}

// decode generates greedily, or with a beam search when the model was
// given beams (SetBeams). It releases enc and mask.
func (f *Model) decode(ctx context.Context, enc, mask *annotators.Resident, B int64, maxNew int) ([][]Hypothesis, error) {
	if f.beams.n > 1 {
		return f.decodeBeams(ctx, enc, mask, B, maxNew)
	}
	s, err := f.newStepper(enc, mask)
	if err != nil {
		enc.Release()
		mask.Release()
		return nil, err
	}
	defer s.close()
	seqs := make([][]int64, B)
	for i := range seqs {
		seqs[i] = []int64{f.gen.start}
	}
	// alive are the rows still generating, by their index in seqs: a row
	// that ends leaves the batch, so its caches and encoder states are cut
	// out where they are and its rows stop being computed.
	alive := annotators.Rows(int(B))
	maxLen := 1 + maxNew
	for step := 0; step < maxNew && len(alive) > 0; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		last := make([]int64, len(alive))
		for i, b := range alive {
			last[i] = seqs[b][len(seqs[b])-1]
		}
		logits, V, err := s.next(last)
		if err != nil {
			return nil, err
		}
		var keep []int // positions in alive of the rows that go on
		for i, b := range alive {
			row := logits[int64(i)*V : int64(i+1)*V] // one new token per step: T is 1
			next := f.gen.pick(row, seqs[b], maxLen)
			seqs[b] = append(seqs[b], next)
			if next != f.gen.eos {
				keep = append(keep, i)
			}
		}
		var cut bool
		if alive, cut = annotators.Remaining(alive, keep); !cut {
			continue
		}
		// Rows ended: the batch goes on with the others only.
		if err := s.keep(keep, true); err != nil {
			return nil, err
		}
	}
	out := make([][]Hypothesis, B)
	for i, seq := range seqs {
		out[i] = []Hypothesis{{IDs: seq}}
	}
	return out, nil
}

// pick chooses the next token of seq from its logits as transformers' greedy
// search does with Florence-2's generation config: repeated n-grams banned,
// the BOS token forced first and the EOS token last, then the highest score
// (the first of equals).
func (g generation) pick(logits []float32, seq []int64, maxLen int) int64 {
	if force := g.forced(seq, maxLen); force >= 0 && int(force) < len(logits) {
		return force
	}
	neg := float32(math.Inf(-1))
	for _, t := range g.banned(seq) {
		if t >= 0 && int(t) < len(logits) {
			logits[t] = neg
		}
	}
	best := 0
	for v := range logits {
		if logits[v] > logits[best] {
			best = v
		}
	}
	return int64(best)
}

// banned are the tokens that would repeat an n-gram of seq
// (no_repeat_ngram_size).
func (g generation) banned(seq []int64) []int64 {
	n := g.noRepeat
	if n <= 0 || len(seq)+1 < n {
		return nil
	}
	var out []int64
	prefix := seq[len(seq)-n+1:]
	for i := 0; i+n <= len(seq); i++ {
		if slices.Equal(seq[i:i+n-1], prefix) {
			out = append(out, seq[i+n-1])
		}
	}
	return out
}

// forced is the token the generation config forces after seq — the BOS
// token first, the EOS token at the last position — or -1.
func (g generation) forced(seq []int64, maxLen int) int64 {
	switch {
	case len(seq) == 1 && g.forcedBOS >= 0:
		return g.forcedBOS
	case len(seq) == maxLen-1 && g.forcedEOS >= 0:
		return g.forcedEOS
	}
	return -1
}

// ParseTask reads --caption-task: caption, detailed_caption or
// more_detailed_caption, with or without Florence-2's angle brackets, in
// any case; "" is <CAPTION>.
func ParseTask(s string) (string, error) {
	if s == "" {
		return "<CAPTION>", nil
	}
	t := "<" + strings.ToUpper(strings.Trim(strings.TrimSpace(s), "<>")) + ">"
	if !slices.Contains(Tasks(), t) {
		return "", fmt.Errorf("--caption-task %q: want caption, detailed_caption or more_detailed_caption", s)
	}
	return t, nil
}
