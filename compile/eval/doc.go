// Package eval is the batched evaluator of jko: it compiles nodes of an
// ir.Graph into a program of instructions and runs it over N particles.
//
// Inputs bound per particle (x, rho, ...) vary; params, constants and
// inputs bound as shared values (t) are uniform: everything that depends
// only on uniform values is computed once per run. The varying part runs
// in fixed chunks of ChunkSize particles, each instruction looping over the
// whole chunk (which amortises interpretation), with matrix–vector
// products, outer products and squared distances as tight loops. Chunks are
// processed in parallel by GOMAXPROCS workers with reusable scratch
// buffers, and every particle's result is computed by the same sequence of
// floating-point operations whatever the number of workers, so results are
// bitwise reproducible. Reductions (sums over particles) add fixed chunks in
// a fixed order, so they are reproducible too.
//
// Compile plans the instructions lazily, once per set of varying input
// names: a topological order over the nodes the outputs need, reading
// broadcast scalars in place, fusing y ± c·x^p (c a uniform scalar, p ∈ {1, 2, 3,
// 4}, the product used once) into one instruction, writing outputs in
// place, and reusing scratch buffers by liveness. Fusion rounds the
// product before the sum, exactly as the unfused instructions do, and sums
// over a vector run in the same sequential order as in package ir, so
// compiled results equal those of the reference evaluator ir.Graph.Eval.
//
// NaN and Inf propagate as in package math (log of a negative number is
// NaN, x/0 is ±Inf); nothing is hidden.
package eval
