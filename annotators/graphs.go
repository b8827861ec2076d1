package annotators

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators/onnxproto"
)

// variantSuffixes name the graph files of each --model-variant, as the
// Hub's ONNX repositories (Xenova/*, onnx-community/*) and Optimum name them:
// model.onnx, model_fp16.onnx, model_quantized.onnx, model_q4.onnx, …
var variantSuffixes = map[string]string{
	"fp32": "", "fp16": "_fp16", "q8": "_quantized", "quantized": "_quantized", "q4": "_q4",
	"int8": "_int8", "uint8": "_uint8", "bnb4": "_bnb4", "q4f16": "_q4f16",
}

// Variants lists the values --model-variant takes.
func Variants() []string {
	v := make([]string, 0, len(variantSuffixes))
	for k := range variantSuffixes {
		v = append(v, k)
	}
	sort.Strings(v)
	return v
}

// graphDirs are where a model directory may keep its graphs: at the root (an
// Optimum export) or under onnx/ (a ready-made Hub repository).
var graphDirs = []string{"", "onnx/"}

// variant is the directory's chosen variant; "" is fp32.
func (d ModelDir) variant() string {
	if d.Variant == "" {
		return "fp32"
	}
	return d.Variant
}

// graph finds the file of graph base ("model", "encoder_model", …) in the
// chosen variant, at the root or under onnx/. Missing, the error lists the
// variants the directory does have of that graph.
func (d ModelDir) Graph(base string) (string, error) {
	suffix, ok := variantSuffixes[d.variant()]
	if !ok {
		return "", fmt.Errorf("--model-variant %q: want one of %s", d.Variant, strings.Join(Variants(), ", "))
	}
	for _, dir := range graphDirs {
		name := dir + base + suffix + ".onnx"
		if st, err := fs.Stat(d.FS, name); err == nil {
			if !st.Mode().IsRegular() {
				return "", fmt.Errorf("%s model directory %s: %s is a folder or special file, not an ONNX graph file", d.Role, d.Name, name)
			}
			return name, nil
		}
	}
	present := d.VariantsOf(base)
	if len(present) == 0 {
		return "", fmt.Errorf("%s model directory %s: missing %s.onnx (at its root or under onnx/, in any variant)", d.Role, d.Name, base)
	}
	return "", fmt.Errorf("%s model directory %s: no %s graph in variant %s; it has %s: pass --model-variant with one of them",
		d.Role, d.Name, base, d.variant(), strings.Join(present, ", "))
}

// has reports whether the directory holds graph base in the chosen variant.
func (d ModelDir) Has(base string) bool {
	_, err := d.Graph(base)
	return err == nil
}

// variantsOf lists the variants of graph base present, as "fp16 (onnx/model_fp16.onnx)".
func (d ModelDir) VariantsOf(base string) []string {
	var out []string
	for _, v := range Variants() {
		if v == "quantized" {
			continue // the same files as q8
		}
		for _, dir := range graphDirs {
			name := dir + base + variantSuffixes[v] + ".onnx"
			if _, err := fs.Stat(d.FS, name); err == nil {
				out = append(out, fmt.Sprintf("%s (%s)", v, name))
			}
		}
	}
	return out
}

// externalData lists the external-data files beside a graph, as exporters
// write them for models over 2 GB: model.onnx_data, model.onnx.data.
func (d ModelDir) ExternalData(file string) []string {
	var out []string
	for _, n := range []string{file + "_data", file + ".data"} {
		if _, err := fs.Stat(d.FS, n); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// digest is the sha256 over a graph and its external-data files: the weights
// may live in either.
func (d ModelDir) Digest(file string) (string, error) {
	h := sha256.New()
	for _, n := range append([]string{file}, d.ExternalData(file)...) {
		f, err := d.FS.Open(n)
		if err != nil {
			return "", fmt.Errorf("%s model directory %s: read %s: %w", d.Role, d.Name, n, err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ioInfo reads a graph's inputs and outputs: from the file on disk when the
// directory is a folder (ONNX Runtime then finds external data beside it),
// else from its bytes.
func (d ModelDir) IOInfo(file string) ([]ort.InputOutputInfo, []ort.InputOutputInfo, error) {
	if d.Path != "" {
		return ort.GetInputOutputInfo(filepath.Join(d.Path, filepath.FromSlash(file)))
	}
	if ext := d.ExternalData(file); len(ext) > 0 {
		return nil, nil, fmt.Errorf("its weights are in external data files (%s), which ONNX Runtime reads beside the graph: open the model directory from disk", strings.Join(ext, ", "))
	}
	data, err := d.Read(file)
	if err != nil {
		return nil, nil, err
	}
	return ort.GetInputOutputInfoWithONNXData(data)
}

// newSession opens a session over the named inputs and outputs, from the
// file on disk when there is one. A graph with float16 inputs or outputs
// (half) is given a float32 interface first (onnxproto.Float32Interface):
// onnxruntime_go v1.27 copies float16 outputs at half their size and refuses
// an empty float16 tensor (yalue/onnxruntime_go createTensorFromOrtValue,
// NewCustomDataTensor), so no float16 tensor crosses into Go. Such a graph
// is loaded from its rewritten bytes, its external data from its folder.
func (d ModelDir) newSession(file string, ins, outs []string, opts *ort.SessionOptions, half bool) (*ort.DynamicAdvancedSession, error) {
	if d.Path != "" && !half {
		return ort.NewDynamicAdvancedSession(filepath.Join(d.Path, filepath.FromSlash(file)), ins, outs, opts)
	}
	if ext := d.ExternalData(file); len(ext) > 0 {
		if d.Path == "" {
			return nil, fmt.Errorf("%s has external data files: open the model directory from disk", path.Base(file))
		}
		// The rewritten bytes have no path: say where the external data is.
		folder := filepath.Dir(filepath.Join(d.Path, filepath.FromSlash(file)))
		if err := opts.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", folder); err != nil {
			return nil, err
		}
	}
	data, err := d.Read(file)
	if err != nil {
		return nil, err
	}
	if half {
		if data, _, err = onnxproto.Float32Interface(data); err != nil {
			return nil, fmt.Errorf("give the float16 graph a float32 interface: %w", err)
		}
	}
	return ort.NewDynamicAdvancedSessionWithONNXData(data, ins, outs, opts)
}

// Floats reads a float32 output.
func Floats(v ort.Value) ([]float32, ort.Shape, error) {
	if t, ok := v.(*ort.Tensor[float32]); ok {
		return t.GetData(), t.GetShape(), nil
	}
	return nil, nil, fmt.Errorf("output is a %T, want a float32 tensor", v)
}
