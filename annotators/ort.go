// Package annotators is the runtime the model families are built on: ONNX
// Runtime's library and devices, model directories (Optimum exports and Hub
// ONNX repositories, their variants and external data), sessions checked
// against a contract, float16 graphs given a float32 interface, decoder
// caches, model ids. The families are its subpackages (segmenter,
// captioner, florence2); a bundled tiny model and a real export load
// through the same code.
package annotators

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// libEnv is the environment variable that points at libonnxruntime.so.
const libEnv = "ONNXRUNTIME_LIB"

// libRelPath is where `make` puts the CPU library inside a checkout.
const libRelPath = ".deps/onnxruntime/libonnxruntime.so.1"

var (
	initOnce sync.Once
	initErr  error
	initPath string
)

// findLibrary resolves the ONNX Runtime shared library: an explicit path, then
// $ONNXRUNTIME_LIB, then .deps/onnxruntime/ in the current folder or any parent
// (a checkout where `make` fetched it), then beside the executable.
func findLibrary(explicit string) (string, error) {
	if explicit != "" {
		return checkLib(explicit, "--ort-lib")
	}
	if p := os.Getenv(libEnv); p != "" {
		return checkLib(p, "$"+libEnv)
	}
	var tried []string
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			p := filepath.Join(dir, libRelPath)
			tried = append(tried, p)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "libonnxruntime.so.1")
		tried = append(tried, p)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("ONNX Runtime library not found (looked in %s): run `make ort` in the twigdata checkout, or set %s to the full path of libonnxruntime.so (version >= 1.24; a CUDA build for --device cuda:N)",
		strings.Join(tried, ", "), libEnv)
}

func checkLib(p, from string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("ONNX Runtime library %s (from %s) does not exist: fix the path or run `make ort` to fetch the CPU build", abs, from)
	}
	return abs, nil
}

// Init loads ONNX Runtime once per process; later calls return the first result.
func Init(libPath string) error {
	initOnce.Do(func() {
		p, err := findLibrary(libPath)
		if err != nil {
			initErr = err
			return
		}
		ort.SetSharedLibraryPath(p)
		if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
			initErr = fmt.Errorf("load ONNX Runtime from %s: %w (it must be a libonnxruntime.so of version >= 1.24 for this platform)", p, err)
			return
		}
		initPath = p
	})
	return initErr
}

// LibraryPath is the library Init loaded, or "".
func LibraryPath() string { return initPath }

// RuntimeVersion is the loaded ONNX Runtime's version string.
func RuntimeVersion() string {
	if initPath == "" {
		return ""
	}
	return ort.GetVersion()
}

// Device says where sessions run.
type Device struct {
	CUDA    bool
	ID      int
	Threads int // intra-op threads on CPU; 0 lets ONNX Runtime use every core
}

// ParseDevice accepts "cpu", "cuda" or "cuda:N".
func ParseDevice(s string) (Device, error) {
	switch {
	case s == "" || s == "cpu":
		return Device{}, nil
	case s == "cuda":
		return Device{CUDA: true}, nil
	case strings.HasPrefix(s, "cuda:"):
		n, err := strconv.Atoi(strings.TrimPrefix(s, "cuda:"))
		if err != nil || n < 0 {
			return Device{}, fmt.Errorf("--device %q: want cpu, cuda or cuda:N with N a GPU index", s)
		}
		return Device{CUDA: true, ID: n}, nil
	}
	return Device{}, fmt.Errorf("--device %q: want cpu, cuda or cuda:N", s)
}

// String renders the device as the flag spells it.
func (d Device) String() string {
	if d.CUDA {
		return "cuda:" + strconv.Itoa(d.ID)
	}
	return "cpu"
}

func (d Device) SessionOptions() (*ort.SessionOptions, error) {
	o, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	threads := d.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if err := o.SetIntraOpNumThreads(threads); err != nil {
		o.Destroy()
		return nil, err
	}
	// Idle ONNX Runtime threads spin by default, burning the cores the decode
	// and compose stages need between model calls; make them sleep instead.
	if err := o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0"); err != nil {
		o.Destroy()
		return nil, err
	}
	if d.CUDA {
		noCUDA := func(err error) error {
			return fmt.Errorf("--device %s: the ONNX Runtime library %s has no usable CUDA support (%v): set %s to a CUDA build (the onnxruntime-gpu release, with libonnxruntime_providers_cuda.so and libonnxruntime_providers_shared.so beside it) or use --device cpu",
				d, initPath, firstLine(err), libEnv)
		}
		cuda, err := ort.NewCUDAProviderOptions()
		if err != nil {
			o.Destroy()
			return nil, noCUDA(err)
		}
		defer cuda.Destroy()
		if err := cuda.Update(map[string]string{"device_id": strconv.Itoa(d.ID)}); err != nil {
			o.Destroy()
			return nil, noCUDA(err)
		}
		if err := o.AppendExecutionProviderCUDA(cuda); err != nil {
			o.Destroy()
			return nil, fmt.Errorf("--device %s: enable CUDA: %v (check that GPU %d exists and the driver and CUDA libraries match the ONNX Runtime build)", d, firstLine(err), d.ID)
		}
	}
	return o, nil
}

// firstLine keeps error text to one line for messages meant for people.
func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// errNotInit is returned when a model is loaded before Init succeeded.
var errNotInit = errors.New("annotators: ONNX Runtime is not initialized (call annotators.Init first)")
