package annotators_test

import (
	"context"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/florence2"
)

// TestTransfersMatchTheirFormula: the bytes the runtime counts crossing
// between Go and ONNX Runtime while the ViT-GPT2 twin captions one batch
// are, call by call, what DecoderShape.HostStepBytes computes from its
// config — the formula the README's table applies to the real checkpoints'
// shapes — and the generated tokens are counted.
func TestTransfersMatchTheirFormula(t *testing.T) {
	c, err := captioner.Load(twin("vit-gpt2", ""), annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const B = 4
	imgs := make([]image.Image, B)
	for i := range imgs {
		m := image.NewRGBA(image.Rect(0, 0, 40+8*i, 40))
		for p := range m.Pix {
			m.Pix[p] = uint8(37*i + p)
		}
		m.Set(0, 0, color.RGBA{A: 255})
		imgs[i] = m
	}
	annotators.ResetTransfers()
	if _, err := c.Caption(context.Background(), imgs); err != nil {
		t.Fatal(err)
	}
	// The twin's decoder: n_embd 32, 1 layer, 2 heads, 400 tokens; its
	// encoder: 32×32 images in 8×8 patches, 16 and a class token.
	shape := annotators.DecoderShape{DModel: 32, Layers: 1, Heads: 2, Vocab: 400, EncoderLen: 17}
	var dec *annotators.Transfer
	for _, tr := range annotators.Transfers() {
		if strings.HasPrefix(tr.Graph, "captioner/decoder") {
			tr := tr
			dec = &tr
		}
	}
	if dec == nil || dec.Calls == 0 {
		t.Fatalf("no decoder transfers counted: %+v", annotators.Transfers())
	}
	var in, out int64
	for step := 0; step < int(dec.Calls); step++ {
		i, o := shape.HostStepBytes(B, step)
		in, out = in+i, out+o
	}
	if dec.BytesIn != in || dec.BytesOut != out {
		t.Errorf("%s: %d calls moved %d bytes in and %d out; the formula says %d and %d", dec.Graph, dec.Calls, dec.BytesIn, dec.BytesOut, in, out)
	}
	if dec.Generated < int64(B) || dec.Generated > int64(B)*dec.Calls {
		t.Errorf("%d tokens generated in %d calls of %d rows", dec.Generated, dec.Calls, B)
	}
	bi, bo := shape.BoundStepBytes(B)
	t.Logf("%s: %d calls, %d tokens; per token %d bytes in, %d out (bound to the device: %d and %d)", dec.Graph, dec.Calls, dec.Generated,
		dec.BytesIn/dec.Generated, dec.BytesOut/dec.Generated, bi/B, bo/B)
}

// TestFlorenceTransfersMatchTheirFormula: the same for the Florence-2 twin,
// whose decoder also takes the encoder's mask, keeps the cross-attention
// cache and takes embeddings from embed_tokens: its decoder's and
// embed_tokens' bytes together are HostStepBytes, with the encoder length
// read off the encoder's own input.
func TestFlorenceTransfersMatchTheirFormula(t *testing.T) {
	f, err := florence2.Load(twin("florence2", ""), annotators.Device{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const B = 3
	imgs := make([]image.Image, B)
	for i := range imgs {
		m := image.NewRGBA(image.Rect(0, 0, 64, 48+8*i))
		for p := range m.Pix {
			m.Pix[p] = uint8(11*i + 3*p)
		}
		imgs[i] = m
	}
	annotators.ResetTransfers()
	if _, err := f.Caption(context.Background(), imgs); err != nil {
		t.Fatal(err)
	}
	// The twin's text config: d_model 32, 1 decoder layer, 2 heads, 1425 tokens.
	const D = 32
	by := map[string]annotators.Transfer{}
	for _, tr := range annotators.Transfers() {
		by[tr.Graph[strings.Index(tr.Graph, "/")+1:]] = tr
	}
	enc, dec, emb := by["encoder_model"], by["decoder_model_merged"], by["embed_tokens"]
	if enc.Calls != 1 || dec.Calls == 0 || emb.Calls != dec.Calls+1 {
		t.Fatalf("calls: encoder %d, decoder %d, embed_tokens %d (one for the prompt, one per step)", enc.Calls, dec.Calls, emb.Calls)
	}
	S := int(enc.BytesIn / (B * (4*D + 8))) // inputs_embeds [B,S,D] and attention_mask [B,S]
	shape := annotators.DecoderShape{DModel: D, Layers: 1, Heads: 2, Vocab: 1425, EncoderLen: S, CrossCache: true, Embeds: true}
	var in, out int64
	for step := 0; step < int(dec.Calls); step++ {
		i, o := shape.HostStepBytes(B, step)
		in, out = in+i, out+o
	}
	// embed_tokens' first call embeds the prompt, not a generated token.
	gotIn, gotOut := dec.BytesIn+emb.BytesIn, dec.BytesOut+emb.BytesOut
	firstIn, firstOut := emb.BytesIn-dec.Calls*8*B, emb.BytesOut-dec.Calls*4*B*D
	if gotIn-firstIn != in || gotOut-firstOut != out {
		t.Errorf("decoder and embed_tokens moved %d bytes in and %d out over %d steps (encoder length %d); the formula says %d and %d",
			gotIn-firstIn, gotOut-firstOut, dec.Calls, S, in, out)
	}
	t.Logf("Florence-2 twin: %d steps of %d rows, %d tokens, encoder length %d; per token %d bytes in, %d out", dec.Calls, B, dec.Generated, S,
		(gotIn-firstIn)/dec.Generated, (gotOut-firstOut)/dec.Generated)
}
