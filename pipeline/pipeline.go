package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// DefaultMaxWait bounds how long a batching stage holds a partial batch: long
// enough to gather a batch when input flows, short enough that the tail of a
// run and a slow source do not leave the GPU idle behind a half-filled batch.
const DefaultMaxWait = 20 * time.Millisecond

// Stage is one step of the chain.
type Stage[T any] struct {
	// Name identifies the stage in stats and errors.
	Name string
	// Workers is the number of goroutines calling Process; <= 0 means 1.
	Workers int
	// Batch is the most items per Process call; <= 0 means 1.
	Batch int
	// MaxWait bounds the wait for a full batch after its first item; 0 sends
	// whatever has arrived at once. Batching stages usually take DefaultMaxWait.
	MaxWait time.Duration
	// Process handles a batch. It MUST NOT retain the slice after returning.
	Process func(ctx context.Context, batch []T) error
}

// Config is one run.
type Config[T any] struct {
	// Source emits every item, then returns; emit fails once the run is cancelled.
	Source func(ctx context.Context, emit func(T) error) error
	// Stages run in order.
	Stages []Stage[T]
	// Done reports items that skip the remaining stages (for example rejected ones); nil means none.
	Done func(T) bool
	// Sink receives every item exactly once, from one goroutine.
	Sink func(ctx context.Context, item T) error
}

// StageStats are one stage's counters for a run.
type StageStats struct {
	Name    string
	Workers int
	Items   int64         // items processed (not counting those that skipped the stage)
	Batches int64         // Process calls
	Busy    time.Duration // time inside Process, summed over workers
}

// Stats describe a finished run.
type Stats struct {
	Wall   time.Duration
	Items  int64 // items that reached the sink
	Stages []StageStats
}

type counters struct {
	items, batches, busy atomic.Int64
}

// Run executes the chain and returns when the sink has received the last item
// or the run failed. Cancelling ctx stops every goroutine promptly; Run never
// returns while one of its goroutines is still running.
func Run[T any](ctx context.Context, cfg Config[T]) (Stats, error) {
	start := time.Now()
	g, ctx := errgroup.WithContext(ctx)
	done := cfg.Done
	if done == nil {
		done = func(T) bool { return false }
	}

	capacity := func(i int) int {
		if i < len(cfg.Stages) {
			return max(cfg.Stages[i].Batch, 1)
		}
		return 1
	}
	src := make(chan T, capacity(0))
	g.Go(func() error {
		defer close(src)
		err := cfg.Source(ctx, func(item T) error { return send(ctx, src, item) })
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("source: %w", err)
		}
		return err
	})

	cnt := make([]*counters, len(cfg.Stages))
	var in <-chan T = src
	for i, st := range cfg.Stages {
		c := &counters{}
		cnt[i] = c
		out := make(chan T, capacity(i+1))
		stageIn := in // the closures below must not see the reassignment at the end of the loop
		workers := max(st.Workers, 1)
		var wg sync.WaitGroup
		wg.Add(workers)
		for w := 0; w < workers; w++ {
			g.Go(func() error {
				defer wg.Done()
				return worker(ctx, st, stageIn, out, done, c)
			})
		}
		g.Go(func() error {
			wg.Wait()
			close(out)
			return nil
		})
		in = out
	}

	var sunk atomic.Int64
	g.Go(func() error {
		for item := range in {
			if err := cfg.Sink(ctx, item); err != nil {
				return fmt.Errorf("sink: %w", err)
			}
			sunk.Add(1)
		}
		return ctx.Err()
	})

	err := g.Wait()
	stats := Stats{Wall: time.Since(start), Items: sunk.Load()}
	for i, st := range cfg.Stages {
		stats.Stages = append(stats.Stages, StageStats{
			Name: st.Name, Workers: max(st.Workers, 1),
			Items: cnt[i].items.Load(), Batches: cnt[i].batches.Load(),
			Busy: time.Duration(cnt[i].busy.Load()),
		})
	}
	return stats, err
}

// worker pulls batches from in, processes them and forwards every item.
func worker[T any](ctx context.Context, st Stage[T], in <-chan T, out chan<- T, done func(T) bool, c *counters) error {
	size := max(st.Batch, 1)
	wait := max(st.MaxWait, 0)
	batch := make([]T, 0, size)
	for {
		var closed bool
		var err error
		batch, closed, err = gather(ctx, in, out, done, batch[:0], size, wait)
		if err != nil {
			return err
		}
		if len(batch) > 0 {
			t0 := time.Now()
			err := st.Process(ctx, batch)
			c.busy.Add(int64(time.Since(t0)))
			c.batches.Add(1)
			c.items.Add(int64(len(batch)))
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("%s: %w", st.Name, err)
			}
			for _, item := range batch {
				if err := send(ctx, out, item); err != nil {
					return err
				}
			}
		}
		if closed {
			return nil
		}
	}
}

// gather blocks for a first item, then collects more until the batch is full,
// wait has passed since the first item, or the input closes. Items that are
// already done are forwarded at once and never join a batch.
func gather[T any](ctx context.Context, in <-chan T, out chan<- T, done func(T) bool, batch []T, size int, wait time.Duration) ([]T, bool, error) {
	var deadline <-chan time.Time // nil until the first item: blocks forever
	for len(batch) < size {
		select {
		case item, ok := <-in:
			if !ok {
				return batch, true, nil
			}
			if done(item) {
				if err := send(ctx, out, item); err != nil {
					return batch, false, err
				}
				continue
			}
			batch = append(batch, item)
			if deadline == nil {
				deadline = time.After(wait)
			}
		case <-deadline:
			return batch, false, nil
		case <-ctx.Done():
			return batch, false, ctx.Err()
		}
	}
	return batch, false, nil
}

// send delivers v unless the run is cancelled first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FromSlice is a Source that emits the items of a slice, for runs over
// materialized input (tests, and the benchmark's stage-alone runs).
func FromSlice[T any](items []T) func(context.Context, func(T) error) error {
	return func(ctx context.Context, emit func(T) error) error {
		for _, it := range items {
			if err := emit(it); err != nil {
				return err
			}
		}
		return nil
	}
}
