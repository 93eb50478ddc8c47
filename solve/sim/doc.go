// Package sim simulates the stochastic dynamics of a population driven by an
// energy: the Euler–Maruyama scheme for
//
//	dX = −∇V(X, t) dt − (1/N) Σ_j ∇U(X − X_j) dt + sqrt(2β) dW,
//
// the SDE whose law follows the Wasserstein gradient flow of
// J(μ) = ∫V dμ + ½∫∫U dμdμ + β∫ρ log ρ. The drift comes from a Dynamics
// (a compiled spec, or a hand-written field in tests); the noise is drawn
// sequentially from one seeded stream, so results do not depend on the
// number of cores even though the drift is evaluated in parallel.
//
// Options.Scheme = compile.Implicit replaces Euler's step by the implicit
// (JKO) step y = x + h·drift(y), solved particle by particle: the dynamics of models
// fitted by iJKOnet, or by JKOnet* with the drift evaluated at y.
package sim
