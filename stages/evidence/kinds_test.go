package evidence

import (
	"strings"
	"testing"
)

func TestStandardKinds(t *testing.T) {
	for _, s := range labelSets {
		if s.name[:4] == "COCO" && (len(s.things) != 80 || len(s.stuff) != 53) {
			t.Errorf("COCO-panoptic: %d things, %d stuff; want 80 and 53", len(s.things), len(s.stuff))
		}
		if s.name[:4] == "City" && len(s.things)+len(s.stuff) != 19 {
			t.Errorf("Cityscapes: %d classes", len(s.things)+len(s.stuff))
		}
	}
	kinds, set, ok := StandardKinds([]string{"road", "sky", "car", "person"})
	if !ok || set != "COCO-panoptic (133 classes)" && set != "Cityscapes (19 classes)" || kinds[0] != KindStuff || kinds[2] != KindThing {
		t.Errorf("%v %q %v", kinds, set, ok)
	}
	if _, _, ok := StandardKinds([]string{"sky", "red object"}); ok {
		t.Error("a label set of no standard was matched")
	}
}

func TestADE20KKinds(t *testing.T) {
	things := 0
	for _, c := range ade20k {
		if c.thing {
			things++
		}
	}
	if len(ade20k) != 150 || things != 100 {
		t.Fatalf("%d classes, %d things; ADE20K panoptic has 150 and 100", len(ade20k), things)
	}
	// As SegFormer's ADE20K checkpoints spell them: the first name of each
	// class, with a few in other words.
	labels := make([]string, 150)
	for i, c := range ade20k {
		labels[i] = strings.Split(c.names, ",")[0]
	}
	labels[7], labels[8], labels[37] = "bed ", "windowpane", "bathtub"
	kinds, set, ok := StandardKinds(labels)
	if !ok || set != "ADE20K (150 classes)" {
		t.Fatalf("not matched: %q %v", set, ok)
	}
	for i, want := range map[int]Kind{0: KindStuff, 2: KindStuff, 12: KindThing, 46: KindStuff, 119: KindThing} {
		if kinds[i] != want {
			t.Errorf("%s is %s, want %s", labels[i], kinds[i], want)
		}
	}
	labels[0], labels[1] = "x", "y"
	for i := 2; i < 40; i++ {
		labels[i] = "other"
	}
	if _, _, ok := StandardKinds(labels); ok {
		t.Error("a 150-class set that is not ADE20K was matched")
	}
}

func TestLabelKind(t *testing.T) {
	tests := []struct {
		label string
		want  Kind
	}{
		{"sand", KindStuff},
		{"road, route", KindStuff},
		{"Sky-Other-Merged", KindStuff},
		{"grass", KindStuff},
		{"car", KindThing},
		{"person", KindThing},
		{"fence", KindUnknown},         // stuff in Cityscapes, a thing in ADE20K
		{"traffic light", KindUnknown}, // a thing in COCO, stuff in Cityscapes
		{"red object", KindUnknown},    // in no set
		{"", KindUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.label, func(t *testing.T) {
			if got := LabelKind(tc.label); got != tc.want {
				t.Errorf("LabelKind(%q) = %s, want %s", tc.label, got, tc.want)
			}
		})
	}
}
