package annotators

import (
	"fmt"
	"strconv"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/twigdata/twigdata/annotators/onnxproto"
)

// Device kernels: one-node ONNX graphs (Gather, Concat) run through a
// binding on the session's device, so that a batch's rows can be cut or its
// parts joined where its tensors are — in GPU memory with --device cuda:N —
// without copying them to Go and back.

type kernelKey struct {
	dev        Device
	op         string
	elem, rank int
}

type kernel struct {
	mu sync.Mutex // a binding serves one run at a time
	s  *Session
	b  *Binding
}

var (
	kernelsMu sync.Mutex
	kernels   = map[kernelKey]*kernel{}
)

// kernelGraph is the one-node graph of op over tensors of elem and rank.
func kernelGraph(op string, elem, rank int) onnxproto.Graph {
	value := func(name string) onnxproto.Value {
		v := onnxproto.Value{Name: name, ElemType: elem}
		for i := range rank {
			v.Dims = append(v.Dims, -1)
			v.DimNames = append(v.DimNames, name+"_"+strconv.Itoa(i))
		}
		return v
	}
	g := onnxproto.Graph{Name: op, Outputs: []onnxproto.Value{value("out")}}
	switch op {
	case "gather":
		g.Inputs = []onnxproto.Value{value("data"), {Name: "indices", ElemType: onnxproto.Int64, Dims: []int64{-1}, DimNames: []string{"kept"}}}
		g.Nodes = []onnxproto.Node{{Op: "Gather", Inputs: []string{"data", "indices"}, Outputs: []string{"out"}, Attrs: []onnxproto.Attr{onnxproto.IntAttr("axis", 0)}}}
	case "place":
		g.Inputs = []onnxproto.Value{value("in")}
		g.Nodes = []onnxproto.Node{{Op: "Identity", Inputs: []string{"in"}, Outputs: []string{"out"}}}
	case "concat":
		g.Inputs = []onnxproto.Value{value("a"), value("b")}
		g.Nodes = []onnxproto.Node{{Op: "Concat", Inputs: []string{"a", "b"}, Outputs: []string{"out"}, Attrs: []onnxproto.Attr{onnxproto.IntAttr("axis", 1)}}}
	}
	return g
}

// kernelFor opens (once per device, operator, type and rank) the kernel.
func kernelFor(dev Device, op string, elem ort.TensorElementDataType, rank int) (*kernel, error) {
	key := kernelKey{dev: Device{CUDA: dev.CUDA, ID: dev.ID, Threads: dev.Threads}, op: op, elem: int(elem), rank: rank}
	kernelsMu.Lock()
	defer kernelsMu.Unlock()
	if k := kernels[key]; k != nil {
		return k, nil
	}
	g := kernelGraph(op, int(elem), rank)
	opts, err := dev.SessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	var ins []string
	for _, v := range g.Inputs {
		ins = append(ins, v.Name)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(g.Marshal(), ins, []string{"out"}, opts)
	if err != nil {
		return nil, fmt.Errorf("device kernel %s: %w", op, err)
	}
	k := &kernel{s: &Session{DynamicAdvancedSession: s, name: "kernel/" + op, dev: dev}}
	if k.b, err = k.s.Bind(); err != nil {
		s.Destroy()
		return nil, err
	}
	k.b.Outputs([]string{"out"})
	kernels[key] = k
	return k, nil
}

// GatherRows is r's rows keep, in that order, along its first (batch)
// axis, computed on dev where r is: a batch whose other rows have ended, or
// beams reordered by their parents. r is left as it was.
func GatherRows(dev Device, r *Resident, keep []int) (*Resident, error) {
	sh, elem, err := r.info()
	if err != nil {
		return nil, err
	}
	if len(sh) == 0 {
		return nil, fmt.Errorf("gather: a scalar has no batch axis")
	}
	idx := make([]int64, len(keep))
	for i, k := range keep {
		if k < 0 || int64(k) >= sh[0] {
			return nil, fmt.Errorf("gather: row %d of a batch of %d", k, sh[0])
		}
		idx[i] = int64(k)
	}
	k, err := kernelFor(dev, "gather", elem, len(sh))
	if err != nil {
		return nil, err
	}
	t, err := ort.NewTensor(ort.NewShape(int64(len(idx))), idx)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.b.Resident("data", r); err != nil {
		t.Destroy()
		return nil, err
	}
	if err := k.b.Input("indices", t); err != nil {
		return nil, err
	}
	return k.run()
}

// GatherAllRows replaces each of rs by its rows keep (GatherRows),
// releasing the one it replaces; on an error rs holds what each is now.
func GatherAllRows(dev Device, rs []*Resident, keep []int) error {
	for i, r := range rs {
		g, err := GatherRows(dev, r, keep)
		if err != nil {
			return err
		}
		r.Release()
		rs[i] = g
	}
	return nil
}

// Concat joins a and b along their second axis (a batch's positions), on
// dev where they are: Florence-2's image features, then its prompt's
// embeddings.
func Concat(dev Device, a, b *Resident) (*Resident, error) {
	sh, elem, err := a.info()
	if err != nil {
		return nil, err
	}
	if len(sh) < 2 {
		return nil, fmt.Errorf("concat: rank %d has no second axis", len(sh))
	}
	k, err := kernelFor(dev, "concat", elem, len(sh))
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.b.Resident("a", a); err != nil {
		return nil, err
	}
	if err := k.b.Resident("b", b); err != nil {
		return nil, err
	}
	return k.run()
}

// Place puts a Go tensor where dev's sessions run (GPU memory with
// --device cuda:N), crossing once, and destroys v: an input that every step
// reads and that rows ending cut, such as an encoder's attention mask.
func Place(dev Device, v ort.Value) (*Resident, error) {
	k, err := kernelFor(dev, "place", ort.TensorElementDataType(v.DataType()), len(v.GetShape()))
	if err != nil {
		v.Destroy()
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.b.Input("in", v); err != nil {
		return nil, err
	}
	return k.run()
}

// run runs a kernel and unbinds its inputs, so the binding holds no
// reference to a caller's tensor between calls.
func (k *kernel) run() (*Resident, error) {
	out, err := k.b.Run()
	k.b.clearInputs()
	if err != nil {
		return nil, err
	}
	return out[0], nil
}
