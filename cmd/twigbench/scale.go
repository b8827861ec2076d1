package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/twigdata/twigdata/internal/synth"
)

// bigSide and bigCount are the large originals of the scale benchmark:
// 6000×6000 16-bit PNGs, 288 MB each once decoded, though each file is
// small (a smooth gradient).
const (
	bigSide  = 6000
	bigCount = 6
)

// bigImageEnv names the file a twigbench process started with it set
// writes the large PNG to, and does nothing else.
const bigImageEnv = "TWIGBENCH_BIG_IMAGE"

// writeBigImage writes the large 16-bit gradient PNG to path.
func writeBigImage(path string) error {
	img := image.NewNRGBA64(image.Rect(0, 0, bigSide, bigSide))
	for y := 0; y < bigSide; y++ {
		for x := 0; x < bigSide; x++ {
			img.SetNRGBA64(x, y, color.NRGBA64{uint16(x * 65535 / bigSide), uint16(y * 65535 / bigSide), 40000, 65535})
		}
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// bigImages builds bigCount large 16-bit PNGs at default settings and
// reports the build's peak resident memory: decoding must be bounded by
// the pixels in flight, not by the number of decode workers.
func bigImages(root string, measure func(args ...string) (time.Duration, int64, error)) error {
	dir := filepath.Join(root, "big")
	first := filepath.Join(dir, "big-0.png")
	if _, err := os.Stat(first); err != nil {
		// Written by a process of its own: a child's peak RSS counts what its
		// parent held when it started it, and the image takes 288 MB.
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		self, err := os.Executable()
		if err != nil {
			return err
		}
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), bigImageEnv+"="+first)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("write %s: %w", first, err)
		}
	}
	for i := 0; i < bigCount; i++ {
		p := filepath.Join(dir, fmt.Sprintf("big-%d", i))
		if i > 0 {
			os.Remove(p + ".png")
			if err := os.Link(first, p+".png"); err != nil {
				return err
			}
		}
		if err := os.WriteFile(p+".txt", []byte("a blue and green gradient"), 0o644); err != nil {
			return err
		}
	}
	out := filepath.Join(root, "out-big")
	wall, rss, err := measure("build", "--in", dir, "--out", out, "--overwrite", "--progress", "none", "--min-score", "0")
	if err != nil {
		return err
	}
	fmt.Printf("  %-14s %9d rows %s at %d×%d, 16-bit %10s  peak RSS %6.1f MiB\n", "big images", bigCount, "PNG", bigSide, bigSide,
		wall.Round(time.Second), float64(rss)/(1<<20))
	return os.RemoveAll(out)
}

// scaleRun is one build of the scale benchmark and what it cost.
type scaleRun struct {
	name               string
	rows               int
	accepted, rejected int64
	wall               time.Duration
	peakRSS            int64 // bytes
}

// benchScale builds manifests of growing size with the twigdata binary at
// default settings and reports each build's peak resident memory: memory
// must not grow with the number of inputs. The manifests reuse the pool of
// generated pairs under new keys (hard links of its images), so the work per
// input is the same at every size; the last manifest is mostly rows whose
// image does not exist (rejected at the source), with every hundredth row a
// real pair.
func benchScale(bin, dir string, pool int, sizes []int, bigRows, validateAt int) error {
	pairs := filepath.Join(dir, fmt.Sprintf("in-%d", pool))
	if err := generate(pairs, pool); err != nil {
		return err
	}
	root := filepath.Join(dir, "scale")
	imgs := filepath.Join(root, "img")
	if err := os.MkdirAll(imgs, 0o755); err != nil {
		return err
	}
	type entry struct{ image, prompt string }
	var entries []entry
	for i := 0; i < pool; i++ {
		sc := synth.NewScene(i)
		prompt, err := os.ReadFile(filepath.Join(pairs, sc.Stem+".txt"))
		if err != nil {
			return err
		}
		matches, _ := filepath.Glob(filepath.Join(pairs, sc.Stem+".*"))
		for _, m := range matches {
			if strings.HasSuffix(m, ".txt") {
				continue
			}
			dst := filepath.Join(imgs, filepath.Base(m))
			if _, err := os.Stat(dst); err != nil {
				if err := os.Link(m, dst); err != nil {
					return err
				}
			}
			entries = append(entries, entry{"img/" + filepath.Base(m), strings.TrimSpace(string(prompt))})
		}
	}
	manifest := func(name string, rows int, real func(i int) bool) (string, error) {
		p := filepath.Join(root, name+".jsonl")
		if st, err := os.Stat(p); err == nil && st.Size() > 0 {
			return p, nil // deterministic: made by an earlier run
		}
		f, err := os.Create(p + ".tmp")
		if err != nil {
			return "", err
		}
		enc := json.NewEncoder(f)
		for i := 0; i < rows; i++ {
			e := entries[i%len(entries)]
			img := e.image
			if !real(i) {
				img = fmt.Sprintf("missing/%07d.jpg", i)
			}
			if err := enc.Encode(map[string]string{"key": fmt.Sprintf("row-%07d", i), "image": img, "prompt": e.prompt}); err != nil {
				f.Close()
				return "", err
			}
		}
		if err := f.Close(); err != nil {
			return "", err
		}
		return p, os.Rename(p+".tmp", p)
	}
	var runs []scaleRun
	// measure runs the binary and reports its wall time and peak memory.
	measure := func(args ...string) (time.Duration, int64, error) {
		cmd := exec.Command(bin, args...)
		cmd.Stderr = os.Stderr
		cmd.Stdout = io.Discard
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, 0, fmt.Errorf("%s %s: %w", bin, strings.Join(args, " "), err)
		}
		var rss int64
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss << 10 // kilobytes on Linux
		}
		return time.Since(t0), rss, nil
	}
	build := func(name, in string, rows int) error {
		out := filepath.Join(root, "out-"+name)
		wall, rss, err := measure("build", "--in", in, "--key-column", "key", "--out", out, "--overwrite", "--progress", "none")
		if err != nil {
			return err
		}
		r := scaleRun{name: name, rows: rows, wall: wall, peakRSS: rss}
		var m struct {
			Counts struct{ Accepted, Rejected int64 } `json:"counts"`
		}
		if b, err := os.ReadFile(filepath.Join(out, "manifest.json")); err == nil {
			json.Unmarshal(b, &m)
		}
		r.accepted, r.rejected = m.Counts.Accepted, m.Counts.Rejected
		runs = append(runs, r)
		fmt.Printf("  %-14s %9d rows %8d accepted %8d rejected %10s  peak RSS %6.1f MiB\n", name, rows, r.accepted, r.rejected,
			r.wall.Round(time.Second), float64(r.peakRSS)/(1<<20))
		if rows == validateAt {
			wall, rss, err := measure("validate", out)
			if err != nil {
				return err
			}
			fmt.Printf("  validate of the %d-sample dataset: %s, peak RSS %.1f MiB\n", r.accepted, wall.Round(time.Second), float64(rss)/(1<<20))
		}
		return os.RemoveAll(out)
	}
	fmt.Printf("scale: twigdata build at default settings, peak resident memory by input count (%s)\n", bin)
	for _, n := range sizes {
		p, err := manifest(fmt.Sprintf("accepted-%d", n), n, func(int) bool { return true })
		if err != nil {
			return err
		}
		if err := build(fmt.Sprintf("%d", n), p, n); err != nil {
			return err
		}
	}
	if len(runs) >= 2 {
		a, b := runs[0], runs[len(runs)-1]
		fmt.Printf("scale: peak RSS at %d inputs is %.3f× that at %d (%+.1f%%)\n", b.rows, float64(b.peakRSS)/float64(a.peakRSS), a.rows,
			100*(float64(b.peakRSS)/float64(a.peakRSS)-1))
	}
	if err := bigImages(root, measure); err != nil {
		return err
	}
	if bigRows > 0 {
		p, err := manifest(fmt.Sprintf("mostly-rejected-%d", bigRows), bigRows, func(i int) bool { return i%100 == 0 })
		if err != nil {
			return err
		}
		if err := build(fmt.Sprintf("%d-rows", bigRows), p, bigRows); err != nil {
			return err
		}
	}
	return nil
}
