// Package florence holds what Florence-2's processor does around the model,
// in pure Go: the task prompts its task tokens stand for, and the parsing of
// generated text with location tokens (<loc_0>…<loc_999>) into phrases and
// boxes, as transformers' Florence2PostProcessor does.
package florence

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/twigdata/twigdata/stages/evidence"
)

// Bins is how many location tokens span an image side.
const Bins = 1000

// prompts are the task tokens Florence-2 is trained on and the text each
// stands for (transformers' Florence2Processor); with {input} the token takes
// text after it.
var prompts = map[string]string{
	"<OCR>":                               "What is the text in the image?",
	"<OCR_WITH_REGION>":                   "What is the text in the image, with regions?",
	"<CAPTION>":                           "What does the image describe?",
	"<DETAILED_CAPTION>":                  "Describe in detail what is shown in the image.",
	"<MORE_DETAILED_CAPTION>":             "Describe with a paragraph what is shown in the image.",
	"<OD>":                                "Locate the objects with category name in the image.",
	"<DENSE_REGION_CAPTION>":              "Locate the objects in the image, with their descriptions.",
	"<REGION_PROPOSAL>":                   "Locate the region proposals in the image.",
	"<CAPTION_TO_PHRASE_GROUNDING>":       "Locate the phrases in the caption: {input}",
	"<REFERRING_EXPRESSION_SEGMENTATION>": "Locate {input} in the image with mask",
	"<REGION_TO_SEGMENTATION>":            "What is the polygon mask of region {input}",
	"<OPEN_VOCABULARY_DETECTION>":         "Locate {input} in the image.",
	"<REGION_TO_CATEGORY>":                "What is the region {input}?",
	"<REGION_TO_DESCRIPTION>":             "What does the region {input} describe?",
	"<REGION_TO_OCR>":                     "What text is in the region {input}?",
}

// Prompt is the text the model reads for a task token and its input; a task
// that takes no input refuses one, and an unknown task is refused by name.
func Prompt(task, input string) (string, error) {
	p, ok := prompts[task]
	if !ok {
		return "", fmt.Errorf("florence: unknown task %s", task)
	}
	input = strings.TrimSpace(input)
	if !strings.Contains(p, "{input}") {
		if input != "" {
			return "", fmt.Errorf("florence: task %s takes no input, got %q", task, input)
		}
		return p, nil
	}
	return strings.Replace(p, "{input}", input, 1), nil
}

var (
	groundedPhrase = regexp.MustCompile(`[^<]+(?:<loc_\d+>){4,}`)
	groundedBox    = regexp.MustCompile(`<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>`)
	phraseEnds     = []string{"<od>", "</od>", "<box>", "</box>", "<bbox>", "</bbox>", "<loc_"}
)

// ParseGrounding reads <CAPTION_TO_PHRASE_GROUNDING> output ("a cat<loc_1>…")
// into phrases and their boxes for an image of width×height, as
// Florence2PostProcessor.parse_phrase_grounding_from_text_and_spans does:
// phrases in banned (its post-processor config's banned_grounding_tokens) are
// dropped, and characters outside ASCII are removed from the phrase.
func ParseGrounding(text string, width, height int, banned map[string]bool) []evidence.Grounding {
	text = strings.NewReplacer("<s>", "", "</s>", "", "<pad>", "").Replace(text)
	var out []evidence.Grounding
	for _, pt := range groundedPhrase.FindAllString(text, -1) {
		pt = strings.Replace(strings.Replace(pt, "<ground>", "", 1), "<obj>", "", 1)
		phrase, ok := phraseBefore(pt)
		if !ok || banned[phrase] {
			continue
		}
		var g evidence.Grounding
		for _, m := range groundedBox.FindAllStringSubmatch(pt, -1) {
			var bins [4]int
			for j := range bins {
				n, _ := strconv.Atoi(m[j+1])    // digits only: the one error is overflow, which saturates
				bins[j] = min(n, math.MaxInt32) // so that pixels stay within int
			}
			g.Boxes = append(g.Boxes, Dequantize(bins, width, height))
		}
		if len(g.Boxes) == 0 {
			continue
		}
		g.Phrase = strings.Map(func(r rune) rune {
			if r > unicode.MaxASCII {
				return -1
			}
			return r
		}, phrase)
		out = append(out, g)
	}
	return out
}

// phraseBefore is the text before the first box marker, trimmed: Python's
// ^\s*(.*?)(?=<od>|…|<loc_), whose dot stops at a newline, so a phrase that
// has one before its marker matches nothing.
func phraseBefore(s string) (string, bool) {
	end := -1
	for _, m := range phraseEnds {
		if i := strings.Index(s, m); i >= 0 && (end < 0 || i < end) {
			end = i
		}
	}
	if end < 0 {
		return "", false
	}
	head := s[:end]
	if strings.Contains(strings.TrimLeftFunc(head, isPySpace), "\n") {
		return "", false
	}
	return strings.TrimFunc(head, isPySpace), true
}

// isPySpace is Python's str.isspace, which re's \s and str.strip use: Go's
// white space and the four information separators U+001C to U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f }

// Dequantize turns location bins into pixels at each bin's centre, with
// torch's float32 arithmetic and truncation, as Florence2PostProcessor does.
func Dequantize(bins [4]int, width, height int) [4]int {
	perW, perH := float32(float64(width)/Bins), float32(float64(height)/Bins)
	var box [4]int
	for i, b := range bins {
		per := perW
		if i%2 == 1 {
			per = perH
		}
		box[i] = int((float32(b) + 0.5) * per)
	}
	return box
}
