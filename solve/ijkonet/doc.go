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
// (up to the constant W2²(μ_k, μ_{k+1})/2τ) is smallest at the truth. jko
// minimises Σ_k of it over θ and maximises over transport maps
// T_k(x) = x + ∇φ_k(x), φ_k a softplus MLP built as an expression graph (so
// its gradients are symbolic), by alternating Adam steps: several map steps
// per energy step.
//
// This version handles potential energies V(x) or V(x, t) (linear,
// nonlinear or neural). Interaction and internal energies are not
// supported yet (Fit says so): they need the pairwise mean-field term and
// the log-determinant of ∇T for the entropy.
package ijkonet
