// Package onnxproto writes ONNX ModelProto files with google.golang.org/protobuf's
// protowire encoder. It exists so the tiny bundled models (and the malformed
// models the tests need) are produced by reviewable Go code rather than
// committed opaque blobs; it covers only the subset of onnx.proto those models use.
package onnxproto

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Element types from onnx.proto TensorProto.DataType.
const (
	Float = 1
	Int32 = 6
	Int64 = 7
)

// Attribute types from onnx.proto AttributeProto.AttributeType.
const (
	attrFloat  = 1
	attrInt    = 2
	attrTensor = 4
	attrInts   = 7
)

// Tensor is an initializer or constant: float32 or int64 data with its dims.
type Tensor struct {
	Name    string
	Dims    []int64
	Floats  []float32
	Int64s  []int64
	IsInt64 bool
}

// Attr is a node attribute; exactly one of the value fields is meaningful.
type Attr struct {
	Name   string
	Int    *int64
	Float  *float32
	Ints   []int64
	Tensor *Tensor
}

// Node is one operator application.
type Node struct {
	Op      string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Value declares a graph input or output; a negative dim is symbolic (named by DimNames).
type Value struct {
	Name     string
	ElemType int
	Dims     []int64
	DimNames []string
}

// Graph is a whole model: nodes, initializers, inputs and outputs.
type Graph struct {
	Name         string
	Nodes        []Node
	Initializers []Tensor
	Inputs       []Value
	Outputs      []Value
	Opset        int64
}

// IntAttr builds an integer attribute.
func IntAttr(name string, v int64) Attr { return Attr{Name: name, Int: &v} }

// IntsAttr builds an integer-list attribute.
func IntsAttr(name string, v ...int64) Attr { return Attr{Name: name, Ints: v} }

// Marshal encodes the graph as a ModelProto (IR version 8).
func (g Graph) Marshal() []byte {
	opset := g.Opset
	if opset == 0 {
		opset = 17
	}
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.VarintType) // ir_version
	b = protowire.AppendVarint(b, 8)
	b = appendString(b, 2, "twigdata-testdata") // producer_name
	b = appendBytes(b, 7, g.graph())
	var op []byte
	op = appendString(op, 1, "")
	op = protowire.AppendTag(op, 2, protowire.VarintType)
	op = protowire.AppendVarint(op, uint64(opset))
	b = appendBytes(b, 8, op)
	return b
}

func (g Graph) graph() []byte {
	var b []byte
	for i, n := range g.Nodes {
		b = appendBytes(b, 1, n.marshal(i))
	}
	b = appendString(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendBytes(b, 5, t.marshal())
	}
	for _, v := range g.Inputs {
		b = appendBytes(b, 11, v.marshal())
	}
	for _, v := range g.Outputs {
		b = appendBytes(b, 12, v.marshal())
	}
	return b
}

func (n Node) marshal(i int) []byte {
	var b []byte
	for _, in := range n.Inputs {
		b = appendString(b, 1, in)
	}
	for _, out := range n.Outputs {
		b = appendString(b, 2, out)
	}
	b = appendString(b, 3, n.Op+"_"+itoa(i))
	b = appendString(b, 4, n.Op)
	for _, a := range n.Attrs {
		b = appendBytes(b, 5, a.marshal())
	}
	return b
}

func (a Attr) marshal() []byte {
	var b []byte
	b = appendString(b, 1, a.Name)
	var typ uint64
	switch {
	case a.Float != nil:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(*a.Float))
		typ = attrFloat
	case a.Int != nil:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(*a.Int))
		typ = attrInt
	case a.Tensor != nil:
		b = appendBytes(b, 5, a.Tensor.marshal())
		typ = attrTensor
	default:
		for _, v := range a.Ints {
			b = protowire.AppendTag(b, 8, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(v))
		}
		typ = attrInts
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	b = protowire.AppendVarint(b, typ)
	return b
}

func (t Tensor) marshal() []byte {
	var b []byte
	for _, d := range t.Dims {
		b = protowire.AppendTag(b, 1, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(d))
	}
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	var raw []byte
	if t.IsInt64 {
		b = protowire.AppendVarint(b, Int64)
		raw = make([]byte, 8*len(t.Int64s))
		for i, v := range t.Int64s {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
	} else {
		b = protowire.AppendVarint(b, Float)
		raw = make([]byte, 4*len(t.Floats))
		for i, v := range t.Floats {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	}
	b = appendString(b, 8, t.Name)
	b = appendBytes(b, 9, raw)
	return b
}

func (v Value) marshal() []byte {
	var shape []byte
	for i, d := range v.Dims {
		var dim []byte
		if d < 0 {
			name := "dim" + itoa(i)
			if i < len(v.DimNames) && v.DimNames[i] != "" {
				name = v.DimNames[i]
			}
			dim = appendString(dim, 2, name)
		} else {
			dim = protowire.AppendTag(dim, 1, protowire.VarintType)
			dim = protowire.AppendVarint(dim, uint64(d))
		}
		shape = appendBytes(shape, 1, dim)
	}
	var tt []byte
	tt = protowire.AppendTag(tt, 1, protowire.VarintType)
	tt = protowire.AppendVarint(tt, uint64(v.ElemType))
	tt = appendBytes(tt, 2, shape)
	var typ []byte
	typ = appendBytes(typ, 1, tt)
	var b []byte
	b = appendString(b, 1, v.Name)
	b = appendBytes(b, 2, typ)
	return b
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	return appendBytes(b, num, []byte(s))
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}
