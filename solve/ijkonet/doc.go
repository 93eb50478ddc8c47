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
// minimises Σ_k of it over θ and maximises over transport maps by
// alternating Adam steps, several map steps per energy step. The maps are
// T_k(x) = x + ∇φ_k(x) (Gradient, the default: φ a scalar softplus MLP, a
// gradient displacement as optimal maps are) or T_k(x) = x + r_k(x)
// (Residual: r a vector-valued MLP); both start near the identity. One map
// per step, or one time-conditioned map T(x, t) for all steps (Shared).
// The maps are expression graphs of compile/ir, so their derivatives —
// the Jacobian ∇T and the gradient of log|det ∇T| — are symbolic.
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
// potential and interaction terms: score a fit with that step
// (evaluate.OneStepImplicit, jko eval --step implicit) as well as with the
// explicit one when the data's steps are large.
//
// Every gradient of both players' objectives matches central finite
// differences (see the tests). Runs are deterministic for a given seed.
package ijkonet
