package write

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/twigdata/twigdata/schema"
)

// Task policies: which regions feed which supervised tasks.
//
//   - all (default): every region gives a think, a reflect and a generate row,
//     3·K rows per sample, the TwiG-50K layout.
//   - faithful: think and generate rows only from regions whose score reaches
//     θ — a thought the image does not satisfy would teach the generator to
//     ignore its plan — and reflect rows from every region: faithful ones
//     teach "high score, keep the plan", flawed ones "low score, revise".
//
// With a reflect share s in (0,1) the reflect rows of each committed shard
// are balanced toward s flawed: the surplus kind is thinned, keeping the rows
// with the smallest hash of their task id, so the choice does not depend on
// arrival order within the shard.
const (
	PolicyAll      = "all"
	PolicyFaithful = "faithful"
)

// taskRowsOf expands a sample into its supervised rows under a policy.
func taskRowsOf(s *schema.Sample, policy string, theta int) []schema.Task {
	var out []schema.Task
	var thoughts []string
	for _, r := range s.Regions {
		ctxText := strings.Join(thoughts, "\n")
		row := func(task, input, target string, score *int32) schema.Task {
			return schema.Task{
				ID: fmt.Sprintf("%s/%s/%d", s.ID, task, r.Index), SampleID: s.ID, Task: task, Region: r.Index,
				Prompt: s.Prompt, Context: ctxText, Input: input, Target: target, Score: score,
				TokenRowStart: r.TokenRowStart, TokenRowEnd: r.TokenRowEnd, Y0: r.Y0, Y1: r.Y1,
			}
		}
		faithful := int(r.Critic.Score) >= theta
		use := policy != PolicyFaithful || faithful
		if use {
			out = append(out, row(schema.TaskThink, s.Prompt, r.Plan, nil))
		}
		score := r.Critic.Score
		out = append(out, row(schema.TaskReflect, r.Plan, reflectText(r), &score))
		thoughts = append(thoughts, r.Plan)
		if use {
			out = append(out, row(schema.TaskGenerate, strings.Join(thoughts, "\n"), "", nil))
		}
	}
	return out
}

// reflectText is a reflect turn's target: the score and the revised thought.
func reflectText(r schema.Region) string {
	return fmt.Sprintf("score: %d\nrevision: %s", r.Critic.Score, r.RevisedPlan)
}

// exampleOf is a sample's row of the training table: its canvas and every
// region's think, generate and reflect turns, in TwiG order. Every turn is
// there, for the sequence; Target marks the ones the task policy would
// make task rows of (the think and generate turns of a flawed region are
// context, not targets, under PolicyFaithful; reflect turns always are).
func exampleOf(s *schema.Sample, policy string, theta int) schema.Example {
	e := schema.Example{ID: s.ID, Prompt: s.Prompt, Image: s.Image, CanvasWidth: s.CanvasWidth, CanvasHeight: s.CanvasHeight,
		PatchSize: s.PatchSize, GridRows: s.GridRows, GridCols: s.GridCols, Turns: make([]schema.Turn, 0, 3*len(s.Regions))}
	for _, r := range s.Regions {
		score, start, end, revision := r.Critic.Score, r.TokenRowStart, r.TokenRowEnd, r.RevisedPlan
		use := policy != PolicyFaithful || int(r.Critic.Score) >= theta
		e.Turns = append(e.Turns,
			schema.Turn{Kind: schema.TaskThink, Region: r.Index, Target: use, Text: r.Plan, Y0: r.Y0, Y1: r.Y1},
			schema.Turn{Kind: schema.TaskGenerate, Region: r.Index, Target: use, TokenRowStart: &start, TokenRowEnd: &end, Y0: r.Y0, Y1: r.Y1},
			schema.Turn{Kind: schema.TaskReflect, Region: r.Index, Target: true, Text: reflectText(r), Score: &score, Revision: &revision, Y0: r.Y0, Y1: r.Y1})
	}
	return e
}

// balanceReflect thins the reflect rows toward a share of flawed ones
// (score below theta); share <= 0 keeps every row.
func balanceReflect(rows []schema.Task, share float64, theta int) []schema.Task {
	if share <= 0 || share >= 1 {
		return rows
	}
	var flawed, faithful []int
	for i, r := range rows {
		if r.Task != schema.TaskReflect {
			continue
		}
		if int(*r.Score) < theta {
			flawed = append(flawed, i)
		} else {
			faithful = append(faithful, i)
		}
	}
	f, g := float64(len(flawed)), float64(len(faithful))
	drop := map[int]bool{}
	thin := func(idx []int, keep int) {
		sort.Slice(idx, func(a, b int) bool { return taskHash(rows[idx[a]].ID) < taskHash(rows[idx[b]].ID) })
		for _, i := range idx[min(keep, len(idx)):] {
			drop[i] = true
		}
	}
	switch {
	case f+g == 0:
		return rows
	case f/(f+g) < share:
		thin(faithful, int(math.Round(f*(1-share)/share)))
	case f/(f+g) > share:
		thin(flawed, int(math.Round(g*share/(1-share))))
	}
	out := rows[:0:0]
	for i, r := range rows {
		if !drop[i] {
			out = append(out, r)
		}
	}
	return out
}

// taskHash orders task rows independently of their arrival.
func taskHash(id string) uint64 {
	h := sha256.Sum256([]byte(id))
	return binary.BigEndian.Uint64(h[:8])
}

// taskCounts tallies a shard's task rows for the stats and the manifest.
func taskCounts(rows []schema.Task, theta int) map[string]int64 {
	c := map[string]int64{}
	for _, r := range rows {
		k := r.Task
		if r.Task == schema.TaskReflect {
			if int(*r.Score) < theta {
				k = schema.CountReflectFlawed
			} else {
				k = schema.CountReflectFaithful
			}
		}
		c[k]++
	}
	return c
}
