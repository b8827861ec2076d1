package annotators

/*
#cgo CFLAGS: -I${SRCDIR}/ortapi -O2
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "onnxruntime_c_api.h"

static const OrtApi *tw_api;

// tw_init finds the API of the library onnxruntime_go loaded: dlopen of a
// loaded library returns the same handle, so both use one ONNX Runtime.
static int tw_init(const char *path) {
	void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (!h) h = dlopen(path, RTLD_LAZY);
	if (!h) return 1;
	const OrtApiBase *(*get)(void) = (const OrtApiBase *(*)(void))dlsym(h, "OrtGetApiBase");
	if (!get) return 2;
	tw_api = get()->GetApi(ORT_API_VERSION);
	return tw_api ? 0 : 3;
}

// tw_err turns a status into a malloc'd message (NULL for success).
static char *tw_err(OrtStatus *s) {
	if (!s) return NULL;
	char *m = strdup(tw_api->GetErrorMessage(s));
	tw_api->ReleaseStatus(s);
	return m;
}

static char *tw_create_binding(OrtSession *s, OrtIoBinding **b) { return tw_err(tw_api->CreateIoBinding(s, b)); }
static void tw_release_binding(OrtIoBinding *b) { tw_api->ReleaseIoBinding(b); }
static char *tw_bind_input(OrtIoBinding *b, const char *name, const OrtValue *v) { return tw_err(tw_api->BindInput(b, name, v)); }
static char *tw_bind_output_to(OrtIoBinding *b, const char *name, const OrtMemoryInfo *m) { return tw_err(tw_api->BindOutputToDevice(b, name, m)); }
static char *tw_run(OrtSession *s, OrtIoBinding *b) { return tw_err(tw_api->RunWithBinding(s, NULL, b)); }
static void tw_clear_inputs(OrtIoBinding *b) { tw_api->ClearBoundInputs(b); }
static void tw_clear_outputs(OrtIoBinding *b) { tw_api->ClearBoundOutputs(b); }

// tw_outputs are the bound outputs of the last run, each a new reference
// the caller releases; the array itself is freed here.
static char *tw_outputs(OrtIoBinding *b, OrtValue **out, size_t max, size_t *n) {
	OrtAllocator *a;
	char *e = tw_err(tw_api->GetAllocatorWithDefaultOptions(&a));
	if (e) return e;
	OrtValue **vals = NULL;
	e = tw_err(tw_api->GetBoundOutputValues(b, a, &vals, n));
	if (e) return e;
	for (size_t i = 0; i < *n; i++) {
		if (i < max) out[i] = vals[i]; else tw_api->ReleaseValue(vals[i]);
	}
	if (vals) a->Free(a, vals);
	return NULL;
}

static void tw_release_value(OrtValue *v) { tw_api->ReleaseValue(v); }

static char *tw_shape(const OrtValue *v, int64_t *dims, size_t max, size_t *n, int *elem) {
	OrtTensorTypeAndShapeInfo *info;
	char *e = tw_err(tw_api->GetTensorTypeAndShape(v, &info));
	if (e) return e;
	ONNXTensorElementDataType t;
	e = tw_err(tw_api->GetTensorElementType(info, &t));
	if (!e) e = tw_err(tw_api->GetDimensionsCount(info, n));
	if (!e && *n <= max) e = tw_err(tw_api->GetDimensions(info, dims, *n));
	tw_api->ReleaseTensorTypeAndShapeInfo(info);
	*elem = (int)t;
	return e;
}

static char *tw_data(OrtValue *v, void **p) { return tw_err(tw_api->GetTensorMutableData(v, p)); }

// tw_on_host: 1 when the tensor's memory is the host's (Go may read it).
static char *tw_on_host(const OrtValue *v, int *host) {
	const OrtMemoryInfo *m;
	char *e = tw_err(tw_api->GetTensorMemoryInfo(v, &m));
	if (e) return e;
	OrtMemoryInfoDeviceType t;
	tw_api->MemoryInfoGetDeviceType(m, &t);
	*host = t == OrtMemoryInfoDeviceType_CPU;
	return NULL;
}

static char *tw_memory(int cuda, int id, OrtMemoryInfo **m) {
	if (cuda) return tw_err(tw_api->CreateMemoryInfo("Cuda", OrtDeviceAllocator, id, OrtMemTypeDefault, m));
	return tw_err(tw_api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, m));
}
static void tw_release_memory(OrtMemoryInfo *m) { tw_api->ReleaseMemoryInfo(m); }
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// The C API calls onnxruntime_go v1.27 lacks: its IoBinding binds outputs
// only to memory it allocated and copies every bound output into Go. A
// decoder that keeps its caches on the GPU needs outputs bound to the
// device, read back as ONNX Runtime's own values and bound again as the next
// step's inputs. These few calls go through the same library (ortapi/
// holds its C API header).

var (
	apiOnce sync.Once
	apiErr  error
)

func cAPI() error {
	apiOnce.Do(func() {
		if initPath == "" {
			apiErr = errNotInit
			return
		}
		p := C.CString(initPath)
		defer C.free(unsafe.Pointer(p))
		if rc := C.tw_init(p); rc != 0 {
			apiErr = fmt.Errorf("ONNX Runtime C API from %s: step %d failed (the library must be version >= 1.24)", initPath, int(rc))
		}
	})
	return apiErr
}

func cErr(what string, m *C.char) error {
	if m == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(m))
	return fmt.Errorf("%s: %s", what, C.GoString(m))
}

// ortSession is the OrtSession* behind an onnxruntime_go session, read
// through reflect: the field is unexported and the module is pinned, and a
// renamed field fails here with a message rather than in C.
func ortSession(s *ort.DynamicAdvancedSession) (*C.OrtSession, error) {
	v := reflect.ValueOf(s).Elem().FieldByName("s")
	if v.IsValid() && !v.IsNil() {
		if f := v.Elem().FieldByName("ortSession"); f.IsValid() && f.Kind() == reflect.Pointer {
			return (*C.OrtSession)(f.UnsafePointer()), nil
		}
	}
	return nil, errors.New("onnxruntime_go's DynamicAdvancedSession has no s.ortSession: the pinned module changed; update annotators/binding.go")
}

// ortValue is the OrtValue* behind an onnxruntime_go tensor.
func ortValue(v ort.Value) (*C.OrtValue, error) {
	f := reflect.ValueOf(v.GetInternals()).Elem().FieldByName("ortValue")
	if !f.IsValid() || f.Kind() != reflect.Pointer {
		return nil, errors.New("onnxruntime_go's ValueInternalData has no ortValue: the pinned module changed; update annotators/binding.go")
	}
	return (*C.OrtValue)(f.UnsafePointer()), nil
}

// Memory is where a binding leaves an output: the session's device (GPU
// memory with --device cuda:N), or host memory for what Go reads.
type Memory struct {
	m *C.OrtMemoryInfo
}

var (
	memMu sync.Mutex
	mems  = map[Device]*Memory{}
)

// memoryOf is the device's memory, made once per process.
func memoryOf(dev Device) (*Memory, error) {
	if err := cAPI(); err != nil {
		return nil, err
	}
	key := Device{CUDA: dev.CUDA, ID: dev.ID}
	if !dev.CUDA {
		key = Device{}
	}
	memMu.Lock()
	defer memMu.Unlock()
	if m := mems[key]; m != nil {
		return m, nil
	}
	cuda := C.int(0)
	if key.CUDA {
		cuda = 1
	}
	var m *C.OrtMemoryInfo
	if err := cErr("memory info for "+key.String(), C.tw_memory(cuda, C.int(key.ID), &m)); err != nil {
		return nil, err
	}
	mems[key] = &Memory{m: m}
	return mems[key], nil
}

// Resident is a tensor a bound run left in ONNX Runtime's memory — on a
// GPU, in device memory: it goes into the next run without crossing to Go.
// Release it when no run needs it.
type Resident struct {
	v *C.OrtValue
}

// Shape is the tensor's shape.
func (r *Resident) Shape() (ort.Shape, error) {
	sh, _, err := r.info()
	return sh, err
}

// info is the tensor's shape and element type.
func (r *Resident) info() (ort.Shape, ort.TensorElementDataType, error) {
	var dims [8]C.int64_t
	var n C.size_t
	var elem C.int
	if err := cErr("tensor shape", C.tw_shape(r.v, &dims[0], 8, &n, &elem)); err != nil {
		return nil, 0, err
	}
	if n > 8 {
		return nil, 0, fmt.Errorf("tensor of rank %d: at most 8 supported", n)
	}
	sh := make(ort.Shape, n)
	for i := range sh {
		sh[i] = int64(dims[i])
	}
	return sh, ort.TensorElementDataType(elem), nil
}

// Release drops the reference; the memory goes when no binding holds it.
func (r *Resident) Release() {
	if r != nil && r.v != nil {
		C.tw_release_value(r.v)
		r.v = nil
	}
}

// Rows are the rows 0..n-1 of a batch, by index: all of them still
// generating, as a decoder starts.
func Rows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}

// Remaining is alive (the rows still generating, by index) after a step
// in which those at the positions keep went on, and whether the batch's
// tensors must be cut to them: not when every row went on, nor when none
// did (the decoding ends).
func Remaining(alive, keep []int) ([]int, bool) {
	if len(keep) == len(alive) || len(keep) == 0 {
		return alive[:len(keep)], false
	}
	next := make([]int, len(keep))
	for i, k := range keep {
		next[i] = alive[k]
	}
	return next, true
}

// ReleaseAll releases residents, skipping nils.
func ReleaseAll(rs []*Resident) {
	for _, r := range rs {
		r.Release()
	}
}

// Binding runs a session through an ONNX Runtime I/O binding: inputs bound
// once stay bound across runs (on a GPU, copied to the device when bound),
// outputs are left where they are bound — in device memory as Residents
// for the next run, or in host memory for Go to read. What crosses between
// Go and ONNX Runtime is counted on the session's meter: a host input when
// it is bound, a host output when it is read.
type Binding struct {
	s      *Session
	cs     *C.OrtSession // s's, read once: Run is on every generated token's path
	b      *C.OrtIoBinding
	names  map[string]*C.char // the C strings of the names bound, made once per binding
	dev    *Memory
	host   *Memory
	outs   []string
	hostAt map[string]bool
	in     int64                // host bytes bound since the last run
	held   map[string]ort.Value // host tensors bound, kept alive (on the CPU ONNX Runtime reads their Go memory)
}

// Bind opens an I/O binding on the session, leaving outputs on its device.
func (s *Session) Bind() (*Binding, error) {
	devMem, err := memoryOf(s.dev)
	if err != nil {
		return nil, err
	}
	hostMem, err := memoryOf(Device{})
	if err != nil {
		return nil, err
	}
	cs, err := ortSession(s.DynamicAdvancedSession)
	if err != nil {
		return nil, err
	}
	var b *C.OrtIoBinding
	if err := cErr(s.name+": I/O binding", C.tw_create_binding(cs, &b)); err != nil {
		return nil, err
	}
	return &Binding{s: s, cs: cs, b: b, names: map[string]*C.char{}, dev: devMem, host: hostMem, hostAt: map[string]bool{}, held: map[string]ort.Value{}}, nil
}

// cName is name as a C string, kept until the binding is released.
func (b *Binding) cName(name string) *C.char {
	cn := b.names[name]
	if cn == nil {
		cn = C.CString(name)
		b.names[name] = cn
	}
	return cn
}

// Input binds a Go tensor to an input until it is bound again; its bytes
// cross now (once, however many runs use it). The binding owns v: it
// destroys it when the name is bound again or the binding is released.
func (b *Binding) Input(name string, v ort.Value) error {
	cv, err := ortValue(v)
	if err != nil {
		v.Destroy()
		return err
	}
	if err := b.bind(name, cv); err != nil {
		v.Destroy()
		return err
	}
	b.in += bytesOf([]ort.Value{v})
	b.drop(name)
	b.held[name] = v
	return nil
}

// drop destroys the host tensor bound to name before, if any.
func (b *Binding) drop(name string) {
	if v := b.held[name]; v != nil {
		v.Destroy()
		delete(b.held, name)
	}
}

// Resident binds a value a run left in ONNX Runtime's memory: nothing
// crosses. The binding takes its own reference; the caller may release r.
func (b *Binding) Resident(name string, r *Resident) error {
	if err := b.bind(name, r.v); err != nil {
		return err
	}
	b.drop(name)
	return nil
}

func (b *Binding) bind(name string, v *C.OrtValue) error {
	return cErr(b.s.name+": bind input "+name, C.tw_bind_input(b.b, b.cName(name), v))
}

// Outputs names the outputs, in the order Run returns them: those named
// in host go to host memory (Go reads them), the others stay on the device.
// Run binds them.
func (b *Binding) Outputs(names []string, host ...string) {
	b.outs = append([]string(nil), names...)
	clear(b.hostAt)
	for _, h := range host {
		b.hostAt[h] = true
	}
}

// bindOutputs binds the outputs afresh before each run: a binding keeps a run's outputs and
// would give them to the next run as preallocated, of the last run's shape,
// where a decoder's grow by a token and its batch shrinks.
func (b *Binding) bindOutputs() error {
	C.tw_clear_outputs(b.b)
	for _, n := range b.outs {
		mem := b.dev
		if b.hostAt[n] {
			mem = b.host
		}
		if err := cErr(b.s.name+": bind output "+n, C.tw_bind_output_to(b.b, b.cName(n), mem.m)); err != nil {
			return err
		}
	}
	return nil
}

// Run runs the session on what is bound and returns its outputs in the
// order Outputs bound them, each a Resident the caller releases.
func (b *Binding) Run() ([]*Resident, error) {
	if err := b.bindOutputs(); err != nil {
		return nil, err
	}
	if err := cErr(b.s.name+": run", C.tw_run(b.cs, b.b)); err != nil {
		return nil, err
	}
	vals := make([]*C.OrtValue, len(b.outs))
	var n C.size_t
	var first **C.OrtValue
	if len(vals) > 0 {
		first = &vals[0]
	}
	if err := cErr(b.s.name+": bound outputs", C.tw_outputs(b.b, first, C.size_t(len(vals)), &n)); err != nil {
		return nil, err
	}
	if int(n) != len(vals) {
		for _, v := range vals[:min(int(n), len(vals))] {
			C.tw_release_value(v)
		}
		return nil, fmt.Errorf("%s: %d outputs bound, %d returned", b.s.name, len(vals), n)
	}
	out := make([]*Resident, len(vals))
	for i, v := range vals {
		out[i] = &Resident{v: v}
	}
	meter.add(b.s.name, 1, b.in, 0)
	b.in = 0
	return out, nil
}

// Floats reads a float32 output bound to host memory into Go, counting its
// bytes as crossed. Outputs left on the device cannot be read.
func (b *Binding) Floats(name string, r *Resident) ([]float32, ort.Shape, error) {
	if !b.hostAt[name] {
		return nil, nil, fmt.Errorf("%s: output %s is bound to the device, not to host memory", b.s.name, name)
	}
	data, sh, err := Read[float32](r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %s: %w", b.s.name, name, err)
	}
	meter.add(b.s.name, 0, 0, 4*int64(len(data)))
	return data, sh, nil
}

// Read copies a resident in host memory into Go: an output bound to the
// host, or any resident on the CPU device. It refuses one in GPU memory
// and one whose elements are not T.
func Read[T float32 | int64](r *Resident) ([]T, ort.Shape, error) {
	sh, elem, err := r.info()
	if err != nil {
		return nil, nil, err
	}
	var zero T
	want := ort.TensorElementDataType(ort.TensorElementDataTypeFloat)
	if any(zero) == any(int64(0)) {
		want = ort.TensorElementDataTypeInt64
	}
	if elem != want {
		return nil, nil, fmt.Errorf("a tensor of element type %d, want %d", elem, want)
	}
	var host C.int
	if err := cErr("tensor memory", C.tw_on_host(r.v, &host)); err != nil {
		return nil, nil, err
	}
	if host == 0 {
		return nil, nil, errors.New("the tensor is in device memory: bind it to host memory to read it")
	}
	var p unsafe.Pointer
	if err := cErr("tensor data", C.tw_data(r.v, &p)); err != nil {
		return nil, nil, err
	}
	n := sh.FlattenedSize()
	out := make([]T, n)
	if n > 0 {
		copy(out, unsafe.Slice((*T)(p), n))
	}
	return out, sh, nil
}

// clearInputs unbinds every input and destroys the host tensors it owns.
func (b *Binding) clearInputs() {
	C.tw_clear_inputs(b.b)
	for name := range b.held {
		b.drop(name)
	}
}

// Release unbinds every input, destroys the host tensors it owns and
// frees the binding.
func (b *Binding) Release() {
	if b == nil || b.b == nil {
		return
	}
	b.clearInputs()
	C.tw_release_binding(b.b)
	b.b = nil
	for _, cn := range b.names {
		C.free(unsafe.Pointer(cn))
	}
	clear(b.names)
}

// RunBound runs s once through a binding of its own: the host tensors
// (which it destroys) and residents in, the outputs left on s's device as
// residents the caller releases. An encoder's run: its states stay where
// the decoder will read them.
func RunBound(s *Session, host map[string]ort.Value, res map[string]*Resident, outs []string) ([]*Resident, error) {
	b, err := s.Bind()
	if err != nil {
		for _, v := range host {
			v.Destroy()
		}
		return nil, err
	}
	defer b.Release()
	for n, v := range host {
		if err == nil {
			err = b.Input(n, v)
		} else {
			v.Destroy()
		}
	}
	if err != nil {
		return nil, err
	}
	for n, r := range res {
		if err := b.Resident(n, r); err != nil {
			return nil, err
		}
	}
	b.Outputs(outs)
	return b.Run()
}
