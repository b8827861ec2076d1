// Package segmenter loads segmentation models — semantic (SegFormer-style
// logits) and panoptic (Mask2Former, MaskFormer, OneFormer, DETR-panoptic) —
// and turns their outputs into label maps.
package segmenter

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io/fs"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/preprocess"
	"github.com/twigdata/twigdata/annotators/segmap"
	"github.com/twigdata/twigdata/annotators/tokenizer"
	"github.com/twigdata/twigdata/stages/evidence"
)

// Segmenter is a SegFormer-style semantic segmentation model.
type Model struct {
	session *annotators.Session
	pre     preprocess.Processor
	labels  []string
	kinds   []evidence.Kind
	kindSrc string
	// panoptic models (Mask2Former and MaskFormer, DETR-panoptic) answer
	// with class and mask queries, post-processed into instances.
	panoptic *panopticGraph
	task     []int64 // OneFormer's task_inputs: "the task is panoptic", tokenized and padded
	id       string
	// post counts the images post-processed and the nanoseconds it took
	// (panoptic models), for PostProcessing.
	postImages, postNanos atomic.Int64
}

// PostProcessing is how many images the panoptic post-processing turned
// into label maps and how long it took in all (of CPU, summed over the
// images post-processed in parallel); 0 for a semantic model.
func (s *Model) PostProcessing() (images int64, took time.Duration) {
	return s.postImages.Load(), time.Duration(s.postNanos.Load())
}

// Load opens a segmenter directory: model.onnx (pixel_values float32
// or float16 [B,3,H,W] → logits [B,C,h,w]) at the root or under onnx/, in the
// directory's variant, config.json with id2label, and preprocessor_config.json.
func Load(dir annotators.ModelDir, dev annotators.Device) (*Model, error) {
	dir.Role = "segmenter"
	var missing []string
	if len(dir.VariantsOf("model")) == 0 {
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
		ModelType string            `json:"model_type"`
		ID2Label  map[string]string `json:"id2label"`
		// LabelKinds is twigdata's: label → "thing" or "stuff".
		LabelKinds map[string]string `json:"label_kinds"`
	}
	if err := dir.JSON("config.json", &cfg); err != nil {
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
	thingIDs, err := processorThings(dir)
	if err != nil {
		return nil, err
	}
	kinds, src, err := labelKinds(dir, labels, cfg.LabelKinds, thingIDs)
	if err != nil {
		return nil, err
	}
	pre, err := dir.Preprocessor()
	if err != nil {
		return nil, err
	}
	panoptic, err := findPanoptic(dir, cfg.ModelType)
	if err != nil {
		return nil, err
	}
	ins := []annotators.TensorSpec{{Name: "pixel_values", DType: ort.TensorElementDataTypeFloat, Rank: 4}}
	outs := []annotators.TensorSpec{{Name: "logits", DType: ort.TensorElementDataTypeFloat, Rank: 4, Dim1: len(labels), Why1: "config.json id2label"}}
	var task []int64
	if panoptic != nil {
		outs = []annotators.TensorSpec{{Name: panoptic.classes, DType: ort.TensorElementDataTypeFloat, Rank: 3},
			{Name: panoptic.masks, DType: ort.TensorElementDataTypeFloat, Rank: 4}}
		if panoptic.task {
			if task, err = oneFormerTask(dir, "panoptic"); err != nil {
				return nil, err
			}
			ins = append(ins, annotators.TensorSpec{Name: "task_inputs", DType: ort.TensorElementDataTypeInt64, Rank: 2})
		}
	}
	s, sum, err := dir.Session("model", dev, ins, outs)
	if err != nil {
		return nil, err
	}
	id, err := dir.ModelID("segmenter", []string{sum}, "label-kinds="+kindList(kinds))
	if err != nil {
		s.Destroy()
		return nil, err
	}
	return &Model{session: s, pre: pre, labels: labels, kinds: kinds, kindSrc: src,
		panoptic: panoptic, task: task, id: id}, nil
}

// panopticGraph is a query-based segmenter's contract: the output names of
// its class and mask queries and Hugging Face's score threshold for it.
type panopticGraph struct {
	family         string
	modelType      string // config.json's model_type; "" matches any
	classes, masks string
	threshold      float32 // post_process_panoptic_segmentation's default for the family
	upsample       int     // transformers resizes the mask logits to this square first (0: no)
	task           bool    // the graph also takes task_inputs (OneFormer)
}

// panopticGraphs are the query-based contracts, as their exports name them,
// with what transformers' post-processing does for each family; the first
// that matches the outputs, the task input and config.json's model_type wins.
var panopticGraphs = []panopticGraph{
	{"OneFormer", "", "class_queries_logits", "masks_queries_logits", 0.5, 0, true},
	{"MaskFormer", "maskformer", "class_queries_logits", "masks_queries_logits", 0.5, 0, false},
	{"Mask2Former", "", "class_queries_logits", "masks_queries_logits", 0.8, 384, false},
	{"DETR-panoptic", "", "logits", "pred_masks", 0.5, 0, false},
}

// findPanoptic reports which query-based contract the segmenter graph
// answers with, or nil for per-pixel logits.
func findPanoptic(dir annotators.ModelDir, modelType string) (*panopticGraph, error) {
	file, err := dir.Graph("model")
	if err != nil {
		return nil, err
	}
	ins, outs, err := dir.IOInfo(file)
	if err != nil {
		return nil, fmt.Errorf("segmenter model %s/%s: ONNX Runtime cannot load it: %w", dir.Name, file, err)
	}
	have := map[string]bool{}
	for _, o := range outs {
		have[o.Name] = true
	}
	task := false
	for _, in := range ins {
		task = task || in.Name == "task_inputs"
	}
	for i := range panopticGraphs {
		g := &panopticGraphs[i]
		if have[g.classes] && have[g.masks] && g.task == task && (g.modelType == "" || g.modelType == modelType) {
			return g, nil
		}
	}
	return nil, nil
}

// oneFormerTask is OneFormer's task_inputs for a task: "the task is panoptic"
// in its CLIP tokenizer (vocab.json and merges.txt, as its checkpoints ship
// it), padded with the pad token to processor_config.json's task_seq_length
// (77 by default), as OneFormerProcessor makes it.
func oneFormerTask(dir annotators.ModelDir, task string) ([]int64, error) {
	var vocab map[string]int
	if err := dir.JSON("vocab.json", &vocab); err != nil {
		return nil, fmt.Errorf("%w (OneFormer needs its CLIP tokenizer for the task prompt)", err)
	}
	merges, err := dir.Read("merges.txt")
	if err != nil {
		return nil, fmt.Errorf("%w (OneFormer needs its CLIP tokenizer for the task prompt)", err)
	}
	enc, err := tokenizer.NewCLIPEncoder(vocab, string(merges))
	if err != nil {
		return nil, fmt.Errorf("segmenter model directory %s: %w", dir.Name, err)
	}
	ids, err := enc.Encode("the task is " + task)
	if err != nil {
		return nil, fmt.Errorf("segmenter model directory %s: %w", dir.Name, err)
	}
	length := 77
	var pc struct {
		TaskSeqLength int `json:"task_seq_length"`
	}
	if _, err := fs.Stat(dir.FS, "processor_config.json"); err == nil {
		if err := dir.JSON("processor_config.json", &pc); err != nil {
			return nil, err
		}
		if pc.TaskSeqLength > 0 {
			length = pc.TaskSeqLength
		}
	}
	pad := int64(vocab["<|endoftext|>"])
	var sp struct {
		Pad json.RawMessage `json:"pad_token"`
	}
	if _, err := fs.Stat(dir.FS, "special_tokens_map.json"); err == nil && dir.JSON("special_tokens_map.json", &sp) == nil {
		var name string
		var tok struct {
			Content string `json:"content"`
		}
		if json.Unmarshal(sp.Pad, &name) != nil && json.Unmarshal(sp.Pad, &tok) == nil {
			name = tok.Content
		}
		if id, ok := vocab[name]; ok {
			pad = int64(id)
		}
	}
	if len(ids) > length { // truncated as the processor does, the end token kept
		ids = append(ids[:length-1], ids[len(ids)-1])
	}
	for len(ids) < length {
		ids = append(ids, pad)
	}
	return ids, nil
}

// processorThings reads preprocessor_config.json's metadata.thing_ids, which
// OneFormer's processor saves from its class_info_file; nil when absent.
func processorThings(dir annotators.ModelDir) ([]int, error) {
	var pc struct {
		Metadata struct {
			ThingIDs []int `json:"thing_ids"`
		} `json:"metadata"`
	}
	if err := dir.JSON("preprocessor_config.json", &pc); err != nil {
		return nil, err
	}
	return pc.Metadata.ThingIDs, nil
}

// Contract names what the segmenter's graph answers with.
func (s *Model) Contract() string {
	if g := s.panoptic; g != nil {
		in := "pixel_values"
		if g.task {
			in += ", task_inputs (\"the task is panoptic\")"
		}
		up := ""
		if g.upsample > 0 {
			up = fmt.Sprintf("; masks post-processed at %d×%d as transformers does", g.upsample, g.upsample)
		}
		return fmt.Sprintf("panoptic segmentation, %s (%s → %s [B,Q,C+1], %s [B,Q,h,w]; score threshold %.1f%s)", g.family, in, g.classes, g.masks, g.threshold, up)
	}
	return "semantic segmentation (pixel_values [B,3,H,W] → logits [B,C,h,w])"
}

// labelKinds finds whether each class is a thing or stuff: from the
// directory when it says so (config.json's label_kinds, or the thing ids of
// preprocessor_config.json's metadata, as OneFormer's processor saves them),
// else from a standard label set, else from the user's --label-kinds; else
// each label the standard sets agree on takes their kind, and for the rest
// the critic tells scenery from the map's shape.
func labelKinds(dir annotators.ModelDir, labels []string, fromConfig map[string]string, thingIDs []int) ([]evidence.Kind, string, error) {
	named := func(m map[string]string, src string) ([]evidence.Kind, string, error) {
		kinds := make([]evidence.Kind, len(labels))
		var missing []string
		for i, l := range labels {
			k, ok := evidence.ParseKind(m[l])
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
	if len(thingIDs) > 0 {
		kinds := make([]evidence.Kind, len(labels))
		for i := range kinds {
			kinds[i] = evidence.KindStuff
		}
		for _, id := range thingIDs {
			if id < 0 || id >= len(labels) {
				return nil, "", fmt.Errorf("segmenter model directory %s: preprocessor_config.json metadata.thing_ids has %d, not an id in 0..%d", dir.Name, id, len(labels)-1)
			}
			kinds[id] = evidence.KindThing
		}
		return kinds, "preprocessor_config.json metadata.thing_ids", nil
	}
	if kinds, set, ok := evidence.StandardKinds(labels); ok {
		return kinds, "the built-in " + set + " table", nil
	}
	if len(dir.LabelKinds) > 0 {
		return named(dir.LabelKinds, "--label-kinds")
	}
	kinds, known := make([]evidence.Kind, len(labels)), 0
	for i, l := range labels {
		if kinds[i] = evidence.LabelKind(l); kinds[i] != evidence.KindUnknown {
			known++
		}
	}
	if known > 0 {
		return kinds, fmt.Sprintf("the standard label sets, for the %d of %d labels they agree on; for the rest scenery is told from the map's shape", known, len(labels)), nil
	}
	return kinds, "none: scenery is told from the map's shape", nil
}

// Kinds says for each class whether it is a thing or stuff (or unknown).
func (s *Model) Kinds() []evidence.Kind { return s.kinds }

// KindSource says where the thing/stuff split came from.
func (s *Model) KindSource() string { return s.kindSrc }

// Labels are the class names, indexed by class id.
func (s *Model) Labels() []string { return s.labels }

// ID is "segmenter@<sha256>" over model.onnx, the configuration files and
// the thing/stuff split the critic reads: recorded with every annotation.
func (s *Model) ID() string { return s.id }

// Preprocessing describes how images are prepared for the model.
func (s *Model) Preprocessing() string { return s.pre.String() }

// Close releases the session.
func (s *Model) Close() error { return s.session.Destroy() }

// segment runs one batch of one tensor shape and fills in its maps; a padded
// image's map is cut back to its content.
func (s *Model) segment(imgs []image.Image, b preprocess.Batch, maps []evidence.LabelMap) error {
	in, err := ort.NewTensor(ort.NewShape(int64(len(b.Idx)), 3, int64(b.H), int64(b.W)), s.pre.Pixels(imgs, b))
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
	data, sh, err := annotators.Floats(outs[0])
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
		m := evidence.LabelMap{W: cw, H: ch, Labels: make([]uint16, cw*ch), Conf: make([]float32, cw*ch)}
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
func (s *Model) Segment(ctx context.Context, imgs []image.Image) ([]evidence.LabelMap, error) {
	if len(imgs) == 0 {
		return nil, annotators.ErrEmptyBatch
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	maps := make([]evidence.LabelMap, len(imgs))
	for _, b := range s.pre.Group(imgs) {
		if err := s.segment(imgs, b, maps); err != nil {
			return nil, err
		}
	}
	return maps, nil
}

// segmentPanoptic runs a query-based model and post-processes each image's
// queries into a panoptic map, cut back to its content when padded.
func (s *Model) segmentPanoptic(in ort.Value, b preprocess.Batch, maps []evidence.LabelMap) error {
	outs := []ort.Value{nil, nil}
	feeds := []ort.Value{in}
	if s.task != nil {
		B := int64(len(b.Idx))
		flat := make([]int64, 0, B*int64(len(s.task)))
		for range B {
			flat = append(flat, s.task...)
		}
		t, err := ort.NewTensor(ort.NewShape(B, int64(len(s.task))), flat)
		if err != nil {
			return err
		}
		defer t.Destroy()
		feeds = append(feeds, t)
	}
	if err := s.session.Run(feeds, outs); err != nil {
		return fmt.Errorf("segmenter: run: %w", err)
	}
	defer outs[0].Destroy()
	defer outs[1].Destroy()
	classes, csh, err := annotators.Floats(outs[0])
	if err != nil {
		return fmt.Errorf("segmenter: %s: %w", s.panoptic.classes, err)
	}
	masks, msh, err := annotators.Floats(outs[1])
	if err != nil {
		return fmt.Errorf("segmenter: %s: %w", s.panoptic.masks, err)
	}
	C := len(s.labels)
	if len(csh) != 3 || int(csh[0]) != len(b.Idx) || int(csh[2]) != C+1 || len(msh) != 4 || msh[1] != csh[1] {
		return fmt.Errorf("segmenter: %s %v and %s %v, want [%d,Q,%d] and [%d,Q,h,w] (id2label has %d classes, plus no object)",
			s.panoptic.classes, csh, s.panoptic.masks, msh, len(b.Idx), C+1, len(b.Idx), C)
	}
	Q, H, W := int(csh[1]), int(msh[2]), int(msh[3])
	// Images are post-processed in parallel: at 384×384 (Mask2Former) it
	// costs as much as a small model's run, and the batch's images are
	// independent.
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for n, i := range b.Idx {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			defer func() { s.postImages.Add(1); s.postNanos.Add(int64(time.Since(start))) }()
			o := segmap.DefaultPanoptic()
			o.Threshold, o.Upsample = s.panoptic.threshold, s.panoptic.upsample
			// Post-processed where transformers does it (384×384 for
			// Mask2Former), read by the critic at the mask resolution.
			m := segmap.Panoptic(classes[n*Q*(C+1):(n+1)*Q*(C+1)], masks[n*Q*H*W:(n+1)*Q*H*W], Q, C, H, W, s.kinds, o).Sample(W, H)
			cw := min(W, (b.Content[n].X*W+b.W-1)/b.W)
			ch := min(H, (b.Content[n].Y*H+b.H-1)/b.H)
			maps[i] = m.Crop(cw, ch)
		}()
	}
	wg.Wait()
	return nil
}

// kindList spells a label-kind split, one letter a label (t thing, s stuff,
// ? unknown).
func kindList(kinds []evidence.Kind) string {
	b := make([]byte, len(kinds))
	for i, k := range kinds {
		b[i] = "?ts"[k%3]
	}
	return string(b)
}

// Options names the thing/stuff split (from config.json, --label-kinds or a
// standard label set), which changes the critic's reading of every map: a
// build's fingerprint records it by name.
func (s *Model) Options() map[string]string {
	return map[string]string{"label-kinds": kindList(s.kinds)}
}
