package schema

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Reason is a stable reject reason code, "<stage>.<what>". Codes are part of
// the dataset's contract: users group and filter rejects by them, so a code
// is never renamed or reused for another meaning.
type Reason string

// The reject reason codes. Every one is registered with its meaning below.
const (
	ReasonNoImage              Reason = "source.no_image"
	ReasonNoPrompt             Reason = "source.no_prompt"
	ReasonAmbiguousImage       Reason = "source.ambiguous_image"
	ReasonAmbiguousPrompt      Reason = "source.ambiguous_prompt"
	ReasonBadReference         Reason = "source.bad_reference"
	ReasonDuplicateKey         Reason = "source.duplicate_key"
	ReasonManifestRowMalformed Reason = "source.manifest_row_malformed"
	ReasonTarCorrupt           Reason = "source.tar_corrupt"
	ReasonTarTooLarge          Reason = "source.tar_too_large"
	ReasonImageTooLarge        Reason = "source.image_too_large"
	ReasonPromptTooLarge       Reason = "source.prompt_too_large"
	ReasonImageVanished        Reason = "source.image_vanished"
	ReasonPromptVanished       Reason = "source.prompt_vanished"
	ReasonNotRegular           Reason = "source.not_regular_file"
	ReasonInvalidName          Reason = "source.invalid_name"
	ReasonPromptNotText        Reason = "source.prompt_not_text"
	ReasonEmptyPrompt          Reason = "source.empty_prompt"
	ReasonPromptNotUTF8        Reason = "source.prompt_not_utf8"
	ReasonPromptControlChars   Reason = "source.prompt_control_chars"
	ReasonPromptJSONInvalid    Reason = "source.prompt_json_invalid"
	ReasonPromptJSONNoField    Reason = "source.prompt_json_no_field"
	ReasonEmptyFile            Reason = "decode.empty_file"
	ReasonUnknownFormat        Reason = "decode.unknown_format"
	ReasonUnsupportedFormat    Reason = "decode.unsupported_format"
	ReasonColorProfile         Reason = "decode.unsupported_color_profile"
	ReasonCorruptHeader        Reason = "decode.corrupt_header"
	ReasonTooManyPixels        Reason = "decode.too_many_pixels"
	ReasonCorrupt              Reason = "decode.corrupt"
	ReasonTruncated            Reason = "decode.truncated"
	ReasonResolution           Reason = "filter.resolution"
	ReasonBlur                 Reason = "filter.blur"
	ReasonBlocking             Reason = "filter.blocking"
	ReasonEmptyPlan            Reason = "filter.empty_plan"
	ReasonLowScore             Reason = "filter.low_score"
	ReasonAlignment            Reason = "filter.alignment"
)

// ReasonInfo documents one reason code.
type ReasonInfo struct {
	Code Reason
	// Transient reasons may not recur: --retry-rejects redoes those inputs.
	Transient bool
	Meaning   string
}

var reasons = []ReasonInfo{
	{ReasonNoImage, false, "a prompt with no image beside it, a manifest row with no image reference or one naming a missing image, a WebDataset key with no image member anywhere in its shard"},
	{ReasonNoPrompt, false, "an image with no prompt beside it, a manifest without the prompt column, a WebDataset key with no .txt or .json member"},
	{ReasonAmbiguousImage, false, "one stem with several images (a.jpg and a.png)"},
	{ReasonAmbiguousPrompt, false, "one stem with several prompt files (a.txt and a.json)"},
	{ReasonBadReference, false, "a manifest image reference outside the manifest's folder, absolute, not text, or an s3:// URI with an invalid bucket name or a bucket that does not exist or refuses access"},
	{ReasonDuplicateKey, false, "a manifest row, or a WebDataset member pair, repeating an earlier one's key"},
	{ReasonManifestRowMalformed, false, "a manifest row that does not parse (JSON, CSV quoting, field count)"},
	{ReasonTarCorrupt, false, "a WebDataset shard corrupt or cut off (the members after the damage), or a member that is a link to no earlier member or a special file"},
	{ReasonTarTooLarge, false, "a WebDataset shard above the shard size limit"},
	{ReasonImageTooLarge, false, "an image file above max-image-bytes"},
	{ReasonPromptTooLarge, false, "a prompt above max-prompt-bytes"},
	{ReasonImageVanished, true, "an image listed but gone when read"},
	{ReasonPromptVanished, true, "a prompt file listed but gone when read"},
	{ReasonNotRegular, false, "a name that is a folder, a symbolic link, a FIFO or a device, or that leads out of the input through a linked folder: only regular files are read"},
	{ReasonInvalidName, false, "a name no file or object can have: a part over 255 bytes, an empty or .. part"},
	{ReasonPromptNotText, false, "a manifest prompt that is a number, a list, an object or binary data, not text"},
	{ReasonEmptyPrompt, false, "a prompt holding no text"},
	{ReasonPromptNotUTF8, false, "a prompt file that is not valid UTF-8"},
	{ReasonPromptControlChars, false, "a prompt containing control characters or invisible format characters that reorder or hide text (bidirectional overrides and isolates, tags); zero-width spaces and joiners, soft hyphens and byte-order marks are removed instead"},
	{ReasonPromptJSONInvalid, false, "a <stem>.json prompt file that is not a JSON object"},
	{ReasonPromptJSONNoField, false, "a <stem>.json prompt file without a string prompt-field"},
	{ReasonEmptyFile, false, "an image file of 0 bytes"},
	{ReasonUnknownFormat, false, "an image whose bytes match no image format"},
	{ReasonUnsupportedFormat, false, "an image in a format other than JPEG, PNG or WebP (AVIF, HEIC, TIFF, BMP, GIF, JPEG XL), or an animated WebP; the detail names the format"},
	{ReasonColorProfile, false, "an image whose embedded ICC colour profile cannot be applied: damaged, or not an RGB or gray matrix/TRC profile (a CMYK or lookup-table profile), so its colours cannot be brought to sRGB"},
	{ReasonCorruptHeader, false, "an image whose header cannot be read or gives no size"},
	{ReasonTooManyPixels, false, "an image whose header claims more than max-pixels pixels (a decompression bomb)"},
	{ReasonCorrupt, false, "an image whose pixel data does not decode"},
	{ReasonTruncated, false, "an image cut off before its end marker"},
	{ReasonResolution, false, "an image whose shorter side is below min-side"},
	{ReasonBlur, false, "a canvas whose blur (a no-reference measure on its edges) is above max-blur"},
	{ReasonBlocking, false, "a JPEG whose block grid shows (it was compressed too hard): blocking above max-blockiness"},
	{ReasonEmptyPlan, false, "a region in which nothing was recognised, so it has no plan"},
	{ReasonLowScore, false, "a sample whose mean critic score is below min-score"},
	{ReasonAlignment, false, "a sample where less than min-alignment of the prompt's objects was found"},
}

// Reasons lists every reason code with its meaning, in registry order.
func Reasons() []ReasonInfo { return append([]ReasonInfo(nil), reasons...) }

// Info returns the registered description of r.
func (r Reason) Info() (ReasonInfo, bool) {
	for _, ri := range reasons {
		if ri.Code == r {
			return ri, true
		}
	}
	return ReasonInfo{}, false
}

// Stage is the pipeline stage a code belongs to: the part before the dot.
func (r Reason) Stage() string {
	s, _, _ := strings.Cut(string(r), ".")
	return s
}

// MaxDetail bounds a reject's detail, in bytes: a message quoting a huge
// name or a decoder's error must not bloat the rejects table.
const MaxDetail = 1000

// NewReject makes the reject row of one input. The stage and the transient
// flag come from the registry; an unregistered code is a programming error.
// Key and source are escaped (EscapeKey) and the detail made valid UTF-8 and
// cut to MaxDetail bytes, so every reader can open the table.
func NewReject(key, sourceURI string, reason Reason, detail string) *Reject {
	info, ok := reason.Info()
	if !ok {
		panic(fmt.Sprintf("schema: unregistered reject reason %q", reason))
	}
	detail = EscapeKey(detail)
	if len(detail) > MaxDetail {
		cut := MaxDetail
		for cut > 0 && !utf8.RuneStart(detail[cut]) {
			cut--
		}
		detail = detail[:cut] + fmt.Sprintf("… (%d bytes in all)", len(detail))
	}
	return &Reject{Key: EscapeKey(key), SourceURI: EscapeKey(sourceURI), Stage: reason.Stage(), Reason: string(reason), Detail: detail, Transient: info.Transient}
}

// Rejection is why an input is not accepted, before it is tied to a key: a
// registered reason and a sentence of detail.
type Rejection struct {
	Reason Reason
	Detail string
}

// Rejectf makes a Rejection with a formatted detail.
func Rejectf(reason Reason, format string, args ...any) *Rejection {
	return &Rejection{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Error is the reason code and the detail.
func (r *Rejection) Error() string { return string(r.Reason) + ": " + r.Detail }
