// Package critic judges each band of a canvas on the five TwiG criteria from
// the evidence package evidence measured — segments, their colours and
// shapes, their grounding to the prompt's entities — and the plan written
// for the band, in pure Go.
//
// Each band gets five scores, every one from measured evidence, 0..100 — or
// none: a criterion the evidence cannot judge in a band is listed as
// unverified in the record, scores 0 there and is left out of r_k.
//
//   - color accuracy: for each prompt entity grounded in the band, the CIE76
//     ΔE between the mean CIELAB color of its segment and the prompt color's
//     reference; ΔE ≤ 12 scores 100, ΔE ≥ 40 scores 0, linear between; the
//     band takes its worst entity. No colored entity in the band: unverified.
//   - object completeness: the square of the share of entity instances found
//     in the band among those expected there (one of four missing scores 56).
//     Instances the image lacks are expected beside their found siblings;
//     else where a prompt relation puts them against a found entity (the
//     first band past its edge for above/below, its own band for left/right,
//     adjacency and depth); else in the content band (the band holding most
//     grounded object cells, else the middle one). Nothing
//     expected: unverified. An entity no model could see (no segmenter class
//     names it, no grounder looked) is neither found nor missing.
//   - detail richness: what the plan says against what the evidence shows —
//     the share of the band's named scenery and things (by area) the plan
//     names, times the share of the plan's nouns the band shows; a band with
//     nothing nameable scores 0.
//   - spatial relationships: the prompt's relations with an end in the band,
//     each measured (order of centres for left/right/above/below, mask gap
//     for next to/near, occlusion for in front of/behind, containment for
//     in) or, when nothing measures it (actions; depth between things that
//     do not touch), unverified; none measured: unverified.
//   - visual coherence: continuity across the seam with the band above: the
//     median, over columns where the segmentation shows one class on both
//     sides, of ΔE between the two pixel rows above and the two below the
//     seam; ≤ 5 scores 100, ≥ 20 scores 0. Where the seam gives no evidence
//     (and in the first band), the band's own interior: how far its largest
//     line step rises above the median line step. No evidence: unverified.
//
// r_k is their weighted mean over the verified criteria: color 0.25,
// completeness 0.25, detail 0.10, spatial 0.20, coherence 0.20, renormalised.
// The fixes for the criteria that fell short are worded by package plan.
package critic

// DefaultTheta is TwiG's reflection threshold: a region scoring below it is
// reflected (its plan revised and the region redrawn).
const DefaultTheta = 90
