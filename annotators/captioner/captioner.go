// Package captioner loads vision encoder-decoder captioners (ViT-GPT2,
// BERT decoders) as Optimum exports them — separate, with-past or merged
// decoders — and opens a captioner directory as whichever kind it holds
// (Open), Florence-2 included.
package captioner

import (
	"context"
	"fmt"
	"image"
	"io/fs"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/florence2"
	"github.com/twigdata/twigdata/annotators/preprocess"
	"github.com/twigdata/twigdata/annotators/tokenizer"
)

// Captioner is a VisionEncoderDecoder-style image captioner decoded greedily.
type Model struct {
	encoder, decoder *annotators.Session
	// With decoder_with_past_model.onnx: the first step runs first (the full
	// decoder, also returning the cache) and each later step runs past on the
	// newest token only; pastNames are the cache inputs, in order.
	first, past *annotators.Session
	pastNames   []string
	useCache    bool
	// With decoder_model_merged.onnx: one graph for both, its use_cache_branch
	// input choosing; the first step gets empty past tensors of pastShapes
	// (batch and length 0 filled in).
	merged          *annotators.Session
	pastShapes      [][]int64
	pre             preprocess.Processor
	tok             tokenizer.Decoder
	start, eos, pad int64
	maxLen          int
	id              string
	graphs          []string // the digests of the graphs it runs, which its id covers
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

// Load opens a captioner directory: encoder_model.onnx (pixel_values →
// last_hidden_state) and a decoder — decoder_model_merged.onnx (with a
// use_cache_branch input), or decoder_model.onnx (input_ids int64 [B,T] +
// encoder_hidden_states → logits [B,T,V]) with an optional
// decoder_with_past_model.onnx — at the root or under onnx/, in the
// directory's variant; config.json with the decoder start, eos and pad ids, a
// tokenizer and preprocessor_config.json.
func Load(dir annotators.ModelDir, dev annotators.Device) (*Model, error) {
	dir.Role = "captioner"
	// Everything missing is named at once.
	var missing []string
	for _, f := range []string{"config.json", "preprocessor_config.json"} {
		if _, err := fs.Stat(dir.FS, f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(dir.VariantsOf("encoder_model")) == 0 {
		missing = append(missing, "encoder_model.onnx")
	}
	if len(dir.VariantsOf("decoder_model")) == 0 && len(dir.VariantsOf("decoder_model_merged")) == 0 {
		missing = append(missing, "decoder_model.onnx (or decoder_model_merged.onnx)")
	}
	if !dir.HasTokenizer() {
		missing = append(missing, "vocab.json (or tokenizer.json)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("captioner model directory %s: missing %s (a captioner directory holds encoder_model.onnx, decoder_model.onnx or decoder_model_merged.onnx, config.json, preprocessor_config.json and its tokenizer, at its root or under onnx/, as optimum-cli export onnx writes them)",
			dir.Name, strings.Join(missing, ", "))
	}
	var cfg captionerConfig
	if err := dir.JSON("config.json", &cfg); err != nil {
		return nil, err
	}
	// generation_config.json, when present, is what the exporter meant for
	// generation and wins over config.json.
	if _, err := fs.Stat(dir.FS, "generation_config.json"); err == nil {
		var gen captionerConfig
		if err := dir.JSON("generation_config.json", &gen); err != nil {
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
	c := &Model{maxLen: cfg.MaxLength}
	var ok bool
	if c.start, ok = annotators.FirstID(cfg.DecoderStart, cfg.Decoder.DecoderStart, cfg.Decoder.BOS); !ok {
		return nil, fmt.Errorf("captioner model directory %s: config.json gives no decoder_start_token_id", dir.Name)
	}
	if c.eos, ok = annotators.FirstID(cfg.EOS, cfg.Decoder.EOS); !ok {
		return nil, fmt.Errorf("captioner model directory %s: config.json gives no eos_token_id", dir.Name)
	}
	if c.pad, ok = annotators.FirstID(cfg.Pad, cfg.Decoder.Pad); !ok {
		c.pad = c.eos
	}
	if c.maxLen <= 0 {
		c.maxLen = 20
	}
	var err error
	if c.tok, err = dir.Tokenizer(int(c.start), int(c.eos), int(c.pad)); err != nil {
		return nil, err
	}
	if c.pre, err = dir.Preprocessor(); err != nil {
		return nil, err
	}
	var encSum, decSum string
	c.encoder, encSum, err = dir.Session("encoder_model", dev,
		[]annotators.TensorSpec{{Name: "pixel_values", DType: ort.TensorElementDataTypeFloat, Rank: 4}},
		[]annotators.TensorSpec{{Name: "last_hidden_state", DType: ort.TensorElementDataTypeFloat, Rank: 3}})
	if err != nil {
		return nil, err
	}
	if dir.Has("decoder_model_merged") {
		if err := c.loadMerged(dir, dev, encSum); err != nil {
			c.encoder.Destroy()
			return nil, err
		}
		return c.named(dir)
	}
	c.decoder, decSum, err = dir.Session("decoder_model", dev,
		[]annotators.TensorSpec{{Name: "input_ids", DType: ort.TensorElementDataTypeInt64, Rank: 2}, {Name: "encoder_hidden_states", DType: ort.TensorElementDataTypeFloat, Rank: 3}},
		[]annotators.TensorSpec{{Name: "logits", DType: ort.TensorElementDataTypeFloat, Rank: 3}})
	if err != nil {
		c.encoder.Destroy()
		return nil, err
	}
	c.graphs = []string{encSum, decSum}
	if err := c.loadPast(dir, dev); err != nil {
		c.Close()
		return nil, err
	}
	return c.named(dir)
}

// named gives the captioner its ID: over the graphs it runs and the
// directory's configuration and tokenizer files.
func (c *Model) named(dir annotators.ModelDir) (*Model, error) {
	id, err := dir.ModelID("captioner", c.graphs)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.id = id
	return c, nil
}

// loadMerged opens decoder_model_merged.onnx: the first step runs its
// no-cache branch on empty past tensors, every later step its cache branch on
// the newest token.
func (c *Model) loadMerged(dir annotators.ModelDir, dev annotators.Device, encSum string) error {
	names, pasts, presents, shapes, err := annotators.MergedPastSpecs(dir)
	if err != nil {
		return err
	}
	ins := append([]annotators.TensorSpec{{Name: "input_ids", DType: ort.TensorElementDataTypeInt64, Rank: 2},
		{Name: "encoder_hidden_states", DType: ort.TensorElementDataTypeFloat, Rank: 3},
		{Name: "use_cache_branch", DType: ort.TensorElementDataTypeBool, Rank: 1}}, pasts...)
	outs := append([]annotators.TensorSpec{{Name: "logits", DType: ort.TensorElementDataTypeFloat, Rank: 3}}, presents...)
	var sum string
	c.merged, sum, err = dir.Session("decoder_model_merged", dev, ins, outs)
	if err != nil {
		return err
	}
	c.pastNames, c.pastShapes = names, shapes
	c.useCache = true
	c.graphs = []string{encSum, sum}
	return nil
}

// ID is "captioner@<sha256>" over the graphs, configuration and tokenizer
// files: everything that changes the captions.
func (c *Model) ID() string { return c.id }

// VocabSize is the number of token ids vocab.json covers.
func (c *Model) VocabSize() int { return c.tok.Size() }

// Close releases the sessions.
func (c *Model) Close() error {
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
func (c *Model) Preprocessing() string { return c.pre.String() }

// Decoding names the decoder the directory gave.
func (c *Model) Decoding() string {
	switch {
	case c.merged != nil:
		return "merged decoder with a KV cache (decoder_model_merged.onnx)"
	case c.past != nil:
		return "decoder and decoder with past, KV-cached (decoder_model.onnx, decoder_with_past_model.onnx)"
	}
	return "decoder without a cache (decoder_model.onnx)"
}

// Cached reports whether decoding uses a cache (a with-past or merged decoder).
func (c *Model) Cached() bool { return c.useCache }

// SetCache turns KV-cached decoding off (or back on, when the directory has
// a with-past decoder); both paths give the same captions. A merged decoder
// always decodes with its cache.
func (c *Model) SetCache(on bool) { c.useCache = c.merged != nil || (on && c.past != nil) }

// loadPast opens decoder_with_past_model.onnx when the directory has one.
// Its past_key_values.* inputs name the cache; decoder_model.onnx must return
// the matching present.* outputs for the first step, else the directory is
// used without the cache (the uncached path gives the same captions, slower).
func (c *Model) loadPast(dir annotators.ModelDir, dev annotators.Device) error {
	if !dir.Has("decoder_with_past_model") {
		return nil
	}
	names, pasts, presents, _, err := annotators.PastSpecs(dir, "decoder_with_past_model")
	if err != nil {
		return err
	}
	c.pastNames = names
	logits := annotators.TensorSpec{Name: "logits", DType: ort.TensorElementDataTypeFloat, Rank: 3}
	c.first, _, err = dir.Session("decoder_model", dev,
		[]annotators.TensorSpec{{Name: "input_ids", DType: ort.TensorElementDataTypeInt64, Rank: 2}, {Name: "encoder_hidden_states", DType: ort.TensorElementDataTypeFloat, Rank: 3}},
		append([]annotators.TensorSpec{logits}, presents...))
	if err != nil {
		c.first = nil
		return nil // no present.* outputs: decode without the cache
	}
	var pastSum string
	c.past, pastSum, err = dir.Session("decoder_with_past_model", dev,
		append([]annotators.TensorSpec{{Name: "input_ids", DType: ort.TensorElementDataTypeInt64, Rank: 2}, {Name: "encoder_hidden_states", DType: ort.TensorElementDataTypeFloat, Rank: 3}}, pasts...),
		append([]annotators.TensorSpec{logits}, presents...))
	if err != nil {
		c.first.Destroy()
		c.first = nil
		return err
	}
	c.useCache = true
	c.graphs = append(c.graphs, pastSum)
	return nil
}

// Caption describes each image of a call, one batch per tensor shape.
func (c *Model) Caption(ctx context.Context, imgs []image.Image) ([]string, error) {
	seqs, err := c.Tokens(ctx, imgs)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(seqs))
	for i, s := range seqs {
		texts[i] = c.tok.Decode(s)
	}
	return texts, nil
}

// Tokens are the token ids Caption decodes for each image: the decoder's
// start token, the generated ones and, for a row that ended, the end token.
func (c *Model) Tokens(ctx context.Context, imgs []image.Image) ([][]int64, error) {
	if len(imgs) == 0 {
		return nil, annotators.ErrEmptyBatch
	}
	seqs := make([][]int64, len(imgs))
	for _, b := range c.pre.Group(imgs) {
		got, err := c.generateBatch(ctx, imgs, b)
		if err != nil {
			return nil, err
		}
		for n, i := range b.Idx {
			seqs[i] = got[n]
		}
	}
	return seqs, nil
}

// generateBatch generates for one batch: one encoder run, then one decoder
// run per generated token for the rows that have not ended. Every run goes
// through an I/O binding: the encoder's states and the cache stay where the
// session runs (GPU memory with --device cuda:N) from step to step; per step
// only the new token ids go in and the logits come out.
func (c *Model) generateBatch(ctx context.Context, imgs []image.Image, bt preprocess.Batch) ([][]int64, error) {
	B := int64(len(bt.Idx))
	px, err := ort.NewTensor(ort.NewShape(B, 3, int64(bt.H), int64(bt.W)), c.pre.Pixels(imgs, bt))
	if err != nil {
		return nil, err
	}
	encOut, err := annotators.RunBound(c.encoder, map[string]ort.Value{"pixel_values": px}, nil, []string{"last_hidden_state"})
	if err != nil {
		return nil, fmt.Errorf("captioner encoder: %w", err)
	}
	enc := encOut[0]
	var cache []*annotators.Resident // present.* of the last step, bound as past_key_values.*
	bindings := map[*annotators.Session]*annotators.Binding{}
	defer func() {
		annotators.ReleaseAll(cache)
		enc.Release()
		for _, b := range bindings {
			b.Release()
		}
	}()
	bind := func(s *annotators.Session, cached bool) (*annotators.Binding, error) {
		if b := bindings[s]; b != nil {
			return b, nil
		}
		b, err := s.Bind()
		if err != nil {
			return nil, err
		}
		bindings[s] = b
		outs := []string{"logits"}
		if cached {
			for _, n := range c.pastNames {
				outs = append(outs, "present."+strings.TrimPrefix(n, "past_key_values."))
			}
		}
		b.Outputs(outs, "logits")
		return b, nil
	}

	seqs := make([][]int64, B)
	for i := range seqs {
		seqs[i] = []int64{c.start}
	}
	// alive are the rows still generating, by their index in seqs: a row
	// that ends leaves the batch, so its cache and encoder states are cut
	// out where they are and its rows stop being computed.
	alive := annotators.Rows(int(B))
	// max_length counts the start token, as Hugging Face generation does.
	for step := 0; step < c.maxLen-1 && len(alive) > 0; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := make([][]int64, len(alive))
		for n, b := range alive {
			rows[n] = seqs[b]
		}
		s := c.decoderRan(step)
		cached := s != c.decoder
		b, err := bind(s, cached)
		if err != nil {
			return nil, fmt.Errorf("captioner decoder: %w", err)
		}
		T := int64(len(rows[0]))
		if cached && step > 0 {
			T = 1
		}
		ids, err := lastTokens(rows, T)
		if err != nil {
			return nil, err
		}
		if err := b.Input("input_ids", ids); err != nil {
			return nil, err
		}
		if err := b.Resident("encoder_hidden_states", enc); err != nil {
			return nil, err
		}
		if s == c.merged && step <= 1 {
			branch, err := ort.NewTensor(ort.NewShape(1), []bool{step > 0})
			if err != nil {
				return nil, err
			}
			if err := b.Input("use_cache_branch", branch); err != nil {
				return nil, err
			}
		}
		if s == c.merged && step == 0 {
			empty, err := annotators.EmptyPasts(int64(len(alive)), c.pastShapes)
			if err != nil {
				return nil, err
			}
			for i, n := range c.pastNames {
				if err := b.Input(n, empty[i]); err != nil {
					annotators.DestroyAll(empty[i+1:])
					return nil, err
				}
			}
		} else if cached && step > 0 {
			for i, n := range c.pastNames {
				if err := b.Resident(n, cache[i]); err != nil {
					return nil, err
				}
			}
		}
		outs, err := b.Run()
		if err != nil {
			return nil, fmt.Errorf("captioner decoder: %w", err)
		}
		annotators.ReleaseAll(cache)
		cache = outs[1:]
		data, sh, err := b.Floats("logits", outs[0])
		outs[0].Release()
		if err != nil {
			return nil, fmt.Errorf("captioner decoder: logits: %w", err)
		}
		steps, V := sh[1], int(sh[2])
		s.CountGenerated(len(alive))
		var keep []int // positions in alive of the rows that go on
		for n, b := range alive {
			row := data[(int64(n)*steps+steps-1)*int64(V) : (int64(n)*steps+steps)*int64(V)]
			best := 0
			for v := range row {
				if row[v] > row[best] {
					best = v
				}
			}
			seqs[b] = append(seqs[b], int64(best))
			if int64(best) != c.eos {
				keep = append(keep, n)
			}
		}
		var cut bool
		if alive, cut = annotators.Remaining(alive, keep); !cut {
			continue
		}
		// Rows ended: the batch goes on with the others only.
		dev := c.encoder.Device()
		if err := annotators.GatherAllRows(dev, cache, keep); err != nil {
			return nil, err
		}
		kept, err := annotators.GatherRows(dev, enc, keep)
		if err != nil {
			return nil, err
		}
		enc.Release()
		enc = kept
	}
	return seqs, nil
}

// decoderRan is the decoder graph a step runs.
func (c *Model) decoderRan(step int) *annotators.Session {
	switch {
	case c.merged != nil:
		return c.merged
	case c.useCache && step > 0:
		return c.past
	case c.useCache:
		return c.first
	}
	return c.decoder
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

// Captioner is a loaded captioner of either kind: a vision
// encoder-decoder (*Model) or Florence-2 (*florence2.Model).
type Captioner interface {
	Caption(ctx context.Context, imgs []image.Image) ([]string, error)
	ID() string
	VocabSize() int
	Preprocessing() string
	Decoding() string
	Close() error
}

// Open loads a captioner directory as what it holds: Florence-2
// (a vision_encoder graph; it grounds too) or a vision encoder-decoder.
// task is a Florence-2 caption task (florence2.ParseTask); other captioners
// have one task and refuse any but <CAPTION>.
func Open(dir annotators.ModelDir, dev annotators.Device, task string) (Captioner, error) {
	if florence2.IsFlorence(dir) {
		return florence2.Load(dir, dev, task)
	}
	if task != "" && task != "<CAPTION>" {
		return nil, fmt.Errorf("--caption-task %s needs a Florence-2 captioner; %s is a vision encoder-decoder, which has one task", task, dir.Name)
	}
	return Load(dir, dev)
}
