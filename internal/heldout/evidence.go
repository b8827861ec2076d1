package heldout

import (
	"math/rand/v2"

	"github.com/twigdata/twigdata/stages/evidence"
)

// Cell is the side of a truth map's cell in pixels: the resolution a
// SegFormer- or Mask2Former-style segmenter gives a 384-pixel canvas.
const Cell = 4

// Noise is controlled damage to the truth, of the kinds imperfect models
// do: the composer and critic are judged on truth with each.
type Noise struct {
	Name    string
	Miss    bool // one instance is not found: its cells show the scenery behind it
	Jitter  bool // every mask boundary moves by a cell, in or out, at random
	Confuse bool // one instance is labelled as another kind of thing
	// NoKinds: the segmenter says of no class whether it is a thing or
	// stuff (a label set twigdata does not know), so the critic tells
	// scenery from the map's shape.
	NoKinds bool
	Seed    uint64
}

// Noises are the report's conditions: the truth itself, then each damage.
var Noises = []Noise{
	{Name: "truth"},
	{Name: "missed instance", Miss: true},
	{Name: "jittered masks", Jitter: true},
	{Name: "confused class", Confuse: true},
	{Name: "no thing/stuff split", NoKinds: true},
}

// Kinds is the thing/stuff split of Labels a segmenter gives under noise n:
// the world's own, or none.
func (n Noise) Kinds() []evidence.Kind {
	out := make([]evidence.Kind, len(Labels()))
	if n.NoKinds {
		return out
	}
	for i := range out {
		out[i] = evidence.KindStuff
		if i < len(Things) {
			out[i] = evidence.KindThing
		}
	}
	return out
}

// Map is the panoptic label map a perfect segmenter would give for the
// truth, one cell per Cell×Cell pixels read at its centre, with noise.
func (s Scene) Map(t Truth, n Noise) evidence.LabelMap {
	r := rand.New(rand.NewPCG(n.Seed+7, 0x6e6f697365))
	W, H := Size/Cell, Size/Cell
	m := evidence.LabelMap{W: W, H: H, Labels: make([]uint16, W*H), Conf: make([]float32, W*H), Instances: make([]uint16, W*H)}
	missed, confused, confusedTo := -1, -1, 0
	if n.Miss && len(s.Instances) > 0 {
		missed = r.IntN(len(s.Instances))
	}
	if n.Confuse && len(s.Instances) > 0 {
		confused = r.IntN(len(s.Instances))
		confusedTo = (s.Instances[confused].Thing + 1 + r.IntN(len(Things)-1)) % len(Things)
	}
	up, lo := StuffLabel(s.Backdrop.Upper), StuffLabel(s.Backdrop.Lower)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			px, py := x*Cell+Cell/2, y*Cell+Cell/2
			p := py*Size + px
			label, inst := t.Label[p], t.Instance[p]
			if inst == missed && inst >= 0 {
				label, inst = up, -1
				if float64(py) >= s.Backdrop.Horizon*Size {
					label = lo
				}
			}
			if inst == confused && inst >= 0 {
				label = confusedTo
			}
			i := y*W + x
			m.Labels[i], m.Conf[i] = uint16(label), 1
			if inst >= 0 {
				m.Instances[i] = uint16(inst + 1)
			} else {
				m.Instances[i] = uint16(len(s.Instances) + 1 + label) // one segment per kind of scenery
			}
		}
	}
	if n.Jitter {
		jitter(&m, r)
	}
	return m
}

// jitter moves every boundary by a cell: each cell on a boundary takes a
// neighbour's label and instance with probability one half.
func jitter(m *evidence.LabelMap, r *rand.Rand) {
	labels := append([]uint16(nil), m.Labels...)
	insts := append([]uint16(nil), m.Instances...)
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			i := y*m.W + x
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= m.W || ny >= m.H {
					continue
				}
				j := ny*m.W + nx
				if insts[j] != insts[i] {
					if r.IntN(2) == 0 {
						m.Labels[i], m.Instances[i] = labels[j], insts[j]
					}
					break
				}
			}
		}
	}
}
