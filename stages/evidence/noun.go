package evidence

import "strings"

// Noun turns a segmenter label into the noun a sentence uses: the base
// label the standard sets share (BaseLabel: "road, route" → "road",
// "sky-other-merged" → "sky") with COCO-panoptic's material suffix put
// first ("wall-brick" → "brick wall"), underscores and hyphens spaced.
func Noun(label string) string {
	l := BaseLabel(label)
	if head, mod, ok := strings.Cut(l, "-"); ok && !strings.Contains(mod, "-") {
		if m, ok := materialAdjectives[mod]; ok {
			mod = m
		}
		l = mod + " " + head
	}
	return strings.Join(strings.Fields(strings.NewReplacer("_", " ", "-", " ").Replace(l)), " ")
}

// materialAdjectives spell COCO-panoptic's material suffixes as adjectives.
var materialAdjectives = map[string]string{"wood": "wooden", "stone": "stone", "brick": "brick", "tile": "tiled",
	"marble": "marble", "glass": "glass", "metal": "metal"}
