package ot

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPivotPotentials pivots a network simplex tree on random arcs of
// negative reduced cost and checks after every pivot that the potentials
// the pivot shifted give the same reduced costs, on every pair, as
// potentials recomputed from the tree's arcs (they may differ by a
// constant added to the sources and taken from the sinks), and that the
// tree's flows still meet the marginals.
func TestPivotPotentials(t *testing.T) {
	for _, tc := range []struct{ n, m int }{{7, 5}, {40, 60}, {120, 90}} {
		r := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.m)))
		x, y := uniformCloud(r, tc.n, 2), uniformCloud(r, tc.m, 2)
		c := costRaw(x, y, SqEuclidean)
		a, err := normWeights("a", randWeights(r, tc.n), tc.n)
		if err != nil {
			t.Fatal(err)
		}
		b, err := normWeights("b", randWeights(r, tc.m), tc.m)
		if err != nil {
			t.Fatal(err)
		}
		tr := newTree(tc.n, tc.m, func(s, q int) float64 { return c[s*tc.m+q] })
		rs, cs := make([]int, tc.n), make([]int, tc.m)
		for i := range rs {
			rs[i] = i
		}
		for j := range cs {
			cs[j] = j
		}
		northWest(tr, append([]float64(nil), a...), append([]float64(nil), b...), rs, cs)
		ref := &nsTree{}
		pivots := 0
		for it := 0; it < 20*(tc.n+tc.m); it++ {
			s, q := r.IntN(tc.n), r.IntN(tc.m)
			rc := c[s*tc.m+q] - tr.pot[s] - tr.pot[tc.n+q]
			if !(rc < -1e-12) {
				continue
			}
			tr.pivot(s, q, rc)
			pivots++
			// Reference potentials: a copy of the tree, recomputed.
			*ref = *tr
			ref.pot = append([]float64(nil), tr.pot...)
			ref.stack = nil
			ref.refreshPotentials()
			d0 := tr.pot[0] - ref.pot[0]
			for v := 0; v < tc.n+tc.m; v++ {
				want := ref.pot[v] + d0
				if v >= tc.n {
					want = ref.pot[v] - d0
				}
				if math.Abs(tr.pot[v]-want) > 1e-9 {
					t.Fatalf("%dx%d pivot %d: potential of node %d = %g, recomputed %g", tc.n, tc.m, pivots, v, tr.pot[v], want)
				}
			}
			// Flows: every node's tree arcs balance its mass.
			bal := make([]float64, tc.n+tc.m)
			copy(bal, a)
			for j := range b {
				bal[tc.n+j] = -b[j]
			}
			for v := 0; v < tc.n+tc.m; v++ {
				p := tr.parent[v]
				if p < 0 {
					continue
				}
				if tr.flow[v] < -1e-15 {
					t.Fatalf("%dx%d pivot %d: negative flow %g", tc.n, tc.m, pivots, tr.flow[v])
				}
				src, snk := v, int(p)
				if v >= tc.n {
					src, snk = int(p), v
				}
				bal[src] -= tr.flow[v]
				bal[snk] += tr.flow[v]
			}
			for v, e := range bal {
				if math.Abs(e) > 1e-12 {
					t.Fatalf("%dx%d pivot %d: node %d unbalanced by %g", tc.n, tc.m, pivots, v, e)
				}
			}
		}
		if pivots < tc.n {
			t.Errorf("%dx%d: only %d pivots exercised", tc.n, tc.m, pivots)
		}
	}
}
