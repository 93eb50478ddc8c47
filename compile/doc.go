// Package compile turns a checked spec into something that computes.
//
// Load parses and checks a spec (package lang); Spec.Instantiate lowers it,
// at a concrete dimension d, into a typed expression graph (package
// internal/ir) in which user functions and imports are inlined, constants
// folded and common subexpressions shared, and differentiates it
// symbolically: ∇ₓ of potentials, ∇_z of interactions, f′ and f″ of internal
// energies, and ∂/∂θ of all of them. The resulting Model evaluates, in
// batches over particles and in parallel, everything the solvers need:
// drifts, linear features (when a term is affine in its parameters), and
// vector–Jacobian products for gradient-based training. Model.Format writes
// a fitted model back as the same language.
//
// Parameters travel as one flat vector θ: the learnable blocks of the spec
// in declaration order (Model.Params gives each block's offset and size).
package compile
