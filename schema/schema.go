// Package schema defines the Parquet records twigdata writes — samples, tasks
// and rejects — and writes and reads them with parquet-go. Nested data is
// LIST<STRUCT> so DuckDB can unnest it, and the image column follows the
// Hugging Face Image convention STRUCT<bytes, path>.
package schema

// Version is the record layout version stored in every manifest; bump it when
// a column is added, changes meaning or type. 2: objects carry their kind;
// 3: and the model that found them (source) and their mask; critiques list
// their unverified criteria, samples their unverified entities; 4: the image
// and what may be absent are nullable (a reflect row's score, a generate
// row's target, source_uri under --source-uri none), and the training table;
// 5: a training turn says whether it is a target and a reflect turn its
// revision.
const Version = 5

// The models an object can come from (Object.Source).
const (
	SourceSegmenter = "segmenter" // a segment of the segmenter's map
	SourceGrounder  = "grounder"  // a box of a phrase the grounder found
)

// Image is the Hugging Face `Image` feature's storage: encoded bytes and a
// path. The struct and both fields are nullable, as `datasets` declares
// them: it takes the feature from a file's metadata only where the Arrow
// field, nullability included, equals its own. The bytes are JPEG already,
// so they are stored uncompressed and without statistics (min/max of whole
// images would fill the footer and every page header).
type Image struct {
	Bytes []byte `parquet:"bytes,optional,uncompressed" doc:"the encoded image (JPEG for the canvas)"`
	Path  string `parquet:"path,optional" doc:"a file name for the image (<key>.jpg); no such file is written"`
}

// approxBytes is what a row with this image adds to a row group, roughly.
func (im Image) approxBytes() int { return len(im.Bytes) + len(im.Path) }

// Entity is one noun phrase of the prompt.
type Entity struct {
	Noun       string   `parquet:"noun" doc:"the head noun, singular (\"cat\" for \"two cats\")"`
	Count      int32    `parquet:"count" doc:"how many the prompt asks for (1 without a number)"`
	Attributes []string `parquet:"attributes,list" doc:"the colour, shape, size, texture and other words said of it, in prompt order"`
}

// Relation links two entities by a spatial or action predicate.
type Relation struct {
	Subject   string `parquet:"subject" doc:"the noun of the first entity"`
	Predicate string `parquet:"predicate" doc:"the spatial or action phrase between them (\"on the left of\", \"riding\")"`
	Object    string `parquet:"object" doc:"the noun of the second entity"`
}

// BBox is a pixel box on the canvas, [x0,x1) × [y0,y1).
type BBox struct {
	X0 int32 `parquet:"x0" doc:"left edge, canvas pixels (inclusive)"`
	Y0 int32 `parquet:"y0" doc:"top edge, canvas pixels (inclusive)"`
	X1 int32 `parquet:"x1" doc:"right edge, canvas pixels (exclusive)"`
	Y1 int32 `parquet:"y1" doc:"bottom edge, canvas pixels (exclusive)"`
}

// Object is one segment found in a region.
type Object struct {
	Label         string  `parquet:"label" doc:"the noun the plan uses for it: the segmenter's class refined by its shape"`
	Class         string  `parquet:"class,dict" doc:"the segmenter's id2label entry (empty for a grounder's box)"`
	Kind          string  `parquet:"kind,dict" doc:"thing (counted) or stuff (scenery)"`
	Score         float32 `parquet:"score" doc:"mean segmenter confidence over its cells, 0..1 (0 for a grounder's box)"`
	PixelFraction float32 `parquet:"pixel_fraction" doc:"its share of the region's pixels, 0..1"`
	BBox          BBox    `parquet:"bbox" doc:"its box on the canvas"`
	Color         string  `parquet:"color" doc:"the colour name of its mean pixel (scenery's by its shade, as its plan says)"`
	// Source is the model that found it: "segmenter" (a segment of its map)
	// or "grounder" (a box of a grounded prompt phrase, with no class and no
	// score; its colour is the mean of the box's inner half).
	Source string `parquet:"source,dict" doc:"the model that found it: segmenter or grounder"`
	Mask   Mask   `parquet:"mask" doc:"the cells it covers on the segmenter's grid, COCO uncompressed RLE"`
}

// Mask is an object's cells on the segmenter's grid (Height×Width cells
// spanning the canvas) in COCO's uncompressed run-length encoding: runs
// down the columns (column-major), alternating outside and inside, the first
// run outside (0 when the first cell is inside) — what
// pycocotools.mask.frPyObjects({"size": [h, w], "counts": counts}, h, w)
// reads. A grounded object's mask is its box.
type Mask struct {
	Height int32   `parquet:"height" doc:"grid rows"`
	Width  int32   `parquet:"width" doc:"grid columns"`
	Counts []int32 `parquet:"counts,list" doc:"run lengths down the columns, alternating outside and inside, outside first (pycocotools frPyObjects reads it)"`
}

// NewMask encodes the cells of a Height×Width grid for which in(x, y) holds.
func NewMask(w, h int, in func(x, y int) bool) Mask {
	m := Mask{Height: int32(h), Width: int32(w), Counts: []int32{}}
	cur, run := false, int32(0)
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			if v := in(x, y); v != cur {
				m.Counts = append(m.Counts, run)
				cur, run = v, 0
			}
			run++
		}
	}
	m.Counts = append(m.Counts, run)
	return m
}

// MaskOfCells is NewMask of the cells listed (row-major indices y·w+x),
// visiting only their bounding box: the cells outside it are counted, not
// read.
func MaskOfCells(w, h int, cells []int32) Mask {
	m := Mask{Height: int32(h), Width: int32(w), Counts: []int32{}}
	x0, y0, x1, y1 := w, h, 0, 0
	for _, p := range cells {
		x, y := int(p)%w, int(p)/w
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
	}
	if len(cells) == 0 {
		return Mask{Height: int32(h), Width: int32(w), Counts: []int32{int32(w * h)}}
	}
	bh := y1 - y0
	in := make([]bool, (x1-x0)*bh) // the box, column-major
	for _, p := range cells {
		in[(int(p)%w-x0)*bh+int(p)/w-y0] = true
	}
	cur, run := false, int32(0)
	add := func(v bool, n int) {
		if n == 0 {
			return
		}
		if v != cur {
			m.Counts = append(m.Counts, run)
			cur, run = v, 0
		}
		run += int32(n)
	}
	add(false, x0*h)
	for x := x0; x < x1; x++ {
		add(false, y0)
		for _, v := range in[(x-x0)*bh : (x-x0+1)*bh] {
			add(v, 1)
		}
		add(false, h-y1)
	}
	add(false, (w-x1)*h)
	m.Counts = append(m.Counts, run)
	return m
}

// Contains decodes the mask at cell (x, y).
func (m Mask) Contains(x, y int) bool {
	at := int32(x)*m.Height + int32(y)
	inside := false
	for _, c := range m.Counts {
		if at < c {
			return inside
		}
		at -= c
		inside = !inside
	}
	return false
}

// Critic holds the reflection scores, each 0..100; Score is the overall r_k.
type Critic struct {
	Score        int32 `parquet:"score" doc:"the overall score r_k, 0..100: the weighted mean of the verified criteria"`
	Color        int32 `parquet:"color" doc:"colour criterion, 0..100: the plan's colour words against the measured colours"`
	Completeness int32 `parquet:"completeness" doc:"completeness criterion, 0..100: the prompt's things the region should hold that it does"`
	Detail       int32 `parquet:"detail" doc:"detail criterion, 0..100: what the region shows that the plan names"`
	Spatial      int32 `parquet:"spatial" doc:"spatial criterion, 0..100: the prompt's relations as measured between the things found"`
	Coherence    int32 `parquet:"coherence" doc:"coherence criterion, 0..100: colour continuity across the seam with the region above"`
	// region (color, completeness, spatial, coherence): each scores 0 here
	// and is left out of Score, the other weights renormalised.
	Unverified []string `parquet:"unverified,list" doc:"criteria the evidence could not judge here (scored 0, left out of score)"`
}

// Region is one band of the TwiG schedule with its thought and critique.
type Region struct {
	Index         int32    `parquet:"index" doc:"the region's place in the schedule, 0 at the top"`
	Name          string   `parquet:"name" doc:"upper background, central content or lower background for K = 3; band 1, band 2 … otherwise"`
	TokenRowStart int32    `parquet:"token_row_start" doc:"first token row of the image the region covers"`
	TokenRowEnd   int32    `parquet:"token_row_end" doc:"token row after the last it covers"`
	Y0            int32    `parquet:"y0" doc:"first canvas pixel row of the region"`
	Y1            int32    `parquet:"y1" doc:"canvas pixel row after its last"`
	Caption       string   `parquet:"caption" doc:"the captioner's text for the region's crop (empty without one)"`
	Objects       []Object `parquet:"objects,list" doc:"the segments and grounded boxes found in the region"`
	Plan          string   `parquet:"plan" doc:"the thought τ_k written before drawing the region"`
	Critic        Critic   `parquet:"critic" doc:"the critique of the plan against the region's evidence"`
	RevisedPlan   string   `parquet:"revised_plan" doc:"the revised thought τ̂_k: the plan and one sentence of fixes when reflected, else the plan"`
	Reflected     bool     `parquet:"reflected" doc:"whether the score fell below θ, so the plan was revised"`
}

// Sample is the canonical record: one accepted prompt/image pair.
type Sample struct {
	ID           string     `parquet:"id" doc:"a stable id of the input key: 32 hex digits of its sha256"`
	Key          string     `parquet:"key" doc:"the input's key (its path under --in, escaped)"`
	SourceURI    string     `parquet:"source_uri,optional" doc:"where the input came from (relative, absolute or null, per --source-uri)"`
	Prompt       string     `parquet:"prompt" doc:"the prompt as given (control characters removed)"`
	Entities     []Entity   `parquet:"entities,list" doc:"the prompt's noun phrases"`
	Relations    []Relation `parquet:"relations,list" doc:"the spatial and action relations between its entities"`
	Image        Image      `parquet:"image,optional" doc:"the canvas: the input resized and cropped to canvas size, sRGB, JPEG"`
	OrigWidth    int32      `parquet:"orig_width" doc:"the original image's width in pixels"`
	OrigHeight   int32      `parquet:"orig_height" doc:"the original image's height in pixels"`
	OrigFormat   string     `parquet:"orig_format,dict" doc:"the original's format (jpeg, png, webp, gif, bmp, tiff)"`
	OrigSHA256   string     `parquet:"orig_sha256" doc:"sha256 of the original image's bytes"`
	CanvasWidth  int32      `parquet:"canvas_width" doc:"canvas width in pixels"`
	CanvasHeight int32      `parquet:"canvas_height" doc:"canvas height in pixels"`
	PatchSize    int32      `parquet:"patch_size" doc:"pixels per token side"`
	GridRows     int32      `parquet:"grid_rows" doc:"token rows (canvas height / patch)"`
	GridCols     int32      `parquet:"grid_cols" doc:"token columns (canvas width / patch)"`
	Caption      string     `parquet:"caption" doc:"the captioner's text for the whole canvas (empty without one)"`
	Regions      []Region   `parquet:"regions,list" doc:"the K regions of the TwiG schedule, top to bottom"`
	Blur         float32    `parquet:"blur" doc:"a no-reference blur measure over the canvas's edges: 0 crisp, 1 fully blurred; -1 when too few edges to judge"`
	PHash        string     `parquet:"phash" doc:"a 64-bit difference hash of the canvas (9×8 luma grid), hex: near-duplicates differ in few bits"`
	Alignment    float32    `parquet:"alignment" doc:"the share of the prompt's verifiable entity instances found in the image, 0..1"`
	Blockiness   float32    `parquet:"blockiness" doc:"JPEG blocking of the original (1: none; other formats 1)"`
	// found (no segmenter class names them and no grounder looked): they
	// count neither as found nor as missing in Alignment.
	UnverifiedEntities []string `parquet:"unverified_entities,list" doc:"the prompt's nouns no model could have found, and \"no <noun>\" for what must be absent"`
	Segmenter          string   `parquet:"segmenter,dict" doc:"the segmenter's id: name@sha256 of its graphs"`
	Captioner          string   `parquet:"captioner,dict" doc:"the captioner's id: name@sha256 of its graphs"`
	ToolVersion        string   `parquet:"tool_version,dict" doc:"the twigdata version that wrote the row"`
}

// approxBytes is what the row adds to a row group, roughly: its image.
func (s *Sample) approxBytes() int { return s.Image.approxBytes() + 4096 }

// Task kinds of the TwiG protocol.
const (
	TaskThink    = "think"
	TaskReflect  = "reflect"
	TaskGenerate = "generate"
)

// Task is one supervised example: think, reflect or generate for one region.
// Generate targets are the region's pixel rows of the sample's image; the row
// carries the conditioning text and the rows to cut, and joins to samples on
// sample_id (the training table holds the same turns with the image, one row
// per sample).
type Task struct {
	ID            string `parquet:"id" doc:"<sample_id>/<task>/<region>"`
	SampleID      string `parquet:"sample_id" doc:"the sample's id (samples.id)"`
	Task          string `parquet:"task,dict" doc:"think, reflect or generate"`
	Region        int32  `parquet:"region" doc:"the region's index"`
	Prompt        string `parquet:"prompt" doc:"the sample's prompt"`
	Context       string `parquet:"context" doc:"the thoughts of earlier regions, one per line"`
	Input         string `parquet:"input" doc:"the thought under review (reflect), the thoughts so far (generate), the prompt (think)"`
	Target        string `parquet:"target,optional" doc:"the thought (think), \"score: r\nrevision: τ̂\" (reflect); null for generate, whose target is the pixel rows"`
	Score         *int32 `parquet:"score,optional" doc:"r_k for reflect rows; null for the others"`
	TokenRowStart int32  `parquet:"token_row_start" doc:"first token row of the region"`
	TokenRowEnd   int32  `parquet:"token_row_end" doc:"token row after the region's last"`
	Y0            int32  `parquet:"y0" doc:"first canvas pixel row of the region"`
	Y1            int32  `parquet:"y1" doc:"canvas pixel row after its last"`
}

// Reject is one input that was not accepted, with the stage and the reason.
type Reject struct {
	Key       string `parquet:"key" doc:"the input's key"`
	SourceURI string `parquet:"source_uri,optional" doc:"where the input came from (per --source-uri)"`
	Stage     string `parquet:"stage,dict" doc:"the stage that refused it: source, decode or filter"`
	Reason    string `parquet:"reason,dict" doc:"a stable code such as decode.truncated (the README lists them)"`
	Detail    string `parquet:"detail" doc:"a sentence with the specifics, at most 1,000 bytes"`
	Transient bool   `parquet:"transient" doc:"whether a rerun retries it (a read that failed for a passing reason)"`
}

// Example is a row of the training table: one sample as a supervised
// fine-tuning loader takes it — the canvas and its K × (think, generate,
// reflect) turns in TwiG order — with no join. The tasks table holds the
// same turns as one row each (task rows of a sample are these turns, the
// conditioning text spelt out); the task policy and the reflect balance thin
// the tasks table only: here every turn of every region is kept, with its
// score, for a loader to choose.
type Example struct {
	ID           string `parquet:"id" doc:"the sample's id (samples.id)"`
	Prompt       string `parquet:"prompt" doc:"the sample's prompt"`
	Image        Image  `parquet:"image,optional" doc:"the canvas, as in samples"`
	CanvasWidth  int32  `parquet:"canvas_width" doc:"canvas width in pixels"`
	CanvasHeight int32  `parquet:"canvas_height" doc:"canvas height in pixels"`
	PatchSize    int32  `parquet:"patch_size" doc:"pixels per token side"`
	GridRows     int32  `parquet:"grid_rows" doc:"token rows"`
	GridCols     int32  `parquet:"grid_cols" doc:"token columns"`
	Turns        []Turn `parquet:"turns,list" doc:"the K × (think, generate, reflect) turns in TwiG order"`
}

// approxBytes is what the row adds to a row group, roughly: its image.
func (e *Example) approxBytes() int { return e.Image.approxBytes() + 2048 }

// Turn is one step of the TwiG loop for one region.
type Turn struct {
	Kind   string `parquet:"kind,dict" doc:"think, generate or reflect"`
	Region int32  `parquet:"region" doc:"the region's index"`
	// choice, as in the tasks table (a flawed region's think and generate
	// turns are context, not targets, under --task-policy faithful).
	Target bool `parquet:"target" doc:"whether a trainer should learn this turn (loss on it); false for the think and generate turns of a flawed region under --task-policy faithful"`
	// (reflect); null for generate, whose target is the pixel rows.
	Text     string  `parquet:"text,optional" doc:"the thought (think); \"score: r\nrevision: τ̂\" (reflect, the fields below as text); null for generate"`
	Score    *int32  `parquet:"score,optional" doc:"r_k (reflect); null for the others"`
	Revision *string `parquet:"revision,optional" doc:"the revised thought τ̂_k (reflect); null for the others"`
	// generate turn draws; null for the others.
	TokenRowStart *int32 `parquet:"token_row_start,optional" doc:"first token row the generate turn draws; null for the others"`
	TokenRowEnd   *int32 `parquet:"token_row_end,optional" doc:"token row after the last it draws; null for the others"`
	Y0            int32  `parquet:"y0" doc:"first canvas pixel row of the region"`
	Y1            int32  `parquet:"y1" doc:"canvas pixel row after its last"`
}
