// Package plot draws what a fit learned, each term against the truth
// where it is known: level curves of the potential V, the drift field
// −∇V, the interaction kernel U(r), the internal energy as ρ f″(ρ) (β for
// an entropy), the observed snapshots with one-step predictions, and the
// training-loss curve (or iJKOnet's gap). Panels are gonum/plot plots; a
// Figure tiles them in rows and writes PNG, SVG or PDF.
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
//   - Scales are measured where the particles are: with data, the colour
//     scales of V and of |∇V| top at the 98th percentile over the observed
//     particles (steeper walls saturate), and the kernel's axes span the
//     distances between particles.
//   - Drift arrows all have one length and show the direction; their
//     colour shows the magnitude, on one scale for fitted and true.
//   - Time-dependent potentials are drawn at up to four snapshot times
//     (small multiples), or at Options.T when set.
//   - At most six snapshots are drawn, evenly spread over the times.
//   - A Figure's Notes say which panels were left out and why.
//   - Output is deterministic: the same inputs give byte-identical PNGs
//     (seeded predictions, no timestamps, particles subsampled by stride).
//
// Only dimensions d ≥ 2 are supported.
package plot
