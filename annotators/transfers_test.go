package annotators_test

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/florence2"
	ort "github.com/yalue/onnxruntime_go"
)

// TestTransfersMatchTheirFormula: while the ViT-GPT2 twin captions one
// batch, the bytes the runtime counts crossing between Go and ONNX Runtime
// at its decoder are, token for token, DecoderShape.BoundStepBytes — the new
// token's id in and its logits out; the encoder's states and the cache stay
// bound — and the generated tokens are counted. HostStepBytes, what crossed
// before the binding (the whole cache and the encoder's states each way, each
// step), is logged beside it: the README's table applies both to the real
// checkpoints' shapes.
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
	if dec == nil || dec.Calls < 2 {
		t.Fatalf("want decoder transfers of two steps or more: %+v", annotators.Transfers())
	}
	if dec.Generated < int64(B) || dec.Generated > int64(B)*dec.Calls {
		t.Errorf("%d tokens generated in %d calls of %d rows", dec.Generated, dec.Calls, B)
	}
	bi, bo := shape.BoundStepBytes(1)
	// use_cache_branch goes in twice: false for the first step, true after.
	if in, out := bi*dec.Generated+2, bo*dec.Generated; dec.BytesIn != in || dec.BytesOut != out {
		t.Errorf("%s: %d calls, %d tokens moved %d bytes in and %d out; bound, the formula says %d and %d", dec.Graph, dec.Calls, dec.Generated, dec.BytesIn, dec.BytesOut, in, out)
	}
	var hin, hout int64
	for step := 0; step < int(dec.Calls); step++ {
		i, o := shape.HostStepBytes(B, step)
		hin, hout = hin+i, hout+o
	}
	t.Logf("%s: %d calls, %d tokens; per token %d bytes in, %d out (with host caches it was %d and %d)", dec.Graph, dec.Calls, dec.Generated,
		dec.BytesIn/dec.Generated, dec.BytesOut/dec.Generated, hin/dec.Generated, hout/dec.Generated)
}

// TestFlorenceTransfersMatchTheirFormula: the same for the Florence-2 twin,
// whose decoder also takes the encoder's mask, keeps the cross-attention
// cache and takes embeddings from embed_tokens: per generated token its id
// goes into embed_tokens, the embedding stays on the device, and the
// decoder's logits come out; the encoder's mask goes in once.
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
	vis, enc, dec, emb, place := by["vision_encoder"], by["encoder_model"], by["decoder_model_merged"], by["embed_tokens"], by["place"]
	if enc.Calls != 1 || dec.Calls < 2 || emb.Calls != dec.Calls+1 {
		t.Fatalf("calls: encoder %d, decoder %d, embed_tokens %d (one for the prompt, one per step)", enc.Calls, dec.Calls, emb.Calls)
	}
	if dec.Generated != B*dec.Calls {
		t.Fatalf("a row ended early (%d tokens in %d steps of %d): pick images that run to the end", dec.Generated, dec.Calls, B)
	}
	if vis.BytesOut != 0 || enc.BytesOut != 0 || emb.BytesOut != 0 {
		t.Errorf("image features, encoder states and embeddings crossed to Go: %d, %d and %d bytes", vis.BytesOut, enc.BytesOut, emb.BytesOut)
	}
	if enc.BytesIn != 0 || place.Calls != 1 {
		t.Errorf("the encoder took %d bytes from Go; the mask was placed %d times, want once", enc.BytesIn, place.Calls)
	}
	S := place.BytesIn / (B * 8) // the attention mask [B,S], placed once for the encoder and the decoder
	shape := annotators.DecoderShape{DModel: D, Layers: 1, Heads: 2, Vocab: 1425, EncoderLen: int(S), CrossCache: true, Embeds: true}
	bi, bo := shape.BoundStepBytes(1)
	prompt := emb.BytesIn - bi*dec.Generated // the prompt's ids, [B,T]
	if prompt <= 0 || prompt%(8*B) != 0 {
		t.Errorf("embed_tokens took %d bytes in %d calls: %d per generated token and the prompt's ids leave %d", emb.BytesIn, emb.Calls, bi, prompt)
	}
	// The decoder: use_cache_branch (false, then true) in, the logits out.
	if in, out := int64(2), bo*dec.Generated; dec.BytesIn != in || dec.BytesOut != out {
		t.Errorf("decoder moved %d bytes in and %d out over %d steps (encoder length %d); bound, the formula says %d and %d",
			dec.BytesIn, dec.BytesOut, dec.Calls, S, in, out)
	}
	var hin, hout int64
	for step := 0; step < int(dec.Calls); step++ {
		i, o := shape.HostStepBytes(B, step)
		hin, hout = hin+i, hout+o
	}
	t.Logf("Florence-2 twin: %d steps of %d rows, %d tokens, encoder length %d; per token %d bytes in, %d out (with host caches it was %d and %d)",
		dec.Calls, B, dec.Generated, S, (dec.BytesIn+emb.BytesIn-prompt)/dec.Generated, dec.BytesOut/dec.Generated, hin/dec.Generated, hout/dec.Generated)
}

// TestEndedRowsLeaveTheBatch: when one row of a batch ends, the batch goes
// on without it — its cache, encoder states and logits stop crossing — and
// every row's tokens are those it has alone. The twin is given an end token
// that one image reaches early and the other never does.
func TestEndedRowsLeaveTheBatch(t *testing.T) {
	base := twin("vit-gpt2", "")
	m, err := captioner.Load(base, annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	imgs := make([]image.Image, 6)
	for i := range imgs {
		g := image.NewRGBA(image.Rect(0, 0, 48, 48))
		for p := range g.Pix {
			g.Pix[p] = uint8(53*i + 7*p + p*p%13)
		}
		imgs[i] = g
	}
	seqs, err := m.Tokens(context.Background(), imgs)
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	// An end token one image generates (at end, not before) and another
	// never does.
	var a, b, end int
	eos := int64(-1)
	for i := range seqs {
		for j := range seqs {
			for p := 1; p < len(seqs[i]) && eos < 0; p++ {
				if tok := seqs[i][p]; i != j && !slices.Contains(seqs[i][1:p], tok) && !slices.Contains(seqs[j][1:], tok) {
					a, b, end, eos = i, j, p, tok
				}
			}
		}
	}
	if eos < 0 {
		t.Fatalf("no token ends one image's generation early and not another's: %v", seqs)
	}
	dir := without(t, base)
	for _, f := range []string{"config.json", "generation_config.json"} {
		cfg, err := os.ReadFile(filepath.Join(dir.Path, f))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(cfg, &doc); err != nil {
			t.Fatal(err)
		}
		doc["eos_token_id"] = eos
		cfg, _ = json.Marshal(doc)
		if err := os.WriteFile(filepath.Join(dir.Path, f), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err = captioner.Load(dir, annotators.Device{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	alone := make([][]int64, 2)
	for n, i := range []int{a, b} {
		got, err := m.Tokens(context.Background(), []image.Image{imgs[i]})
		if err != nil {
			t.Fatal(err)
		}
		alone[n] = got[0]
	}
	annotators.ResetTransfers()
	both, err := m.Tokens(context.Background(), []image.Image{imgs[a], imgs[b]})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(both[0], alone[0]) || !slices.Equal(both[1], alone[1]) {
		t.Errorf("in one batch %v and %v; alone %v and %v", both[0], both[1], alone[0], alone[1])
	}
	if len(both[0]) != end+1 || both[0][end] != eos || len(both[1]) <= end+1 {
		t.Fatalf("the first row should end at token %d (%d) and the second go on: %v, %v", end, eos, both[0], both[1])
	}
	var generated, calls int64
	for _, tr := range annotators.Transfers() {
		if strings.HasPrefix(tr.Graph, "captioner/decoder") {
			generated, calls = generated+tr.Generated, calls+tr.Calls
		}
	}
	if want := int64(len(both[0]) + len(both[1]) - 2); generated != want || calls != int64(len(both[1])-1) {
		t.Errorf("%d tokens generated in %d calls; the rows hold %d, the longer took %d steps", generated, calls, want, len(both[1])-1)
	}
}

// TestGatherKeepsTheRowsThatGoOn: a batch's tensors, placed where the
// sessions run, cut there to the rows that go on (the Gather kernel), in
// order, whatever their other axes; joined along their positions (the
// Concat kernel); and read back only from host memory.
func TestGatherKeepsTheRowsThatGoOn(t *testing.T) {
	dev := annotators.Device{}
	for _, tc := range []struct {
		name  string
		shape ort.Shape
		keep  []int
	}{
		{"a cache [B,H,T,hd]", ort.NewShape(4, 2, 3, 2), []int{0, 2}},
		{"encoder states [B,S,D]", ort.NewShape(3, 5, 4), []int{2}},
		{"the last rows", ort.NewShape(3, 2), []int{1, 2}},
		{"beams reordered, one twice", ort.NewShape(3, 2), []int{2, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := int(tc.shape.FlattenedSize())
			per := n / int(tc.shape[0])
			f, ints := make([]float32, n), make([]int64, n)
			for i := range f {
				f[i], ints[i] = float32(i), int64(i)
			}
			ft, _ := ort.NewTensor(tc.shape, f)
			it, _ := ort.NewTensor(tc.shape, ints)
			pf, err := annotators.Place(dev, ft)
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Release()
			pi, err := annotators.Place(dev, it)
			if err != nil {
				t.Fatal(err)
			}
			defer pi.Release()
			gf, err := annotators.GatherRows(dev, pf, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			defer gf.Release()
			gi, err := annotators.GatherRows(dev, pi, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			defer gi.Release()
			fd, got, err := annotators.Read[float32](gf)
			if err != nil {
				t.Fatal(err)
			}
			id, _, err := annotators.Read[int64](gi)
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != int64(len(tc.keep)) || !slices.Equal(got[1:], tc.shape[1:]) {
				t.Errorf("shape %v, want %d rows of %v", got, len(tc.keep), tc.shape[1:])
			}
			for r, k := range tc.keep {
				for j := 0; j < per; j++ {
					if fd[r*per+j] != float32(k*per+j) || id[r*per+j] != int64(k*per+j) {
						t.Fatalf("row %d, element %d: %v and %v, want row %d's", r, j, fd[r*per+j], id[r*per+j], k)
					}
				}
			}
			if _, _, err := annotators.Read[int64](gf); err == nil {
				t.Error("read float32 data as int64")
			}
			if len(tc.shape) > 1 && len(tc.keep) == int(tc.shape[0]) {
				c, err := annotators.Concat(dev, pf, gf)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Release()
				cd, csh, err := annotators.Read[float32](c)
				if err != nil {
					t.Fatal(err)
				}
				// Row 0: the placed row 0's positions, then the gathered row 0's.
				if want := append(f[:per:per], fd[:per]...); csh[1] != 2*tc.shape[1] || !slices.Equal(cd[:2*per], want) {
					t.Errorf("concat: shape %v, row 0 %v, want %v", csh, cd[:2*per], want)
				}
			}
		})
	}
	p, _ := ort.NewTensor(ort.NewShape(2, 1), []float32{1, 2})
	r, err := annotators.Place(dev, p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if _, err := annotators.GatherRows(dev, r, []int{2}); err == nil || !strings.Contains(err.Error(), "row 2 of a batch of 2") {
		t.Errorf("a row past the batch: %v", err)
	}
}
