package ot

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPricingQueries: the pricing query (the tree descent pruned by plane
// or box bounds) returns exactly the pairs a brute-force pass over every
// point finds, for offsets that vary smoothly (as dual potentials do) and
// offsets that do not.
func TestPricingQueries(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		name   string
		m, d   int
		cf     CostFunc
		smooth bool
	}{
		{"sq 5-D smooth", 900, 5, SqEuclidean, true},
		{"sq 5-D rough", 900, 5, SqEuclidean, false},
		{"sq 2-D smooth", 3000, 2, SqEuclidean, true},
		{"euclid 3-D", 700, 3, Euclidean, true},
	} {
		ps := make([]float64, tc.m*tc.d)
		for i := range ps {
			ps[i] = 2*r.Float64() - 1
		}
		off := make([]float64, tc.m)
		shift := make([]float64, tc.d)
		for k := range shift {
			shift[k] = 0.6*r.Float64() - 0.3
		}
		for j := range off {
			p := ps[j*tc.d : (j+1)*tc.d]
			if tc.smooth {
				// v(y) = |y|² − |y − s|² + noise: the potential of a shift.
				off[j] = dot(p, p) - pointCost(p, shift, SqEuclidean) + 0.01*r.Float64()
			} else {
				off[j] = 4 * r.Float64()
			}
		}
		tree := newKDTree(ps, tc.m, tc.d, tc.cf)
		tree.setOffsets(off)
		var qs kdQuery
		for q := 0; q < 40; q++ {
			x := make([]float64, tc.d)
			for k := range x {
				x[k] = 2*r.Float64() - 1
			}
			var all []hit
			for j := 0; j < tc.m; j++ {
				all = append(all, hit{int32(j), pointCost(x, ps[j*tc.d:(j+1)*tc.d], tc.cf) - off[j]})
			}
			slices.SortFunc(all, func(a, b hit) int {
				if hitLess(a, b) {
					return -1
				}
				return 1
			})
			for _, thr := range []float64{math.Inf(1), all[5].Val, all[0].Val} {
				want := all
				for len(want) > 0 && !(want[len(want)-1].Val < thr) {
					want = want[:len(want)-1]
				}
				want = want[:min(len(want), 16)]
				got := tree.search(x, thr, 16, true, &qs)
				if !slices.Equal(got, want) {
					t.Fatalf("%s: query %d, threshold %g: got %v, want %v", tc.name, q, thr, got, want)
				}
			}
		}
	}
}

// TestNearQueries: the queries that start from a near point's answer
// (searchNear, nearQueries) return what search returns with no
// threshold, with and without offsets, whatever the near points (the
// previous query's answer, far points, too few, duplicates of the
// answer's values).
func TestNearQueries(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, d := range []int{1, 2, 5} {
		const m = 700
		ps := make([]float64, m*d)
		for i := range ps {
			ps[i] = float64(r.IntN(40)) / 8 // ties in cost
		}
		off := make([]float64, m)
		for j := range off {
			off[j] = float64(r.IntN(4)) / 16
		}
		tree := newKDTree(ps, m, d, SqEuclidean)
		tree.setOffsets(off)
		qsx := make([]float64, m*d)
		for i := range qsx {
			qsx[i] = 5 * r.Float64()
		}
		for _, useOff := range []bool{false, true} {
			for _, limit := range []int{1, 8, 16} {
				var qs, ref kdQuery
				want := make([][]hit, m)
				for s := 0; s < m; s++ {
					want[s] = slices.Clone(tree.search(qsx[s*d:(s+1)*d], math.Inf(1), limit, useOff, &ref))
				}
				far := []hit{{0, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}, {7, 0}, {8, 0}, {9, 0}, {10, 0}, {11, 0}, {12, 0}, {13, 0}, {14, 0}, {15, 0}}
				for s := 0; s < m; s++ {
					x := qsx[s*d : (s+1)*d]
					for _, near := range [][]hit{want[(s+1)%m], far, far[:limit-1], want[s]} {
						if got := tree.searchNear(x, limit, useOff, near, &qs); !slices.Equal(got, want[s]) {
							t.Fatalf("%d-D, offsets %v, limit %d, query %d: got %v, want %v", d, useOff, limit, s, got, want[s])
						}
					}
				}
				got := make([][]hit, m)
				xt := newKDTree(qsx, m, d, SqEuclidean)
				nearQueries(tree, qsx, d, xt.idx, limit, useOff, func(s int, hs []hit) { got[s] = slices.Clone(hs) })
				for s := range got {
					if !slices.Equal(got[s], want[s]) {
						t.Fatalf("%d-D, offsets %v, limit %d: nearQueries' query %d: got %v, want %v", d, useOff, limit, s, got[s], want[s])
					}
				}
			}
		}
	}
}

// TestSortArcs: sorted by source then sink, one of duplicates kept (the
// first, or the cheapest in a source with many sinks), against a plain
// stable sort.
func TestSortArcs(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	n := 50
	var all []arc
	for q := 0; q < 3000; q++ {
		s := int32(r.IntN(n))
		if q%7 == 0 {
			s = 3 // one source with many arcs (the stable sort branch)
		}
		all = append(all, arc{s, int32(r.IntN(40)), float64(q)}) // cheapest first
	}
	want := slices.Clone(all)
	slices.SortStableFunc(want, func(x, y arc) int {
		if x.s != y.s {
			return int(x.s - y.s)
		}
		return int(x.t - y.t)
	})
	want = slices.CompactFunc(want, func(x, y arc) bool { return x.s == y.s && x.t == y.t })
	if got := sortArcs(all, n); !slices.Equal(got, want) {
		t.Fatalf("sortArcs differs from a stable sort")
	}
}

// TestSelectKth: the element of rank k lands at k, smaller ones before.
func TestSelectKth(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for _, n := range []int{1, 2, 15, 16, 17, 100, 1001} {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = float64(r.IntN(n/3 + 1)) // ties
		}
		less := func(p, q int32) bool { return vals[p] < vals[q] || (vals[p] == vals[q] && p < q) }
		a := make([]int32, n)
		for i := range a {
			a[i] = int32(i)
		}
		sorted := slices.Clone(a)
		slices.SortFunc(sorted, func(p, q int32) int {
			if less(p, q) {
				return -1
			}
			return 1
		})
		k := n / 2
		selectKth(a, k, less)
		if a[k] != sorted[k] {
			t.Fatalf("n=%d: rank %d holds %d, want %d", n, k, a[k], sorted[k])
		}
		for i := 0; i < n; i++ {
			if (i < k && !less(a[i], a[k])) || (i > k && less(a[i], a[k])) {
				t.Fatalf("n=%d: not partitioned at %d", n, i)
			}
		}
	}
}
