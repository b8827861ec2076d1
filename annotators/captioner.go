package annotators

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"io/fs"
	"sort"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators/preprocess"
	"github.com/twigdata/twigdata/annotators/tokenizer"
)

// Captioner is a VisionEncoderDecoder-style image captioner decoded greedily.
type Captioner struct {
	encoder, decoder *ort.DynamicAdvancedSession
	// With decoder_with_past_model.onnx: the first step runs first (the full
	// decoder, also returning the cache) and each later step runs past on the
	// newest token only; pastNames are the cache inputs, in order.
	first, past *ort.DynamicAdvancedSession
	pastNames   []string
	useCache    bool
	// With decoder_model_merged.onnx: one graph for both, its use_cache_branch
	// input choosing; the first step gets empty past tensors of pastShapes
	// (batch and length 0 filled in).
	merged          *ort.DynamicAdvancedSession
	pastShapes      [][]int64
	pre             preprocess.Processor
	tok             tokenizer.Decoder
	start, eos, pad int64
	maxLen          int
	id              string
}

type captionerConfig struct {
	DecoderStart *int64 `json:"decoder_start_token_id"`
	EOS          *int64 `json:"eos_token_id"`
	Pad          *int64 `json:"pad_token_id"`
	MaxLength    int    `json:"max_length"`
	Decoder      struct {
		DecoderStart *int64 `json:"decoder_start_token_id"`
		BOS          *int64 `json:"bos_token_id"`
		EOS          *int64 `json:"eos_token_id"`
		Pad          *int64 `json:"pad_token_id"`
	} `json:"decoder"`
}

func firstID(vals ...*int64) (int64, bool) {
	for _, v := range vals {
		if v != nil {
			return *v, true
		}
	}
	return 0, false
}

// LoadCaptioner opens a captioner directory: encoder_model.onnx (pixel_values →
// last_hidden_state) and a decoder — decoder_model_merged.onnx (with a
// use_cache_branch input), or decoder_model.onnx (input_ids int64 [B,T] +
// encoder_hidden_states → logits [B,T,V]) with an optional
// decoder_with_past_model.onnx — at the root or under onnx/, in the
// directory's variant; config.json with the decoder start, eos and pad ids, a
// tokenizer and preprocessor_config.json.
func LoadCaptioner(dir ModelDir, dev Device) (*Captioner, error) {
	dir.Role = "captioner"
	// Everything missing is named at once.
	var missing []string
	for _, f := range []string{"config.json", "preprocessor_config.json"} {
		if _, err := fs.Stat(dir.FS, f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(dir.variantsOf("encoder_model")) == 0 {
		missing = append(missing, "encoder_model.onnx")
	}
	if len(dir.variantsOf("decoder_model")) == 0 && len(dir.variantsOf("decoder_model_merged")) == 0 {
		missing = append(missing, "decoder_model.onnx (or decoder_model_merged.onnx)")
	}
	if !dir.hasTokenizer() {
		missing = append(missing, "vocab.json (or tokenizer.json)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("captioner model directory %s: missing %s (a captioner directory holds encoder_model.onnx, decoder_model.onnx or decoder_model_merged.onnx, config.json, preprocessor_config.json and its tokenizer, at its root or under onnx/, as optimum-cli export onnx writes them)",
			dir.Name, strings.Join(missing, ", "))
	}
	var cfg captionerConfig
	if err := dir.json("config.json", &cfg); err != nil {
		return nil, err
	}
	// generation_config.json, when present, is what the exporter meant for
	// generation and wins over config.json.
	if _, err := fs.Stat(dir.FS, "generation_config.json"); err == nil {
		var gen captionerConfig
		if err := dir.json("generation_config.json", &gen); err != nil {
			return nil, err
		}
		if gen.DecoderStart != nil {
			cfg.DecoderStart = gen.DecoderStart
		}
		if gen.EOS != nil {
			cfg.EOS = gen.EOS
		}
		if gen.Pad != nil {
			cfg.Pad = gen.Pad
		}
		if gen.MaxLength > 0 {
			cfg.MaxLength = gen.MaxLength
		}
	}
	c := &Captioner{maxLen: cfg.MaxLength}
	var ok bool
	if c.start, ok = firstID(cfg.DecoderStart, cfg.Decoder.DecoderStart, cfg.Decoder.BOS); !ok {
		return nil, fmt.Errorf("captioner model directory %s: config.json gives no decoder_start_token_id", dir.Name)
	}
	if c.eos, ok = firstID(cfg.EOS, cfg.Decoder.EOS); !ok {
		return nil, fmt.Errorf("captioner model directory %s: config.json gives no eos_token_id", dir.Name)
	}
	if c.pad, ok = firstID(cfg.Pad, cfg.Decoder.Pad); !ok {
		c.pad = c.eos
	}
	if c.maxLen <= 0 {
		c.maxLen = 20
	}
	var err error
	if c.tok, err = dir.tokenizer(int(c.start), int(c.eos), int(c.pad)); err != nil {
		return nil, err
	}
	if c.pre, err = dir.preprocessor(); err != nil {
		return nil, err
	}
	var encSum, decSum string
	c.encoder, encSum, err = dir.onnxModel("encoder_model", dev,
		[]tensorSpec{{name: "pixel_values", dtype: ort.TensorElementDataTypeFloat, rank: 4}},
		[]tensorSpec{{name: "last_hidden_state", dtype: ort.TensorElementDataTypeFloat, rank: 3}})
	if err != nil {
		return nil, err
	}
	if dir.has("decoder_model_merged") {
		if err := c.loadMerged(dir, dev, encSum); err != nil {
			c.encoder.Destroy()
			return nil, err
		}
		return c.named(dir)
	}
	c.decoder, decSum, err = dir.onnxModel("decoder_model", dev,
		[]tensorSpec{{name: "input_ids", dtype: ort.TensorElementDataTypeInt64, rank: 2}, {name: "encoder_hidden_states", dtype: ort.TensorElementDataTypeFloat, rank: 3}},
		[]tensorSpec{{name: "logits", dtype: ort.TensorElementDataTypeFloat, rank: 3}})
	if err != nil {
		c.encoder.Destroy()
		return nil, err
	}
	c.id = "captioner@" + hashStrings(encSum, decSum)
	if err := c.loadPast(dir, dev); err != nil {
		c.Close()
		return nil, err
	}
	return c.named(dir)
}

// named completes the captioner's ID over the graphs' digests with the
// directory's configuration and tokenizer files.
func (c *Captioner) named(dir ModelDir) (*Captioner, error) {
	id, err := dir.modelID("captioner", []string{strings.TrimPrefix(c.id, "captioner@")})
	if err != nil {
		c.Close()
		return nil, err
	}
	c.id = id
	return c, nil
}

// pastSpecs reads a decoder's past_key_values.* inputs: their names (sorted),
// the specs of the inputs and of the matching present.* outputs, their shapes
// and element types.
func pastSpecs(dir ModelDir, base string) (names []string, pasts, presents []tensorSpec, shapes [][]int64, types []ort.TensorElementDataType, err error) {
	file, err := dir.graph(base)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	ins, _, err := dir.ioInfo(file)
	if err != nil {
		return nil, nil, nil, nil, nil, fmt.Errorf("captioner model %s/%s: ONNX Runtime cannot load it: %w", dir.Name, file, err)
	}
	byName := map[string]ort.InputOutputInfo{}
	for _, in := range ins {
		if strings.HasPrefix(in.Name, "past_key_values.") {
			names = append(names, in.Name)
			byName[in.Name] = in
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil, nil, nil, nil, fmt.Errorf("captioner model %s/%s has no past_key_values.* inputs: it is not a decoder with a cache", dir.Name, file)
	}
	for _, n := range names {
		in := byName[n]
		if len(in.Dimensions) != 4 {
			return nil, nil, nil, nil, nil, fmt.Errorf("captioner model %s/%s: %s has rank %d, want 4 [batch, heads, length, head size]", dir.Name, file, n, len(in.Dimensions))
		}
		pasts = append(pasts, tensorSpec{name: n, dtype: ort.TensorElementDataTypeFloat, rank: 4})
		presents = append(presents, tensorSpec{name: "present." + strings.TrimPrefix(n, "past_key_values."), dtype: ort.TensorElementDataTypeFloat, rank: 4})
		shapes = append(shapes, []int64(in.Dimensions))
		types = append(types, in.DataType)
	}
	return names, pasts, presents, shapes, types, nil
}

// mergedPastSpecs is pastSpecs of decoder_model_merged.onnx, whose empty
// first-step cache needs a fixed head count and size.
func mergedPastSpecs(dir ModelDir) (names []string, pasts, presents []tensorSpec, shapes [][]int64, types []ort.TensorElementDataType, err error) {
	names, pasts, presents, shapes, types, err = pastSpecs(dir, "decoder_model_merged")
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	for i, sh := range shapes {
		if sh[1] <= 0 || sh[3] <= 0 {
			return nil, nil, nil, nil, nil, fmt.Errorf("%s model %s: decoder_model_merged %s has no fixed head count and size (%v): re-export it", dir.Role, dir.Name, names[i], sh)
		}
	}
	return names, pasts, presents, shapes, types, nil
}

// loadMerged opens decoder_model_merged.onnx: the first step runs its
// no-cache branch on empty past tensors, every later step its cache branch on
// the newest token.
func (c *Captioner) loadMerged(dir ModelDir, dev Device, encSum string) error {
	names, pasts, presents, shapes, _, err := mergedPastSpecs(dir)
	if err != nil {
		return err
	}
	ins := append([]tensorSpec{{name: "input_ids", dtype: ort.TensorElementDataTypeInt64, rank: 2},
		{name: "encoder_hidden_states", dtype: ort.TensorElementDataTypeFloat, rank: 3},
		{name: "use_cache_branch", dtype: ort.TensorElementDataTypeBool, rank: 1}}, pasts...)
	outs := append([]tensorSpec{{name: "logits", dtype: ort.TensorElementDataTypeFloat, rank: 3}}, presents...)
	var sum string
	c.merged, sum, err = dir.onnxModel("decoder_model_merged", dev, ins, outs)
	if err != nil {
		return err
	}
	c.pastNames, c.pastShapes = names, shapes
	c.useCache = true
	c.id = "captioner@" + hashStrings(encSum, sum)
	return nil
}

// ID is "captioner@<sha256>" over the graphs, configuration and tokenizer
// files: everything that changes the captions.
func (c *Captioner) ID() string { return c.id }

// VocabSize is the number of token ids vocab.json covers.
func (c *Captioner) VocabSize() int { return c.tok.Size() }

// Close releases the sessions.
func (c *Captioner) Close() error {
	if c.first != nil {
		c.first.Destroy()
		c.past.Destroy()
	}
	if c.merged != nil {
		c.merged.Destroy()
	}
	if c.decoder != nil {
		c.decoder.Destroy()
	}
	return c.encoder.Destroy()
}

// Preprocessing describes how images are prepared for the encoder.
func (c *Captioner) Preprocessing() string { return c.pre.String() }

// Decoding names the decoder the directory gave.
func (c *Captioner) Decoding() string {
	switch {
	case c.merged != nil:
		return "merged decoder with a KV cache (decoder_model_merged.onnx)"
	case c.past != nil:
		return "decoder and decoder with past, KV-cached (decoder_model.onnx, decoder_with_past_model.onnx)"
	}
	return "decoder without a cache (decoder_model.onnx)"
}

// Cached reports whether decoding uses a cache (a with-past or merged decoder).
func (c *Captioner) Cached() bool { return c.useCache }

// SetCache turns KV-cached decoding off (or back on, when the directory has
// a with-past decoder); both paths give the same captions. A merged decoder
// always decodes with its cache.
func (c *Captioner) SetCache(on bool) { c.useCache = c.merged != nil || (on && c.past != nil) }

// loadPast opens decoder_with_past_model.onnx when the directory has one.
// Its past_key_values.* inputs name the cache; decoder_model.onnx must return
// the matching present.* outputs for the first step, else the directory is
// used without the cache (the uncached path gives the same captions, slower).
func (c *Captioner) loadPast(dir ModelDir, dev Device) error {
	if !dir.has("decoder_with_past_model") {
		return nil
	}
	names, pasts, presents, _, _, err := pastSpecs(dir, "decoder_with_past_model")
	if err != nil {
		return err
	}
	c.pastNames = names
	logits := tensorSpec{name: "logits", dtype: ort.TensorElementDataTypeFloat, rank: 3}
	c.first, _, err = dir.onnxModel("decoder_model", dev,
		[]tensorSpec{{name: "input_ids", dtype: ort.TensorElementDataTypeInt64, rank: 2}, {name: "encoder_hidden_states", dtype: ort.TensorElementDataTypeFloat, rank: 3}},
		append([]tensorSpec{logits}, presents...))
	if err != nil {
		c.first = nil
		return nil // no present.* outputs: decode without the cache
	}
	var pastSum string
	c.past, pastSum, err = dir.onnxModel("decoder_with_past_model", dev,
		append([]tensorSpec{{name: "input_ids", dtype: ort.TensorElementDataTypeInt64, rank: 2}, {name: "encoder_hidden_states", dtype: ort.TensorElementDataTypeFloat, rank: 3}}, pasts...),
		append([]tensorSpec{logits}, presents...))
	if err != nil {
		c.first.Destroy()
		c.first = nil
		return err
	}
	c.useCache = true
	c.id = "captioner@" + hashStrings(strings.TrimPrefix(c.id, "captioner@"), pastSum)
	return nil
}

// Caption describes each image of a call, one batch per tensor shape.
func (c *Captioner) Caption(ctx context.Context, imgs []image.Image) ([]string, error) {
	if len(imgs) == 0 {
		return nil, errEmptyBatch
	}
	texts := make([]string, len(imgs))
	for _, b := range c.pre.Group(imgs) {
		got, err := c.captionBatch(ctx, imgs, b)
		if err != nil {
			return nil, err
		}
		for n, i := range b.Idx {
			texts[i] = got[n]
		}
	}
	return texts, nil
}

// captionBatch describes one batch: one encoder run, then one decoder run
// per generated token for the whole batch until every row ended.
func (c *Captioner) captionBatch(ctx context.Context, imgs []image.Image, bt preprocess.Batch) ([]string, error) {
	B := int64(len(bt.Idx))
	px, err := ort.NewTensor(ort.NewShape(B, 3, int64(bt.H), int64(bt.W)), c.pre.Pixels(imgs, bt))
	if err != nil {
		return nil, err
	}
	defer px.Destroy()
	encOut := []ort.Value{nil}
	if err := c.encoder.Run([]ort.Value{px}, encOut); err != nil {
		return nil, fmt.Errorf("captioner encoder: run: %w", err)
	}
	defer encOut[0].Destroy()

	seqs := make([][]int64, B)
	done := make([]bool, B)
	for i := range seqs {
		seqs[i] = []int64{c.start}
	}
	var cache []ort.Value // present.* of the last step, fed back as past_key_values.*
	defer func() {
		for _, v := range cache {
			v.Destroy()
		}
	}()
	// max_length counts the start token, as Hugging Face generation does.
	for step := 0; step < c.maxLen-1; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		T := int64(len(seqs[0]))
		var ids *ort.Tensor[int64]
		var outs []ort.Value
		var err error
		switch {
		case c.merged != nil:
			ids, outs, err = c.mergedStep(seqs, step, encOut[0], cache)
		case c.useCache && step > 0:
			if ids, err = lastTokens(seqs, 1); err != nil {
				return nil, err
			}
			outs = make([]ort.Value, 1+len(c.pastNames))
			err = c.past.Run(append([]ort.Value{ids, encOut[0]}, cache...), outs)
		default:
			if ids, err = lastTokens(seqs, T); err != nil {
				return nil, err
			}
			if c.useCache {
				outs = make([]ort.Value, 1+len(c.pastNames))
				err = c.first.Run([]ort.Value{ids, encOut[0]}, outs)
			} else {
				outs = []ort.Value{nil}
				err = c.decoder.Run([]ort.Value{ids, encOut[0]}, outs)
			}
		}
		if ids != nil {
			ids.Destroy()
		}
		if err != nil {
			return nil, fmt.Errorf("captioner decoder: run: %w", err)
		}
		for _, v := range cache {
			v.Destroy()
		}
		cache = outs[1:]
		data, sh, err := floats(outs[0])
		if err != nil {
			outs[0].Destroy()
			return nil, fmt.Errorf("captioner decoder: logits: %w", err)
		}
		steps, V := sh[1], int(sh[2])
		all := true
		for b := int64(0); b < B; b++ {
			next := c.pad
			if !done[b] {
				row := data[(b*steps+steps-1)*int64(V) : (b*steps+steps)*int64(V)]
				best := 0
				for v := range row {
					if row[v] > row[best] {
						best = v
					}
				}
				next = int64(best)
				if next == c.eos {
					done[b] = true
				}
			}
			seqs[b] = append(seqs[b], next)
			all = all && done[b]
		}
		outs[0].Destroy()
		if all {
			break
		}
	}
	texts := make([]string, B)
	for b, s := range seqs {
		texts[b] = c.tok.Decode(s)
	}
	return texts, nil
}

// mergedStep runs one step of a merged decoder: the whole sequence on empty
// past tensors with use_cache_branch false first, then the newest token on
// the cache.
func (c *Captioner) mergedStep(seqs [][]int64, step int, enc ort.Value, cache []ort.Value) (*ort.Tensor[int64], []ort.Value, error) {
	B := int64(len(seqs))
	T := int64(len(seqs[0]))
	if step > 0 {
		T = 1
	}
	ids, err := lastTokens(seqs, T)
	if err != nil {
		return nil, nil, err
	}
	branch, err := ort.NewTensor(ort.NewShape(1), []bool{step > 0})
	if err != nil {
		return ids, nil, err
	}
	defer branch.Destroy()
	pasts := cache
	if step == 0 {
		if pasts, err = emptyPasts(B, c.pastShapes); err != nil {
			return ids, nil, err
		}
		defer destroyAll(pasts)
	}
	outs := make([]ort.Value, 1+len(c.pastNames))
	err = c.merged.Run(append([]ort.Value{ids, enc, branch}, pasts...), outs)
	return ids, outs, err
}

// lastTokens is the [B, T] input_ids tensor of each sequence's last T tokens
// (all of them on a first step, the newest one on a cached step).
func lastTokens(seqs [][]int64, T int64) (*ort.Tensor[int64], error) {
	flat := make([]int64, 0, int64(len(seqs))*T)
	for _, s := range seqs {
		flat = append(flat, s[int64(len(s))-T:]...)
	}
	return ort.NewTensor(ort.NewShape(int64(len(seqs)), T), flat)
}

func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hasTokenizer reports whether the directory holds a tokenizer file.
func (d ModelDir) hasTokenizer() bool {
	for _, f := range []string{"vocab.json", "tokenizer.json"} {
		if _, err := fs.Stat(d.FS, f); err == nil {
			return true
		}
	}
	return false
}

// tokenizer reads vocab.json (byte-level BPE) or tokenizer.json (byte-level
// BPE or WordPiece, with added tokens); the special ids are skipped on decode.
func (d ModelDir) tokenizer(special ...int) (tokenizer.Decoder, error) {
	if _, err := fs.Stat(d.FS, "vocab.json"); err == nil {
		var vocab map[string]int
		if err := d.json("vocab.json", &vocab); err != nil {
			return nil, err
		}
		dec, err := tokenizer.NewBPEDecoder(vocab, special...)
		if err != nil {
			return nil, fmt.Errorf("captioner model directory %s: %w", d.Name, err)
		}
		return dec, nil
	}
	data, err := d.read("tokenizer.json")
	if err != nil {
		return nil, err
	}
	dec, err := tokenizer.FromJSON(data, special...)
	if err != nil {
		return nil, fmt.Errorf("captioner model directory %s: %w", d.Name, err)
	}
	return dec, nil
}

// emptyPasts are the past_key_values.* of a merged decoder's first step:
// [B, heads, 0, head size] float32 tensors (a float16 export is given a
// float32 interface, see ModelDir.newSession).
func emptyPasts(B int64, shapes [][]int64) ([]ort.Value, error) {
	pasts := make([]ort.Value, 0, len(shapes))
	for _, sh := range shapes {
		v, err := ort.NewTensor(ort.NewShape(B, sh[1], 0, sh[3]), []float32{})
		if err != nil {
			destroyAll(pasts)
			return nil, fmt.Errorf("empty past tensor: %w", err)
		}
		pasts = append(pasts, v)
	}
	return pasts, nil
}

// destroyAll releases tensors.
func destroyAll(vs []ort.Value) {
	for _, v := range vs {
		v.Destroy()
	}
}
