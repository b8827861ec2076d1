package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/twigdata/twigdata/stages"
)

// settingUsage is the help text of every build setting the CLI binds from
// stages.Config, by setting name; bindSettings makes one flag of each, so a
// new setting needs its line here (TestEverySettingIsAFlagOrOwnedByTheCLI).
var settingUsage = map[string]string{
	"in-format":          "input format: pairs (a folder or prefix of <stem>.jpg + <stem>.txt), manifest (a .jsonl, .csv or .parquet file), webdataset (.tar shards, or a folder or prefix of them); default: detected",
	"prompt-column":      "manifest column holding the prompt",
	"image-column":       "manifest column holding the image: a path relative to the manifest, or an s3:// URI",
	"key-column":         "manifest column naming each input (default: the image reference without its extension)",
	"prompt-field":       "field holding the prompt in <stem>.json files",
	"max-manifest-bytes": "refuse a manifest file larger than this many bytes (it is read whole) (1 to 1 TiB)",
	"max-shard-bytes":    "reject a WebDataset .tar shard larger than this many bytes (it is read whole) (1 to 1 TiB)",
	"max-image-bytes":    "reject image files larger than this many MiB (1..4096)",
	"max-prompt-bytes":   "reject prompt files larger than this many KiB (1..16384)",
	"max-pixels":         "reject images whose header claims more pixels (decompression-bomb guard) (1..1073741824)",
	"canvas-width":       "canvas width in pixels; images are resized to cover it and center-cropped (1..4096)",
	"canvas-height":      "canvas height in pixels (1..4096)",
	"patch":              "generator patch size in pixels: one token per patch; region boundaries fall on token rows (at least 1, dividing the canvas's sides)",
	"k":                  "number of regions (horizontal bands) per image (1 to the canvas's token rows)",
	"theta":              "reflection threshold: a region scoring below it gets a revised plan (0..100)",
	"jpeg-quality":       "JPEG quality of the stored canvas image (1..100)",
	"min-side":           "reject images whose shorter side is below this many pixels (0..65535)",
	"max-blur":           "reject canvases whose blur is above this: a no-reference measure on the canvas's edges, 0 crisp to 1 blurred (an image with too few edges to judge is kept) (0..1)",
	"max-blockiness":     "reject JPEGs whose 8×8 block grid shows above this (steps across block boundaries over steps inside blocks; 1 is none) (1..100)",
	"min-score":          "reject samples whose mean critic score is below this (0..100)",
	"min-alignment":      "reject samples where less than this share (0..1) of the prompt's objects was found",
	"shard-rows":         "rows per Parquet shard (1..1000000)",
	"overwrite":          "delete the dataset already in --out and start over (by default a rerun resumes: committed shards are kept, only missing inputs are done); only files twigdata wrote are deleted",
	"retry-rejects":      "also redo the inputs an earlier run rejected for transient reasons (for example an object that vanished mid-run)",
	"verify":             "on resume, check every committed file's sha256 against its commit record (reads the whole dataset); without it each is checked for its size and a Parquet footer that reads",
	"partition-count":    "split the input into this many partitions by a hash of each key, one per batch task (AWS Batch array job, Kubernetes Indexed Job); all write into the same --out (1..10000)",
	"merge":              "after every partition finished: write the dataset card and manifest.json over all their shards (same flags, with --partition-count)",
	"task-policy":        "which regions' turns are training targets: faithful (default: think and generate only from regions scoring at least --theta, reflect from all; the training table keeps every turn and marks its target) or all (every turn: 3·K task rows per sample, the TwiG-50K layout)",
	"reflect-share":      "target share (0..1) of flawed regions among reflect rows, reached by thinning the surplus kind in each shard; 0 keeps every reflect row",
	"source-uri":         "what the source_uri columns hold: relative (the input's path below --in, so the dataset names no folder of this machine), absolute (the full path or s3:// URI; reject details and manifest.json's config then keep this machine's full paths too) or none (null)",
	"license":            `licence the dataset card declares: the images' and prompts' licence id as the Hub spells it ("mit", "cc-by-4.0", …), unknown, or other (then also --license-name and --license-link)`,
	"license-name":       "with --license other: a short id for the licence (the card's license_name)",
	"license-link":       "with --license other: where the licence text is, a URL or a path inside the dataset (the card's license_link)",
	"fetch-workers":      "concurrent reads from the input (I/O-bound; 1..1024)",
	"decode-workers":     "concurrent image decodes (CPU-bound; default: cores; 1..1024)",
	"annotate-workers":   "concurrent model batches (one already uses every core or the GPU; 1..64)",
	"compose-workers":    "concurrent plan/critique writers (CPU-bound; default: cores; 1..1024)",
	"decode-mb":          "MiB of decoded originals in flight across the decode workers (a 6000×6000 16-bit image takes 288); a larger original decodes alone (1..1048576)",
	"batch-size":         "most samples per model call (raise on a GPU); each sample adds its canvas and its K region crops to the captioner batch, about 12 MB of memory with the bundled models (1..256)",
	"batch-wait":         "longest a partial batch waits for more samples before the models run (0..1m)",
}

// cliOwned are the settings the CLI sets itself rather than binding a flag
// to the field: locations and models are opened from --in, --out,
// --segmenter and --captioner; the partition index also comes from the
// batch engine's environment; the tool version is the binary's.
var cliOwned = map[string]string{
	"in": "--in", "in-key": "--in", "out": "--out", "segmenter": "--segmenter", "captioner": "--captioner", "grounding": "--grounding",
	"partition-index": "--partition-index", "tool-version": "twigdata version",
}

// unitFlags are settings whose flag counts in a larger unit than the field.
var unitFlags = map[string]struct {
	flag string
	unit int64
}{
	"max-image-bytes":  {"max-image-mb", 1 << 20},
	"max-prompt-bytes": {"max-prompt-kb", 1 << 10},
}

// flagName is the flag that sets a setting.
func flagName(setting string) string {
	if u, ok := unitFlags[setting]; ok {
		return u.flag
	}
	if f, ok := cliOwned[setting]; ok && strings.HasPrefix(f, "--") {
		return strings.TrimPrefix(f, "--")
	}
	return setting
}

// bindSettings makes a flag of every setting of cfg the CLI does not own,
// named as the setting, defaulting to its value in cfg and writing into it.
func bindSettings(fs *flag.FlagSet, cfg *stages.Config) {
	root := reflect.ValueOf(cfg).Elem()
	for _, s := range stages.Settings() {
		if _, owned := cliOwned[s.Name]; owned {
			continue
		}
		usage, ok := settingUsage[s.Name]
		if !ok {
			panic("setting " + s.Name + " has no usage text in settingUsage")
		}
		switch p := root.FieldByIndex(s.Index).Addr().Interface().(type) {
		case *string:
			fs.StringVar(p, s.Name, *p, usage)
		case *int:
			fs.IntVar(p, s.Name, *p, usage)
		case *bool:
			fs.BoolVar(p, s.Name, *p, usage)
		case *float64:
			fs.Float64Var(p, s.Name, *p, usage)
		case *time.Duration:
			fs.DurationVar(p, s.Name, *p, usage)
		case *int64:
			if u, ok := unitFlags[s.Name]; ok {
				fs.Var(&unitValue{p, u.unit}, u.flag, usage)
				continue
			}
			fs.Int64Var(p, s.Name, *p, usage)
		default:
			panic(fmt.Sprintf("setting %s: no flag for a %T", s.Name, p))
		}
	}
}

// unitValue is an int64 flag counted in units (MiB, KiB) of the field's bytes.
type unitValue struct {
	p    *int64
	unit int64
}

func (u *unitValue) String() string {
	if u.p == nil {
		return "0"
	}
	return strconv.FormatInt(*u.p/u.unit, 10)
}

func (u *unitValue) Set(s string) error {
	n, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return errors.New("parse error")
	}
	if n > math.MaxInt64/u.unit || n < math.MinInt64/u.unit {
		return errors.New("out of range")
	}
	*u.p = n * u.unit // ValidateSettings checks the range
	return nil
}

// flagError words a library error about a setting with the flag that sets it.
func flagError(err error) error {
	var se *stages.SettingError
	if !errors.As(err, &se) {
		return err
	}
	value := se.Value
	if u, ok := unitFlags[se.Setting]; ok {
		if n, ok := value.(int64); ok {
			value = n / u.unit
		}
	}
	switch v := value.(type) {
	case nil:
		return fmt.Errorf("--%s: %s", flagName(se.Setting), se.Problem)
	case string:
		return fmt.Errorf("--%s %q: %s", flagName(se.Setting), v, se.Problem)
	}
	return fmt.Errorf("--%s %v: %s", flagName(se.Setting), value, se.Problem)
}
