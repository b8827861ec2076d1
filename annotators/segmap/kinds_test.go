package segmap

import "testing"

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
