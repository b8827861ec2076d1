// Command twigdata builds TwiG-style interleaved reasoning datasets for
// text-to-image models from prompt/image pairs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/schema"
)

const usage = `twigdata builds Thinking-while-Generating (TwiG) interleaved reasoning data
for text-to-image models: region plans, critiques and reflections, as Parquet.

Usage:
  twigdata build [flags]     build a dataset (with no --in: the bundled sample)
  twigdata version           print the version and the ONNX Runtime in use
  twigdata help [command]    show help

Run 'twigdata build --help' for every build flag.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exit codes
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
	exitTerminated  = 143
)

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	ctx, stop := signalContext()
	defer stop()
	switch args[0] {
	case "build":
		return cmdBuild(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		return cmdVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] == "build" {
			return cmdBuild(ctx, []string{"--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "twigdata: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// signalError is the cancellation cause when a signal stops the run.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "received " + e.sig.String() }

// signalContext is cancelled by SIGINT or SIGTERM, remembering which.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigc:
			cancel(signalError{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(sigc); cancel(nil) }
}

// exitCode maps an error to the process exit status: 130 for SIGINT and 143
// for SIGTERM (128 + the signal number, as shells report them), 1 otherwise.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	var sig signalError
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &sig) {
		if sig.sig == syscall.SIGTERM {
			return exitTerminated
		}
		return exitInterrupted
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return exitInterrupted
	}
	return exitFailure
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ortLib := fs.String("ort-lib", "", "path of libonnxruntime.so")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	fmt.Fprintf(stdout, "twigdata %s (schema %d)\n", twigdata.Version, schema.Version)
	if err := annotators.Init(*ortLib); err != nil {
		fmt.Fprintln(stdout, "ONNX Runtime: not loaded:", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "ONNX Runtime %s from %s\n", annotators.RuntimeVersion(), annotators.LibraryPath())
	return exitOK
}
