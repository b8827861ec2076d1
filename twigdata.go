// Package twigdata embeds the bundled sample and tiny models so that
// `twigdata build` works from any folder after `go install`.
package twigdata

import (
	"embed"
	"io/fs"
)

// Version is the tool version recorded in every sample and manifest.
const Version = "0.1.0"

//go:embed testdata/sample testdata/models
var bundled embed.FS

// Sample is the bundled prompt/image sample.
func Sample() fs.FS { return sub("testdata/sample") }

// Model is a bundled tiny model directory: "segmenter" or "captioner".
func Model(name string) fs.FS { return sub("testdata/models/" + name) }

func sub(dir string) fs.FS {
	f, err := fs.Sub(bundled, dir)
	if err != nil {
		panic(err) // the directories are embedded at build time
	}
	return f
}
