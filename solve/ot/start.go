package ot

import (
	"math"
	"slices"
)

// candK is the number of cheapest arcs kept per row and per column for the
// greedy start and the first pricing phase.
var candK = 8

// candidates returns, packed as s*mm+t, the candK cheapest arcs of every
// row and of every column of the nn×mm cost (duplicates removed), sorted
// by cost.
func candidates(c []float64, nn, mm int) []int32 {
	k := min(candK, mm)
	out := make([]int32, 0, (nn+mm)*candK)
	bi := make([]int32, k+1)
	bc := make([]float64, k+1)
	// Rows: insertion into a small sorted buffer.
	for s := 0; s < nn; s++ {
		row := c[s*mm : (s+1)*mm]
		cnt := 0
		for t, v := range row {
			if cnt == k && v >= bc[k-1] {
				continue
			}
			p := cnt
			if cnt < k {
				cnt++
			} else {
				p = k - 1
			}
			for p > 0 && bc[p-1] > v {
				bc[p], bi[p] = bc[p-1], bi[p-1]
				p--
			}
			bc[p], bi[p] = v, int32(t)
		}
		for q := 0; q < cnt; q++ {
			out = append(out, int32(s*mm)+bi[q])
		}
	}
	// Columns: the same over all columns at once, row by row.
	k = min(candK, nn)
	cc := make([]float64, mm*k)
	ci := make([]int32, mm*k)
	cn := make([]int, mm)
	for s := 0; s < nn; s++ {
		row := c[s*mm : (s+1)*mm]
		for t, v := range row {
			b := cc[t*k : (t+1)*k]
			cnt := cn[t]
			if cnt == k && v >= b[k-1] {
				continue
			}
			bi := ci[t*k : (t+1)*k]
			p := cnt
			if cnt < k {
				cn[t]++
			} else {
				p = k - 1
			}
			for p > 0 && b[p-1] > v {
				b[p], bi[p] = b[p-1], bi[p-1]
				p--
			}
			b[p], bi[p] = v, int32(s)
		}
	}
	for t := 0; t < mm; t++ {
		for q := 0; q < cn[t]; q++ {
			out = append(out, ci[t*k+q]*int32(mm)+int32(t))
		}
	}
	slices.SortFunc(out, func(x, y int32) int {
		if cx, cy := c[x], c[y]; cx != cy {
			if cx < cy {
				return -1
			}
			return 1
		}
		return int(x - y)
	})
	return slices.Compact(out)
}

// greedyStart builds a strongly feasible initial tree in tr from a
// matrix-minimum allocation over the candidate arcs (sorted by cost),
// completed by a row-minimum pass over the remaining rows and columns. It
// reports false (leaving tr to be reset) if round-off defeats the
// construction, in which case the caller falls back to the north-west
// corner.
func greedyStart(tr *nsTree, a, b []float64, cand []int32) bool {
	nn, mm, c := tr.n, tr.m, tr.c
	ra := slices.Clone(a)
	rb := slices.Clone(b)
	// Arcs with positive allocation; each kills at least one alive
	// endpoint, so they form a forest.
	arcs := make([]int32, 0, nn+mm)
	alloc := func(s, t int) {
		f := math.Min(ra[s], rb[t])
		ra[s] -= f
		rb[t] -= f
		arcs = append(arcs, int32(s*mm+t))
	}
	for _, e := range cand {
		s, t := int(e)/mm, int(e)%mm
		if ra[s] > 0 && rb[t] > 0 {
			alloc(s, t)
		}
	}
	var liveCols []int
	for t := 0; t < mm; t++ {
		if rb[t] > 0 {
			liveCols = append(liveCols, t)
		}
	}
	for s := 0; s < nn && len(liveCols) > 0; s++ {
		row := c[s*mm : (s+1)*mm]
		for ra[s] > 0 && len(liveCols) > 0 {
			bq := 0
			for q, t := range liveCols {
				if row[t] < row[liveCols[bq]] {
					bq = q
				}
			}
			t := liveCols[bq]
			alloc(s, t)
			if rb[t] <= 0 {
				liveCols = slices.Delete(liveCols, bq, bq+1)
			}
		}
	}
	// Adjacency of the forest (CSR).
	N := nn + mm
	deg := make([]int32, N+1)
	for _, e := range arcs {
		deg[int(e)/mm+1]++
		deg[nn+int(e)%mm+1]++
	}
	for v := 1; v <= N; v++ {
		deg[v] += deg[v-1]
	}
	adj := make([]int32, deg[N])
	fill := slices.Clone(deg[:N])
	for _, e := range arcs {
		s, t := int32(int(e)/mm), int32(nn+int(e)%mm)
		adj[fill[s]] = t
		fill[s]++
		adj[fill[t]] = s
		fill[t]++
	}
	// Spanning tree: BFS from source 0; a component not yet reached hangs,
	// through one of its sources, under sink 0 by a zero-flow arc (a
	// source child may carry zero flow in a strongly feasible tree).
	order := make([]int32, 0, N)
	seen := make([]bool, N)
	visit := func(root, par int32) {
		seen[root] = true
		tr.attach(root, par)
		head := len(order)
		order = append(order, root)
		for ; head < len(order); head++ {
			v := order[head]
			for _, w := range adj[deg[v]:deg[v+1]] {
				if !seen[w] {
					seen[w] = true
					tr.attach(w, v)
					order = append(order, w)
				}
			}
		}
	}
	seen[0] = true
	order = append(order, 0)
	for head := 0; head < len(order); head++ {
		v := order[head]
		for _, w := range adj[deg[v]:deg[v+1]] {
			if !seen[w] {
				seen[w] = true
				tr.attach(w, v)
				order = append(order, w)
			}
		}
	}
	if !seen[nn] {
		return false
	}
	for s := int32(1); s < int32(nn); s++ {
		if !seen[s] {
			visit(s, int32(nn))
		}
	}
	if len(order) != N {
		return false
	}
	// Flows from subtree balances, leaves first.
	sup := make([]float64, N)
	copy(sup, a)
	for t := 0; t < mm; t++ {
		sup[nn+t] = -b[t]
	}
	for k := N - 1; k > 0; k-- {
		v := order[k]
		p := tr.parent[v]
		sup[p] += sup[v]
		f := sup[v]
		if int(v) >= nn {
			f = -f
			if !(f > 0) {
				return false
			}
		} else if f < 0 {
			if f < -1e-13 {
				return false
			}
			f = 0
		}
		tr.flow[v] = f
	}
	// Potentials and depths, root first.
	for _, v := range order[1:] {
		p := tr.parent[v]
		tr.depth[v] = tr.depth[p] + 1
		tr.pot[v] = tr.arcCost(v) - tr.pot[p]
	}
	return true
}
