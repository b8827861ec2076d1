package stages

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/twigdata/twigdata/stages/imageproc"
)

// TestDecodingWaitsForPixelsNotFiles: a small file that decodes large (a
// 16-bit PNG of a gradient) takes its decoded size from the decode budget
// before it is decoded; while the budget is held, it waits — so memory
// follows the pixels in flight, whatever the number of decode workers — and
// one larger than the whole budget still decodes, alone.
func TestDecodingWaitsForPixelsNotFiles(t *testing.T) {
	img := image.NewNRGBA64(image.Rect(0, 0, 1000, 1000))
	for y := 0; y < 1000; y++ {
		for x := 0; x < 1000; x++ {
			img.SetNRGBA64(x, y, color.NRGBA64{uint16(x * 65), uint16(y * 65), 30000, 65535})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if got, want := imageproc.Footprint(buf.Bytes()), int64(1000*1000*8); got != want {
		t.Fatalf("Footprint of a 1000×1000 16-bit PNG of %d bytes = %d, want %d", buf.Len(), got, want)
	}
	const budget = 4 << 20 // smaller than the 8 MB the image decodes to
	d := decoder{d: imageproc.Decoder{MaxPixels: 1 << 30, Width: 64, Height: 64, MinSide: 8}, budget: semaphore.NewWeighted(budget), max: budget}
	if !d.budget.TryAcquire(1) {
		t.Fatal("budget not free")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	it := &Item{}
	it.Image = buf.Bytes()
	if err := d.decode(ctx, it); !errors.Is(err, context.DeadlineExceeded) || it.Decoded.Canvas != nil {
		t.Fatalf("decode while another held the budget: %v, canvas %v; want it to wait", err, it.Decoded.Canvas != nil)
	}
	d.budget.Release(1)
	it.Image = buf.Bytes()
	if err := d.decode(context.Background(), it); err != nil || it.Decoded.Canvas == nil {
		t.Fatalf("decode with the budget free: %v, reject %+v", err, it.Reject)
	}
	if !d.budget.TryAcquire(budget) {
		t.Error("the decode did not give its budget back")
	}
}
