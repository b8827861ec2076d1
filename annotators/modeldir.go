package annotators

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
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
}

// need checks that every file exists before anything is parsed, so a user sees
// the whole list of what is missing at once.
func (d ModelDir) need(files ...string) error {
	var missing []string
	for _, f := range files {
		if _, err := fs.Stat(d.FS, f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s model directory %s: missing %s (a %s directory holds %s, as a Hugging Face Optimum export writes them)",
			d.Role, d.Name, strings.Join(missing, ", "), d.Role, strings.Join(files, ", "))
	}
	return nil
}

func (d ModelDir) read(name string) ([]byte, error) {
	b, err := fs.ReadFile(d.FS, name)
	if err != nil {
		return nil, fmt.Errorf("%s model directory %s: read %s: %w", d.Role, d.Name, name, err)
	}
	return b, nil
}

func (d ModelDir) json(name string, v any) error {
	b, err := d.read(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s model directory %s: %s is not valid JSON: %w", d.Role, d.Name, name, err)
	}
	return nil
}

// tensorSpec is what a model input or output must look like.
type tensorSpec struct {
	name  string
	dtype ort.TensorElementDataType
	rank  int
	dim1  int    // expected size of dimension 1 when the model fixes it; 0: any
	why1  string // what dimension 1 must match, for the error
}

// onnxModel finds graph base in the chosen variant, checks its inputs and
// outputs against the contract and opens a session over exactly those names.
// It returns the file's sha256 (with its external data), which names the
// annotator in every record, and each input's element type: a float input
// may be float16 in a half-precision export, converted at the boundary.
func (d ModelDir) onnxModel(base string, dev Device, inputs, outputs []tensorSpec) (*ort.DynamicAdvancedSession, string, map[string]ort.TensorElementDataType, error) {
	if initPath == "" {
		return nil, "", nil, errNotInit
	}
	file, err := d.graph(base)
	if err != nil {
		return nil, "", nil, err
	}
	sum, err := d.digest(file)
	if err != nil {
		return nil, "", nil, err
	}
	ins, outs, err := d.ioInfo(file)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s model %s/%s: ONNX Runtime cannot load it: %w", d.Role, d.Name, file, err)
	}
	types := map[string]ort.TensorElementDataType{}
	if err := d.match(file, "input", inputs, ins, types); err != nil {
		return nil, "", nil, err
	}
	if err := d.match(file, "output", outputs, outs, types); err != nil {
		return nil, "", nil, err
	}
	opts, err := dev.sessionOptions()
	if err != nil {
		return nil, "", nil, err
	}
	defer opts.Destroy()
	names := func(specs []tensorSpec) []string {
		out := make([]string, len(specs))
		for i, s := range specs {
			out[i] = s.name
		}
		return out
	}
	s, err := d.newSession(file, names(inputs), names(outputs), opts)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s model %s/%s: create session on %s: %w", d.Role, d.Name, file, dev, err)
	}
	return s, sum, types, nil
}

func (d ModelDir) match(file, kind string, want []tensorSpec, have []ort.InputOutputInfo, types map[string]ort.TensorElementDataType) error {
	byName := map[string]ort.InputOutputInfo{}
	var list []string
	for _, h := range have {
		byName[h.Name] = h
		list = append(list, fmt.Sprintf("%s (%s, rank %d)", h.Name, h.DataType, len(h.Dimensions)))
	}
	for _, w := range want {
		h, ok := byName[w.name]
		if !ok {
			return fmt.Errorf("%s model %s/%s: no %s named %q (the model has: %s); export it with the standard names (optimum-cli export onnx)",
				d.Role, d.Name, file, kind, w.name, strings.Join(list, ", "))
		}
		half := w.dtype == ort.TensorElementDataTypeFloat && h.DataType == ort.TensorElementDataTypeFloat16
		types[w.name] = h.DataType
		if h.DataType != w.dtype && !half {
			return fmt.Errorf("%s model %s/%s: %s %q is %s, want %s",
				d.Role, d.Name, file, kind, w.name, h.DataType, w.dtype)
		}
		if len(h.Dimensions) != w.rank {
			return fmt.Errorf("%s model %s/%s: %s %q has rank %d (%v), want rank %d",
				d.Role, d.Name, file, kind, w.name, len(h.Dimensions), h.Dimensions, w.rank)
		}
		if w.dim1 > 0 && h.Dimensions[1] > 0 && int(h.Dimensions[1]) != w.dim1 {
			return fmt.Errorf("%s model %s/%s: %s %q has %d channels but %s has %d: the model and its config.json do not belong together",
				d.Role, d.Name, file, kind, w.name, h.Dimensions[1], w.why1, w.dim1)
		}
	}
	return nil
}

// preprocessorConfig is the subset of preprocessor_config.json that matters.
type preprocessorConfig struct {
	Size          json.RawMessage `json:"size"`
	ImageMean     []float32       `json:"image_mean"`
	ImageStd      []float32       `json:"image_std"`
	RescaleFactor *float32        `json:"rescale_factor"`
	DoRescale     *bool           `json:"do_rescale"`
	DoNormalize   *bool           `json:"do_normalize"`
}

// preprocess is a resolved preprocessing recipe.
type preprocess struct {
	H, W      int
	Mean, Std [3]float32
	Scale     float32
}

func (d ModelDir) preprocessor() (preprocess, error) {
	var c preprocessorConfig
	if err := d.json("preprocessor_config.json", &c); err != nil {
		return preprocess{}, err
	}
	p := preprocess{Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}, Scale: 1.0 / 255}
	bad := func(what string) error {
		return fmt.Errorf("%s model directory %s: preprocessor_config.json: %s", d.Role, d.Name, what)
	}
	// size is {"height":H,"width":W}, {"shortest_edge":N} or a bare number.
	var hw struct{ Height, Width, ShortestEdge int }
	var n int
	switch {
	case len(c.Size) == 0:
		return p, bad(`missing "size"`)
	case json.Unmarshal(c.Size, &n) == nil:
		p.H, p.W = n, n
	case json.Unmarshal(c.Size, &hw) == nil:
		p.H, p.W = hw.Height, hw.Width
		if hw.ShortestEdge > 0 && p.H == 0 {
			p.H, p.W = hw.ShortestEdge, hw.ShortestEdge
		}
	}
	if p.H <= 0 || p.W <= 0 {
		return p, bad(`"size" must give a positive height and width`)
	}
	if c.DoNormalize == nil || *c.DoNormalize {
		if len(c.ImageMean) != 3 || len(c.ImageStd) != 3 {
			return p, bad(`"image_mean" and "image_std" must have 3 values each`)
		}
		for i := 0; i < 3; i++ {
			if c.ImageStd[i] == 0 {
				return p, bad(`"image_std" has a zero`)
			}
			p.Mean[i], p.Std[i] = c.ImageMean[i], c.ImageStd[i]
		}
	} else {
		p.Mean, p.Std = [3]float32{0, 0, 0}, [3]float32{1, 1, 1}
	}
	if c.DoRescale != nil && !*c.DoRescale {
		p.Scale = 1
	} else if c.RescaleFactor != nil {
		p.Scale = *c.RescaleFactor
	}
	return p, nil
}

var errEmptyBatch = errors.New("annotators: empty batch")
