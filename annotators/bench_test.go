package annotators_test

import (
	"context"
	"image"
	"testing"

	"github.com/twigdata/twigdata/annotators"
	"github.com/twigdata/twigdata/annotators/captioner"
	"github.com/twigdata/twigdata/annotators/segmenter"
)

var benchThreads = 1

func benchImages(b *testing.B, n int) []image.Image {
	var imgs []image.Image
	for i := 0; i < n; i++ {
		s := syntheticCanvas(i)
		imgs = append(imgs, s)
	}
	return imgs
}

// BenchmarkSegment measures one batch of 16 canvases.
func BenchmarkSegment(b *testing.B) {
	seg, err := segmenter.Load(dir("../testdata/models/segmenter", ""), annotators.Device{Threads: benchThreads})
	if err != nil {
		b.Fatal(err)
	}
	defer seg.Close()
	imgs := benchImages(b, 16)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := seg.Segment(context.Background(), imgs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCaption measures one batch of 16 canvases and their 48 bands.
func BenchmarkCaption(b *testing.B) {
	capt, err := captioner.Load(dir("../testdata/models/captioner", ""), annotators.Device{Threads: benchThreads})
	if err != nil {
		b.Fatal(err)
	}
	defer capt.Close()
	var imgs []image.Image
	for _, c := range benchImages(b, 16) {
		rgba := c.(*image.RGBA)
		imgs = append(imgs, rgba, rgba.SubImage(image.Rect(0, 0, 384, 128)), rgba.SubImage(image.Rect(0, 128, 384, 256)), rgba.SubImage(image.Rect(0, 256, 384, 384)))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := capt.Caption(context.Background(), imgs); err != nil {
			b.Fatal(err)
		}
	}
}
