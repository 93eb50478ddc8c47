// Package ot computes optimal transport between discrete measures: exact
// couplings and Wasserstein distances between point clouds, and entropic
// (Sinkhorn) couplings for large clouds.
//
// Three solvers are provided:
//
//   - Assign: a Jonker–Volgenant shortest-augmenting-path solver for the
//     square assignment problem (equal counts, uniform weights), warm
//     started by column reduction, reduction transfer and two passes of
//     auction-like augmenting row reduction.
//   - NetworkSimplex: a primal network simplex specialised to the
//     transportation problem (general marginals, zero weights, different
//     counts). It keeps a strongly feasible spanning tree (so it cannot
//     cycle), starts from a north-west-corner basis on a caller-supplied
//     order of the points (W1/W2Squared sort both clouds along their
//     principal axis, which is optimal in 1-D) and prices arcs by block
//     search.
//   - Sinkhorn: log-domain Sinkhorn iterations with a convergence report.
//
// Solve picks the exact solver: Assign when the counts are equal and both
// weight vectors uniform, NetworkSimplex otherwise. W1 and W2Squared are the
// point-cloud helpers; MMD and Summarise are small evaluation metrics.
//
// Weights are normalised to total mass 1. Invalid input (empty clouds,
// negative, NaN or all-zero weights, mismatched sizes, non-finite costs)
// is reported as an error. All results are deterministic and independent
// of the number of cores.
package ot
