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
// potential and interaction terms, and the Result says so (EvalAt "y"):
// predict with that step (evaluate.Implicit; a spec fitted by jko fit
// declares step implicit, which jko eval, predict and simulate follow).
// Fitted to explicit (Euler) data with large steps, the learned potential
// is the one whose JKO step reproduces them, so Euler's step with it is
// off: Fit warns when τ times the largest curvature of the fitted
// potential at the particles reaches StiffnessThreshold (see Stiffness).
//
// When to use it: on paired snapshots JKOnet* matches it (within 5–10%
// on the benchmark) at a third of the cost, with closed-form standard
// errors. On unpaired snapshots of the benchmark's mlp_potential fits it
// beat JKOnet* on wavy_plateau (one-step EMD 0.056 against 0.075) and,
// narrowly, flowers (0.066 against 0.068), tied on oakley_ohagan (0.059
// against 0.056–0.059) and lost on styblinski_tang (0.096 against
// 0.078), whose steep wells make the JKO step it fits differ most from
// the Euler step of the data (see BENCHMARKS.md). Prefer it for unpaired
// snapshots of gentle landscapes, and heed its stiffness warning.
//
// Fit reports no standard errors (the game's equilibrium has no simple
// curvature to read them from); Bootstrap measures the spread of θ over
// refits to half-samples of the particles (jko fit --method ijkonet
// --bootstrap K).
//
// Every gradient of both players' objectives matches central finite
// differences (see the tests). Runs are deterministic for a given seed.
package ijkonet
