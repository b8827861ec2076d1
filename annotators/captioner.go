package annotators

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"io/fs"

	ort "github.com/yalue/onnxruntime_go"
)

// Captioner is a VisionEncoderDecoder-style image captioner decoded greedily.
type Captioner struct {
	encoder, decoder *ort.DynamicAdvancedSession
	pre              preprocess
	bpe              *BPEDecoder
	start, eos, pad  int64
	maxLen           int
	id               string
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
// last_hidden_state), decoder_model.onnx (input_ids int64 [B,T] +
// encoder_hidden_states → logits [B,T,V]), config.json with the decoder start,
// eos and pad ids, vocab.json and preprocessor_config.json.
func LoadCaptioner(dir ModelDir, dev Device) (*Captioner, error) {
	dir.Role = "captioner"
	if err := dir.need("encoder_model.onnx", "decoder_model.onnx", "config.json", "preprocessor_config.json"); err != nil {
		return nil, err
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
	vocab, err := dir.vocabulary()
	if err != nil {
		return nil, err
	}
	bpe, err := NewBPEDecoder(vocab, int(c.start), int(c.eos), int(c.pad))
	if err != nil {
		return nil, fmt.Errorf("captioner model directory %s: %w", dir.Name, err)
	}
	c.bpe = bpe
	if c.pre, err = dir.preprocessor(); err != nil {
		return nil, err
	}
	var encSum, decSum string
	c.encoder, encSum, err = dir.onnxModel("encoder_model.onnx", dev,
		[]tensorSpec{{name: "pixel_values", dtype: ort.TensorElementDataTypeFloat, rank: 4}},
		[]tensorSpec{{name: "last_hidden_state", dtype: ort.TensorElementDataTypeFloat, rank: 3}})
	if err != nil {
		return nil, err
	}
	c.decoder, decSum, err = dir.onnxModel("decoder_model.onnx", dev,
		[]tensorSpec{{name: "input_ids", dtype: ort.TensorElementDataTypeInt64, rank: 2}, {name: "encoder_hidden_states", dtype: ort.TensorElementDataTypeFloat, rank: 3}},
		[]tensorSpec{{name: "logits", dtype: ort.TensorElementDataTypeFloat, rank: 3}})
	if err != nil {
		c.encoder.Destroy()
		return nil, err
	}
	c.id = "captioner@" + hashStrings(encSum, decSum)
	return c, nil
}

// ID is "captioner@<sha256 over the encoder and decoder hashes>".
func (c *Captioner) ID() string { return c.id }

// VocabSize is the number of token ids vocab.json covers.
func (c *Captioner) VocabSize() int { return c.bpe.Size() }

// Close releases both sessions.
func (c *Captioner) Close() error {
	c.encoder.Destroy()
	return c.decoder.Destroy()
}

// Caption describes each image of a batch: one encoder run, then one decoder
// run per generated token for the whole batch until every row ended.
func (c *Captioner) Caption(ctx context.Context, imgs []image.Image) ([]string, error) {
	if len(imgs) == 0 {
		return nil, errEmptyBatch
	}
	B := int64(len(imgs))
	px, err := ort.NewTensor(ort.NewShape(B, 3, int64(c.pre.H), int64(c.pre.W)), tensorPixels(imgs, c.pre))
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
	// max_length counts the start token, as Hugging Face generation does.
	for step := 0; step < c.maxLen-1; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		T := int64(len(seqs[0]))
		flat := make([]int64, 0, B*T)
		for _, s := range seqs {
			flat = append(flat, s...)
		}
		ids, err := ort.NewTensor(ort.NewShape(B, T), flat)
		if err != nil {
			return nil, err
		}
		outs := []ort.Value{nil}
		err = c.decoder.Run([]ort.Value{ids, encOut[0]}, outs)
		ids.Destroy()
		if err != nil {
			return nil, fmt.Errorf("captioner decoder: run: %w", err)
		}
		logits, ok := outs[0].(*ort.Tensor[float32])
		if !ok {
			outs[0].Destroy()
			return nil, fmt.Errorf("captioner decoder: logits are not float32")
		}
		sh := logits.GetShape()
		V := int(sh[2])
		data := logits.GetData()
		all := true
		for b := int64(0); b < B; b++ {
			next := c.pad
			if !done[b] {
				row := data[(b*T+T-1)*int64(V) : (b*T+T)*int64(V)]
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
		texts[b] = c.bpe.Decode(s)
	}
	return texts, nil
}

func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// vocabulary reads the token→id map from vocab.json, or from tokenizer.json
// (the Hugging Face tokenizers format: model.vocab plus added_tokens).
func (d ModelDir) vocabulary() (map[string]int, error) {
	if _, err := fs.Stat(d.FS, "vocab.json"); err == nil {
		var vocab map[string]int
		if err := d.json("vocab.json", &vocab); err != nil {
			return nil, err
		}
		return vocab, nil
	}
	if _, err := fs.Stat(d.FS, "tokenizer.json"); err != nil {
		return nil, fmt.Errorf("captioner model directory %s: missing vocab.json (or tokenizer.json): the byte-level BPE vocabulary decodes token ids to text", d.Name)
	}
	var tok struct {
		Model struct {
			Type  string         `json:"type"`
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
		} `json:"added_tokens"`
	}
	if err := d.json("tokenizer.json", &tok); err != nil {
		return nil, err
	}
	if len(tok.Model.Vocab) == 0 {
		return nil, fmt.Errorf("captioner model directory %s: tokenizer.json has no model.vocab (a %q tokenizer); twigdata decodes byte-level BPE vocabularies", d.Name, tok.Model.Type)
	}
	for _, a := range tok.AddedTokens {
		tok.Model.Vocab[a.Content] = a.ID
	}
	return tok.Model.Vocab, nil
}
