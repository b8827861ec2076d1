package annotators

import (
	"sort"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Session is an ONNX Runtime session that counts, on every call, the bytes
// that cross between Go memory and ONNX Runtime: every input tensor handed
// in and every output tensor handed back. On a GPU each of them is a copy
// across PCIe; `make bench` reports them per model, per generated token and
// per sample (issue: generation that stays on the GPU).
type Session struct {
	*ort.DynamicAdvancedSession
	name string // role/graph, the meter's key
	dev  Device // where it runs: where Bind leaves outputs
}

// Device is where the session runs.
func (s *Session) Device() Device { return s.dev }

// Run runs the session and counts what crossed.
func (s *Session) Run(inputs, outputs []ort.Value) error {
	if err := s.DynamicAdvancedSession.Run(inputs, outputs); err != nil {
		return err
	}
	meter.add(s.name, 1, bytesOf(inputs), bytesOf(outputs))
	return nil
}

// Transfer is what crossed between Go and ONNX Runtime for one graph.
type Transfer struct {
	Graph     string // role/graph ("captioner/decoder_model_merged")
	Calls     int64
	BytesIn   int64 // Go → ONNX Runtime
	BytesOut  int64 // ONNX Runtime → Go
	Generated int64 // tokens generated with it (decoders), for per-token figures
}

// transfers is the process's meter.
type transfers struct {
	mu     sync.Mutex
	graphs map[string]*Transfer
}

var meter = transfers{graphs: map[string]*Transfer{}}

func (t *transfers) entry(name string) *Transfer {
	e := t.graphs[name]
	if e == nil {
		e = &Transfer{Graph: name}
		t.graphs[name] = e
	}
	return e
}

func (t *transfers) add(name string, calls, in, out int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(name)
	e.Calls += calls
	e.BytesIn += in
	e.BytesOut += out
}

// CountGenerated adds n generated tokens to a decoder graph's count.
func (s *Session) CountGenerated(n int) {
	meter.mu.Lock()
	defer meter.mu.Unlock()
	meter.entry(s.name).Generated += int64(n)
}

// Transfers is what crossed since the last ResetTransfers, by graph.
func Transfers() []Transfer {
	meter.mu.Lock()
	defer meter.mu.Unlock()
	out := make([]Transfer, 0, len(meter.graphs))
	for _, e := range meter.graphs {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Graph < out[j].Graph })
	return out
}

// ResetTransfers sets every count to zero.
func ResetTransfers() {
	meter.mu.Lock()
	defer meter.mu.Unlock()
	meter.graphs = map[string]*Transfer{}
}

// bytesOf is the size of the tensors' data.
func bytesOf(vs []ort.Value) int64 {
	var n int64
	for _, v := range vs {
		if v == nil {
			continue
		}
		n += elemSize(v) * v.GetShape().FlattenedSize()
	}
	return n
}

// elemSize is the bytes of one element of a tensor.
func elemSize(v ort.Value) int64 {
	switch v.(type) {
	case *ort.Tensor[float32], *ort.Tensor[int32], *ort.Tensor[uint32]:
		return 4
	case *ort.Tensor[int64], *ort.Tensor[uint64], *ort.Tensor[float64]:
		return 8
	case *ort.Tensor[uint16], *ort.Tensor[int16]:
		return 2
	case *ort.Tensor[bool], *ort.Tensor[uint8], *ort.Tensor[int8]:
		return 1
	}
	return 4
}
