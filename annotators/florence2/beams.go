package florence2

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/twigdata/twigdata/annotators"
)

// beamConfig is how a beam search runs: the number of beams (1 decodes
// greedily), and the generation config's length_penalty and
// early_stopping, which transformers' beam search reads.
type beamConfig struct {
	n             int
	lengthPenalty float64 // 1 unless the generation config says otherwise
	earlyStopping string  // "false" (the default), "true" or "never"
	configured    int     // the generation config's num_beams, for Decoding
}

// readEarlyStopping reads early_stopping, a boolean or "never".
func readEarlyStopping(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "false", nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return fmt.Sprint(b), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil && s == "never" {
		return s, nil
	}
	return "", fmt.Errorf("early_stopping %s: want true, false or \"never\"", raw)
}

// SetBeams makes captions and groundings a beam search of n beams, as
// transformers' generate(num_beams=n) runs it with the model's generation
// config (length_penalty, early_stopping); n <= 1 decodes greedily.
func (f *Model) SetBeams(n int) { f.beams.n = max(1, n) }

// Beams is the number of beams decoding uses (1: greedy).
func (f *Model) Beams() int { return f.beams.n }

// hyp is one beam: its tokens and their summed log-probability (for a
// finished one, divided by its length to the length penalty).
type hyp struct {
	seq   []int64
	score float32
}

// search is one input's beam search.
type search struct {
	running []hyp  // num_beams, best first
	slots   []slot // num_beams, best first: the finished hypotheses, and until there are enough, placeholders
	open    bool   // the best running beam may still beat the finished ones
}

// slot is a place among an input's best finished hypotheses. transformers
// starts each with a placeholder of score -1e9 that is not finished; a
// hypothesis takes it only by a better score (placeholders win ties), so
// a beam that was never alive (-1e9) cannot finish.
type slot struct {
	hyp
	finished bool
}

// allFinished reports whether every slot holds a finished hypothesis.
func (sr *search) allFinished() bool {
	for _, s := range sr.slots {
		if !s.finished {
			return false
		}
	}
	return true
}

// dead is the score transformers gives a beam that cannot be chosen.
const dead = float32(-1e9)

// decodeBeams runs transformers' beam search (GenerationMixin._beam_search,
// transformers 4.57) on every input of the batch: each step keeps the
// 2×num_beams best continuations over all beams, the num_beams best that
// did not end go on, those among the num_beams best that ended join the
// finished hypotheses (score over length to the length penalty), and an
// input stops when no running beam can beat its worst finished one (or,
// with early_stopping true, when num_beams have finished). An input that
// stops leaves the batch; its beams' caches follow their parents on the
// device. It releases enc and mask.
func (f *Model) decodeBeams(ctx context.Context, enc, mask *annotators.Resident, B int64, maxNew int) ([][]Hypothesis, error) {
	nb := f.beams.n
	dev := f.decoder.Device()
	rows := make([]int, 0, int(B)*nb)
	for b := range int(B) {
		for range nb {
			rows = append(rows, b)
		}
	}
	states := []*annotators.Resident{enc, mask}
	if err := annotators.GatherAllRows(dev, states, rows); err != nil {
		annotators.ReleaseAll(states)
		return nil, err
	}
	s, err := f.newStepper(states[0], states[1])
	if err != nil {
		annotators.ReleaseAll(states)
		return nil, err
	}
	defer s.close()

	searches := make([]*search, B)
	for b := range searches {
		sr := &search{open: true}
		for j := range nb {
			sc := float32(0)
			if j > 0 {
				sc = dead // every beam starts alike: only the first may grow at first
			}
			sr.running = append(sr.running, hyp{seq: []int64{f.gen.start}, score: sc})
			sr.slots = append(sr.slots, slot{hyp: hyp{seq: []int64{f.gen.start}, score: dead}})
		}
		searches[b] = sr
	}
	out := make([][]Hypothesis, B)
	done := func(b int) {
		for _, s := range searches[b].slots {
			if s.finished {
				out[b] = append(out[b], Hypothesis{IDs: s.seq, Score: s.score})
			}
		}
	}
	alive := annotators.Rows(int(B))
	maxLen := 1 + maxNew
	for curLen := 1; curLen < maxLen && len(alive) > 0; curLen++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		last := make([]int64, 0, len(alive)*nb)
		for _, b := range alive {
			for _, h := range searches[b].running {
				last = append(last, h.seq[len(h.seq)-1])
			}
		}
		logits, V, err := s.next(last)
		if err != nil {
			return nil, err
		}
		var keep, next []int
		changed := false
		for ai, b := range alive {
			sr := searches[b]
			parents := f.beamStep(sr, logits[int64(ai*nb)*V:int64((ai+1)*nb)*V], int(V), curLen, maxLen)
			if !sr.open || (f.beams.earlyStopping == "true" && sr.allFinished()) || curLen+1 >= maxLen {
				done(b)
				changed = true
				continue
			}
			next = append(next, b)
			for _, p := range parents {
				keep = append(keep, ai*nb+p)
			}
		}
		alive = next
		if len(alive) > 0 {
			if err := s.keep(keep, changed); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// cand is a continuation: beam parent's tokens and token, and its score.
type cand struct {
	parent int
	token  int64
	score  float32
	index  int // parent×V + token: transformers ranks equal scores by it
}

// beamStep advances one input's search by a step on its beams' logits
// ([num_beams, V]) and returns each new running beam's parent.
func (f *Model) beamStep(sr *search, logits []float32, V, curLen, maxLen int) []int {
	nb := len(sr.running)
	k := 2 * nb // transformers keeps max(2, 1 + number of end tokens) × num_beams
	var top []cand
	for j, h := range sr.running {
		lp := f.gen.logProbs(logits[j*V:(j+1)*V], h.seq, maxLen)
		for v, x := range lp {
			sc := x + h.score
			if math.IsInf(float64(sc), -1) {
				continue
			}
			top = insertTop(top, cand{parent: j, token: int64(v), score: sc, index: j*V + v}, k)
		}
	}
	ends := func(c cand) bool { return c.token == f.gen.eos || curLen+1 >= maxLen }
	// The num_beams best that did not end run on; one that ended is dead.
	running := make([]cand, len(top))
	copy(running, top)
	for i := range running {
		if ends(running[i]) {
			running[i].score += dead
		}
	}
	slices.SortStableFunc(running, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	parents := make([]int, 0, nb)
	next := make([]hyp, 0, nb)
	for _, c := range running[:min(nb, len(running))] {
		parents = append(parents, c.parent)
		next = append(next, hyp{seq: append(slices.Clip(sr.running[c.parent].seq), c.token), score: c.score})
	}
	// Those among the num_beams best that ended compete for the finished
	// slots, scored over their length to the length penalty; every other
	// candidate is put out of reach as transformers does (in float32: a
	// score near -1e9 ties with a placeholder, which wins).
	// (With early_stopping true an input whose slots are all finished has
	// already left the search: transformers would put every candidate out
	// of reach.)
	merged := slices.Clone(sr.slots)
	for r, c := range top {
		score := c.score / float32(math.Pow(float64(curLen), f.beams.lengthPenalty))
		finished := r < nb && ends(c)
		if !finished {
			score += dead
		}
		merged = append(merged, slot{hyp: hyp{seq: append(slices.Clip(sr.running[c.parent].seq), c.token), score: score}, finished: finished})
	}
	slices.SortStableFunc(merged, func(a, b slot) int { return cmp.Compare(b.score, a.score) })
	sr.slots = merged[:nb]
	sr.running = next
	// Can the best running beam still beat the worst finished one? (A slot
	// not yet finished counts as -1e9, which any live beam beats.)
	length := curLen // the generated length after this step
	if f.beams.earlyStopping == "never" && f.beams.lengthPenalty > 0 {
		length = maxLen - 1
	}
	best := next[0].score / float32(math.Pow(float64(length), f.beams.lengthPenalty))
	worst := sr.slots[0].score
	for _, s := range sr.slots {
		worst = min(worst, s.score)
	}
	improvable := false
	for _, s := range sr.slots {
		w := dead
		if s.finished {
			w = worst
		}
		improvable = improvable || best > w
	}
	sr.open = sr.open && improvable
	return parents
}

// insertTop inserts c into top (best first, at most k), ranking equal
// scores by index as torch.topk does on the CPU.
func insertTop(top []cand, c cand, k int) []cand {
	if len(top) == k {
		w := top[k-1]
		if c.score < w.score || (c.score == w.score && c.index > w.index) {
			return top
		}
		top = top[:k-1]
	}
	i := len(top)
	for i > 0 && (top[i-1].score < c.score || (top[i-1].score == c.score && top[i-1].index > c.index)) {
		i--
	}
	top = append(top, cand{})
	copy(top[i+1:], top[i:])
	top[i] = c
	return top
}

// logProbs are a row's log-probabilities as transformers' beam search
// scores them: log_softmax in float32, then the generation config's
// processors — repeated n-grams banned, the BOS token forced first and the
// EOS token last.
func (g generation) logProbs(logits []float32, seq []int64, maxLen int) []float32 {
	mx := float32(math.Inf(-1))
	for _, x := range logits {
		mx = max(mx, x)
	}
	var sum float64
	for _, x := range logits {
		sum += math.Exp(float64(x - mx))
	}
	lse := float32(math.Log(sum))
	lp := make([]float32, len(logits))
	for i, x := range logits {
		lp[i] = x - mx - lse
	}
	neg := float32(math.Inf(-1))
	for _, t := range g.banned(seq) {
		if t >= 0 && int(t) < len(lp) {
			lp[t] = neg
		}
	}
	if force := g.forced(seq, maxLen); force >= 0 && int(force) < len(lp) {
		for i := range lp {
			lp[i] = neg
		}
		lp[force] = 0
	}
	return lp
}
