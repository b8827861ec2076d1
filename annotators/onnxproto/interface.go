package onnxproto

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// Float16 is onnx.proto's FLOAT16 element type.
const Float16 = 10

// Field numbers of onnx.proto messages the rewrite reads and writes.
const (
	modelGraph       = 7  // ModelProto.graph
	graphNode        = 1  // GraphProto.node
	graphInput       = 11 // GraphProto.input
	graphOutput      = 12 // GraphProto.output
	graphValueInfo   = 13 // GraphProto.value_info
	graphInitializer = 5  // GraphProto.initializer
	tensorName       = 8  // TensorProto.name
	nodeInput        = 1  // NodeProto.input
	nodeOutput       = 2  // NodeProto.output
	nodeAttribute    = 5  // NodeProto.attribute
	attrGraph        = 6  // AttributeProto.g
	attrGraphs       = 11 // AttributeProto.graphs
	valueName        = 1  // ValueInfoProto.name
	valueType        = 2  // ValueInfoProto.type
	typeTensor       = 1  // TypeProto.tensor_type
	tensorElemType   = 1  // TypeProto.Tensor.elem_type
	castSuffix       = "/twigdata_fp16"
	attrTypeInt      = 2 // AttributeProto.AttributeType INT
	attrTypeField    = 20
	attrIntField     = 3
	attrNameField    = 1
	nodeNameField    = 3
	nodeOpTypeField  = 4
)

// Float32Interface gives a model whose graph inputs or outputs are float16 a
// float32 interface: each float16 input X becomes a float32 input feeding
// Cast(X) → X/twigdata_fp16, which the graph's nodes (subgraphs included)
// now read, and each float16 output Y is produced under Y/twigdata_fp16 and
// cast to a float32 Y. The arithmetic inside is untouched and the casts are
// exact both ways for values float16 holds, so the model computes what it
// did. It reports whether anything changed; a model with no float16 input
// or output is returned as it is.
//
// Why: onnxruntime_go v1.27 copies a float16 output at half its size and
// refuses a float16 tensor with no elements (a merged decoder's empty first
// cache), so twigdata never lets a float16 tensor cross into Go; the
// casts also run where the model runs.
func Float32Interface(model []byte) ([]byte, bool, error) {
	var out []byte
	changed := false
	err := eachField(model, func(num protowire.Number, typ protowire.Type, raw, val []byte) error {
		if num != modelGraph || typ != protowire.BytesType {
			out = append(out, raw...)
			return nil
		}
		g, ch, err := rewriteGraph(val)
		if err != nil {
			return fmt.Errorf("graph: %w", err)
		}
		changed = changed || ch
		out = protowire.AppendTag(out, num, protowire.BytesType)
		out = protowire.AppendBytes(out, g)
		return nil
	})
	if err != nil || !changed {
		return model, false, err
	}
	return out, true, nil
}

// rewriteGraph casts the main graph's float16 inputs and outputs.
func rewriteGraph(g []byte) ([]byte, bool, error) {
	rename := map[string]string{} // float16 input or output name → its float16 tensor's new name
	inputs := map[string]string{} // the inputs among them, which subgraphs may read
	var casts, tail [][]byte      // Cast nodes before and after the graph's own nodes
	err := eachField(g, func(num protowire.Number, typ protowire.Type, _, val []byte) error {
		if (num != graphInput && num != graphOutput) || typ != protowire.BytesType {
			return nil
		}
		name, elem, err := valueInfo(val)
		if err != nil || elem != Float16 {
			return err
		}
		rename[name] = name + castSuffix
		if num == graphInput {
			inputs[name] = name + castSuffix
			casts = append(casts, castNode(name, name+castSuffix, Float16))
		} else {
			tail = append(tail, castNode(name+castSuffix, name, Float))
		}
		return nil
	})
	if err != nil || len(rename) == 0 {
		return g, false, err
	}
	var out []byte
	for _, c := range casts {
		out = appendBytes(out, graphNode, c)
	}
	err = eachField(g, func(num protowire.Number, typ protowire.Type, raw, val []byte) error {
		switch {
		case typ != protowire.BytesType:
			out = append(out, raw...)
		case num == graphNode:
			n, err := renameInNode(val, rename, inputs, true)
			if err != nil {
				return err
			}
			out = appendBytes(out, num, n)
		case num == graphInput || num == graphOutput:
			v, err := setElemType(val, Float16, Float)
			if err != nil {
				return err
			}
			out = appendBytes(out, num, v)
		case num == graphValueInfo:
			v, err := renameValueInfo(val, rename)
			if err != nil {
				return err
			}
			out = appendBytes(out, num, v)
		default:
			out = append(out, raw...)
		}
		return nil
	})
	for _, c := range tail {
		out = appendBytes(out, graphNode, c)
	}
	return out, true, err
}

// renameInNode renames the inputs a node reads and, in the main graph, the
// outputs it writes; in its subgraphs (scope) it renames only the reads of
// outer-scope inputs.
func renameInNode(n []byte, rename, scope map[string]string, outputs bool) ([]byte, error) {
	var out []byte
	err := eachField(n, func(num protowire.Number, typ protowire.Type, raw, val []byte) error {
		switch {
		case typ == protowire.BytesType && (num == nodeInput || (outputs && num == nodeOutput)):
			if to, ok := rename[string(val)]; ok {
				out = appendBytes(out, num, []byte(to))
				return nil
			}
		case typ == protowire.BytesType && num == nodeAttribute:
			a, err := renameInAttribute(val, scope)
			if err != nil {
				return err
			}
			out = appendBytes(out, num, a)
			return nil
		}
		out = append(out, raw...)
		return nil
	})
	return out, err
}

// renameInAttribute renames in a graph-valued attribute (an If's branches,
// a Loop's body) the reads of outer-scope values, unless the subgraph
// defines a value of that name itself (a merged decoder's branches make
// their own "logits" and "present.*").
func renameInAttribute(a []byte, scope map[string]string) ([]byte, error) {
	var out []byte
	err := eachField(a, func(num protowire.Number, typ protowire.Type, raw, val []byte) error {
		if typ != protowire.BytesType || (num != attrGraph && num != attrGraphs) {
			out = append(out, raw...)
			return nil
		}
		local, err := definedIn(val)
		if err != nil {
			return err
		}
		inner := map[string]string{}
		for k, v := range scope {
			if !local[k] {
				inner[k] = v
			}
		}
		var sub []byte
		err = eachField(val, func(num protowire.Number, typ protowire.Type, raw, val []byte) error {
			if typ != protowire.BytesType || num != graphNode {
				sub = append(sub, raw...)
				return nil
			}
			n, err := renameInNode(val, inner, inner, false)
			sub = appendBytes(sub, num, n)
			return err
		})
		out = appendBytes(out, num, sub)
		return err
	})
	return out, err
}

// definedIn lists the names a graph defines itself: its inputs,
// initializers and node outputs.
func definedIn(g []byte) (map[string]bool, error) {
	names := map[string]bool{}
	err := eachField(g, func(num protowire.Number, typ protowire.Type, _, val []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		switch num {
		case graphInput, graphInitializer:
			field := protowire.Number(valueName)
			if num == graphInitializer {
				field = tensorName
			}
			return eachField(val, func(num protowire.Number, typ protowire.Type, _, v []byte) error {
				if num == field && typ == protowire.BytesType {
					names[string(v)] = true
				}
				return nil
			})
		case graphNode:
			return eachField(val, func(num protowire.Number, typ protowire.Type, _, v []byte) error {
				if num == nodeOutput && typ == protowire.BytesType {
					names[string(v)] = true
				}
				return nil
			})
		}
		return nil
	})
	return names, err
}

// renameValueInfo renames a value_info entry of a renamed tensor: it
// describes the float16 tensor, now under its new name.
func renameValueInfo(v []byte, rename map[string]string) ([]byte, error) {
	var out []byte
	err := eachField(v, func(num protowire.Number, typ protowire.Type, raw, val []byte) error {
		if to, ok := rename[string(val)]; ok && num == valueName && typ == protowire.BytesType {
			out = appendBytes(out, num, []byte(to))
			return nil
		}
		out = append(out, raw...)
		return nil
	})
	return out, err
}

// valueInfo reads a ValueInfoProto's name and tensor element type (0 when
// it is not a tensor).
func valueInfo(v []byte) (name string, elem int64, err error) {
	err = eachField(v, func(num protowire.Number, typ protowire.Type, _, val []byte) error {
		switch {
		case num == valueName && typ == protowire.BytesType:
			name = string(val)
		case num == valueType && typ == protowire.BytesType:
			return eachField(val, func(num protowire.Number, typ protowire.Type, _, val []byte) error {
				if num != typeTensor || typ != protowire.BytesType {
					return nil
				}
				return eachField(val, func(num protowire.Number, typ protowire.Type, raw, _ []byte) error {
					if num == tensorElemType && typ == protowire.VarintType {
						e, _ := protowire.ConsumeVarint(raw[protowire.SizeTag(num):])
						elem = int64(e)
					}
					return nil
				})
			})
		}
		return nil
	})
	return name, elem, err
}

// setElemType changes a ValueInfoProto's tensor element type from one type
// to another.
func setElemType(v []byte, from, to int64) ([]byte, error) {
	return rewriteField(v, valueType, func(t []byte) ([]byte, error) {
		return rewriteField(t, typeTensor, func(tt []byte) ([]byte, error) {
			var out []byte
			err := eachField(tt, func(num protowire.Number, typ protowire.Type, raw, _ []byte) error {
				if num == tensorElemType && typ == protowire.VarintType {
					if e, _ := protowire.ConsumeVarint(raw[protowire.SizeTag(num):]); int64(e) == from {
						out = protowire.AppendTag(out, num, protowire.VarintType)
						out = protowire.AppendVarint(out, uint64(to))
						return nil
					}
				}
				out = append(out, raw...)
				return nil
			})
			return out, err
		})
	})
}

// rewriteField replaces every length-delimited field num of msg by what f
// makes of it.
func rewriteField(msg []byte, num protowire.Number, f func([]byte) ([]byte, error)) ([]byte, error) {
	var out []byte
	err := eachField(msg, func(n protowire.Number, typ protowire.Type, raw, val []byte) error {
		if n != num || typ != protowire.BytesType {
			out = append(out, raw...)
			return nil
		}
		v, err := f(val)
		out = appendBytes(out, n, v)
		return err
	})
	return out, err
}

// castNode is a NodeProto Cast(from) → to with the element type to.
func castNode(from, to string, elem int64) []byte {
	var attr []byte
	attr = appendBytes(attr, attrNameField, []byte("to"))
	attr = protowire.AppendTag(attr, attrIntField, protowire.VarintType)
	attr = protowire.AppendVarint(attr, uint64(elem))
	attr = protowire.AppendTag(attr, attrTypeField, protowire.VarintType)
	attr = protowire.AppendVarint(attr, attrTypeInt)
	var n []byte
	n = appendBytes(n, nodeInput, []byte(from))
	n = appendBytes(n, nodeOutput, []byte(to))
	n = appendBytes(n, nodeNameField, []byte("twigdata_cast:"+to))
	n = appendBytes(n, nodeOpTypeField, []byte("Cast"))
	n = appendBytes(n, nodeAttribute, attr)
	return n
}

var errMalformed = errors.New("not a valid ONNX protobuf")

// eachField calls f with every field of a protobuf message: its number,
// wire type, raw bytes (tag included) and, for a length-delimited field,
// its value.
func eachField(msg []byte, f func(num protowire.Number, typ protowire.Type, raw, val []byte) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return errMalformed
		}
		m := protowire.ConsumeFieldValue(num, typ, msg[n:])
		if m < 0 {
			return errMalformed
		}
		var val []byte
		if typ == protowire.BytesType {
			val, _ = protowire.ConsumeBytes(msg[n:])
		}
		if err := f(num, typ, msg[:n+m], val); err != nil {
			return err
		}
		msg = msg[n+m:]
	}
	return nil
}
