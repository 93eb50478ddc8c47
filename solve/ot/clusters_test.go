package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestClusters checks that the coarse problem's clusters partition the
// points into groups of at most the given size, each carrying its
// members' mass at their centre of mass.
func TestClusters(t *testing.T) {
	for _, tc := range []struct {
		n, d, size int
	}{{1000, 2, 8}, {777, 5, 8}, {300, 3, 4}, {500, 2, 16}, {40, 1, 1}} {
		r := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.d)))
		ps := rowsOf(uniformCloud(r, tc.n, tc.d))
		w := randWeights(r, tc.n)
		kd := newKDTree(ps, tc.n, tc.d, SqEuclidean)
		centres, mass, members := kd.clusters(ps, w, tc.size)
		if len(mass) != len(members) || len(centres) != len(mass)*tc.d {
			t.Fatalf("%+v: %d centres, %d masses, %d groups", tc, len(centres), len(mass), len(members))
		}
		if least := (tc.n + tc.size - 1) / tc.size; len(members) < least {
			t.Errorf("%+v: %d clusters, fewer than %d", tc, len(members), least)
		}
		seen := make([]int, tc.n)
		for c, g := range members {
			if len(g) == 0 || len(g) > tc.size {
				t.Errorf("%+v: cluster %d has %d points", tc, c, len(g))
			}
			tot := 0.0
			mean := make([]float64, tc.d)
			for _, i := range g {
				seen[i]++
				tot += w[i]
				for k := 0; k < tc.d; k++ {
					mean[k] += w[i] * ps[int(i)*tc.d+k]
				}
			}
			if math.Abs(tot-mass[c]) > 1e-12*tot {
				t.Errorf("%+v: cluster %d mass %g, members %g", tc, c, mass[c], tot)
			}
			for k := 0; k < tc.d; k++ {
				if got, want := centres[c*tc.d+k], mean[k]/tot; math.Abs(got-want) > 1e-12 {
					t.Errorf("%+v: cluster %d centre[%d] = %g, want %g", tc, c, k, got, want)
				}
			}
		}
		for i, k := range seen {
			if k != 1 {
				t.Fatalf("%+v: point %d in %d clusters", tc, i, k)
			}
		}
	}
}
