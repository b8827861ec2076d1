package annotators

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators/tokenizer"
)

// PastSpecs reads a decoder's past_key_values.* inputs: their names (sorted),
// the specs of the inputs and of the matching present.* outputs, and their
// shapes.
func PastSpecs(dir ModelDir, base string) (names []string, pasts, presents []TensorSpec, shapes [][]int64, err error) {
	file, err := dir.Graph(base)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ins, _, err := dir.IOInfo(file)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("captioner model %s/%s: ONNX Runtime cannot load it: %w", dir.Name, file, err)
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
		return nil, nil, nil, nil, fmt.Errorf("captioner model %s/%s has no past_key_values.* inputs: it is not a decoder with a cache", dir.Name, file)
	}
	for _, n := range names {
		in := byName[n]
		if len(in.Dimensions) != 4 {
			return nil, nil, nil, nil, fmt.Errorf("captioner model %s/%s: %s has rank %d, want 4 [batch, heads, length, head size]", dir.Name, file, n, len(in.Dimensions))
		}
		pasts = append(pasts, TensorSpec{Name: n, DType: ort.TensorElementDataTypeFloat, Rank: 4})
		presents = append(presents, TensorSpec{Name: "present." + strings.TrimPrefix(n, "past_key_values."), DType: ort.TensorElementDataTypeFloat, Rank: 4})
		shapes = append(shapes, []int64(in.Dimensions))
	}
	return names, pasts, presents, shapes, nil
}

// MergedPastSpecs is PastSpecs of decoder_model_merged.onnx, whose empty
// first-step cache needs a fixed head count and size.
func MergedPastSpecs(dir ModelDir) (names []string, pasts, presents []TensorSpec, shapes [][]int64, err error) {
	names, pasts, presents, shapes, err = PastSpecs(dir, "decoder_model_merged")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for i, sh := range shapes {
		if sh[1] <= 0 || sh[3] <= 0 {
			return nil, nil, nil, nil, fmt.Errorf("%s model %s: decoder_model_merged %s has no fixed head count and size (%v): re-export it", dir.Role, dir.Name, names[i], sh)
		}
	}
	return names, pasts, presents, shapes, nil
}

// hashStrings is the sha256, in hex, of parts each ended by a zero byte.
func hashStrings(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hasTokenizer reports whether the directory holds a tokenizer file.
func (d ModelDir) HasTokenizer() bool {
	for _, f := range []string{"vocab.json", "tokenizer.json"} {
		if _, err := fs.Stat(d.FS, f); err == nil {
			return true
		}
	}
	return false
}

// tokenizer reads vocab.json (byte-level BPE) or tokenizer.json (byte-level
// BPE or WordPiece, with added tokens); the special ids are skipped on decode.
func (d ModelDir) Tokenizer(special ...int) (tokenizer.Decoder, error) {
	if _, err := fs.Stat(d.FS, "vocab.json"); err == nil {
		var vocab map[string]int
		if err := d.JSON("vocab.json", &vocab); err != nil {
			return nil, err
		}
		dec, err := tokenizer.NewBPEDecoder(vocab, special...)
		if err != nil {
			return nil, fmt.Errorf("captioner model directory %s: %w", d.Name, err)
		}
		return dec, nil
	}
	data, err := d.Read("tokenizer.json")
	if err != nil {
		return nil, err
	}
	dec, err := tokenizer.FromJSON(data, special...)
	if err != nil {
		return nil, fmt.Errorf("captioner model directory %s: %w", d.Name, err)
	}
	return dec, nil
}

// EmptyPasts are the past_key_values.* of a merged decoder's first step:
// [B, heads, 0, head size] float32 tensors (a float16 export is given a
// float32 interface, see ModelDir.newSession).
func EmptyPasts(B int64, shapes [][]int64) ([]ort.Value, error) {
	pasts := make([]ort.Value, 0, len(shapes))
	for _, sh := range shapes {
		v, err := ort.NewTensor(ort.NewShape(B, sh[1], 0, sh[3]), []float32{})
		if err != nil {
			DestroyAll(pasts)
			return nil, fmt.Errorf("empty past tensor: %w", err)
		}
		pasts = append(pasts, v)
	}
	return pasts, nil
}

// DestroyAll releases tensors.
func DestroyAll(vs []ort.Value) {
	for _, v := range vs {
		v.Destroy()
	}
}

// FirstID is the first of vals that is set.
func FirstID(vals ...*int64) (int64, bool) {
	for _, v := range vals {
		if v != nil {
			return *v, true
		}
	}
	return 0, false
}
