// Package linear solves the weighted, ridge-regularised least-squares
// problems behind JKOnet*'s closed form, and says how far to trust the
// answer.
//
// The normal equations of
//
//	minimise  Σ_p w_p ‖A_p θ − b_p‖²  +  Σ_i λ_i θ_i²
//
// are accumulated as mergeable sums (Normal), so shards of the data (time
// steps, chunks of particles) can be summed independently and combined in a
// fixed order. Solve factorises the system once (Cholesky, after a symmetric
// diagonal scaling) and reports the rank, the condition number, the
// residual, R², a standard error per parameter, and the directions of
// parameter space the data does not determine, named by parameter.
package linear
