// Package evaluate runs a fitted model forward and measures it the way the
// JKOnet* paper does: the one-step-ahead earth mover's distance (W1, exact,
// Euclidean cost) between the prediction from each observed snapshot and
// the next observed snapshot, reported as mean ± std over the steps; and the
// all-steps-ahead distance of a rollout from the first snapshot.
// Every prediction takes a compile.Scheme: compile.Explicit, the
// Euler(–Maruyama) step JKOnet* evaluated at x fits, or compile.Implicit,
// the JKO step y = x + τ·drift(y) iJKOnet fits (and JKOnet* evaluated at
// y). A fitted spec declares its scheme (compile.Model.Scheme); score a
// model with the scheme it was fitted for.
//
// Flow adapts a compiled model with fitted parameters to the simulator
// (package sim): the drift is −∇V − (1/N)Σ∇U(x − x_j), entropy terms become
// the noise level β, and any other internal energy contributes
// −f″(ρ)∇ρ with ρ estimated from the current cloud.
package evaluate
