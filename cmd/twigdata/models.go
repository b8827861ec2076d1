package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/twigdata/twigdata/annotators"
)

const modelsUsage = `Usage: twigdata models check DIR [--role segmenter|captioner] [--ort-lib PATH]

Checks a model directory against the contract twigdata expects — the files of a
Hugging Face Optimum export, input and output names, ranks and dtypes, labels or
vocabulary — and prints what it found, or one message saying what to fix.
The role is detected from the files (model.onnx: segmenter; encoder_model.onnx:
captioner) unless given.
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
	fs.Usage = func() { fmt.Fprint(stderr, modelsUsage); fs.PrintDefaults() }
	// The directory may come before or after the flags.
	rest := args[1:]
	dir, code, ok := parseWithTarget(fs, rest)
	if !ok {
		return code
	}
	if *role == "" {
		switch {
		case exists(filepath.Join(dir, "model.onnx")):
			*role = "segmenter"
		case exists(filepath.Join(dir, "encoder_model.onnx")):
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
	md := annotators.ModelDir{FS: os.DirFS(dir), Name: dir}
	switch *role {
	case "segmenter":
		s, err := annotators.LoadSegmenter(md, annotators.Device{})
		if err != nil {
			fmt.Fprintln(stderr, "twigdata models check:", err)
			return exitFailure
		}
		defer s.Close()
		h, w := s.InputSize()
		fmt.Fprintf(stdout, "%s: segmenter OK\n  id: %s\n  input: pixel_values float32 [B,3,%d,%d]\n  labels: %d (%s …)\n",
			dir, s.ID(), h, w, len(s.Labels()), firstN(s.Labels(), 5))
	case "captioner":
		c, err := annotators.LoadCaptioner(md, annotators.Device{})
		if err != nil {
			fmt.Fprintln(stderr, "twigdata models check:", err)
			return exitFailure
		}
		defer c.Close()
		fmt.Fprintf(stdout, "%s: captioner OK\n  id: %s\n  vocabulary: %d tokens\n", dir, c.ID(), c.VocabSize())
	default:
		fmt.Fprintf(stderr, "twigdata models check: --role %q: want segmenter or captioner\n", *role)
		return exitUsage
	}
	return exitOK
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
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
	if target == "" && fs.NArg() == 1 {
		target = fs.Arg(0)
	}
	if target == "" || fs.NArg() > 1 {
		fs.Usage()
		return "", exitUsage, false
	}
	return target, exitOK, true
}
