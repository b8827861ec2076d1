// Package pipeline runs a chain of stages over bounded channels under one
// errgroup. It knows nothing about images or models: items are any type T,
// and every stage mutates or annotates the items it is handed.
//
//	Source ─▶ stage[0] ─▶ stage[1] ─▶ … ─▶ stage[n-1] ─▶ Sink
//	 1 goroutine   Workers goroutines each,            1 goroutine,
//	 (emits)       Batch items per call                arrival order
//
// Contracts:
//   - The run owns the errgroup and every channel. Each sender closes its own
//     output once all its goroutines are done; every send selects on ctx.Done().
//   - A stage MUST record a failure that concerns one item on that item (the
//     caller decides how, for example a reject reason) and return nil; it MUST
//     return an error only for failures that make the whole run pointless
//     (a model that stopped working, a full disk). Such an error cancels the run.
//   - Items for which Config.Done reports true skip the remaining stages and go
//     straight to the sink, so a rejected item costs nothing downstream.
//   - Channels between stages hold one batch of the receiving stage: enough
//     for a batching stage to fill a batch while its workers run, and no more,
//     so a slow stage pushes back on everything before it.
package pipeline
