package ot

import (
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

// TestDenseMatchesKDTree: the dense scans answer every query as the k-d
// trees do (same points, same values, same order of ties), so the whole
// solve is the same to the bit: same pairs, masses, potentials.
func TestDenseMatchesKDTree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, d := range []int{2, 5} {
		for _, weighted := range []bool{false, true} {
			for _, cf := range []CostFunc{SqEuclidean, Euclidean} {
				x, y := randCloud(r, 300, d), clusteredCloud(r, 420, d, 4, 1)
				var a, b []float64
				if weighted {
					a, b = randWeights(r, 300), randWeights(r, 420)
					a[5], b[9] = 0, 0
				}
				var pd, pk *Plan
				var errD, errK error
				withDense(true, func() { pd, errD = CoupleWith(x, y, a, b, cf, Options{}) })
				withDense(false, func() { pk, errK = CoupleWith(x, y, a, b, cf, Options{}) })
				if errD != nil || errK != nil {
					t.Fatal(errD, errK)
				}
				if pd.Cost != pk.Cost || !slices.Equal(pd.Pairs, pk.Pairs) || !slices.Equal(pd.U, pk.U) || !slices.Equal(pd.V, pk.V) {
					t.Errorf("%d-D weighted=%v %s: dense cost %.17g (%d pairs), k-d trees %.17g (%d pairs)",
						d, weighted, cf, pd.Cost, len(pd.Pairs), pk.Cost, len(pk.Pairs))
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
