package annotators

import (
	"context"
	"fmt"
	"image"
	"io/fs"
	"math"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators/preprocess"
	"github.com/twigdata/twigdata/annotators/segmap"
)

// Segmenter is a SegFormer-style semantic segmentation model.
type Segmenter struct {
	session *ort.DynamicAdvancedSession
	pre     preprocess.Processor
	pixels  ort.TensorElementDataType // float32, or float16 in a half-precision export
	labels  []string
	kinds   []segmap.Kind
	kindSrc string
	// panoptic models (Mask2Former and MaskFormer, DETR-panoptic) answer
	// with class and mask queries, post-processed into instances.
	panoptic *panopticGraph
	id       string
}

// LoadSegmenter opens a segmenter directory: model.onnx (pixel_values float32
// or float16 [B,3,H,W] → logits [B,C,h,w]) at the root or under onnx/, in the
// directory's variant, config.json with id2label, and preprocessor_config.json.
func LoadSegmenter(dir ModelDir, dev Device) (*Segmenter, error) {
	dir.Role = "segmenter"
	var missing []string
	if len(dir.variantsOf("model")) == 0 {
		missing = append(missing, "model.onnx")
	}
	for _, f := range []string{"config.json", "preprocessor_config.json"} {
		if _, err := fs.Stat(dir.FS, f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("segmenter model directory %s: missing %s (a segmenter directory holds model.onnx — at its root or under onnx/ — config.json and preprocessor_config.json, as a Hugging Face Optimum export or Hub repository has them)",
			dir.Name, strings.Join(missing, ", "))
	}
	var cfg struct {
		ID2Label map[string]string `json:"id2label"`
		// LabelKinds is twigdata's: label → "thing" or "stuff".
		LabelKinds map[string]string `json:"label_kinds"`
	}
	if err := dir.json("config.json", &cfg); err != nil {
		return nil, err
	}
	if len(cfg.ID2Label) == 0 {
		return nil, fmt.Errorf("segmenter model directory %s: config.json has no id2label", dir.Name)
	}
	labels := make([]string, len(cfg.ID2Label))
	for k, v := range cfg.ID2Label {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(labels) {
			return nil, fmt.Errorf("segmenter model directory %s: config.json id2label key %q is not an id in 0..%d", dir.Name, k, len(labels)-1)
		}
		labels[i] = v
	}
	kinds, src, err := labelKinds(dir, labels, cfg.LabelKinds)
	if err != nil {
		return nil, err
	}
	pre, err := dir.preprocessor()
	if err != nil {
		return nil, err
	}
	panoptic, err := findPanoptic(dir)
	if err != nil {
		return nil, err
	}
	outs := []tensorSpec{{name: "logits", dtype: ort.TensorElementDataTypeFloat, rank: 4, dim1: len(labels), why1: "config.json id2label"}}
	if panoptic != nil {
		outs = []tensorSpec{{name: panoptic.classes, dtype: ort.TensorElementDataTypeFloat, rank: 3},
			{name: panoptic.masks, dtype: ort.TensorElementDataTypeFloat, rank: 4}}
	}
	s, sum, types, err := dir.onnxModel("model", dev,
		[]tensorSpec{{name: "pixel_values", dtype: ort.TensorElementDataTypeFloat, rank: 4}}, outs)
	if err != nil {
		return nil, err
	}
	return &Segmenter{session: s, pre: pre, pixels: types["pixel_values"], labels: labels, kinds: kinds, kindSrc: src,
		panoptic: panoptic, id: "segmenter@" + sum}, nil
}

// panopticGraph is a query-based segmenter's contract: the output names of
// its class and mask queries and Hugging Face's score threshold for it.
type panopticGraph struct {
	family         string
	classes, masks string
	threshold      float32
	upsample       int // transformers resizes the mask logits to this square first (0: no)
}

// panopticGraphs are the query-based contracts, as their exports name them.
var panopticGraphs = []panopticGraph{
	{"Mask2Former/MaskFormer", "class_queries_logits", "masks_queries_logits", 0.8, 384},
	{"DETR-panoptic", "logits", "pred_masks", 0.5, 0},
}

// findPanoptic reports which query-based contract the segmenter graph
// answers with, or nil for per-pixel logits.
func findPanoptic(dir ModelDir) (*panopticGraph, error) {
	file, err := dir.graph("model")
	if err != nil {
		return nil, err
	}
	_, outs, err := dir.ioInfo(file)
	if err != nil {
		return nil, fmt.Errorf("segmenter model %s/%s: ONNX Runtime cannot load it: %w", dir.Name, file, err)
	}
	have := map[string]bool{}
	for _, o := range outs {
		have[o.Name] = true
	}
	for i := range panopticGraphs {
		if g := &panopticGraphs[i]; have[g.classes] && have[g.masks] {
			return g, nil
		}
	}
	return nil, nil
}

// Contract names what the segmenter's graph answers with.
func (s *Segmenter) Contract() string {
	if g := s.panoptic; g != nil {
		return fmt.Sprintf("panoptic segmentation, %s (pixel_values → %s [B,Q,C+1], %s [B,Q,h,w])", g.family, g.classes, g.masks)
	}
	return "semantic segmentation (pixel_values [B,3,H,W] → logits [B,C,h,w])"
}

// labelKinds finds whether each class is a thing or stuff: from the
// directory's config.json when it says so, else from a standard label set,
// else from the user's --label-kinds; else every class is unknown and the
// critic tells scenery from the map's shape.
func labelKinds(dir ModelDir, labels []string, fromConfig map[string]string) ([]segmap.Kind, string, error) {
	named := func(m map[string]string, src string) ([]segmap.Kind, string, error) {
		kinds := make([]segmap.Kind, len(labels))
		var missing []string
		for i, l := range labels {
			k, ok := segmap.ParseKind(m[l])
			if !ok {
				missing = append(missing, fmt.Sprintf("%q", l))
				continue
			}
			kinds[i] = k
		}
		if len(missing) > 0 {
			return nil, "", fmt.Errorf("segmenter model directory %s: %s gives no thing or stuff for %d labels (%s): give every label \"thing\" or \"stuff\"",
				dir.Name, src, len(missing), strings.Join(missing[:min(len(missing), 5)], ", "))
		}
		return kinds, src, nil
	}
	if len(fromConfig) > 0 {
		return named(fromConfig, "config.json label_kinds")
	}
	if kinds, set, ok := segmap.StandardKinds(labels); ok {
		return kinds, "the built-in " + set + " table", nil
	}
	if len(dir.LabelKinds) > 0 {
		return named(dir.LabelKinds, "--label-kinds")
	}
	return make([]segmap.Kind, len(labels)), "none: scenery is told from the map's shape", nil
}

// Kinds says for each class whether it is a thing or stuff (or unknown).
func (s *Segmenter) Kinds() []segmap.Kind { return s.kinds }

// KindSource says where the thing/stuff split came from.
func (s *Segmenter) KindSource() string { return s.kindSrc }

// Labels are the class names, indexed by class id.
func (s *Segmenter) Labels() []string { return s.labels }

// ID is "segmenter@<sha256 of model.onnx>", recorded with every annotation.
func (s *Segmenter) ID() string { return s.id }

// Preprocessing describes how images are prepared for the model.
func (s *Segmenter) Preprocessing() string { return s.pre.String() }

// Close releases the session.
func (s *Segmenter) Close() error { return s.session.Destroy() }

// segment runs one batch of one tensor shape and fills in its maps; a padded
// image's map is cut back to its content.
func (s *Segmenter) segment(imgs []image.Image, b preprocess.Batch, maps []segmap.Map) error {
	in, err := floatTensor(ort.NewShape(int64(len(b.Idx)), 3, int64(b.H), int64(b.W)), s.pre.Pixels(imgs, b), s.pixels)
	if err != nil {
		return err
	}
	defer in.Destroy()
	if s.panoptic != nil {
		return s.segmentPanoptic(in, b, maps)
	}
	outs := []ort.Value{nil}
	if err := s.session.Run([]ort.Value{in}, outs); err != nil {
		return fmt.Errorf("segmenter: run: %w", err)
	}
	defer outs[0].Destroy()
	data, sh, err := floats(outs[0])
	if err != nil {
		return fmt.Errorf("segmenter: logits: %w", err)
	}
	if len(sh) != 4 || int(sh[0]) != len(b.Idx) || int(sh[1]) != len(s.labels) {
		return fmt.Errorf("segmenter: logits shape %v, want [%d,%d,h,w] (id2label has %d classes)", sh, len(b.Idx), len(s.labels), len(s.labels))
	}
	C, H, W := int(sh[1]), int(sh[2]), int(sh[3])
	plane := H * W
	for n, i := range b.Idx {
		// The cells of the content, padding left out.
		cw := min(W, (b.Content[n].X*W+b.W-1)/b.W)
		ch := min(H, (b.Content[n].Y*H+b.H-1)/b.H)
		m := segmap.Map{W: cw, H: ch, Labels: make([]uint16, cw*ch), Conf: make([]float32, cw*ch)}
		base := n * C * plane
		for y := 0; y < ch; y++ {
			for x := 0; x < cw; x++ {
				p := y*W + x
				best, bestV := 0, float32(math.Inf(-1))
				for c := 0; c < C; c++ {
					if v := data[base+c*plane+p]; v > bestV {
						best, bestV = c, v
					}
				}
				var z float64
				for c := 0; c < C; c++ {
					// Classes 20 logits below the best add under 2e-9 each: skip the exp.
					if d := data[base+c*plane+p] - bestV; d > -20 {
						z += math.Exp(float64(d))
					}
				}
				m.Labels[y*cw+x] = uint16(best)
				m.Conf[y*cw+x] = float32(1 / z)
			}
		}
		maps[i] = m
	}
	return nil
}

// Segment labels a batch of images, one session run per tensor shape.
func (s *Segmenter) Segment(ctx context.Context, imgs []image.Image) ([]segmap.Map, error) {
	if len(imgs) == 0 {
		return nil, errEmptyBatch
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	maps := make([]segmap.Map, len(imgs))
	for _, b := range s.pre.Group(imgs) {
		if err := s.segment(imgs, b, maps); err != nil {
			return nil, err
		}
	}
	return maps, nil
}

// segmentPanoptic runs a query-based model and post-processes each image's
// queries into a panoptic map, cut back to its content when padded.
func (s *Segmenter) segmentPanoptic(in ort.Value, b preprocess.Batch, maps []segmap.Map) error {
	outs := []ort.Value{nil, nil}
	if err := s.session.Run([]ort.Value{in}, outs); err != nil {
		return fmt.Errorf("segmenter: run: %w", err)
	}
	defer outs[0].Destroy()
	defer outs[1].Destroy()
	classes, csh, err := floats(outs[0])
	if err != nil {
		return fmt.Errorf("segmenter: %s: %w", s.panoptic.classes, err)
	}
	masks, msh, err := floats(outs[1])
	if err != nil {
		return fmt.Errorf("segmenter: %s: %w", s.panoptic.masks, err)
	}
	C := len(s.labels)
	if len(csh) != 3 || int(csh[0]) != len(b.Idx) || int(csh[2]) != C+1 || len(msh) != 4 || msh[1] != csh[1] {
		return fmt.Errorf("segmenter: %s %v and %s %v, want [%d,Q,%d] and [%d,Q,h,w] (id2label has %d classes, plus no object)",
			s.panoptic.classes, csh, s.panoptic.masks, msh, len(b.Idx), C+1, len(b.Idx), C)
	}
	Q, H, W := int(csh[1]), int(msh[2]), int(msh[3])
	for n, i := range b.Idx {
		o := segmap.DefaultPanoptic()
		o.Threshold, o.Upsample = s.panoptic.threshold, s.panoptic.upsample
		// Post-processed where transformers does it (384×384 for
		// Mask2Former), read by the critic at the mask resolution.
		m := segmap.Panoptic(classes[n*Q*(C+1):(n+1)*Q*(C+1)], masks[n*Q*H*W:(n+1)*Q*H*W], Q, C, H, W, s.kinds, o).Sample(W, H)
		cw := min(W, (b.Content[n].X*W+b.W-1)/b.W)
		ch := min(H, (b.Content[n].Y*H+b.H-1)/b.H)
		maps[i] = m.Crop(cw, ch)
	}
	return nil
}
