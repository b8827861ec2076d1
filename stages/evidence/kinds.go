package evidence

import "strings"

// Kind says whether a class is a countable thing (a ball, a person) or
// amorphous stuff (sky, grass, road), which takes no count and no plural.
type Kind uint8

// The kinds; KindUnknown leaves the critic to judge from the map's shape.
const (
	KindUnknown Kind = iota
	KindThing
	KindStuff
)

// String is "thing", "stuff" or "unknown".
func (k Kind) String() string {
	switch k {
	case KindThing:
		return "thing"
	case KindStuff:
		return "stuff"
	}
	return "unknown"
}

// ParseKind reads "thing" or "stuff".
func ParseKind(s string) (Kind, bool) {
	switch s {
	case "thing":
		return KindThing, true
	case "stuff":
		return KindStuff, true
	}
	return KindUnknown, false
}

// labelSet is a standard label set with the kind of each class.
type labelSet struct {
	name          string
	things, stuff []string
}

// labelSets are the standard label sets, matched by name, whose thing/stuff
// split is known: the panoptic splits as their datasets define them (ADE20K
// is matched by id, see ade20k).
var labelSets = []labelSet{
	{"COCO-panoptic (133 classes)",
		[]string{"person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
			"fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow", "elephant",
			"bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard",
			"sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
			"wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange", "broccoli",
			"carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant", "bed", "dining table", "toilet",
			"tv", "laptop", "mouse", "remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
			"refrigerator", "book", "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush"},
		[]string{"banner", "blanket", "bridge", "cardboard", "counter", "curtain", "door-stuff", "floor-wood", "flower",
			"fruit", "gravel", "house", "light", "mirror-stuff", "net", "pillow", "platform", "playingfield", "railroad",
			"river", "road", "roof", "sand", "sea", "shelf", "snow", "stairs", "tent", "towel", "wall-brick", "wall-stone",
			"wall-tile", "wall-wood", "water-other", "window-blind", "window-other", "tree-merged", "fence-merged",
			"ceiling-merged", "sky-other-merged", "cabinet-merged", "table-merged", "floor-other-merged",
			"pavement-merged", "mountain-merged", "grass-merged", "dirt-merged", "paper-merged", "food-other-merged",
			"building-other-merged", "rock-merged", "wall-other-merged", "rug-merged"}},
	{"Cityscapes (19 classes)",
		[]string{"person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"},
		[]string{"road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
			"terrain", "sky"}},
}

// StandardKinds gives each label its kind when the labels are all of one
// standard label set, naming the set; ok is false otherwise.
func StandardKinds(labels []string) (kinds []Kind, set string, ok bool) {
	for _, s := range labelSets {
		m := map[string]Kind{}
		for _, l := range s.things {
			m[l] = KindThing
		}
		for _, l := range s.stuff {
			m[l] = KindStuff
		}
		kinds = make([]Kind, len(labels))
		ok = true
		for i, l := range labels {
			if kinds[i], ok = m[l]; !ok {
				break
			}
		}
		if ok {
			return kinds, s.name, true
		}
	}
	if kinds, ok := ade20kKinds(labels); ok {
		return kinds, "ADE20K (150 classes)", true
	}
	return nil, "", false
}

// BaseLabel is a label reduced to the name the standard sets share:
// lower case, ADE20K's synonyms cut to the first ("road, route" → "road"),
// COCO-panoptic's qualifiers dropped ("sky-other-merged" → "sky").
func BaseLabel(label string) string {
	l := strings.ToLower(strings.TrimSpace(label))
	if i := strings.IndexByte(l, ','); i >= 0 {
		l = strings.TrimSpace(l[:i])
	}
	for changed := true; changed; {
		changed = false
		for _, suf := range []string{"-merged", "-other", "-stuff"} {
			if strings.HasSuffix(l, suf) {
				l, changed = strings.TrimSuffix(l, suf), true
			}
		}
	}
	return l
}

// labelKinds is every standard set's kind of each base label, KindUnknown
// where two sets disagree ("fence" is stuff in Cityscapes, a thing in
// ADE20K).
var labelKinds = func() map[string]Kind {
	m := map[string]Kind{}
	add := func(l string, k Kind) {
		l = BaseLabel(l)
		if old, ok := m[l]; ok && old != k {
			k = KindUnknown
		}
		m[l] = k
	}
	for _, s := range labelSets {
		for _, l := range s.things {
			add(l, KindThing)
		}
		for _, l := range s.stuff {
			add(l, KindStuff)
		}
	}
	for _, c := range ade20k {
		k := KindStuff
		if c.thing {
			k = KindThing
		}
		add(c.names, k)
	}
	return m
}()

// LabelKind is the kind the standard label sets agree a single label has
// ("sand", "road, route", "sky-other-merged" are stuff; "car" a thing), for
// a segmenter whose label set is none of them; KindUnknown for a label none
// of them has or that they disagree on.
func LabelKind(label string) Kind { return labelKinds[BaseLabel(label)] }
