package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/twigdata/twigdata/stages"
)

// startProgress shows a bar on a terminal or logs periodically otherwise; the
// total is counted by a separate listing so the bar can show an ETA.
func (b *buildFlags) startProgress(ctx context.Context, o stages.Config, stderr io.Writer, log *slog.Logger, acc, rej *atomic.Int64) func() {
	mode := b.progress
	if mode == "auto" {
		mode = "log"
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bar"
		}
	}
	if mode == "none" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var total atomic.Int64
	total.Store(-1)
	go func() {
		n, err := stages.Count(ctx, o)
		if err == nil && n >= 0 {
			total.Store(n)
		}
	}()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		start := time.Now()
		var bar *progressbar.ProgressBar
		every := b.logEvery
		if mode == "bar" {
			bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("samples"),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("samples"),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			every = 200 * time.Millisecond
		}
		t := time.NewTicker(every)
		defer t.Stop()
		shownMax := int64(-1)
		for {
			select {
			case <-ctx.Done():
				if bar != nil {
					bar.Finish()
				}
				return
			case <-t.C:
			}
			done := acc.Load() + rej.Load()
			if bar != nil {
				if tot := total.Load(); tot != shownMax && tot >= 0 {
					bar.ChangeMax64(tot)
					shownMax = tot
				}
				bar.Set64(done)
				continue
			}
			rate := float64(done) / time.Since(start).Seconds()
			args := []any{"done", done, "accepted", acc.Load(), "rejected", rej.Load(), "rate_per_s", fmt.Sprintf("%.1f", rate)}
			if tot := total.Load(); tot > 0 && rate > 0 {
				args = append(args, "total", tot, "eta", (time.Duration(float64(tot-done)/rate) * time.Second).Round(time.Second))
			}
			log.Info("progress", args...)
		}
	}()
	return func() { cancel(); <-finished }
}
