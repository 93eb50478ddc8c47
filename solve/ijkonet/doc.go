// Package ijkonet fits the parameters of a compiled spec to snapshots with
// iJKOnet (Persiianov et al., ICLR 2026): inverse optimisation of the JKO
// scheme, without couplings in its objective, so it works on unpaired
// snapshots and on snapshots with different particle counts.
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
// off: Fit warns when τ times the curvature of the fitted potential at
// the median particle reaches StiffnessThreshold (the median, since a
// neural fit's curvature has spikes the data do not: see Stiffness).
//
// Mini-batches (Options.Batch; 256 particles for neural specs) of
// consecutive snapshots are drawn in pairs under the optimal plan,
// computed once: the assignment when the two hold as many particles,
// else each particle's partner drawn from its row of the plan. The gap's θ-gradient is the difference of two
// batch means of ∇θV; drawn from unpaired clouds independently, their
// noise is that of the clouds' spread, and on the benchmark's unpaired
// snapshots (mlp(x, 64, 64) at its initial θ, batches of 256 of 1,000)
// the gradient's signal-to-noise ratio ‖g‖²/E‖ĝ − g‖² was 0.10 on
// styblinski_tang, 0.28 on wavy_plateau and 1.1 on oakley_ohagan: on
// styblinski_tang the fit stayed at the no-motion level for 200 of its
// 300 epochs and lost to JKOnet* on every seed. Drawn in pairs, each
// batch is still a uniform draw of its snapshot, so the objective is
// unchanged, and the ratio is 19, 31 and 124 (TestGradientNoise). On
// paired snapshots of a small step the assignment is the true pairing.
//
// When to use it: on paired snapshots JKOnet* matches it (within 5–10%
// on the benchmark) at a third to a fifth of the cost, with closed-form
// standard errors. On unpaired snapshots (BENCHMARKS.md, "iJKOnet against
// JKOnet*": mlp_potential for both, 1,000 particles per snapshot, the
// same data for both, scored on paired held-out trajectories) it is
// better than JKOnet* on wavy_plateau on every seed of five (one-step W1
// 0.051 ± 0.014 against 0.062 ± 0.015) and on styblinski_tang on nine
// seeds of ten, level on the tenth (0.056 ± 0.014 against
// 0.064 ± 0.014); slightly on oakley_ohagan (eight seeds of ten, 0.046
// against 0.049); level on flowers (0.062 against 0.062), where both are
// worse than predicting no motion (0.027): flowers moves its particles
// less in a step than the snapshots' sampling noise does. It takes about
// four times JKOnet*'s time. Both methods' errors are mostly that noise
// (the shift of the mean from one snapshot to the next is off by
// 0.09–0.2, more than a step moves it; 30–95% of either method's
// one-step W1 is a translation of the predicted cloud), so the spread
// over seeds is larger than the difference between the methods: compare
// them on the same data.
//
// Holdout sets a fraction of each snapshot's particles aside and returns
// the θ of the epoch with the smallest gap on them. It costs the held-out
// particles' information and on the benchmark it did not help (on
// flowers, where training fits the snapshots' noise, it stopped near "no
// motion" with independent batches, but with paired batches the noise is
// fitted within the first epochs: seeds 0–2, 0.068 / 0.045 / 0.095
// against 0.065 / 0.040 / 0.090 without it), so it is off by default.
//
// Fit reports no standard errors (the game's equilibrium has no simple
// curvature to read them from); Bootstrap measures the spread of θ over
// refits to half-samples of the particles (jko fit --method ijkonet
// --bootstrap K).
//
// Every gradient of both players' objectives matches central finite
// differences (see the tests). Runs are deterministic for a given seed.
package ijkonet
