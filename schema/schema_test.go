package schema

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := []Sample{{ID: "a", Regions: []Region{{Index: 1, Objects: []Object{{Label: "ball"}}}}, Entities: []Entity{{Noun: "ball", Attributes: []string{"red"}}}, Image: Image{Bytes: []byte{1, 2}}}}
	b, err := Encode(in, "test")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode[Sample](bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Regions[0].Objects[0].Label != "ball" || out[0].Entities[0].Attributes[0] != "red" || string(out[0].Image.Bytes) != "\x01\x02" {
		t.Fatalf("round trip: %+v", out)
	}
}
