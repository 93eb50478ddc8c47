// Package ijkonet fits the parameters of a compiled spec to snapshots with
// iJKOnet (Persiianov et al., ICLR 2026): inverse optimisation of the JKO
// scheme, without couplings, so it works on unpaired snapshots and on
// snapshots with different particle counts.
//
// The observed μ_{k+1} minimises the JKO functional of the true energy, so
// for a candidate J_θ the gap
//
//	J_θ(μ_{k+1}) − min_T [ J_θ(T#μ_k) + (1/2τ) E‖x − T(x)‖² ]
//
// (up to the constant W2²(μ_k, μ_{k+1})/2τ) is smallest at the truth. Fit
// minimises Σ_k of it over θ (Adam, its learning rate held for half the
// epochs and then brought down by a cosine) and maximises it over
// transport maps, alternating map and energy steps.
//
// The maps come in three forms. For potential and interaction energies
// the maximisation over maps separates into one proximal problem per
// particle, min_y V(y) + ‖y − x‖²/2τ (given the others), so the default
// (Particles) solves those directly: every particle's displacement,
// refined by a Newton step per energy step (on the potential's exact
// Hessian, a symbolic derivative of the compiled model) and warm-started
// from one epoch to the next. Entropy terms need the maps' Jacobian, so for them
// the default is a network, T_k(x) = x + ∇φ_k(x) (Gradient: φ a scalar
// softplus MLP, a gradient displacement as optimal maps are) or
// T_k(x) = x + r_k(x) (Residual: r a vector-valued MLP), both started near
// the identity; one map per step, or one time-conditioned map T(x, t) for
// all steps (Shared). The network maps are expression graphs of
// internal/ir, so their derivatives — the Jacobian ∇T and the gradient of
// log|det ∇T| — are symbolic. On the benchmark's wavy_plateau with an
// mlp potential (2,000 training particles, full batches, 300 epochs),
// particle maps reach a one-step EMD of 0.014 where gradient maps stop at
// 0.031: the maps' error becomes bias in θ.
//
// The energy J_θ is the spec's:
//   - potential terms V(x) or V(x, t), as means over particles (at the time
//     of μ_{k+1});
//   - interaction terms U(x − y), as ½ the mean over pairs of a batch;
//   - an entropy f(ρ) = βρ log ρ, through the change of variables
//     H(T#μ) = H(μ) + E log|det ∇T| with H(μ_k) estimated once per
//     snapshot by Kozachenko–Leonenko. Other internal energies would need
//     the density of T#μ and are refused.
//
// The model fitted is the implicit JKO step, T(x) = x − τ∇J(T(x)) for
// potential and interaction terms, and the Result says so (its Scheme is
// compile.Implicit): predict with that step (a spec fitted by jko fit
// declares step implicit, which jko eval, predict and simulate follow).
// Fitted to explicit (Euler) data with large steps, the learned potential
// is the one whose JKO step reproduces them, so Euler's step with it is
// off: Fit warns when τ times the largest curvature of the fitted
// potential at the particles reaches StiffnessThreshold (see Stiffness).
//
// When to use it: on paired snapshots JKOnet* matches it (within 5–10%
// on the benchmark) at a third of the cost, with closed-form standard
// errors. On unpaired snapshots (BENCHMARKS.md, "iJKOnet against
// JKOnet*": mlp_potential, 1,000 particles per snapshot, five seeds,
// both methods at their defaults on the same data) it is better than
// JKOnet* on flowers on every seed (one-step W1 0.056 ± 0.018 against
// 0.062 ± 0.017; both worse than predicting no motion, 0.027), level on
// wavy_plateau (0.058 ± 0.006 against 0.062 ± 0.015) and oakley_ohagan
// (0.051 ± 0.013 against 0.052 ± 0.013), and worse on styblinski_tang on
// every seed (0.088 ± 0.014 against 0.068 ± 0.019), at 3–4.5× the time.
// Both methods' errors there are mostly the sampling noise of the
// independent clouds: the shift of the mean from one snapshot to the
// next is off by 0.09–0.2, more than the flow moves it in a step, and a
// fitted potential turns part of that into a drift, so 30–95% of either method's one-step W1 is a
// translation of the predicted cloud, and the spread over seeds is as
// large as the difference between the methods. The stiffness of Euler
// data is not why it loses on styblinski_tang: wavy_plateau's data are
// as stiff (τ·λmax 0.8), and on unpaired data made by the JKO step
// itself it does no better.
//
// Holdout sets a fraction of each snapshot's particles aside and returns
// the θ of the epoch with the smallest gap on them. On data that show
// almost no motion it stops early, near "no motion", where training to
// the end fits the snapshots' noise; elsewhere it costs the held-out
// particles' information, so it is off by default.
//
// Fit reports no standard errors (the game's equilibrium has no simple
// curvature to read them from); Bootstrap measures the spread of θ over
// refits to half-samples of the particles (jko fit --method ijkonet
// --bootstrap K).
//
// Every gradient of both players' objectives matches central finite
// differences (see the tests). Runs are deterministic for a given seed.
package ijkonet
