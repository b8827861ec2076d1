// Package critic judges each band of a canvas on the five TwiG criteria from
// the evidence of a label map — segments, their colours and shapes, their
// grounding to the prompt's entities — in pure Go.
//
// Each band gets five scores, every one from measured evidence, 0..100:
//
//   - color accuracy: for each prompt entity grounded in the band, the CIE76
//     ΔE between the mean CIELAB color of its segment and the prompt color's
//     reference; ΔE ≤ 12 scores 100, ΔE ≥ 40 scores 0, linear between; the
//     band takes its worst entity. No colored entity in the band: 100.
//   - object completeness: the square of the share of entity instances found
//     in the band among those expected there (one of four missing scores 56).
//     Instances the image lacks are expected in the content band (the band
//     holding most grounded object cells, else the middle one).
//   - detail richness: 60 + 20 per described group (stuff or objects), capped
//     at 100; an empty band scores 0.
//   - spatial relationships: the prompt's relations whose two ends are
//     grounded, with an end in the band, that hold for the segments' centers.
//   - visual coherence: continuity across the seam with the band above: the
//     median, over columns where the segmentation shows one class on both
//     sides, of ΔE between the two pixel rows above and the two below the
//     seam; ≤ 5 scores 100, ≥ 20 scores 0. The first band scores 100.
//
// r_k is their weighted mean: color 0.25, completeness 0.25, detail 0.10,
// spatial 0.20, coherence 0.20. The fixes for the criteria
// that fell short are worded by package plan.
package critic
