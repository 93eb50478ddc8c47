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
func greedyStart(tr *nsTree, a, b []float64, c []float64, cand []int32) bool {
	nn, mm := tr.n, tr.m
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
	as := make([]int32, len(arcs))
	at := make([]int32, len(arcs))
	for k, e := range arcs {
		as[k], at[k] = e/int32(mm), e%int32(mm)
	}
	return forestTree(tr, a, b, as, at)
}

// forestTree builds in the empty tree tr a strongly feasible spanning tree
// from the arcs (as[k], at[k]) of an allocation, whose flows are then fixed
// by the supplies a and demands b. Each connected component is rooted at a
// source (arcs closing a cycle are dropped). A sink whose subtree is
// balanced would carry zero flow towards the root, which strong
// feasibility forbids: its part is re-rooted at its source child of
// largest flow. The component roots then hang by zero-flow arcs under one
// sink. It reports false if the arcs cannot carry the masses (round-off or
// a dropped cycle), leaving tr to be reset.
func forestTree(tr *nsTree, a, b []float64, as, at []int32) bool {
	nn, mm := tr.n, tr.m
	N := nn + mm
	deg := make([]int32, N+1)
	for k := range as {
		deg[as[k]+1]++
		deg[int32(nn)+at[k]+1]++
	}
	for v := 1; v <= N; v++ {
		deg[v] += deg[v-1]
	}
	adj := make([]int32, deg[N])
	fill := slices.Clone(deg[:N])
	for k := range as {
		s, t := as[k], int32(nn)+at[k]
		adj[fill[s]] = t
		fill[s]++
		adj[fill[t]] = s
		fill[t]++
	}
	parent := make([]int32, N)
	for v := range parent {
		parent[v] = -2 // unseen
	}
	order := make([]int32, 0, N)
	for r := int32(0); r < int32(nn); r++ {
		if parent[r] != -2 {
			continue
		}
		parent[r] = -1
		head := len(order)
		order = append(order, r)
		for ; head < len(order); head++ {
			v := order[head]
			for _, w := range adj[deg[v]:deg[v+1]] {
				if parent[w] == -2 {
					parent[w] = v
					order = append(order, w)
				}
			}
		}
	}
	if len(order) != N {
		return false // a sink reachable from no source
	}
	// Subtree balances, leaves first; balanced sinks are re-rooted.
	tol := 1e-13 / float64(N)
	sup := make([]float64, N)
	copy(sup, a)
	for t := 0; t < mm; t++ {
		sup[nn+t] = -b[t]
	}
	best := make([]int32, N) // source child of largest balance
	for v := range best {
		best[v] = -1
	}
	flow := make([]float64, N)
	for k := N - 1; k >= 0; k-- {
		v := order[k]
		p := parent[v]
		if p < 0 {
			if math.Abs(sup[v]) > 1e-9/float64(N) {
				return false // an unbalanced component
			}
			continue
		}
		if int(v) < nn {
			if sup[v] < -tol {
				return false
			}
			flow[v] = math.Max(sup[v], 0)
			if best[p] < 0 || sup[v] > sup[best[p]] {
				best[p] = v
			}
			sup[p] += sup[v]
			continue
		}
		if -sup[v] > tol {
			flow[v] = -sup[v]
			sup[p] += sup[v]
			continue
		}
		// Balanced: v hangs under its best child c, which becomes a root.
		c := best[v]
		if c < 0 || !(flow[c] > 0) {
			return false
		}
		parent[v], flow[v] = c, flow[c]
		parent[c], flow[c] = -1, 0
	}
	// The component of the first sink holds the tree's root; the other
	// components hang under that sink.
	comp := func(v int32) int32 {
		for parent[v] >= 0 {
			v = parent[v]
		}
		return v
	}
	hub := int32(nn)
	root := comp(hub)
	for _, v := range order {
		switch {
		case parent[v] >= 0:
			tr.attach(v, parent[v])
			tr.flow[v] = flow[v]
		case v != root:
			tr.attach(v, hub)
			tr.flow[v] = 0
		}
	}
	// Potentials, root first.
	st := []int32{root}
	for len(st) > 0 {
		v := st[len(st)-1]
		st = st[:len(st)-1]
		if p := tr.parent[v]; p >= 0 {
			tr.pot[v] = tr.arcCost(v) - tr.pot[p]
		}
		for ch := tr.first[v]; ch >= 0; ch = tr.next[ch] {
			st = append(st, ch)
		}
	}
	return true
}
