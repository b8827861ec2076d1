package preprocess

import (
	"encoding/json"
	"image"
	"image/color"
	"strings"
	"testing"
)

func TestSizeRulesFollowHuggingFace(t *testing.T) {
	tests := []struct {
		name       string
		size       string
		w, h       int
		wantW, wan int
	}{
		{"exact", `{"height":224,"width":224}`, 640, 480, 224, 224},
		{"bare number is a square", `384`, 640, 480, 384, 384},
		{"shortest edge keeps the aspect (CLIP, BLIP)", `{"shortest_edge":224}`, 384, 128, 672, 224},
		{"shortest edge capped by the longest (DETR, Mask2Former)", `{"shortest_edge":800,"longest_edge":1333}`, 384, 128, 1333, 444},
		{"longest edge alone", `{"longest_edge":512}`, 384, 128, 512, 170},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, ok := parseSize(json.RawMessage(tc.size))
			if !ok {
				t.Fatal("not parsed")
			}
			if w, h := r.resized(tc.w, tc.h); w != tc.wantW || h != tc.wan {
				t.Errorf("%d×%d → %d×%d, want %d×%d", tc.w, tc.h, w, h, tc.wantW, tc.wan)
			}
		})
	}
}

func processor(t *testing.T, cfg string) (Processor, error) {
	t.Helper()
	return Parse([]byte(cfg))
}

func TestImageProcessorFields(t *testing.T) {
	p, err := processor(t, `{"image_processor_type":"CLIPImageProcessor","do_resize":true,"size":{"shortest_edge":4},
		"resample":3,"do_center_crop":true,"crop_size":{"height":4,"width":4},"do_rescale":true,"rescale_factor":0.00392156862745098,
		"do_normalize":true,"image_mean":[0,0,0],"image_std":[1,1,1]}`)
	if err != nil {
		t.Fatal(err)
	}
	// A 12×4 image, white in its middle third: resized to 12×4 (shortest
	// edge 4), center-cropped to 4×4 — only the white middle is left.
	img := image.NewRGBA(image.Rect(0, 0, 12, 4))
	for y := 0; y < 4; y++ {
		for x := 4; x < 8; x++ {
			img.Set(x, y, color.White)
		}
	}
	bs := p.Group([]image.Image{img, image.NewRGBA(image.Rect(0, 0, 4, 8))})
	if len(bs) != 1 || bs[0].W != 4 || bs[0].H != 4 {
		t.Fatalf("batches %+v: both images crop to 4×4", bs)
	}
	px := p.Pixels([]image.Image{img}, Batch{Idx: []int{0}, H: 4, W: 4, Content: []image.Point{{4, 4}}})
	for i, v := range px {
		if v < 0.99 {
			t.Fatalf("value %d is %v: the crop is not the white middle", i, v)
		}
	}
	if !strings.Contains(p.String(), "shortest edge 4") || !strings.Contains(p.String(), "center crop 4×4") {
		t.Errorf("described as %q", p)
	}

	// Without a crop, images of other aspect ratios form their own batches,
	// unless the processor pads them to one shape.
	p, _ = processor(t, `{"size":{"shortest_edge":4},"image_mean":[0,0,0],"image_std":[1,1,1]}`)
	if bs := p.Group([]image.Image{img, image.NewRGBA(image.Rect(0, 0, 4, 8)), image.NewRGBA(image.Rect(0, 0, 12, 4))}); len(bs) != 2 || len(bs[0].Idx) != 2 {
		t.Errorf("by shape: %+v", bs)
	}
	p, _ = processor(t, `{"image_processor_type":"DetrImageProcessor","size":{"shortest_edge":4},"do_pad":true,"image_mean":[0,0,0],"image_std":[1,1,1]}`)
	if bs := p.Group([]image.Image{img, image.NewRGBA(image.Rect(0, 0, 4, 8))}); len(bs) != 1 || bs[0].W != 12 || bs[0].H != 8 {
		t.Errorf("padded: %+v", bs)
	}

	for cfg, want := range map[string]string{
		`{"image_processor_type":"LlavaNextImageProcessor","size":4}`:               `"LlavaNextImageProcessor" is not one twigdata applies`,
		`{"size":4,"resample":9,"image_mean":[0,0,0],"image_std":[1,1,1]}`:          `"resample" 9`,
		`{"size":4,"do_center_crop":true,"image_mean":[0,0,0],"image_std":[1,1,1]}`: `needs "crop_size"`,
		`{"do_resize":false,"image_mean":[0,0,0],"image_std":[1,1,1]}`:              `share one tensor shape`,
		`{"size":{"height":0},"image_mean":[0,0,0],"image_std":[1,1,1]}`:            `"size" must give`,
	} {
		if _, err := processor(t, cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", cfg, err, want)
		}
	}
}
