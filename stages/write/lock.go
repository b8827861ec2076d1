package write

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/twigdata/twigdata/schema"
	"github.com/twigdata/twigdata/storage"
)

// Lease timing: a holder renews its lock every LockRenew; a lock not renewed
// for LockLease is stale — its holder is gone (killed, or its machine lost)
// and the next build takes it over. On the holder's own machine a lock whose
// process is gone is stale at once.
const (
	LockRenew = 15 * time.Second
	LockLease = 2 * time.Minute
)

// holder is the record a lock holds.
type holder struct {
	Host    string `json:"host"`
	PID     int    `json:"pid"`
	Run     string `json:"run"`
	Started string `json:"started"`
	Renewed string `json:"renewed"`
}

func (h holder) String() string {
	s := fmt.Sprintf("run %s, pid %d on %s, started %s", h.Run, h.PID, h.Host, h.Started)
	if t, err := time.Parse(time.RFC3339, h.Renewed); err == nil {
		if ago := time.Since(t); ago >= 0 {
			s += fmt.Sprintf(", last renewed %s ago", ago.Round(time.Second))
		} else {
			s += fmt.Sprintf(", renewed %s in the future by its clock", (-ago).Round(time.Second))
		}
	}
	return s
}

// stale judges a lock record: gone when not renewed within the lease, or,
// on this machine, when its process no longer exists. A record that does
// not parse, or names no renewal time or one it cannot hold (more than a
// lease ahead of this clock), is no lock a live build keeps: a build writes
// its record whole and renews it with its own clock.
func stale(record []byte) bool {
	var h holder
	if json.Unmarshal(record, &h) != nil {
		return true
	}
	if host, _ := os.Hostname(); h.Host == host && h.PID > 0 && !alive(h.PID) {
		return true
	}
	t, err := time.Parse(time.RFC3339, h.Renewed)
	if err != nil {
		return true
	}
	since := time.Since(t)
	return since > LockLease || since < -LockLease
}

// alive reports whether a process exists on this machine.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Lock is an exclusive hold on an output (or on one partition of it).
type Lock struct {
	lease storage.Lease
	rec   holder
	out   storage.Bucket
	stop  chan struct{}
	done  chan struct{}
}

// Acquire takes the lock at key for run, or fails at once naming the holder.
func Acquire(ctx context.Context, out storage.Bucket, key, run string) (*Lock, error) {
	locker, ok := out.(storage.Locker)
	if !ok {
		return nil, fmt.Errorf("output %s cannot be locked", out.URI(""))
	}
	host, _ := os.Hostname()
	now := time.Now().UTC().Format(time.RFC3339)
	l := &Lock{rec: holder{Host: host, PID: os.Getpid(), Run: run, Started: now, Renewed: now}, out: out}
	rec, _ := json.Marshal(l.rec)
	lease, err := locker.Lock(ctx, key, rec, stale)
	var le *storage.LockedError
	if errors.As(err, &le) {
		return nil, fmt.Errorf("output %s is being written by another twigdata build (%s): wait for it to finish or stop it; if it is gone, its lock lapses %s after its last renewal", out.URI(""), describe(le.Holder), LockLease)
	}
	if err != nil {
		return nil, fmt.Errorf("output %s is not writable: cannot take its lock: %w (check the path and its permissions, or the bucket and its policy)", out.URI(""), err)
	}
	l.lease = lease
	return l, nil
}

// Check fails when another build holds the lock at key, without taking it.
func Check(ctx context.Context, out storage.Bucket, key string) error {
	data, err := storage.ReadAll(ctx, out, key, 1<<20)
	if storage.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if stale(data) {
		return nil
	}
	return fmt.Errorf("output %s is being written by another twigdata build (%s, %s): wait for it to finish", out.URI(""), strings.TrimPrefix(key, schema.ControlDir), describe(data))
}

func describe(record []byte) string {
	var h holder
	if json.Unmarshal(record, &h) != nil {
		return fmt.Sprintf("its lock holds %s", storage.Quote(string(record)))
	}
	return h.String()
}

// Keep renews the lock until Release; if another run takes it over, lost is
// called with the reason, so the caller can stop writing.
func (l *Lock) Keep(lost func(error)) {
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(l.done)
		t := time.NewTicker(LockRenew)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-t.C:
			}
			l.rec.Renewed = time.Now().UTC().Format(time.RFC3339)
			rec, _ := json.Marshal(l.rec)
			ctx, cancel := context.WithTimeout(context.Background(), LockRenew)
			err := l.lease.Renew(ctx, rec)
			cancel()
			if errors.Is(err, storage.ErrLockLost) {
				lost(fmt.Errorf("lost the lock on output %s to another build: stopped writing", l.out.URI("")))
				return
			}
		}
	}()
}

// Release stops renewing and removes the lock.
func (l *Lock) Release(ctx context.Context) error {
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop = nil
	}
	return l.lease.Release(ctx)
}

// RecordRun writes the run record that vouches for the run's shards.
func RecordRun(ctx context.Context, out storage.Bucket, run string) error {
	host, _ := os.Hostname()
	b, _ := json.Marshal(schema.RunRecord{Run: run, Host: host, PID: os.Getpid(), Started: time.Now().UTC().Format(time.RFC3339)})
	if err := out.Put(ctx, schema.RunKey(run), b); err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return nil
}
