// Command twigdata builds TwiG-style interleaved reasoning datasets for
// text-to-image models from prompt/image pairs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twigdata/twigdata"
	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/schema"
)

const usage = `twigdata builds Thinking-while-Generating (TwiG) interleaved reasoning data
for text-to-image models: region plans, critiques and reflections, as Parquet.

Usage:
  twigdata build [flags]     build a dataset (with no --in: the bundled sample)
  twigdata validate DATASET  load a dataset as a trainer would and report every problem
  twigdata show DATASET      write one HTML page to look at a dataset: figures, a gallery, rejects
  twigdata models check DIR  check a model directory against the contract
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
	switch args[0] {
	case "build":
		return cmdBuild(args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "models":
		return cmdModels(args[1:], stdout, stderr)
	case "show":
		return cmdShow(args[1:], stdout, stderr)
	case "version", "--version":
		return cmdVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) == 1 {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		switch args[1] {
		case "build", "validate", "show":
			return run([]string{args[1], "--help"}, stdout, stderr)
		case "models":
			return cmdModels([]string{"check", "--help"}, stdout, stderr)
		}
		fmt.Fprintf(stderr, "twigdata help: no command %q (the commands: build, validate, show, models, version)\n", args[1])
		return exitUsage
	}
	fmt.Fprintf(stderr, "twigdata: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// exitProcess ends the process where it stands; a test replaces it.
var exitProcess = os.Exit

// signalError is the cancellation cause when a signal stops the run.
type signalError struct{ sig os.Signal }

// Error names the signal.
func (e signalError) Error() string { return "received " + e.sig.String() }

// signals turns SIGINT and SIGTERM into a graceful stop: the first closes
// stop (no new input; in-flight work finishes and is committed) and cancels
// ctx after grace; a second signal cancels ctx at once. A process still
// running a second after the second signal (ten after the grace) exits
// where it stands: no model call or stuck request holds it.
type signals struct {
	ctx    context.Context
	stop   chan struct{}
	sig    atomic.Value // os.Signal
	done   func()
	exited chan struct{} // closed by done: the command returns on its own
}

func newSignals(grace time.Duration, onStop func(os.Signal)) *signals {
	ctx, cancel := context.WithCancelCause(context.Background())
	s := &signals{ctx: ctx, stop: make(chan struct{}), exited: make(chan struct{})}
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		var first os.Signal
		select {
		case first = <-sigc:
		case <-ctx.Done():
			return
		}
		s.sig.Store(first)
		close(s.stop)
		if onStop != nil {
			onStop(first)
		}
		t := time.NewTimer(grace)
		defer t.Stop()
		// After the grace, work still in flight has forceAfter to see the
		// cancellation; after a second signal, a moment. Past that the
		// process exits where it stands: what is committed is kept, as
		// after a SIGKILL, and a rerun resumes.
		forceAfter := 10 * time.Second
		select {
		case <-t.C:
		case <-sigc:
			forceAfter = time.Second
		case <-ctx.Done():
			return
		}
		cancel(signalError{first})
		force := time.NewTimer(forceAfter)
		defer force.Stop()
		select {
		case <-force.C:
		case <-sigc:
		case <-s.exited:
			return
		}
		code, _ := s.code()
		fmt.Fprintf(os.Stderr, "twigdata: stopped at once (%s); what was committed is kept: rerun the same command to resume\n", first)
		exitProcess(code)
	}()
	var once sync.Once
	s.done = func() { once.Do(func() { close(s.exited); signal.Stop(sigc); cancel(nil) }) }
	return s
}

// code is the exit status after a signal: 128 + its number, as shells report it.
func (s *signals) code() (int, bool) {
	v, ok := s.sig.Load().(os.Signal)
	if !ok {
		return 0, false
	}
	if v == syscall.SIGTERM {
		return exitTerminated, true
	}
	return exitInterrupted, true
}

// exitCode maps an error to the process exit status: 130 for SIGINT and 143
// for SIGTERM, 1 for any other failure.
func exitCode(sig *signals, err error) int {
	if err == nil {
		return exitOK
	}
	if code, ok := sig.code(); ok {
		return code
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
