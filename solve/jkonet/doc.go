// Package jkonet fits the parameters of a compiled spec to snapshots with
// JKOnet* (Terpin, Lanzetti, Gadea, Dörfler, NeurIPS 2024).
//
// Each observed step μ_k → μ_{k+1} is one JKO step of the energy; its
// first-order optimality condition says that for every pair (x, y) of the
// optimal coupling between the snapshots
//
//	∇V(y) + (1/N) Σ_j ∇U(y − y_j) + f″(ρ(y)) ∇ρ(y) + (y − x)/τ = 0.
//
// The loss Σ_k Σ_(x,y) w ‖τ·drift_θ + (y − x)‖² is minimised in θ. When every
// term is affine in its parameters the loss is quadratic and the minimum is
// one ridge-regularised linear solve (FitLinear, the paper's closed form,
// with a ridge relative to the normal matrix's diagonal and an exact
// active-set solve for bounds; the β of an entropy term from the residual
// noise, see residualBeta);
// otherwise it is minimised with L-BFGS or Adam using the symbolic
// vector–Jacobian products of the compiled spec.
//
// Preprocessing (Prepare), done once per dataset: the exact optimal coupling
// between consecutive snapshots (squared Euclidean cost; pairs with weight
// below 1/(10·max(n, m)) are dropped, as in the reference), and, when the
// spec has an internal energy, a density estimate of each snapshot with its
// gradient (ρ clipped below at the reference's 1e-5, in the data's units). The internal
// energy's term f″(ρ)∇ρ follows EvalAt unless DensityAt says otherwise (the
// reference mixes: potential features at x, density at y).
//
// Where the drift is evaluated is an option (EvalAt): at x, the explicit
// step the reference uses for its linear model, or at y, the implicit step
// that the optimality condition states and the reference uses for neural
// models. The default is x for every method, y for a spec that declares
// step implicit: the fit describes the step its drift is evaluated for,
// and predictions must take that step (see defaultEvalAt).
//
// Costs, for K steps of N pairs in d dimensions and P parameters: the
// couplings are exact optimal transport between the snapshots (memory
// O(N·(d + k)), never the N×N cost matrix: see ot.CoupleWith); an
// interaction term's mean field sums over the whole snapshot, N² pair
// evaluations per step, or O(N) for a kernel polynomial in z (see
// compile.Model.InteractionGrad); a density estimate costs what its
// estimator does (solve/density). The closed form keeps the K·N·d rows
// of P features (O(K·N·d·P) memory) and reduces them by QR in
// O(K·N·d·P²) time (FitLinear); Accumulator sums them in O(P²) memory
// instead. L-BFGS and Adam cost one loss and gradient per iteration or
// epoch, O(K·N) evaluations of the drift and its vector–Jacobian product,
// plus the Gauss–Newton analysis at the optimum (P + 1 such passes, up to
// MaxGaussNewton parameters).
package jkonet
