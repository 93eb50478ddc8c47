package ot

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// MiniBatchOptions configures MiniBatch.
type MiniBatchOptions struct {
	// Batch is the number of points per batch of the larger cloud (≥ 2).
	Batch int
	// Repeats is the number of independent partitions averaged (default 1).
	Repeats int
	// Seed seeds the shuffles.
	Seed uint64
}

// MiniBatch returns a mini-batch coupling, for clouds beyond exact reach:
// both clouds are shuffled and cut into the same number of batches
// (⌈max(n, m)/Batch⌉, of near-equal sizes), batch k of x is coupled exactly
// to batch k of y (their weights renormalised within the batch) and
// carries the mass of its x batch; the plans of Repeats independent
// shuffles are averaged. The x marginal is exact, the y marginal exact
// when the batches' masses agree (uniform weights, n = m, counts divisible
// by the number of batches) and otherwise approximate. The plan is not
// optimal: its cost exceeds the exact W2² (or W1) by a bias that shrinks
// as the batches grow (BENCHMARKS.md measures it). Deterministic given
// the seed. Cost: each batch is a dense exact problem, O(Batch²) memory
// and up to O(Batch³) time, so about Repeats·max(n, m)·Batch² time in
// all.
func MiniBatch(x, y *mat.Dense, a, b []float64, cf CostFunc, o MiniBatchOptions) (*Plan, error) {
	if cf != SqEuclidean && cf != Euclidean {
		return nil, inputErr("unknown cost function %d", int(cf))
	}
	if o.Batch < 2 {
		return nil, inputErr("mini-batch size %d: want at least 2", o.Batch)
	}
	if o.Repeats < 0 {
		return nil, inputErr("mini-batch repeats %d: want at least 1", o.Repeats)
	}
	reps := max(o.Repeats, 1)
	n, m, d, err := checkClouds(x, y)
	if err != nil {
		return nil, err
	}
	aa, bb, err := normMarginals(a, b, n, m)
	if err != nil {
		return nil, err
	}
	xs, ys := rowsOf(x), rowsOf(y)
	r := rand.New(rand.NewPCG(o.Seed, 0x6d696e69))
	acc := map[[2]int]float64{}
	for rep := 0; rep < reps; rep++ {
		bx, by := cutBatches(r, n, m, o.Batch)
		for k := range bx {
			gx, gy := bx[k], by[k]
			mass := 0.0
			wa := make([]float64, len(gx))
			for q, i := range gx {
				wa[q] = aa[i]
				mass += aa[i]
			}
			wb := make([]float64, len(gy))
			massY := 0.0
			for q, j := range gy {
				wb[q] = bb[j]
				massY += bb[j]
			}
			if mass == 0 || massY == 0 {
				continue // a batch without mass on one side moves nothing
			}
			bx := mat.NewDense(len(gx), d, gatherRows(xs, gx, d))
			by := mat.NewDense(len(gy), d, gatherRows(ys, gy, d))
			p, err := Couple(bx, by, wa, wb, cf)
			if err != nil {
				return nil, err
			}
			for _, q := range p.Pairs {
				acc[[2]int{gx[q.I], gy[q.J]}] += q.Mass * mass / float64(reps)
			}
		}
	}
	p := &Plan{N: n, M: m, Pairs: make([]Pair, 0, len(acc))}
	for ij, w := range acc {
		p.Pairs = append(p.Pairs, Pair{I: ij[0], J: ij[1], Mass: w})
	}
	slices.SortFunc(p.Pairs, func(u, v Pair) int {
		if u.I != v.I {
			return u.I - v.I
		}
		return u.J - v.J
	})
	for _, q := range p.Pairs {
		p.Cost += q.Mass * pointCost(xs[q.I*d:(q.I+1)*d], ys[q.J*d:(q.J+1)*d], cf)
	}
	if math.IsInf(p.Cost, 0) {
		return nil, inputErr("the mini-batch %s cost overflows float64", cf)
	}
	return p, nil
}

// cutBatches shuffles 0..n−1 and 0..m−1 with r and cuts both into the same
// number of near-equal batches, ⌈max(n, m)/batch⌉ (at most min(n, m)).
func cutBatches(r *rand.Rand, n, m, batch int) (bx, by [][]int) {
	nb := min((max(n, m)+batch-1)/batch, n, m)
	px, py := r.Perm(n), r.Perm(m)
	for k := 0; k < nb; k++ {
		bx = append(bx, px[k*n/nb:(k+1)*n/nb])
		by = append(by, py[k*m/nb:(k+1)*m/nb])
	}
	return bx, by
}

// MiniBatches returns the batches of MiniBatch's first shuffle (its only
// one with the default Repeats): bx[k] are the rows of x, by[k] the rows of
// y coupled in batch k. A distributed fit couples them on different
// machines and gets MiniBatch's plan.
func MiniBatches(n, m int, o MiniBatchOptions) (bx, by [][]int, err error) {
	if n <= 0 || m <= 0 || o.Batch < 2 {
		return nil, nil, inputErr("mini-batches of %d points from clouds of %d and %d: want a batch of at least 2 and non-empty clouds", o.Batch, n, m)
	}
	bx, by = cutBatches(rand.New(rand.NewPCG(o.Seed, 0x6d696e69)), n, m, o.Batch)
	return bx, by, nil
}
