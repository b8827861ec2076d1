package onnxproto

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// interfaceOf reads a model's graph inputs and outputs with their element
// types, and its node op types in order.
func interfaceOf(t *testing.T, model []byte) (ins, outs map[string]int64, ops []string) {
	t.Helper()
	ins, outs = map[string]int64{}, map[string]int64{}
	err := eachField(model, func(num protowire.Number, typ protowire.Type, _, g []byte) error {
		if num != modelGraph {
			return nil
		}
		return eachField(g, func(num protowire.Number, typ protowire.Type, _, v []byte) error {
			switch num {
			case graphInput, graphOutput:
				name, elem, err := valueInfo(v)
				if num == graphInput {
					ins[name] = elem
				} else {
					outs[name] = elem
				}
				return err
			case graphNode:
				return eachField(v, func(num protowire.Number, _ protowire.Type, _, val []byte) error {
					if num == nodeOpTypeField {
						ops = append(ops, string(val))
					}
					return nil
				})
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ins, outs, ops
}

func identity(elem int) []byte {
	return Graph{
		Opset:   17,
		Nodes:   []Node{{Op: "Identity", Inputs: []string{"x"}, Outputs: []string{"y"}}},
		Inputs:  []Value{{Name: "x", ElemType: elem, Dims: []int64{-1, 4}}},
		Outputs: []Value{{Name: "y", ElemType: elem, Dims: []int64{-1, 4}}},
	}.Marshal()
}

func TestFloat32InterfaceCastsFloat16InputsAndOutputs(t *testing.T) {
	out, changed, err := Float32Interface(identity(Float16))
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	ins, outs, ops := interfaceOf(t, out)
	if ins["x"] != Float || outs["y"] != Float {
		t.Errorf("interface after: inputs %v, outputs %v; want float32 (1)", ins, outs)
	}
	if len(ops) != 3 || ops[0] != "Cast" || ops[1] != "Identity" || ops[2] != "Cast" {
		t.Errorf("nodes %v, want Cast, Identity, Cast", ops)
	}
}

func TestFloat32InterfaceLeavesOtherModelsAlone(t *testing.T) {
	in := identity(Float)
	out, changed, err := Float32Interface(in)
	if err != nil || changed || !bytes.Equal(in, out) {
		t.Errorf("a float32 model: changed %v, err %v", changed, err)
	}
	if _, _, err := Float32Interface([]byte{0xff, 0xff}); err == nil {
		t.Error("a malformed model was accepted")
	}
}
