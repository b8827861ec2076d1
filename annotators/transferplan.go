package annotators

// DecoderShape is what sets a generating decoder's transfers per step: the
// sizes its config.json gives, and how its export passes the cache.
type DecoderShape struct {
	Name               string
	DModel, Layers     int // the decoder's width and depth
	Heads, Vocab       int
	EncoderLen         int // positions the decoder cross-attends to
	CrossCache, Embeds bool
	// CrossCache: the cache holds the cross-attention keys and values too
	// (BART, Florence-2), not only self-attention's (GPT-2); Embeds: the
	// decoder takes token embeddings from a graph of its own (Florence-2's
	// embed_tokens), not ids.
}

// HostStepBytes is what crosses between Go and ONNX Runtime in one greedy
// step of a batch of B with t tokens already in the cache, as twigdata
// decodes today: the encoder's output and its mask (Florence-2) go in every
// step, the whole cache goes in and comes back, and so do the logits (and,
// with Embeds, the ids and embeddings through embed_tokens).
func (s DecoderShape) HostStepBytes(B, t int) (in, out int64) {
	b := int64(B)
	hd := int64(s.DModel / s.Heads)
	self := func(n int64) int64 { return 2 * int64(s.Layers) * b * int64(s.Heads) * n * hd * 4 }
	enc := int64(s.EncoderLen)
	in = 4*b*enc*int64(s.DModel) + 1 + self(int64(t)) // encoder states, use_cache_branch, self-attention past
	out = 4*b*int64(s.Vocab) + self(int64(t)+1)       // logits, self-attention present
	if s.CrossCache {
		in += 8 * b * enc // the encoder's attention mask
		if t > 0 {
			in += self(enc) // the cross-attention past: empty on the first step
		} else {
			out += self(enc) // the cross-attention present: made on the first step only
		}
	}
	if s.Embeds {
		in += 4*b*int64(s.DModel) + 8*b // the new token's embedding; its id into embed_tokens
		out += 4 * b * int64(s.DModel)  // the embedding out of embed_tokens
	} else {
		in += 8 * b // the new token's id
	}
	return in, out
}

// BoundStepBytes is what would cross per step with the encoder's output and
// both caches bound to the device: the new token ids in, the logits out.
func (s DecoderShape) BoundStepBytes(B int) (in, out int64) {
	return 8 * int64(B), 4 * int64(B) * int64(s.Vocab)
}

// RealDecoders are the decoders of the checkpoints twigdata's loaders take,
// sized from their config.json files (Hub: microsoft/Florence-2-base and
// -large, text_config; nlpconnect/vit-gpt2-image-captioning, decoder), with
// the encoder lengths of a captioning call: Florence-2's 577 image tokens
// and a task prompt of about 13, ViT's 197 patches (224/16 squared, and
// its class token).
var RealDecoders = []DecoderShape{
	{Name: "Florence-2-base", DModel: 768, Layers: 6, Heads: 12, Vocab: 51289, EncoderLen: 590, CrossCache: true, Embeds: true},
	{Name: "Florence-2-large", DModel: 1024, Layers: 12, Heads: 16, Vocab: 51289, EncoderLen: 590, CrossCache: true, Embeds: true},
	{Name: "ViT-GPT2", DModel: 768, Layers: 12, Heads: 12, Vocab: 50257, EncoderLen: 197},
}
