// Package ot computes optimal transport between discrete measures: exact
// couplings and Wasserstein distances between point clouds, mini-batch
// couplings, and entropic (Sinkhorn) couplings.
//
// Between point clouds (Couple, CoupleWith, W1, W2Squared: what jko fit,
// jko eval and jko distance use) the solver stores the n×m cost matrix
// only for unequal or weighted clouds in five dimensions and more of at
// most 6 million pairs (48 MB; a scan of it answers the queries below
// faster than k-d trees there); otherwise memory grows as (n + m)·k:
//
//   - a candidate graph holds the k nearest neighbours of every point in
//     the other cloud (k-d trees), and, for large problems, every pair of
//     points in two clusters (k-d tree leaves halved to at most 8 points)
//     linked by the solution of the problem between the clouds coarsened
//     to their clusters (solved recursively), plus the pairs of least
//     reduced cost under the potentials that solution suggests;
//   - equal uniform clouds (an assignment) are solved on that graph by
//     Jonker–Volgenant shortest augmenting paths (Dijkstra with column
//     prices, after column reduction and augmenting row reduction; when
//     the first augmentations run long or the first pricing round finds
//     most rows violating, as where the clouds are displaced coherently
//     over many point spacings, it starts over from the coarse solution's
//     candidates and prices, refined by ε-scaling auction); any
//     other marginals by a primal network simplex (strongly feasible
//     spanning tree with subtree sizes, so that a pivot shifts the
//     potentials of the smaller of the two parts the leaving arc cuts;
//     greedy start by reduced cost under the coarse potentials, each
//     cluster's given the slope of the coarse plan's mean cost gradient,
//     candidate-list pricing);
//   - every pair is then priced without the cost matrix (k-d tree queries:
//     a node is skipped by a lower bound of cost less dual potential over
//     it: its box's cost less its largest potential or, for the squared
//     cost where the points stray less from it than the potentials vary
//     (transport over long distances), a plane under their lifted
//     potentials |y|² − v(y); parallel over rows, deterministic): pairs that violate dual feasibility join
//     the graph and the solve resumes from its current basis, until none
//     does (the assignment's column prices only fall, so its later rounds
//     price only the rows whose dual rose). The plan's dual potentials U,
//     V then certify optimality over all pairs.
//
// Coordinates are rescaled by a power of two before the solve (exact in
// floating point): clouds at 1e154 or 1e-200 lose nothing, and a distance
// beyond float64 is an error rather than a hang. CoupleWith reports the
// progress of long solves.
//
// For a given cost matrix (Solve, Assign, NetworkSimplex), the dense
// solvers: a Jonker–Volgenant assignment warm started by column
// reduction, an auction and augmenting row reduction; the transportation
// network simplex with block pricing.
//
// MiniBatch couples random batches exactly and averages the plans (a
// biased approximation for clouds beyond exact reach); Sinkhorn runs
// log-domain iterations with a convergence report. MMD and Summarise are
// small evaluation metrics.
//
// Weights are normalised to total mass 1. Invalid input (empty clouds,
// negative, NaN or all-zero weights, mismatched sizes, non-finite costs)
// is reported as an error. All results are deterministic and independent
// of the number of cores.
package ot
