package s3test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Fault kinds the proxy injects.
const (
	SlowDown  = "503 SlowDown"
	Internal  = "500 InternalError"
	Reset     = "connection reset"
	Stall     = "stalled body"
	Truncated = "truncated body"
	// DirRace is what versitygw's POSIX backend answers a PUT that races a
	// delete emptying the same folder (the delete removes the folder while
	// the PUT makes it; versitygw issue 1988, its mkdir half still in
	// v1.8.0): nothing was written. Injected into PUTs only.
	DirRace = "409 ExistingObjectIsDirectory"
)

// Kinds lists every fault kind.
var Kinds = []string{SlowDown, Internal, Reset, Stall, Truncated, DirRace}

// FaultProxy sits between a client and the S3 server and makes a share of
// requests fail in each of the Kinds ways (DirRace: PUTs only). It listens on loopback only.
type FaultProxy struct {
	URL      string
	Rate     float64       // probability of each kind per request
	StallFor time.Duration // how long a stalled body hangs (longer than the client's timeout)
	PutRace  float64       // probability of DirRace per PUT, drawn before the others (default 4·Rate: a build makes few PUTs)

	srv      *http.Server
	l        net.Listener
	mu       sync.Mutex
	rng      *rand.Rand
	requests atomic.Int64
	counts   sync.Map // kind → *atomic.Int64
}

// NewFaultProxy starts a proxy to target.
func NewFaultProxy(target string, rate float64, seed uint64) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{URL: "http://" + l.Addr().String(), Rate: rate, PutRace: 4 * rate, StallFor: 5 * time.Second, l: l, rng: rand.New(rand.NewPCG(seed, 1))}
	for _, k := range Kinds {
		p.counts.Store(k, new(atomic.Int64))
	}
	rp := httputil.NewSingleHostReverseProxy(u) // keeps the Host header the client signed
	p.srv = &http.Server{Handler: p.handler(rp)}
	go p.srv.Serve(l)
	return p, nil
}

// Close stops the proxy.
func (p *FaultProxy) Close() { p.srv.Close() }

// Requests is how many requests the proxy saw.
func (p *FaultProxy) Requests() int64 { return p.requests.Load() }

// Count is how many faults of a kind were injected.
func (p *FaultProxy) Count(kind string) int64 {
	v, _ := p.counts.Load(kind)
	return v.(*atomic.Int64).Load()
}

// pick draws the fault for a request, or "" for none.
func (p *FaultProxy) pick(put bool) string {
	p.mu.Lock()
	race := put && p.rng.Float64() < p.PutRace // drawn for PUTs alone: other requests see the sequence they did before
	x := p.rng.Float64()
	p.mu.Unlock()
	if race {
		return DirRace
	}
	for i, k := range Kinds[:len(Kinds)-1] { // all but DirRace
		if x < p.Rate*float64(i+1) {
			return k
		}
	}
	return ""
}

func (p *FaultProxy) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.requests.Add(1)
		kind := p.pick(r.Method == http.MethodPut)
		if kind != "" {
			v, _ := p.counts.Load(kind)
			v.(*atomic.Int64).Add(1)
		}
		switch kind {
		case SlowDown:
			io.Copy(io.Discard, r.Body)
			s3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		case Internal:
			io.Copy(io.Discard, r.Body)
			s3Error(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		case DirRace:
			io.Copy(io.Discard, r.Body)
			s3Error(w, http.StatusConflict, "ExistingObjectIsDirectory", "Existing Object is a directory.")
		case Reset:
			io.Copy(io.Discard, r.Body)
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					if tc, ok := c.(*net.TCPConn); ok {
						tc.SetLinger(0) // RST instead of FIN
					}
					c.Close()
					return
				}
			}
		case Stall, Truncated:
			rec := &recorder{header: http.Header{}, code: http.StatusOK}
			next.ServeHTTP(rec, r)
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			body := rec.body.Bytes()
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(rec.code)
			w.Write(body[:len(body)/2])
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			if kind == Stall {
				select {
				case <-r.Context().Done():
				case <-time.After(p.StallFor):
				}
			}
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func s3Error(w http.ResponseWriter, code int, s3code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(code)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>`+s3code+`</Code><Message>`+msg+`</Message></Error>`)
}

// recorder buffers the upstream response so part of it can be withheld.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

// Header, WriteHeader and Write record the response for the proxy to mangle.
func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) WriteHeader(code int)        { r.code = code }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
