// Package eval is the batched evaluator of jko: it compiles nodes of an
// ir.Graph into a program of instructions and runs it over N particles.
//
// Inputs bound per particle (x, rho, ...) vary; params, constants and
// inputs bound as shared values (t) are uniform: everything that depends
// only on uniform values is computed once per run. The varying part runs
// in fixed chunks of ChunkSize particles (of a quarter of the batch, at
// least 32, for a batch under 4·ChunkSize, so the cores share a network's
// mini-batch), each instruction looping over the
// whole chunk (which amortises interpretation), with matrix–vector
// products, outer products and squared distances as tight loops. Chunks are
// processed in parallel by GOMAXPROCS workers with reusable scratch
// buffers, and every particle's result is computed by the same sequence of
// floating-point operations whatever the number of workers, so results are
// bitwise reproducible. Reductions (sums over particles) add fixed chunks in
// a fixed order, so they are reproducible too.
//
// Compile plans the instructions lazily, once per set of varying input
// names, in passes over the graph (build.go lists them): a topological
// order over the nodes the outputs need, reading broadcast scalars in
// place, fusing y ± c·x^p (c a uniform scalar, p ∈ {1, 2, 3, 4}, the
// product used once) into one instruction, writing outputs in place, and
// reusing scratch buffers by liveness. Fusion rounds the product before
// the sum, exactly as the unfused instructions do, and sums over a vector
// run in the same sequential order as in package ir, so compiled results
// equal those of the reference evaluator ir.Graph.Eval.
//
// Lowerings that change the order of floating-point operations, checked
// against ir.Graph.Eval by tests (TestBatchedNetworkMatchesGraph,
// TestGemmMatchesNaive, TestGaussGridMatchesGraph,
// TestSoftplusMatchesReference, TestVectorActivationsMatch):
//
//   - a product of a uniform matrix with a varying vector (a network layer
//     and its transposed product in the backward pass) runs over the whole
//     chunk as one matrix–matrix product by the package's own kernel
//     (gemm.go): 8×8 tiles of the result in registers, each entry summed
//     over k in order with fused multiply–adds, by an AVX-512 or AVX2/FMA
//     assembly micro-kernel where the CPU has them (golang.org/x/sys/cpu;
//     the two agree bit for bit) and a plain Go one otherwise; the tiling
//     does not change how any entry is summed;
//   - in Reduce, an output that is a sum of outer products of varying
//     vectors (the weight gradients of a network) is reduced as Uᵀ diag(w) V
//     per chunk, never formed per particle;
//   - exp(−sqdist(C, x)/s) with C a constant tensor grid of centres (the
//     paper's bumps) is the product of per-axis factors exp(−(x_k − a)²/s):
//     d·n exponentials per particle in place of n^d;
//   - softplus and sigmoid of one value (a network's activation and its
//     derivative) are one instruction sharing exp(−|z|) (bitwise equal to
//     the separate scalar ones); with AVX2/FMA (AVX-512) they run four
//     (eight) values at a time through an exp and a log of the package's
//     own, the same operations in both widths (within 4 ulps of
//     ir.Softplus and ir.Sigmoid; values with |z| > 708 or NaN take the
//     scalar code), and the scalar softplus computes log1p through the
//     assembly Log.
//
// These agree with the reference to the rounding of the reordered sums (a
// few ulps of the sum of the terms' magnitudes), stay deterministic and
// independent of the number of workers (chunks are fixed), but are not
// bitwise equal to ir.Graph.Eval; a machine without AVX2/FMA rounds them
// differently (to the same tolerance).
//
// NaN and Inf propagate as in package math (log of a negative number is
// NaN, x/0 is ±Inf); nothing is hidden.
package eval
