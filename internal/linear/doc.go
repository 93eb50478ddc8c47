// Package linear solves the weighted, ridge-regularised least-squares
// problems behind JKOnet*'s closed form, and says how far to trust the
// answer:
//
//	minimise  Σ_p w_p ‖A_p θ − b_p‖²  +  r Σ_i (AᵀWA)_ii θ_i²
//
// (the ridge relative to each feature's size on the data).
//
// There are two ways in. QR takes rows held in memory and reduces them by
// a Householder QR of the weighted design, a block of rows at a time
// (O(rows·P²) time, O(P·(P + block)) memory), never forming AᵀWA: it
// keeps the precision the problem has. Normal accumulates the normal equations as mergeable sums,
// for rows that are not kept (shards of a distributed fit, summed where
// they are made, combined in a fixed order): O(P²) memory, but solving
// from AᵀWA squares the condition number.
//
// Either gives a Factored problem: a P×P triangular (or square-root)
// factor of the column-scaled design and the singular value decomposition
// of it, computed once. Every question is answered from that one
// decomposition (O(P³)): the solution for any ridge, the data-chosen ridge
// (AutoRidge, generalised cross-validation), the rank, the condition number, the residual and R², a
// standard error per parameter (approximate under a ridge: see
// Result.StdErr), the solution without the ridge, and the directions of
// parameter space the data does not determine, named by parameter. A
// bounded solve (SolveBox) refactors only the free block, and only while
// bounds bind.
package linear
