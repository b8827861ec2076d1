package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/florence2"
	"github.com/twigdata/twigdata/annotators/segmenter"
	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/stages/evidence"
)

const modelsUsage = `Usage: twigdata models check DIR [--role segmenter|captioner] [--ort-lib PATH]

Checks a model directory against the contract twigdata expects — the files of a
Hugging Face Optimum export, input and output names, ranks and dtypes, labels or
vocabulary — and prints what it found, or one message saying what to fix.
The role is detected from the files (model.onnx: segmenter; encoder_model.onnx:
captioner, Florence-2 when vision_encoder.onnx is beside it — at the root or
under onnx/, in any variant) unless given.
`

func cmdModels(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, modelsUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("models check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "segmenter or captioner (default: detected from the files)")
	ortLib := fs.String("ort-lib", "", "path of libonnxruntime.so")
	variant := fs.String("model-variant", "fp32", "which graph files to check: "+strings.Join(annotators.Variants(), ", "))
	fs.Usage = func() { fmt.Fprint(stderr, modelsUsage); fs.PrintDefaults() }
	// The directory may come before or after the flags.
	rest := args[1:]
	dir, code, ok := parseWithTarget(fs, rest)
	if !ok {
		return code
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		what := "is not a folder"
		if err != nil {
			what = "does not exist"
		}
		fmt.Fprintf(stderr, "twigdata models check: %s %s: give the model's folder (an Optimum export or a Hub repository)\n", dir, what)
		return exitFailure
	}
	if *role == "" {
		switch {
		case anyGraph(dir, "model"):
			*role = "segmenter"
		case anyGraph(dir, "encoder_model") || anyGraph(dir, "vision_encoder"):
			*role = "captioner"
		default:
			fmt.Fprintf(stderr, "twigdata models check: %s holds neither model.onnx (a segmenter) nor encoder_model.onnx (a captioner); pass --role to see what is missing\n", dir)
			return exitFailure
		}
	}
	if err := annotators.Init(*ortLib); err != nil {
		fmt.Fprintln(stderr, "twigdata models check:", err)
		return exitFailure
	}
	md := modelDir(dir, *role, *variant)
	switch *role {
	case "segmenter":
		s, err := segmenter.Load(md, annotators.Device{})
		if err != nil {
			fmt.Fprintln(stderr, "twigdata models check:", err)
			return exitFailure
		}
		defer s.Close()
		things, stuff := 0, 0
		for _, k := range s.Kinds() {
			switch k {
			case evidence.KindThing:
				things++
			case evidence.KindStuff:
				stuff++
			}
		}
		fmt.Fprintf(stdout, "%s: segmenter OK\n  contract: %s\n  variant: %s\n  preprocessing: %s\n  id: %s\n  labels: %d (%s …)\n  things and stuff: %d things, %d stuff (from %s)\n",
			dir, s.Contract(), *variant, s.Preprocessing(), s.ID(), len(s.Labels()), firstN(s.Labels(), 5), things, stuff, s.KindSource())
	case "captioner":
		c, err := captioner.Open(md, annotators.Device{}, "")
		if err != nil {
			fmt.Fprintln(stderr, "twigdata models check:", err)
			return exitFailure
		}
		defer c.Close()
		contract := "vision encoder-decoder, " + c.Decoding()
		if _, ok := c.(*florence2.Model); ok {
			contract = c.Decoding()
		}
		fmt.Fprintf(stdout, "%s: captioner OK\n  contract: %s\n  variant: %s\n  preprocessing: %s\n  id: %s\n  vocabulary: %d tokens\n", dir, contract, *variant, c.Preprocessing(), c.ID(), c.VocabSize())
	default:
		fmt.Fprintf(stderr, "twigdata models check: --role %q: want segmenter or captioner\n", *role)
		return exitUsage
	}
	return exitOK
}

// anyGraph reports whether dir holds graph base in some variant, at its root or under onnx/.
func anyGraph(dir, base string) bool {
	for _, sub := range []string{"", "onnx"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, base+"*.onnx"))
		for _, f := range m {
			if !strings.Contains(strings.TrimPrefix(filepath.Base(f), base), "model") {
				return true
			}
		}
	}
	return false
}

func firstN(s []string, n int) string {
	if len(s) < n {
		n = len(s)
	}
	out := ""
	for i, v := range s[:n] {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

// parseWithTarget parses flags around one positional argument (the folder a
// command works on), which may come before or after the flags. When ok is
// false the command should exit with code (help was shown, or usage was wrong).
func parseWithTarget(fs *flag.FlagSet, args []string) (target string, code int, ok bool) {
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		target, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return "", exitOK, false
		}
		return "", exitUsage, false
	}
	rest := fs.Args()
	if target == "" && len(rest) > 0 {
		target, rest = rest[0], rest[1:]
	}
	switch {
	case target == "":
		fmt.Fprintf(fs.Output(), "twigdata %s: name the folder to work on (twigdata %s --help shows how)\n", fs.Name(), fs.Name())
		return "", exitUsage, false
	case len(rest) > 0:
		// The flag package stops at the second name: the flags after it
		// would be ignored, and the second folder never looked at.
		fmt.Fprintf(fs.Output(), "twigdata %s: takes one folder, %s, and was also given %s: run it once for each\n", fs.Name(), target, strings.Join(rest, " "))
		return "", exitUsage, false
	}
	return target, exitOK, true
}

// provenance says where a model came from, for the manifest and the card:
// its Hub name, family and variant from config.json, its licence from the
// model card (README.md) beside it.
func provenance(d annotators.ModelDir, role, id string) schema.ManifestModel {
	m := schema.ManifestModel{Role: role, ID: id, Variant: d.Variant, Name: filepath.Base(d.Name), License: "not stated in the model folder (see its model card)"}
	if m.Variant == "" {
		m.Variant = "fp32"
	}
	var cfg struct {
		ModelType  string `json:"model_type"`
		NameOrPath string `json:"_name_or_path"`
		Encoder    struct {
			ModelType string `json:"model_type"`
		} `json:"encoder"`
		Decoder struct {
			ModelType string `json:"model_type"`
		} `json:"decoder"`
	}
	if d.JSON("config.json", &cfg) == nil {
		m.Family = cfg.ModelType
		if cfg.Encoder.ModelType != "" && cfg.Decoder.ModelType != "" {
			m.Family += " (" + cfg.Encoder.ModelType + ", " + cfg.Decoder.ModelType + ")"
		}
		if cfg.NameOrPath != "" && !strings.HasPrefix(cfg.NameOrPath, "/") && !strings.HasPrefix(cfg.NameOrPath, ".") {
			m.Name = cfg.NameOrPath
		}
	}
	if b, err := d.Read("README.md"); err == nil {
		if lic := frontMatterValue(string(b), "license"); lic != "" {
			m.License = lic
		}
	}
	if strings.HasPrefix(d.Name, "bundled:") {
		m.Name, m.License, m.Demonstration = "twigdata demonstration "+role+" (bundled)", "as twigdata's", true
	}
	return m
}

// frontMatterValue is a top-level key's value in a Markdown file's YAML
// front matter ("license: mit"), or "".
func frontMatterValue(doc, key string) string {
	if !strings.HasPrefix(doc, "---\n") {
		return ""
	}
	head, _, ok := strings.Cut(doc[4:], "\n---")
	if !ok {
		return ""
	}
	for _, line := range strings.Split(head, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// DemonstrationWarning is what a build says, on screen, in the manifest and
// at the top of the card, when the bundled demonstration models annotate
// inputs other than the bundled sample.
const DemonstrationWarning = "annotated with twigdata's bundled demonstration models, which know only a synthetic world of coloured shapes: not for training. Pass --segmenter and --captioner with real models (README: Models)"
