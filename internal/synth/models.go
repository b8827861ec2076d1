package synth

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/twigdata/twigdata/annotators/onnxproto"
	"github.com/twigdata/twigdata/annotators/tokenizer"
)

// Sizes the tiny models declare in their preprocessor configs.
const (
	segmenterSize  = 384
	segmenterScale = 4 // output stride: logits are H/4 × W/4, as SegFormer's
	captionerSize  = 48
)

// Special token ids of the captioner vocabulary.
const (
	tokBOS = 0
	tokPad = 1
	tokEOS = 2
	tokUnk = 3
)

// SegmenterFiles returns the files of the tiny SegFormer-style model directory.
// Each logit is a scaled negative squared distance to a class prototype color
// (the squared norm of the pixel is common to every class and drops out of the
// argmax), computed by one strided Conv over 4×4 patches.
func SegmenterFiles() map[string][]byte {
	const scale = 2.0
	n := len(Classes)
	w := make([]float32, n*3*4*4)
	b := make([]float32, n)
	for c, cl := range Classes {
		mu := normalized(cl.RGB)
		var sq float32
		for ch := 0; ch < 3; ch++ {
			sq += mu[ch] * mu[ch]
			for k := 0; k < 16; k++ {
				w[((c*3)+ch)*16+k] = scale * 2 * mu[ch] / 16
			}
		}
		b[c] = -scale * sq
	}
	g := onnxproto.Graph{
		Name: "tiny-segformer",
		Nodes: []onnxproto.Node{{
			Op: "Conv", Inputs: []string{"pixel_values", "W", "B"}, Outputs: []string{"logits"},
			Attrs: []onnxproto.Attr{onnxproto.IntsAttr("kernel_shape", 4, 4), onnxproto.IntsAttr("strides", 4, 4)},
		}},
		Initializers: []onnxproto.Tensor{
			{Name: "W", Dims: []int64{int64(n), 3, 4, 4}, Floats: w},
			{Name: "B", Dims: []int64{int64(n)}, Floats: b},
		},
		Inputs:  []onnxproto.Value{{Name: "pixel_values", ElemType: onnxproto.Float, Dims: []int64{-1, 3, -1, -1}, DimNames: []string{"batch_size", "", "height", "width"}}},
		Outputs: []onnxproto.Value{{Name: "logits", ElemType: onnxproto.Float, Dims: []int64{-1, int64(n), -1, -1}, DimNames: []string{"batch_size", "", "h", "w"}}},
	}
	id2label := map[string]string{}
	label2id := map[string]int{}
	for i, c := range Classes {
		id2label[strconv.Itoa(i)] = c.Label
		label2id[c.Label] = i
	}
	cfg := map[string]any{
		"architectures": []string{"SegformerForSemanticSegmentation"},
		"model_type":    "segformer",
		"num_labels":    n,
		"id2label":      id2label,
		"label2id":      label2id,
	}
	return map[string][]byte{
		"model.onnx":               g.Marshal(),
		"config.json":              mustJSON(cfg),
		"preprocessor_config.json": mustJSON(preprocessor("SegformerImageProcessor", segmenterSize)),
	}
}

func preprocessor(typ string, size int) map[string]any {
	return map[string]any{
		"image_processor_type": typ,
		"do_resize":            true,
		"do_rescale":           true,
		"do_normalize":         true,
		"rescale_factor":       1.0 / 255,
		"image_mean":           Mean[:],
		"image_std":            Std[:],
		"size":                 map[string]int{"height": size, "width": size},
	}
}

// captionVocab lays out the byte-level BPE vocabulary: specials, the 256 byte
// symbols, then whole words prefixed with the GPT-2 space marker.
type captionVocab struct {
	tokens []string
	ids    map[string]int
}

func newCaptionVocab() *captionVocab {
	v := &captionVocab{ids: map[string]int{}}
	for _, s := range []string{"<s>", "<pad>", "</s>", "<unk>"} {
		v.add(s)
	}
	for _, r := range tokenizer.ByteToUnicode() {
		v.add(string(r))
	}
	for _, c := range Classes {
		v.add("Ġ" + c.ColorWord)
		v.add("Ġ" + c.Noun)
	}
	v.add("Ġand")
	return v
}

func (v *captionVocab) add(s string) {
	if _, ok := v.ids[s]; ok {
		return
	}
	v.ids[s] = len(v.tokens)
	v.tokens = append(v.tokens, s)
}

func (v *captionVocab) word(w string) int { return v.ids["Ġ"+w] }

// CaptionerFiles returns the files of the tiny VisionEncoderDecoder-style model
// directory. The encoder turns an image into per-class pixel shares (softmax of
// the prototype distances, averaged); the decoder is a small grammar whose
// next-token logits depend on the previous token and on the shares of classes
// not yet named, so greedy decoding yields "<color> <noun> [and <color> <noun>]...".
func CaptionerFiles() map[string][]byte {
	voc := newCaptionVocab()
	n := len(Classes)
	V := len(voc.tokens)

	// Encoder.
	const sharp = 8.0
	ew := make([]float32, n*3)
	eb := make([]float32, n)
	for c, cl := range Classes {
		mu := normalized(cl.RGB)
		var sq float32
		for ch := 0; ch < 3; ch++ {
			ew[c*3+ch] = sharp * 2 * mu[ch]
			sq += mu[ch] * mu[ch]
		}
		eb[c] = -sharp * sq
	}
	enc := onnxproto.Graph{
		Name: "tiny-vit-encoder",
		Nodes: []onnxproto.Node{
			{Op: "Conv", Inputs: []string{"pixel_values", "W", "B"}, Outputs: []string{"scores"}, Attrs: []onnxproto.Attr{onnxproto.IntsAttr("kernel_shape", 1, 1)}},
			{Op: "Softmax", Inputs: []string{"scores"}, Outputs: []string{"probs"}, Attrs: []onnxproto.Attr{onnxproto.IntAttr("axis", 1)}},
			{Op: "ReduceMean", Inputs: []string{"probs"}, Outputs: []string{"shares"}, Attrs: []onnxproto.Attr{onnxproto.IntsAttr("axes", 2, 3), onnxproto.IntAttr("keepdims", 0)}},
			{Op: "Unsqueeze", Inputs: []string{"shares", "one_axis"}, Outputs: []string{"last_hidden_state"}},
		},
		Initializers: []onnxproto.Tensor{
			{Name: "W", Dims: []int64{int64(n), 3, 1, 1}, Floats: ew},
			{Name: "B", Dims: []int64{int64(n)}, Floats: eb},
			{Name: "one_axis", Dims: []int64{1}, Int64s: []int64{1}, IsInt64: true},
		},
		Inputs:  []onnxproto.Value{{Name: "pixel_values", ElemType: onnxproto.Float, Dims: []int64{-1, 3, -1, -1}, DimNames: []string{"batch_size", "", "height", "width"}}},
		Outputs: []onnxproto.Value{{Name: "last_hidden_state", ElemType: onnxproto.Float, Dims: []int64{-1, 1, int64(n)}, DimNames: []string{"batch_size", "", ""}}},
	}

	// Decoder tables.
	const (
		mask    = -100.0
		andGain = 20.0
		andMin  = 0.12 // a further phrase needs at least this share of the image unnamed
	)
	A := make([]float32, V*V)
	for i := range A {
		A[i] = mask
	}
	row := func(prev int) []float32 { return A[prev*V : (prev+1)*V] }
	colorIDs := map[int]bool{}
	nounIDs := map[int]bool{}
	for _, c := range Classes {
		colorIDs[voc.word(c.ColorWord)] = true
		nounIDs[voc.word(c.Noun)] = true
	}
	and := voc.word("and")
	for prev := 0; prev < V; prev++ {
		r := row(prev)
		switch {
		case prev == tokBOS || prev == and:
			for id := range colorIDs {
				r[id] = 0
			}
		case colorIDs[prev]:
			for _, c := range Classes {
				if voc.word(c.ColorWord) == prev {
					r[voc.word(c.Noun)] = 0
				}
			}
		case nounIDs[prev]:
			r[tokEOS] = 0
			r[and] = -andGain * andMin
		default:
			r[tokEOS] = 0
		}
	}
	M := make([]float32, n*V)    // class → its color word and noun
	CM := make([]float32, V*n)   // token → classes it admits (a color word admits its classes)
	Noun := make([]float32, V*n) // noun token → classes with that noun
	andVec := make([]float32, V) // share still unnamed raises "and"
	for c, cl := range Classes {
		M[c*V+voc.word(cl.ColorWord)] = 1
		M[c*V+voc.word(cl.Noun)] = 1
		Noun[voc.word(cl.Noun)*n+c] = 1
	}
	for tok := 0; tok < V; tok++ {
		for c, cl := range Classes {
			if !colorIDs[tok] || voc.word(cl.ColorWord) == tok {
				CM[tok*n+c] = 1
			}
		}
	}
	andVec[and] = andGain

	i64 := func(name string, v ...int64) onnxproto.Tensor {
		return onnxproto.Tensor{Name: name, Dims: []int64{int64(len(v))}, Int64s: v, IsInt64: true}
	}
	// Both decoders end in the same grammar: logits from the previous token,
	// the classes not yet named and the encoder's class shares.
	grammar := []onnxproto.Node{
		{Op: "Sub", Inputs: []string{"one", "named"}, Outputs: []string{"unnamed"}},
		{Op: "Mul", Inputs: []string{"encoder_hidden_states", "unnamed"}, Outputs: []string{"left"}},
		{Op: "Mul", Inputs: []string{"left", "cm"}, Outputs: []string{"feat"}},
		{Op: "ReduceSum", Inputs: []string{"feat", "c_axis"}, Outputs: []string{"rest"}, Attrs: []onnxproto.Attr{onnxproto.IntAttr("keepdims", 1)}},
		{Op: "Gather", Inputs: []string{"A", "input_ids"}, Outputs: []string{"grammar"}},
		{Op: "MatMul", Inputs: []string{"feat", "M"}, Outputs: []string{"evidence"}},
		{Op: "Mul", Inputs: []string{"rest", "AndVec"}, Outputs: []string{"more"}},
		{Op: "Add", Inputs: []string{"grammar", "evidence"}, Outputs: []string{"partial"}},
		{Op: "Add", Inputs: []string{"partial", "more"}, Outputs: []string{"logits"}},
	}
	tables := func(extra ...onnxproto.Tensor) []onnxproto.Tensor {
		return append([]onnxproto.Tensor{
			{Name: "A", Dims: []int64{int64(V), int64(V)}, Floats: A},
			{Name: "M", Dims: []int64{int64(n), int64(V)}, Floats: M},
			{Name: "CM", Dims: []int64{int64(V), int64(n)}, Floats: CM},
			{Name: "Noun", Dims: []int64{int64(V), int64(n)}, Floats: Noun},
			{Name: "AndVec", Dims: []int64{int64(V)}, Floats: andVec},
			{Name: "one", Dims: []int64{1}, Floats: []float32{1}},
		}, extra...)
	}
	nodes := func(head []onnxproto.Node, tail ...onnxproto.Node) []onnxproto.Node {
		return append(append(append([]onnxproto.Node{}, head...), grammar...), tail...)
	}
	dec := onnxproto.Graph{
		Name: "tiny-grammar-decoder",
		Nodes: nodes([]onnxproto.Node{
			{Op: "Gather", Inputs: []string{"CM", "input_ids"}, Outputs: []string{"cm"}},
			{Op: "Gather", Inputs: []string{"Noun", "input_ids"}, Outputs: []string{"noun"}},
			{Op: "Pad", Inputs: []string{"cm", "pads"}, Outputs: []string{"cm_padded"}},
			{Op: "Slice", Inputs: []string{"cm_padded", "starts", "ends", "axes"}, Outputs: []string{"cm_prev"}},
			{Op: "Mul", Inputs: []string{"cm_prev", "noun"}, Outputs: []string{"named_now"}},
			{Op: "CumSum", Inputs: []string{"named_now", "t_axis"}, Outputs: []string{"named"}},
		},
			// The cache a with-past run continues from: per position, the
			// classes named there (key) and the classes its token admits (value).
			onnxproto.Node{Op: "Unsqueeze", Inputs: []string{"named_now", "head_axis"}, Outputs: []string{"present.0.key"}},
			onnxproto.Node{Op: "Unsqueeze", Inputs: []string{"cm", "head_axis"}, Outputs: []string{"present.0.value"}},
		),
		Initializers: tables(
			i64("pads", 0, 1, 0, 0, 0, 0),
			i64("starts", 0), i64("ends", -1), i64("axes", 1),
			onnxproto.Tensor{Name: "t_axis", Dims: []int64{}, Int64s: []int64{1}, IsInt64: true},
			i64("c_axis", 2),
			i64("head_axis", 1),
		),
		Inputs: []onnxproto.Value{
			{Name: "input_ids", ElemType: onnxproto.Int64, Dims: []int64{-1, -1}, DimNames: []string{"batch_size", "decoder_sequence_length"}},
			{Name: "encoder_hidden_states", ElemType: onnxproto.Float, Dims: []int64{-1, -1, int64(n)}, DimNames: []string{"batch_size", "encoder_sequence_length", ""}},
		},
		Outputs: []onnxproto.Value{
			{Name: "logits", ElemType: onnxproto.Float, Dims: []int64{-1, -1, int64(V)}, DimNames: []string{"batch_size", "decoder_sequence_length", ""}},
			{Name: "present.0.key", ElemType: onnxproto.Float, Dims: []int64{-1, 1, -1, int64(n)}, DimNames: []string{"batch_size", "", "decoder_sequence_length", ""}},
			{Name: "present.0.value", ElemType: onnxproto.Float, Dims: []int64{-1, 1, -1, int64(n)}, DimNames: []string{"batch_size", "", "decoder_sequence_length", ""}},
		},
	}

	// The with-past decoder takes only the newest token and continues from
	// the cache, as Optimum's decoder_with_past_model.onnx does; it must give
	// the same logits as the full decoder at the last position.
	past := onnxproto.Graph{
		Name: "tiny-grammar-decoder-with-past",
		Nodes: nodes([]onnxproto.Node{
			{Op: "Gather", Inputs: []string{"CM", "input_ids"}, Outputs: []string{"cm"}},
			{Op: "Gather", Inputs: []string{"Noun", "input_ids"}, Outputs: []string{"noun"}},
			{Op: "Slice", Inputs: []string{"past_key_values.0.value", "last_start", "last_end", "t_axis2"}, Outputs: []string{"cm_last"}},
			{Op: "Squeeze", Inputs: []string{"cm_last", "head_axis"}, Outputs: []string{"cm_prev"}},
			{Op: "Mul", Inputs: []string{"cm_prev", "noun"}, Outputs: []string{"named_now"}},
			{Op: "ReduceSum", Inputs: []string{"past_key_values.0.key", "t_axis2"}, Outputs: []string{"named_before4"}, Attrs: []onnxproto.Attr{onnxproto.IntAttr("keepdims", 1)}},
			{Op: "Squeeze", Inputs: []string{"named_before4", "head_axis"}, Outputs: []string{"named_before"}},
			{Op: "Add", Inputs: []string{"named_before", "named_now"}, Outputs: []string{"named"}},
		},
			onnxproto.Node{Op: "Unsqueeze", Inputs: []string{"named_now", "head_axis"}, Outputs: []string{"key_now"}},
			onnxproto.Node{Op: "Unsqueeze", Inputs: []string{"cm", "head_axis"}, Outputs: []string{"value_now"}},
			onnxproto.Node{Op: "Concat", Inputs: []string{"past_key_values.0.key", "key_now"}, Outputs: []string{"present.0.key"}, Attrs: []onnxproto.Attr{onnxproto.IntAttr("axis", 2)}},
			onnxproto.Node{Op: "Concat", Inputs: []string{"past_key_values.0.value", "value_now"}, Outputs: []string{"present.0.value"}, Attrs: []onnxproto.Attr{onnxproto.IntAttr("axis", 2)}},
		),
		Initializers: tables(
			i64("last_start", -1), i64("last_end", 1<<62), i64("t_axis2", 2),
			i64("c_axis", 2), i64("head_axis", 1),
		),
		Inputs: []onnxproto.Value{
			{Name: "input_ids", ElemType: onnxproto.Int64, Dims: []int64{-1, 1}, DimNames: []string{"batch_size", ""}},
			{Name: "encoder_hidden_states", ElemType: onnxproto.Float, Dims: []int64{-1, -1, int64(n)}, DimNames: []string{"batch_size", "encoder_sequence_length", ""}},
			{Name: "past_key_values.0.key", ElemType: onnxproto.Float, Dims: []int64{-1, 1, -1, int64(n)}, DimNames: []string{"batch_size", "", "past_sequence_length", ""}},
			{Name: "past_key_values.0.value", ElemType: onnxproto.Float, Dims: []int64{-1, 1, -1, int64(n)}, DimNames: []string{"batch_size", "", "past_sequence_length", ""}},
		},
		Outputs: []onnxproto.Value{
			{Name: "logits", ElemType: onnxproto.Float, Dims: []int64{-1, 1, int64(V)}, DimNames: []string{"batch_size", "", ""}},
			{Name: "present.0.key", ElemType: onnxproto.Float, Dims: []int64{-1, 1, -1, int64(n)}, DimNames: []string{"batch_size", "", "past_sequence_length + 1", ""}},
			{Name: "present.0.value", ElemType: onnxproto.Float, Dims: []int64{-1, 1, -1, int64(n)}, DimNames: []string{"batch_size", "", "past_sequence_length + 1", ""}},
		},
	}

	vocab := map[string]int{}
	for i, t := range voc.tokens {
		vocab[t] = i
	}
	cfg := map[string]any{
		"architectures":          []string{"VisionEncoderDecoderModel"},
		"model_type":             "vision-encoder-decoder",
		"decoder_start_token_id": tokBOS,
		"eos_token_id":           tokEOS,
		"pad_token_id":           tokPad,
		"max_length":             16,
		"encoder":                map[string]any{"model_type": "vit", "image_size": captionerSize, "hidden_size": n},
		"decoder":                map[string]any{"model_type": "gpt2", "vocab_size": V, "bos_token_id": tokBOS, "eos_token_id": tokEOS, "pad_token_id": tokPad},
	}
	return map[string][]byte{
		"encoder_model.onnx":           enc.Marshal(),
		"decoder_model.onnx":           dec.Marshal(),
		"decoder_with_past_model.onnx": past.Marshal(),
		"config.json":                  mustJSON(cfg),
		"preprocessor_config.json":     mustJSON(preprocessor("ViTImageProcessor", captionerSize)),
		"vocab.json":                   mustJSON(vocab),
		"special_tokens_map.json":      mustJSON(map[string]string{"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}),
	}
}

// mustJSON marshals with sorted keys and indentation so committed files diff cleanly.
func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("synth: marshal: %v", err))
	}
	return append(b, '\n')
}

// SortedKeys returns a map's keys in order, for deterministic file writing.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
