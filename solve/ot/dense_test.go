package ot

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// withDense runs f with the dense queries forced on (every dimension) or
// off.
func withDense(on bool, f func()) {
	dim, pairs := denseMinDim, denseMaxPairs
	defer func() { denseMinDim, denseMaxPairs = dim, pairs }()
	if on {
		denseMinDim, denseMaxPairs = 1, 1<<40
	} else {
		denseMaxPairs = 0
	}
	f()
}

// TestDenseQueriesMatchKDTree: the scans of the cost matrix answer the
// queries as the k-d trees do (same points, same values, same order),
// with and without offsets and thresholds, by rows and by columns. (No
// exact ties: where the list is full, the k-d tree keeps whichever tied
// point it met first, the scan the one of least index.)
func TestDenseQueriesMatchKDTree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, d := range []int{2, 5} {
		for _, cf := range []CostFunc{SqEuclidean, Euclidean} {
			nn, mm := 120, 170
			x, y := rowsOf(randCloud(r, nn, d)), rowsOf(clusteredCloud(r, mm, d, 4, 1))
			p := &sparseProblem{nn: nn, mm: mm, d: d, cf: cf, xs: x, ys: y}
			dc := newDenseCosts(p)
			kdX, kdY := newKDTree(x, nn, d, cf), newKDTree(y, mm, d, cf)
			u, v := make([]float64, nn), make([]float64, mm)
			for i := range u {
				u[i] = r.Float64()
			}
			for j := range v {
				v[j] = r.Float64()
			}
			kdY.setOffsets(v)
			kdX.setOffsets(u)
			var qd, qk kdQuery
			for _, limit := range []int{1, 4, 16} {
				for s := 0; s < nn; s++ {
					xs := x[s*d : (s+1)*d]
					for _, thr := range []float64{math.Inf(1), u[s] - 0.3} {
						got := slices.Clone(dc.row(s, v, thr, limit, &qd))
						want := kdY.search(xs, thr, limit, true, &qk)
						if !slices.Equal(got, want) {
							t.Fatalf("%d-D %s row %d limit %d thr %g: %v, k-d tree %v", d, cf, s, limit, thr, got, want)
						}
					}
					got := slices.Clone(dc.row(s, nil, math.Inf(1), limit, &qd))
					if want := kdY.search(xs, math.Inf(1), limit, false, &qk); !slices.Equal(got, want) {
						t.Fatalf("%d-D %s row %d limit %d, no offsets: %v, k-d tree %v", d, cf, s, limit, got, want)
					}
				}
				for _, off := range [][]float64{u, nil} {
					out, cnt := make([]hit, mm*limit), make([]int, mm)
					dc.columns(off, limit, out, cnt)
					for tt := 0; tt < mm; tt++ {
						got := out[tt*limit : tt*limit+cnt[tt]]
						want := kdX.search(y[tt*d:(tt+1)*d], math.Inf(1), limit, off != nil, &qk)
						if !slices.Equal(got, want) {
							t.Fatalf("%d-D %s column %d limit %d: %v, k-d tree %v", d, cf, tt, limit, got, want)
						}
					}
				}
			}
		}
	}
}

// TestCertificateBothQueries runs the certificate checks with the dense
// queries forced on and off, so both paths are certified in every
// dimension.
func TestCertificateBothQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("repeats TestCertificate")
	}
	withDense(true, func() { t.Run("dense", TestCertificate) })
	withDense(false, func() { t.Run("kdtree", TestCertificate) })
}

// TestTinyCloudsBothQueries: tiny and lopsided clouds (fewer points than
// the start queries ask for, one point on a side), uniform and weighted,
// both query paths, against the dense network simplex on the full cost
// matrix.
func TestTinyCloudsBothQueries(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, on := range []bool{true, false} {
		withDense(on, func() {
			for _, d := range []int{1, 5} {
				for _, nm := range [][2]int{{1, 1}, {1, 7}, {6, 1}, {3, 20}, {17, 4}, {9, 11}} {
					n, m := nm[0], nm[1]
					x, y := randCloud(r, n, d), randCloud(r, m, d)
					for _, weighted := range []bool{false, true} {
						var a, b []float64
						if weighted {
							a, b = randWeights(r, n), randWeights(r, m)
						}
						if n == m && !weighted {
							continue // the assignment solver
						}
						for _, cf := range []CostFunc{SqEuclidean, Euclidean} {
							p, err := CoupleWith(x, y, a, b, cf, Options{})
							if err != nil {
								t.Fatal(err)
							}
							cost, _ := CostMatrix(x, y, cf)
							checkPlan(t, p, a, b, cost, 1e-12)
							ref, err := NetworkSimplex(a, b, cost, nil, nil)
							if err != nil {
								t.Fatal(err)
							}
							if relErr(p.Cost, ref.Cost) > 1e-12 {
								t.Errorf("dense=%v %d-D %d×%d weighted=%v %s: cost %.15g, dense simplex %.15g",
									on, d, n, m, weighted, cf, p.Cost, ref.Cost)
							}
						}
					}
				}
			}
		})
	}
}
