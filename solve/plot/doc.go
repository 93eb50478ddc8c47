// Package plot draws what a fit learned: level curves of the fitted
// potential next to the true one, the observed snapshots with one-step
// predictions, the drift field −∇V, and a training-loss curve. Panels are
// gonum/plot plots; a Figure tiles them in rows and writes PNG or SVG.
//
// Conventions, shared by every panel:
//
//   - The plotted region is the bounding box of the data's first two
//     coordinates (padded by 5%), or [−4, 4]² without data, unless
//     Options.Box says otherwise.
//   - For d > 2, potentials and drifts are drawn on the 2-D slice through
//     the mean of all observed particles: x = mean with x₁, x₂ varying.
//     Snapshots are drawn projected onto (x₁, x₂).
//   - A potential is only defined up to a constant, so each one is shifted
//     to minimum 0 over the plotted grid; fitted and true share one colour
//     scale (a viridis-like ramp, perceptually ordered) and one colour bar.
//   - Fitted and true drift fields share one arrow scale, so arrow lengths
//     are comparable across panels.
//   - Time-dependent potentials are drawn at Options.T (default: the time
//     of the first snapshot).
//   - Output is deterministic: the same inputs give byte-identical PNGs
//     (seeded predictions, no timestamps, particles subsampled by stride).
//
// Only dimensions d ≥ 2 are supported.
package plot
