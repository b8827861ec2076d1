// Package synth is the deterministic synthetic world behind the bundled sample
// and the tiny models: scenes of sky, ground and colored shapes, prompts written
// like T2I-CompBench's, and ONNX models that really segment and caption them.
// The maker in testdata/gen and the benchmark both draw from it.
package synth

import "image/color"

// Class is one segmenter class of the synthetic world.
type Class struct {
	Label     string     // id2label entry
	ColorWord string     // the word the captioner uses for its color
	Noun      string     // the word the captioner uses for the class
	RGB       color.RGBA // prototype color painted by the scene maker
	Object    bool       // a foreground object color rather than a background stuff class
}

// Classes is the segmenter's id2label, in id order.
var Classes = []Class{
	{"sky", "blue", "sky", color.RGBA{135, 195, 235, 255}, false},
	{"grass", "green", "grass", color.RGBA{74, 118, 52, 255}, false},
	{"sand", "golden", "sand", color.RGBA{214, 190, 140, 255}, false},
	{"road", "gray", "road", color.RGBA{112, 112, 118, 255}, false},
	{"red object", "red", "object", color.RGBA{214, 32, 40, 255}, true},
	{"green object", "green", "object", color.RGBA{40, 200, 70, 255}, true},
	{"blue object", "blue", "object", color.RGBA{30, 55, 190, 255}, true},
	{"yellow object", "yellow", "object", color.RGBA{248, 214, 30, 255}, true},
	{"purple object", "purple", "object", color.RGBA{128, 40, 150, 255}, true},
	{"orange object", "orange", "object", color.RGBA{245, 125, 20, 255}, true},
	{"white object", "white", "object", color.RGBA{250, 250, 250, 255}, true},
	{"black object", "black", "object", color.RGBA{24, 24, 24, 255}, true},
	{"pink object", "pink", "object", color.RGBA{245, 130, 190, 255}, true},
	{"brown object", "brown", "object", color.RGBA{120, 70, 30, 255}, true},
}

// ObjectColors are the color words objects can take, with their class index.
func ObjectColors() []int {
	var out []int
	for i, c := range Classes {
		if c.Object {
			out = append(out, i)
		}
	}
	return out
}

// Mean and Std are the preprocessing constants both models declare (ImageNet's).
var (
	Mean = [3]float32{0.485, 0.456, 0.406}
	Std  = [3]float32{0.229, 0.224, 0.225}
)

// normalized returns a class prototype in the models' normalized pixel space.
func normalized(c color.RGBA) [3]float32 {
	v := [3]float32{float32(c.R), float32(c.G), float32(c.B)}
	for i := range v {
		v[i] = (v[i]/255 - Mean[i]) / Std[i]
	}
	return v
}
