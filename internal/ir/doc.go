// Package ir is the typed expression graph of jko: the intermediate form into
// which a spec is lowered at a concrete dimension d.
//
// A Graph is a builder of hash-consed nodes: building the same operation on
// the same operands with the same attributes twice returns the same NodeID,
// and the operands of commutative operations (Add, Mul) are put in a
// canonical order, so common subexpressions are shared automatically. Every
// node has a concrete Shape: a scalar, a vector[n] or a row-major
// matrix[m,n].
//
// The constructors are smart: they fold constants and apply algebraic
// simplifications that never change a finite value (x+0, x*1, x-x, --x,
// x^1, x^0, indexing a stack, ...). A few rules, documented on the
// constructors, assume that an operand is finite: x*0 → 0 and x-x → 0 would
// turn an Inf or NaN operand into 0.
//
// Grad is reverse-mode symbolic differentiation as a graph transform: the
// derivatives are ordinary nodes of the same graph, so Grad applies again
// (Hessians, ∂/∂θ of ∇ₓV). Non-differentiable points take a subgradient:
// d|x|/dx = sign(x) (0 at 0), relu′(0) = 0, step′ = sign′ = floor′ = ceil′ = 0,
// and min/max pass the whole gradient to their first argument on ties.
//
// Affine decides whether an expression is affine in given parameter blocks
// and, when it is not, names the smallest subexpression where the
// nonlinearity arises, with its source position.
//
// Eval is a plain recursive reference evaluator; package internal/eval holds
// the fast batched one.
package ir
