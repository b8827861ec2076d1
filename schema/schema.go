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
// row's target, source_uri under --source-uri none), and the training table.
const Version = 4

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
	Bytes []byte `parquet:"bytes,optional,uncompressed"`
	Path  string `parquet:"path,optional"`
}

// approxBytes is what a row with this image adds to a row group, roughly.
func (im Image) approxBytes() int { return len(im.Bytes) + len(im.Path) }

// Entity is one noun phrase of the prompt.
type Entity struct {
	Noun       string   `parquet:"noun"`
	Count      int32    `parquet:"count"`
	Attributes []string `parquet:"attributes,list"`
}

// Relation links two entities by a spatial or action predicate.
type Relation struct {
	Subject   string `parquet:"subject"`
	Predicate string `parquet:"predicate"`
	Object    string `parquet:"object"`
}

// BBox is a pixel box on the canvas, [x0,x1) × [y0,y1).
type BBox struct {
	X0 int32 `parquet:"x0"`
	Y0 int32 `parquet:"y0"`
	X1 int32 `parquet:"x1"`
	Y1 int32 `parquet:"y1"`
}

// Object is one segment found in a region.
type Object struct {
	Label         string  `parquet:"label"`      // a noun: the shape-refined name of the segment
	Class         string  `parquet:"class,dict"` // the segmenter's id2label entry
	Kind          string  `parquet:"kind,dict"`  // thing (counted) or stuff (scenery)
	Score         float32 `parquet:"score"`      // mean segmenter confidence over the segment
	PixelFraction float32 `parquet:"pixel_fraction"`
	BBox          BBox    `parquet:"bbox"`
	Color         string  `parquet:"color"` // named color of the segment's mean pixel; scenery's by its shade, as its plan says ("pale blue")
	// Source is the model that found it: "segmenter" (a segment of its map)
	// or "grounder" (a box of a grounded prompt phrase, with no class and no
	// score; its colour is the mean of the box's inner half).
	Source string `parquet:"source,dict"`
	// Mask is the cells it covers on the segmenter's grid.
	Mask Mask `parquet:"mask"`
}

// Mask is an object's cells on the segmenter's grid (Height×Width cells
// spanning the canvas) in COCO's uncompressed run-length encoding: runs
// down the columns (column-major), alternating outside and inside, the first
// run outside (0 when the first cell is inside) — what
// pycocotools.mask.frPyObjects({"size": [h, w], "counts": counts}, h, w)
// reads. A grounded object's mask is its box.
type Mask struct {
	Height int32   `parquet:"height"`
	Width  int32   `parquet:"width"`
	Counts []int32 `parquet:"counts,list"`
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
	Score        int32 `parquet:"score"`
	Color        int32 `parquet:"color"`
	Completeness int32 `parquet:"completeness"`
	Detail       int32 `parquet:"detail"`
	Spatial      int32 `parquet:"spatial"`
	Coherence    int32 `parquet:"coherence"`
	// Unverified names the criteria the evidence could not judge in this
	// region (color, completeness, spatial, coherence): each scores 0 here
	// and is left out of Score, the other weights renormalised.
	Unverified []string `parquet:"unverified,list"`
}

// Region is one band of the TwiG schedule with its thought and critique.
type Region struct {
	Index         int32    `parquet:"index"`
	Name          string   `parquet:"name"`
	TokenRowStart int32    `parquet:"token_row_start"`
	TokenRowEnd   int32    `parquet:"token_row_end"`
	Y0            int32    `parquet:"y0"`
	Y1            int32    `parquet:"y1"`
	Caption       string   `parquet:"caption"`
	Objects       []Object `parquet:"objects,list"`
	Plan          string   `parquet:"plan"`
	Critic        Critic   `parquet:"critic"`
	RevisedPlan   string   `parquet:"revised_plan"`
	Reflected     bool     `parquet:"reflected"`
}

// Sample is the canonical record: one accepted prompt/image pair.
type Sample struct {
	ID           string     `parquet:"id"`
	Key          string     `parquet:"key"`
	SourceURI    string     `parquet:"source_uri,optional"` // see source-uri; null with none
	Prompt       string     `parquet:"prompt"`
	Entities     []Entity   `parquet:"entities,list"`
	Relations    []Relation `parquet:"relations,list"`
	Image        Image      `parquet:"image,optional"`
	OrigWidth    int32      `parquet:"orig_width"`
	OrigHeight   int32      `parquet:"orig_height"`
	OrigFormat   string     `parquet:"orig_format,dict"`
	OrigSHA256   string     `parquet:"orig_sha256"`
	CanvasWidth  int32      `parquet:"canvas_width"`
	CanvasHeight int32      `parquet:"canvas_height"`
	PatchSize    int32      `parquet:"patch_size"`
	GridRows     int32      `parquet:"grid_rows"`
	GridCols     int32      `parquet:"grid_cols"`
	Caption      string     `parquet:"caption"`
	Regions      []Region   `parquet:"regions,list"`
	Blur         float32    `parquet:"blur"`
	PHash        string     `parquet:"phash"`
	Alignment    float32    `parquet:"alignment"`
	// Blockiness is the JPEG original's blocking (1: none; other formats 1).
	Blockiness float32 `parquet:"blockiness"`
	// UnverifiedEntities are the prompt's entity nouns no model could have
	// found (no segmenter class names them and no grounder looked): they
	// count neither as found nor as missing in Alignment.
	UnverifiedEntities []string `parquet:"unverified_entities,list"`
	Segmenter          string   `parquet:"segmenter,dict"`
	Captioner          string   `parquet:"captioner,dict"`
	ToolVersion        string   `parquet:"tool_version,dict"`
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
	ID            string `parquet:"id"` // <sample_id>/<task>/<region>
	SampleID      string `parquet:"sample_id"`
	Task          string `parquet:"task,dict"`
	Region        int32  `parquet:"region"`
	Prompt        string `parquet:"prompt"`
	Context       string `parquet:"context"`         // thoughts of earlier regions, joined by newlines
	Input         string `parquet:"input"`           // the thought under review (reflect), the thoughts so far (generate)
	Target        string `parquet:"target,optional"` // thought (think), "score: r\nrevision: …" (reflect); null (generate: the pixel rows)
	Score         *int32 `parquet:"score,optional"`  // r_k for reflect rows; null for the others
	TokenRowStart int32  `parquet:"token_row_start"`
	TokenRowEnd   int32  `parquet:"token_row_end"`
	Y0            int32  `parquet:"y0"`
	Y1            int32  `parquet:"y1"`
}

// Reject is one input that was not accepted, with the stage and the reason.
type Reject struct {
	Key       string `parquet:"key"`
	SourceURI string `parquet:"source_uri,optional"` // see source-uri; null with none
	Stage     string `parquet:"stage,dict"`
	Reason    string `parquet:"reason,dict"` // a stable code such as decode.truncated
	Detail    string `parquet:"detail"`      // a human sentence with the specifics
	Transient bool   `parquet:"transient"`
}

// Example is a row of the training table: one sample as a supervised
// fine-tuning loader takes it — the canvas and its K × (think, generate,
// reflect) turns in TwiG order — with no join. The tasks table holds the
// same turns as one row each (task rows of a sample are these turns, the
// conditioning text spelt out); the task policy and the reflect balance thin
// the tasks table only: here every turn of every region is kept, with its
// score, for a loader to choose.
type Example struct {
	ID           string `parquet:"id"` // the sample's id
	Prompt       string `parquet:"prompt"`
	Image        Image  `parquet:"image,optional"`
	CanvasWidth  int32  `parquet:"canvas_width"`
	CanvasHeight int32  `parquet:"canvas_height"`
	PatchSize    int32  `parquet:"patch_size"`
	GridRows     int32  `parquet:"grid_rows"`
	GridCols     int32  `parquet:"grid_cols"`
	Turns        []Turn `parquet:"turns,list"`
}

// approxBytes is what the row adds to a row group, roughly: its image.
func (e *Example) approxBytes() int { return e.Image.approxBytes() + 2048 }

// Turn is one step of the TwiG loop for one region.
type Turn struct {
	Kind   string `parquet:"kind,dict"` // think, generate or reflect
	Region int32  `parquet:"region"`
	// Text is the thought τ_k (think) or "score: r\nrevision: τ̂_k"
	// (reflect); null for generate, whose target is the pixel rows.
	Text string `parquet:"text,optional"`
	// Score is r_k (reflect); null for the others.
	Score *int32 `parquet:"score,optional"`
	// TokenRowStart and TokenRowEnd are the token rows [start, end) a
	// generate turn draws; null for the others.
	TokenRowStart *int32 `parquet:"token_row_start,optional"`
	TokenRowEnd   *int32 `parquet:"token_row_end,optional"`
	// Y0 and Y1 are the canvas pixel rows [y0, y1) of the region.
	Y0 int32 `parquet:"y0"`
	Y1 int32 `parquet:"y1"`
}
