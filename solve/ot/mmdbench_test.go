package ot

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkMMD times MMD on two Gaussian clouds of n points each, on the
// lattice where MMD takes it (2-D) and over the pairs (3-D); "pairs"
// forces the pair sums for comparison.
func BenchmarkMMD(b *testing.B) {
	for _, tc := range []struct {
		d, n  int
		pairs bool
	}{{2, 2000, false}, {2, 2000, true}, {2, 20000, false}, {2, 5000, true}, {3, 5000, false}} {
		r := rand.New(rand.NewPCG(1, 2))
		x, y := mat.NewDense(tc.n, tc.d, nil), mat.NewDense(tc.n, tc.d, nil)
		for i := range tc.n {
			for k := range tc.d {
				x.Set(i, k, r.NormFloat64())
				y.Set(i, k, r.NormFloat64()+0.1)
			}
		}
		name := fmt.Sprintf("%dD/%d", tc.d, tc.n)
		if tc.pairs {
			name += "/pairs"
		}
		b.Run(name, func(b *testing.B) {
			if tc.pairs {
				old := mmdTol
				mmdTol = 0
				defer func() { mmdTol = old }()
			}
			for b.Loop() {
				if _, err := MMD(x, y, 1.2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
