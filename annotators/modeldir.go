package annotators

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators/preprocess"
)

// ModelDir is a model directory in the Hugging Face Optimum export layout, read
// through an fs.FS so a folder on disk and the models embedded in the binary
// take the same path.
type ModelDir struct {
	FS   fs.FS
	Name string // shown in errors: the folder path or "bundled:segmenter"
	Role string // "segmenter" or "captioner"
	// Path is the folder on disk when the directory is one: sessions then
	// load from the files, so ONNX Runtime finds external data beside them.
	Path string
	// Variant picks the graph files (see Variants); "" is fp32.
	Variant string
	// LabelKinds, from --label-kinds, says for each label whether it is a
	// thing or stuff, when neither the directory nor a standard label set does.
	LabelKinds map[string]string
}

func (d ModelDir) Read(name string) ([]byte, error) {
	b, err := fs.ReadFile(d.FS, name)
	if err != nil {
		return nil, fmt.Errorf("%s model directory %s: read %s: %w", d.Role, d.Name, name, err)
	}
	return b, nil
}

func (d ModelDir) JSON(name string, v any) error {
	b, err := d.Read(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s model directory %s: %s is not valid JSON: %w", d.Role, d.Name, name, err)
	}
	return nil
}

// TensorSpec is what a model input or output must look like.
type TensorSpec struct {
	Name  string
	DType ort.TensorElementDataType
	Rank  int
	Dim1  int    // expected size of dimension 1 when the model fixes it; 0: any
	Why1  string // what dimension 1 must match, for the error
}

// onnxModel finds graph base in the chosen variant, checks its inputs and
// outputs against the contract and opens a session over exactly those names.
// It returns the file's sha256 (with its external data), which names the
// annotator in every record. A float16 export is opened with a float32
// interface (see newSession), so every float tensor twigdata passes or
// receives is float32.
func (d ModelDir) Session(base string, dev Device, inputs, outputs []TensorSpec) (*Session, string, error) {
	if initPath == "" {
		return nil, "", errNotInit
	}
	file, err := d.Graph(base)
	if err != nil {
		return nil, "", err
	}
	sum, err := d.Digest(file)
	if err != nil {
		return nil, "", err
	}
	ins, outs, err := d.IOInfo(file)
	if err != nil {
		return nil, "", fmt.Errorf("%s model %s/%s: ONNX Runtime cannot load it: %w", d.Role, d.Name, file, err)
	}
	types := map[string]ort.TensorElementDataType{}
	if err := d.match(file, "input", inputs, ins, types); err != nil {
		return nil, "", err
	}
	if err := d.match(file, "output", outputs, outs, types); err != nil {
		return nil, "", err
	}
	opts, err := dev.SessionOptions()
	if err != nil {
		return nil, "", err
	}
	defer opts.Destroy()
	names := func(specs []TensorSpec) []string {
		out := make([]string, len(specs))
		for i, s := range specs {
			out[i] = s.Name
		}
		return out
	}
	half := false
	for _, t := range types {
		half = half || t == ort.TensorElementDataTypeFloat16
	}
	s, err := d.newSession(file, names(inputs), names(outputs), opts, half)
	if err != nil {
		return nil, "", fmt.Errorf("%s model %s/%s: create session on %s: %w", d.Role, d.Name, file, dev, err)
	}
	return &Session{DynamicAdvancedSession: s, name: d.Role + "/" + base, dev: dev}, sum, nil
}

func (d ModelDir) match(file, kind string, want []TensorSpec, have []ort.InputOutputInfo, types map[string]ort.TensorElementDataType) error {
	byName := map[string]ort.InputOutputInfo{}
	var list []string
	for _, h := range have {
		byName[h.Name] = h
		list = append(list, fmt.Sprintf("%s (%s, rank %d)", h.Name, h.DataType, len(h.Dimensions)))
	}
	for _, w := range want {
		h, ok := byName[w.Name]
		if !ok {
			return fmt.Errorf("%s model %s/%s: no %s named %q (the model has: %s); export it with the standard names (optimum-cli export onnx)",
				d.Role, d.Name, file, kind, w.Name, strings.Join(list, ", "))
		}
		half := w.DType == ort.TensorElementDataTypeFloat && h.DataType == ort.TensorElementDataTypeFloat16
		types[w.Name] = h.DataType
		if h.DataType != w.DType && !half {
			return fmt.Errorf("%s model %s/%s: %s %q is %s, want %s",
				d.Role, d.Name, file, kind, w.Name, h.DataType, w.DType)
		}
		if len(h.Dimensions) != w.Rank {
			return fmt.Errorf("%s model %s/%s: %s %q has rank %d (%v), want rank %d",
				d.Role, d.Name, file, kind, w.Name, len(h.Dimensions), h.Dimensions, w.Rank)
		}
		if w.Dim1 > 0 && h.Dimensions[1] > 0 && int(h.Dimensions[1]) != w.Dim1 {
			return fmt.Errorf("%s model %s/%s: %s %q has %d channels but %s has %d: the model and its config.json do not belong together",
				d.Role, d.Name, file, kind, w.Name, h.Dimensions[1], w.Why1, w.Dim1)
		}
	}
	return nil
}

// preprocessor reads preprocessor_config.json with Hugging Face's semantics.
func (d ModelDir) Preprocessor() (preprocess.Processor, error) {
	data, err := d.Read("preprocessor_config.json")
	if err != nil {
		return preprocess.Processor{}, err
	}
	p, err := preprocess.Parse(data)
	if err != nil {
		return p, fmt.Errorf("%s model directory %s: %w", d.Role, d.Name, err)
	}
	return p, nil
}

// ErrEmptyBatch is returned for a batch with no images.
var ErrEmptyBatch = errors.New("annotators: empty batch")

// outputFiles are the files of a model directory besides its graphs that
// change what the model outputs: configs, preprocessing and tokenizers.
var outputFiles = []string{"config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
	"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json", "vocab.txt", "merges.txt"}

// modelID names a model by everything that changes its output: the graphs'
// digests, the directory's output files and the options it was loaded with
// ("task=<CAPTION>"), as role@sha256.
func (d ModelDir) ModelID(role string, graphs []string, options ...string) (string, error) {
	parts := append([]string{}, graphs...)
	for _, f := range outputFiles {
		b, err := fs.ReadFile(d.FS, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("%s model directory %s: read %s: %w", d.Role, d.Name, f, err)
		}
		sum := sha256.Sum256(b)
		parts = append(parts, f+"="+hex.EncodeToString(sum[:]))
	}
	return role + "@" + hashStrings(append(parts, options...)...), nil
}
