package pipeline

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

type item struct {
	n       int
	skip    bool
	visited int
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		workers  int
		batch    int
		skipEach int // every skipEach-th item is done before the stages
	}{
		{"single worker", 50, 1, 1, 0},
		{"many workers", 200, 4, 1, 0},
		{"batched", 103, 2, 8, 0},
		{"batched with done items", 97, 3, 5, 4},
		{"empty input", 0, 2, 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := make([]*item, tc.n)
			for i := range items {
				items[i] = &item{n: i, skip: tc.skipEach > 0 && i%tc.skipEach == 0}
			}
			var maxBatch atomic.Int64
			stage := func(name string) Stage[*item] {
				return Stage[*item]{Name: name, Workers: tc.workers, Batch: tc.batch, Process: func(ctx context.Context, b []*item) error {
					if int64(len(b)) > maxBatch.Load() {
						maxBatch.Store(int64(len(b)))
					}
					for _, it := range b {
						if it.skip {
							return errors.New("done item reached a stage")
						}
						it.visited++
					}
					return nil
				}}
			}
			seen := map[int]bool{}
			stats, err := Run(context.Background(), Config[*item]{
				Source: FromSlice(items),
				Stages: []Stage[*item]{stage("a"), stage("b")},
				Done:   func(it *item) bool { return it.skip },
				Sink: func(ctx context.Context, it *item) error {
					if seen[it.n] {
						t.Errorf("item %d reached the sink twice", it.n)
					}
					seen[it.n] = true
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != tc.n || stats.Items != int64(tc.n) {
				t.Fatalf("sink got %d distinct items (stats %d), want %d", len(seen), stats.Items, tc.n)
			}
			for _, it := range items {
				want := 2
				if it.skip {
					want = 0
				}
				if it.visited != want {
					t.Errorf("item %d visited %d stages, want %d", it.n, it.visited, want)
				}
			}
			if maxBatch.Load() > int64(max(tc.batch, 1)) {
				t.Errorf("batch of %d exceeds %d", maxBatch.Load(), tc.batch)
			}
		})
	}
}

func TestStageErrorCancelsRun(t *testing.T) {
	boom := errors.New("model went away")
	infinite := func(ctx context.Context, emit func(int) error) error {
		for i := 0; ; i++ {
			if err := emit(i); err != nil {
				return err
			}
		}
	}
	_, err := Run(context.Background(), Config[int]{
		Source: infinite,
		Stages: []Stage[int]{{Name: "annotate", Workers: 3, Process: func(ctx context.Context, b []int) error {
			if b[0] == 10 {
				return boom
			}
			return nil
		}}},
		Sink: func(context.Context, int) error { return nil },
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestCancelReturnsPromptlyWithoutLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	infinite := func(ctx context.Context, emit func(int) error) error {
		for i := 0; ; i++ {
			if err := emit(i); err != nil {
				return err
			}
		}
	}
	var got atomic.Int64
	errc := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Config[int]{
			Source: infinite,
			Stages: []Stage[int]{
				{Name: "slow", Workers: 2, Batch: 4, Process: func(ctx context.Context, b []int) error {
					time.Sleep(time.Millisecond)
					return nil
				}},
			},
			Sink: func(context.Context, int) error { got.Add(1); return nil },
		})
		errc <- err
	}()
	for got.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left, %d before the run", n, before)
	}
}
