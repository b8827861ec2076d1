package schema

// ShardFile describes one committed Parquet file: in manifest.json and in the
// stats file of its shard.
type ShardFile struct {
	Path   string `json:"path"`
	Kind   Table  `json:"kind"`
	Rows   int    `json:"rows"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ShardStats is stats/<table>-<shard>.json, the commit record of one shard.
// Its presence is what commits a shard: a samples shard is committed once its
// samples file, its tasks and training files and then this file are written, so a crash at
// any point leaves either a committed shard or files that a rerun deletes and
// redoes.
type ShardStats struct {
	Shard    string           `json:"shard"` // <table>-<shard name>
	Kind     Table            `json:"kind"`  // samples (with its tasks) or rejects
	Rows     int              `json:"rows"`
	Files    []ShardFile      `json:"files"`                        // the table's file first
	ByReason map[string]int64 `json:"rejected_by_reason,omitempty"` // reject reason code → rows
	Tasks    map[string]int64 `json:"tasks,omitempty"`              // task rows by TaskCount key
	// Keys are the input keys of the shard's rows (escaped, as the key
	// column holds them), and Transient those of its transient rejects:
	// resume reads these, never the Parquet files.
	Keys         []string `json:"keys"`
	Transient    []string `json:"transient_keys,omitempty"`
	ConfigDigest string   `json:"config_digest"`
	// Settings are the settings that change records, by flag name; a rerun
	// with other values is refused, naming them.
	Settings     map[string]string `json:"settings,omitempty"`
	WriteSeconds float64           `json:"write_seconds"`
}

// RunRecord is .twigdata/runs/<run>.json, written before a run's first shard.
type RunRecord struct {
	Run     string `json:"run"`
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Started string `json:"started"` // RFC 3339, UTC
}

// Task count keys of ShardStats.Tasks and Manifest.Tasks.Rows: think and
// generate rows by their kind, reflect rows split by their score against θ.
const (
	CountThink           = TaskThink
	CountGenerate        = TaskGenerate
	CountReflectFlawed   = "reflect_flawed"
	CountReflectFaithful = "reflect_faithful"
)

// PartitionMark is partitions/<tag>.json: a partition of a partitioned build
// has committed all of its inputs.
type PartitionMark struct {
	Partition    int               `json:"partition"`
	Of           int               `json:"of"`
	Accepted     int64             `json:"accepted"`
	Rejected     int64             `json:"rejected"`
	ConfigDigest string            `json:"config_digest"`
	Settings     map[string]string `json:"settings,omitempty"`
}

// Manifest is manifest.json, written last: what was built, from what, how.
type Manifest struct {
	Tool          string                `json:"tool"`
	ToolVersion   string                `json:"tool_version"`
	SchemaVersion int                   `json:"schema_version"`
	Created       string                `json:"created"` // RFC 3339, UTC
	ONNXRuntime   string                `json:"onnxruntime"`
	Go            string                `json:"go"`
	Annotators    ManifestAnnotators    `json:"annotators"`
	Config        map[string]any        `json:"config"` // the settings as given (flag names → values)
	Counts        ManifestCounts        `json:"counts"`
	Tasks         ManifestTasks         `json:"tasks"`
	Shards        []ShardFile           `json:"shards"`
	Stages        map[string]StageStats `json:"stages"`
	WallSeconds   float64               `json:"wall_seconds"`
	Canvas        ManifestCanvas        `json:"canvas"`
	License       ManifestLicense       `json:"license"`
	// Warnings are what the builder must know before publishing, shown at
	// the top of the card (demonstration models on other inputs).
	Warnings []string `json:"warnings,omitempty"`
	// Out is where the dataset was written (an s3:// URI, or the folder's
	// name), and S3 how to reach it: the card's examples read it there.
	Out string      `json:"out,omitempty"`
	S3  *ManifestS3 `json:"s3,omitempty"`
}

// ManifestS3 is the S3 endpoint a dataset on S3 is read from: none of it
// secret (credentials come from the reader's environment).
type ManifestS3 struct {
	Endpoint  string `json:"endpoint,omitempty"` // an S3-compatible endpoint URL; empty for AWS
	Region    string `json:"region,omitempty"`
	PathStyle bool   `json:"path_style,omitempty"`
}

// ManifestLicense is the dataset's licence as the card declares it: an id
// the Hub knows, "unknown", or "other" with a name and a link.
type ManifestLicense struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Link string `json:"link,omitempty"`
}

// ManifestAnnotators identifies the models a dataset was built with.
type ManifestAnnotators struct {
	Segmenter ManifestSegmenter `json:"segmenter"`
	Captioner ManifestCaptioner `json:"captioner"`
	// Models say where each model came from, for the card's annotation
	// process.
	Models []ManifestModel `json:"models,omitempty"`
}

// ManifestModel is one model's provenance: what the card says of it.
type ManifestModel struct {
	Role    string `json:"role"`    // segmenter, captioner or grounder
	Name    string `json:"name"`    // its Hub name (config.json's _name_or_path) or folder name
	Family  string `json:"family"`  // config.json's model_type ("segformer", "florence2", "vision-encoder-decoder (vit, gpt2)")
	Variant string `json:"variant"` // the graph files used: fp32, fp16, quantized, …
	License string `json:"license"` // the licence its model card (README.md) declares, or "not stated"
	ID      string `json:"id"`      // name@sha256, as in every record
	// Demonstration marks the bundled tiny models, which know only a
	// synthetic world of coloured shapes.
	Demonstration bool `json:"demonstration,omitempty"`
}

// ManifestSegmenter is the segmenter's id (name@sha256), label set, and
// whether each label is a thing or stuff, and where that came from.
type ManifestSegmenter struct {
	ID         string   `json:"id"`
	Labels     []string `json:"labels"`
	LabelKinds []string `json:"label_kinds"` // thing, stuff or unknown, per label
	KindSource string   `json:"label_kinds_source"`
}

// ManifestCaptioner is the captioner's id (name@sha256) and vocabulary size.
type ManifestCaptioner struct {
	ID        string `json:"id"`
	VocabSize int    `json:"vocab_size"`
}

// ManifestCounts are the dataset's inputs by outcome.
type ManifestCounts struct {
	Inputs           int64            `json:"inputs"`
	Accepted         int64            `json:"accepted"`
	Rejected         int64            `json:"rejected"`
	RejectedByReason map[string]int64 `json:"rejected_by_reason"`
}

// ManifestTasks is the task policy and the task rows it gave.
type ManifestTasks struct {
	Policy             string           `json:"policy"`
	ReflectShareTarget float64          `json:"reflect_share_target"`
	Rows               map[string]int64 `json:"rows"` // by TaskCount key
}

// StageStats is one pipeline stage's share of the last run.
type StageStats struct {
	Workers     int     `json:"workers"`
	Items       int64   `json:"items"`
	Batches     int64   `json:"batches"`
	BusySeconds float64 `json:"busy_seconds"`
}

// ManifestCanvas is the schedule the dataset was built for.
type ManifestCanvas struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	Patch  int `json:"patch"`
	K      int `json:"k"`
	Theta  int `json:"theta"`
}
