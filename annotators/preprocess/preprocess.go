// Package preprocess applies a Hugging Face preprocessor_config.json to
// images — resize, resample, center crop, rescale, normalize, pad — and lays
// them out as the pixel_values tensor a model takes. Pure Go: tested
// without ONNX Runtime.
package preprocess

import (
	"encoding/json"
	"fmt"
	"image"
	"sort"
	"strings"

	"golang.org/x/image/draw"
)

// imageProcessors are the preprocessor classes whose fields twigdata applies
// with Hugging Face's semantics; another class is refused by name, since its
// own steps (tiling, letterboxing …) would be silently skipped.
var imageProcessors = map[string]bool{
	"ViTImageProcessor": true, "SegformerImageProcessor": true, "CLIPImageProcessor": true, "BlipImageProcessor": true,
	"DetrImageProcessor": true, "Mask2FormerImageProcessor": true, "MaskFormerImageProcessor": true,
	"OneFormerImageProcessor": true, "ConvNextImageProcessor": true, "DeiTImageProcessor": true, "BeitImageProcessor": true,
	"BitImageProcessor": true, "DPTImageProcessor": true, "Florence2ImageProcessor": true,
	// their fast twins
	"ViTImageProcessorFast": true, "SegformerImageProcessorFast": true, "CLIPImageProcessorFast": true,
	"BlipImageProcessorFast": true, "DetrImageProcessorFast": true, "Mask2FormerImageProcessorFast": true,
	"ConvNextImageProcessorFast": true, "DeiTImageProcessorFast": true, "BeitImageProcessorFast": true,
	"BitImageProcessorFast": true, "DPTImageProcessorFast": true,
}

// config is preprocessor_config.json: the fields Hugging Face
// image processors share.
type config struct {
	Class         string          `json:"image_processor_type"`
	FeatureClass  string          `json:"feature_extractor_type"`
	DoResize      *bool           `json:"do_resize"`
	Size          json.RawMessage `json:"size"`
	Resample      *int            `json:"resample"`
	DoCenterCrop  *bool           `json:"do_center_crop"`
	CropSize      json.RawMessage `json:"crop_size"`
	DoRescale     *bool           `json:"do_rescale"`
	RescaleFactor *float32        `json:"rescale_factor"`
	DoNormalize   *bool           `json:"do_normalize"`
	ImageMean     []float32       `json:"image_mean"`
	ImageStd      []float32       `json:"image_std"`
	DoPad         *bool           `json:"do_pad"`
	PadSize       json.RawMessage `json:"pad_size"`
}

// sizeRule is a "size" or "crop_size" field: an exact height and width, or
// edges to scale to keeping the aspect ratio.
type sizeRule struct {
	H, W              int
	Shortest, Longest int
}

// parseSize reads {"height","width"}, {"shortest_edge"[,"longest_edge"]},
// {"longest_edge"} or a bare number (a square, as most processors take it).
func parseSize(raw json.RawMessage) (sizeRule, bool) {
	var n int
	if json.Unmarshal(raw, &n) == nil && n > 0 {
		return sizeRule{H: n, W: n}, true
	}
	var m struct {
		Height, Width int
		Shortest      int `json:"shortest_edge"`
		Longest       int `json:"longest_edge"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return sizeRule{}, false
	}
	r := sizeRule{H: m.Height, W: m.Width, Shortest: m.Shortest, Longest: m.Longest}
	return r, (r.H > 0 && r.W > 0) || r.Shortest > 0 || r.Longest > 0
}

// resized is the size an image of w×h takes under the rule, as Hugging
// Face's get_resize_output_image_size computes it.
func (r sizeRule) resized(w, h int) (int, int) {
	if r.H > 0 && r.W > 0 {
		return r.W, r.H
	}
	short, long := min(w, h), max(w, h)
	var scale float64
	switch {
	case r.Shortest > 0:
		scale = float64(r.Shortest) / float64(short)
		if r.Longest > 0 && float64(long)*scale > float64(r.Longest) {
			scale = float64(r.Longest) / float64(long)
		}
	default:
		scale = float64(r.Longest) / float64(long)
	}
	return max(1, int(float64(w)*scale)), max(1, int(float64(h)*scale))
}

// Processor is a resolved image processor.
type Processor struct {
	Class      string
	Resize     bool
	Size       sizeRule
	Resample   draw.Interpolator
	CenterCrop bool
	Crop       sizeRule // exact H and W
	Scale      float32  // 1 when do_rescale is off
	Mean, Std  [3]float32
	Pad        bool
	PadH, PadW int // 0: to the largest image of the batch
}

// resamplers map PIL's resample codes to interpolators: 0 nearest, 1
// Lanczos (approximated by Catmull-Rom), 2 bilinear, 3 bicubic.
// Bilinear is x/image's fast approximation: the same as its exact one to
// within a grey level on photos, and several times faster.
var resamplers = map[int]draw.Interpolator{0: draw.NearestNeighbor, 1: draw.CatmullRom, 2: draw.ApproxBiLinear, 3: draw.CatmullRom, 4: draw.ApproxBiLinear, 5: draw.CatmullRom}

// Parse reads a preprocessor_config.json with Hugging Face's semantics.
func Parse(data []byte) (Processor, error) {
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return Processor{}, fmt.Errorf("preprocessor_config.json is not valid JSON: %w", err)
	}
	bad := func(what string) error { return fmt.Errorf("preprocessor_config.json: %s", what) }
	p := Processor{Class: c.Class, Resize: c.DoResize == nil || *c.DoResize, Resample: draw.ApproxBiLinear, Scale: 1.0 / 255,
		Mean: [3]float32{0.5, 0.5, 0.5}, Std: [3]float32{0.5, 0.5, 0.5}}
	if p.Class == "" {
		p.Class = strings.Replace(c.FeatureClass, "FeatureExtractor", "ImageProcessor", 1)
	}
	if p.Class != "" && !imageProcessors[p.Class] {
		known := make([]string, 0, len(imageProcessors))
		for k := range imageProcessors {
			if !strings.HasSuffix(k, "Fast") {
				known = append(known, k)
			}
		}
		sort.Strings(known)
		return p, bad(fmt.Sprintf("image processor %q is not one twigdata applies (it knows %s)", p.Class, strings.Join(known, ", ")))
	}
	var ok bool
	switch {
	case !p.Resize:
	case len(c.Size) == 0:
		return p, bad(`missing "size"`)
	default:
		if p.Size, ok = parseSize(c.Size); !ok {
			return p, bad(`"size" must give a positive height and width, shortest_edge or longest_edge`)
		}
	}
	if c.Resample != nil {
		if p.Resample, ok = resamplers[*c.Resample]; !ok {
			return p, bad(fmt.Sprintf(`"resample" %d is no PIL filter (0..5)`, *c.Resample))
		}
	}
	if c.DoCenterCrop != nil && *c.DoCenterCrop {
		p.CenterCrop = true
		if p.Crop, ok = parseSize(c.CropSize); !ok || p.Crop.H == 0 {
			return p, bad(`"do_center_crop" needs "crop_size" with a height and width`)
		}
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
	if c.DoPad != nil && *c.DoPad {
		p.Pad = true
		if r, ok := parseSize(c.PadSize); ok {
			p.PadH, p.PadW = r.H, r.W
		}
	}
	if !p.Resize && !p.CenterCrop && !p.Pad {
		return p, bad(`with "do_resize" false, images need "do_center_crop" or "do_pad" to share one tensor shape`)
	}
	return p, nil
}

// target is the size an image of w×h has after resizing and cropping.
func (p Processor) target(w, h int) (rw, rh, ow, oh int) {
	rw, rh = w, h
	if p.Resize {
		rw, rh = p.Size.resized(w, h)
	}
	ow, oh = rw, rh
	if p.CenterCrop {
		ow, oh = p.Crop.W, p.Crop.H
	}
	return rw, rh, ow, oh
}

// String describes the processor for people.
func (p Processor) String() string {
	var parts []string
	if p.Class != "" {
		parts = append(parts, p.Class)
	}
	switch r := p.Size; {
	case !p.Resize:
	case r.H > 0:
		parts = append(parts, fmt.Sprintf("resize to %d×%d", r.W, r.H))
	case r.Shortest > 0 && r.Longest > 0:
		parts = append(parts, fmt.Sprintf("shortest edge %d, longest at most %d", r.Shortest, r.Longest))
	case r.Shortest > 0:
		parts = append(parts, fmt.Sprintf("shortest edge %d", r.Shortest))
	default:
		parts = append(parts, fmt.Sprintf("longest edge %d", r.Longest))
	}
	if p.CenterCrop {
		parts = append(parts, fmt.Sprintf("center crop %d×%d", p.Crop.W, p.Crop.H))
	}
	if p.Pad {
		parts = append(parts, "pad")
	}
	return strings.Join(parts, ", ")
}

// Batch is images of one tensor shape: the indices into the call's images,
// and the part of the tensor each one's content fills (padding aside).
type Batch struct {
	Idx     []int
	H, W    int
	Content []image.Point // each image's content size within H×W
}

// Group splits a call's images into batches of one tensor shape: with
// padding all of them (to the largest, or pad_size), else by the shape each
// takes after resizing and cropping.
func (p Processor) Group(imgs []image.Image) []Batch {
	type shape struct{ w, h int }
	byShape := map[shape]*Batch{}
	var order []shape
	maxW, maxH := 0, 0
	for i, img := range imgs {
		_, _, ow, oh := p.target(img.Bounds().Dx(), img.Bounds().Dy())
		maxW, maxH = max(maxW, ow), max(maxH, oh)
		k := shape{ow, oh}
		if p.Pad {
			k = shape{}
		}
		b := byShape[k]
		if b == nil {
			b = &Batch{W: ow, H: oh}
			byShape[k] = b
			order = append(order, k)
		}
		b.Idx = append(b.Idx, i)
		b.Content = append(b.Content, image.Pt(ow, oh))
	}
	var out []Batch
	for _, k := range order {
		b := byShape[k]
		if p.Pad {
			b.W, b.H = maxW, maxH
			if p.PadW > 0 {
				b.W, b.H = max(p.PadW, maxW), max(p.PadH, maxH)
			}
		}
		out = append(out, *b)
	}
	return out
}

// Pixels lays one batch out as normalized float32 NCHW: each image resized,
// center-cropped, rescaled and normalized, and zero beyond its content when
// padded.
func (p Processor) Pixels(imgs []image.Image, b Batch) []float32 {
	plane := b.H * b.W
	out := make([]float32, len(b.Idx)*3*plane)
	var lut [3][256]float32
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			lut[c][v] = (float32(v)*p.Scale - p.Mean[c]) / p.Std[c]
		}
	}
	for n, i := range b.Idx {
		img := imgs[i]
		bw, bh := img.Bounds().Dx(), img.Bounds().Dy()
		rw, rh, ow, oh := p.target(bw, bh)
		rgba, ok := img.(*image.RGBA)
		if !ok || rw != bw || rh != bh {
			dst := image.NewRGBA(image.Rect(0, 0, rw, rh))
			p.Resample.Scale(dst, dst.Rect, img, img.Bounds(), draw.Src, nil)
			rgba = dst
		}
		x0 := rgba.Rect.Min.X + (rw-ow)/2
		y0 := rgba.Rect.Min.Y + (rh-oh)/2
		base := n * 3 * plane
		// The crop's columns that fall inside the image; the rest stay zero
		// (a crop larger than the image is padded, as Hugging Face does).
		xa, xb := max(0, rgba.Rect.Min.X-x0), min(ow, rgba.Rect.Max.X-x0)
		for y := 0; y < oh; y++ {
			yy := y0 + y
			if yy < rgba.Rect.Min.Y || yy >= rgba.Rect.Max.Y || xa >= xb {
				continue
			}
			row := rgba.Pix[rgba.PixOffset(x0+xa, yy):]
			o := base + y*b.W + xa
			for x := xa; x < xb; x, o = x+1, o+1 {
				px := row[4*(x-xa) : 4*(x-xa)+3]
				out[o] = lut[0][px[0]]
				out[o+plane] = lut[1][px[1]]
				out[o+2*plane] = lut[2][px[2]]
			}
		}
	}
	return out
}
