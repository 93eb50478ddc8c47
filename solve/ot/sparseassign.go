package ot

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jko-org/jko/internal/parallel"
)

// assignGraph holds the candidate arcs of the sparse assignment, by row.
type assignGraph struct {
	start []int32 // arcs of row i: start[i]:start[i+1]
	col   []int32
	cost  []float64
}

func newAssignGraph(n int, as, at []int32, ac []float64) *assignGraph {
	g := &assignGraph{start: make([]int32, n+1), col: make([]int32, len(as)), cost: make([]float64, len(as))}
	for _, s := range as {
		g.start[s+1]++
	}
	for i := 1; i <= n; i++ {
		g.start[i] += g.start[i-1]
	}
	fill := slices.Clone(g.start[:n])
	for k, s := range as {
		q := fill[s]
		fill[s]++
		g.col[q], g.cost[q] = at[k], ac[k]
	}
	return g
}

// heapItem is a column with its tentative distance.
type heapItem struct {
	d float64
	j int32
}

type minHeap []heapItem

func (h *minHeap) push(it heapItem) {
	*h = append(*h, it)
	a := *h
	k := len(a) - 1
	for k > 0 {
		p := (k - 1) / 2
		if !itemLess(a[k], a[p]) {
			break
		}
		a[k], a[p] = a[p], a[k]
		k = p
	}
}

func (h *minHeap) pop() heapItem {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	k := 0
	for {
		l := 2*k + 1
		if l >= len(a) {
			break
		}
		if r := l + 1; r < len(a) && itemLess(a[r], a[l]) {
			l = r
		}
		if !itemLess(a[l], a[k]) {
			break
		}
		a[k], a[l] = a[l], a[k]
		k = l
	}
	*h = a
	return top
}

func itemLess(a, b heapItem) bool { return a.d < b.d || (a.d == b.d && a.j < b.j) }

// maxNeighbours is the neighbours per point the assignment solver's
// candidate graph grows to when the reductions leave many rows free.
const maxNeighbours = 32

// solveSparseAssign solves the assignment problem between equal uniform
// clouds (nn = mm) by Jonker–Volgenant shortest augmenting paths
// (Dijkstra with column prices) on a sparse candidate graph: the k nearest
// neighbours both ways plus the principal-axis pairing, which guarantees a
// perfect matching. Every pair is then priced by k-d tree queries; rows
// with violating pairs get those arcs, are unassigned and re-augmented,
// until no pair violates dual feasibility.
func solveSparseAssign(p *sparseProblem, opt Options) (*sparseResult, error) {
	start := time.Now()
	n, d := p.nn, p.d
	kdX := newKDTree(p.xs, n, d, p.cf)
	kdY := newKDTree(p.ys, n, d, p.cf)
	k, adaptive := opt.Neighbours, opt.Neighbours <= 0
	if adaptive {
		k = 8
	}
	k = min(k, n)
	var (
		as, at []int32
		ac     []float64
		g      *assignGraph
		x, y   []int32
		v      []float64
		free   []int32
	)
	// begin builds the candidate graph of k neighbours both ways and
	// assigns what the column and row reductions can.
	begin := func(k int) {
		fromX := make([]hit, n*k)
		fromY := make([]hit, n*k)
		parallel.Chunks(n, 64, func(lo, hi int) {
			var qs kdQuery
			for i := lo; i < hi; i++ {
				copy(fromX[i*k:(i+1)*k], kdY.search(p.xs[i*d:(i+1)*d], math.Inf(1), k, false, &qs))
				copy(fromY[i*k:(i+1)*k], kdX.search(p.ys[i*d:(i+1)*d], math.Inf(1), k, false, &qs))
			}
		})
		all := make([]arc, 0, 2*n*k+n)
		for q, h := range fromX {
			all = append(all, arc{int32(q / k), h.J, h.Val})
		}
		for q, h := range fromY {
			all = append(all, arc{h.J, int32(q / k), h.Val})
		}
		fromX, fromY = nil, nil
		ro, co := principalOrderRaw(p.xs, p.ys, n, n, d)
		for q := range ro {
			all = append(all, arc{int32(ro[q]), int32(co[q]), p.cost(ro[q], co[q])})
		}
		all = sortArcs(all, n)
		as, at, ac = make([]int32, len(all)), make([]int32, len(all)), make([]float64, len(all))
		for q, e := range all {
			as[q], at[q], ac[q] = e.s, e.t, e.c
		}
		all = nil
		g = newAssignGraph(n, as, at, ac)
		x = make([]int32, n) // column of each row, −1 when free
		y = make([]int32, n) // row of each column, −1 when free
		v = make([]float64, n)
		for i := range x {
			x[i], y[i] = -1, -1
		}
		// Column reduction: v_j = min over candidate rows of c_ij; each row
		// takes a free column where it attains that minimum.
		for j := range v {
			v[j] = math.Inf(1)
		}
		for q := range as {
			v[at[q]] = math.Min(v[at[q]], ac[q])
		}
		for i := 0; i < n; i++ {
			for q := g.start[i]; q < g.start[i+1]; q++ {
				if j := g.col[q]; y[j] < 0 && g.cost[q] == v[j] {
					x[i], y[j] = j, int32(i)
					break
				}
			}
		}
		// Two passes of augmenting row reduction (as the dense solver's) on
		// the free rows: a row takes its column of least reduced cost, whose
		// price drops to the row's second least, and the displaced row tries
		// again.
		free = free[:0]
		for i := int32(0); i < int32(n); i++ {
			if x[i] < 0 {
				free = append(free, i)
			}
		}
		for pass := 0; pass < 2 && len(free) > 0; pass++ {
			prev := free
			free = make([]int32, 0, len(prev))
			budget := n
			for q := 0; q < len(prev); q++ {
				i := prev[q]
				if budget--; budget < 0 {
					free = append(free, i)
					continue
				}
				umin, usub := math.Inf(1), math.Inf(1)
				j1, j2 := int32(-1), int32(-1)
				for e := g.start[i]; e < g.start[i+1]; e++ {
					j := g.col[e]
					h := g.cost[e] - v[j]
					if h < usub {
						if h >= umin {
							usub, j2 = h, j
						} else {
							usub, j2 = umin, j1
							umin, j1 = h, j
						}
					}
				}
				i0 := y[j1]
				if umin < usub {
					v[j1] -= usub - umin
				} else if i0 >= 0 && j2 >= 0 {
					j1, i0 = j2, y[j2]
				}
				if i0 >= 0 {
					x[i0] = -1
				}
				x[i], y[j1] = j1, i
				if i0 >= 0 {
					if umin < usub {
						prev[q] = i0 // retried at once
						q--
					} else {
						free = append(free, i0)
					}
				}
			}
		}
	}
	begin(k)
	// Many rows left for the augmenting paths mean the optimal partners
	// lie beyond the k nearest neighbours (clouds that are far apart or
	// independent samples, against the particles' spacing): the pricing
	// rounds would add them a few at a time, each round re-augmenting
	// every row it touches. A graph of maxNeighbours is cheaper then (the
	// reductions cost O(n·k); going there at once measured cheaper than
	// doubling); the plan is the same.
	if adaptive && len(free)*8 > n && k < min(n, maxNeighbours) {
		k = min(n, maxNeighbours)
		begin(k)
	}
	eps := 1e-13 * math.Max(boxSpan(p.xs, p.ys, d, p.cf), 1e-300)
	dist := make([]float64, n)
	pred := make([]int32, n)
	mark := make([]int32, n) // stamp: 2·aug+1 touched, 2·aug+2 scanned
	var ready []int32
	var h minHeap
	stamp := int32(0)
	augment := func(f int32) error {
		stamp += 2
		touched, scanned := stamp-1, stamp
		h = h[:0]
		ready = ready[:0]
		for q := g.start[f]; q < g.start[f+1]; q++ {
			j := g.col[q]
			dj := g.cost[q] - v[j]
			if mark[j] != touched || dj < dist[j] {
				mark[j], dist[j], pred[j] = touched, dj, f
				h.push(heapItem{dj, j})
			}
		}
		for {
			if len(h) == 0 {
				return fmt.Errorf("ot: the candidate graph has no perfect matching")
			}
			it := h.pop()
			j := it.j
			if mark[j] == scanned || it.d > dist[j] {
				continue // stale
			}
			if y[j] < 0 {
				mu := dist[j]
				for _, r := range ready {
					v[r] += dist[r] - mu
				}
				// Augment along the predecessors.
				for {
					i := pred[j]
					y[j] = i
					j, x[i] = x[i], j
					if i == f {
						break
					}
				}
				return nil
			}
			mark[j] = scanned
			ready = append(ready, j)
			i := y[j]
			base := dist[j] - (p.cost(int(i), int(j)) - v[j])
			for q := g.start[i]; q < g.start[i+1]; q++ {
				j2 := g.col[q]
				if mark[j2] == scanned {
					continue
				}
				nd := base + g.cost[q] - v[j2]
				if mark[j2] != touched || nd < dist[j2] {
					mark[j2], dist[j2], pred[j2] = touched, nd, i
					h.push(heapItem{nd, j2})
				}
			}
		}
	}
	round, augs := 0, 0
	u := make([]float64, n)
	viol := make([][]hit, n)
	uPriced := make([]float64, n) // u at the last pricing
	var rows []int32
	for {
		for i := int32(0); i < int32(n); i++ {
			if x[i] < 0 {
				if err := augment(i); err != nil {
					return nil, err
				}
				augs++
			}
		}
		// Price every pair. Column prices only fall once the rows are
		// matched (augmentations and row reductions lower them), so a row
		// that had no violating pair at the last round and whose dual has
		// not risen since still has none: the later rounds price only the
		// other rows.
		for i := range u {
			u[i] = p.cost(i, int(x[i])) - v[x[i]]
		}
		rows = rows[:0]
		for i := range u {
			if round == 0 || len(viol[i]) > 0 || u[i] > uPriced[i] {
				rows = append(rows, int32(i))
			} else {
				viol[i] = viol[i][:0]
			}
		}
		copy(uPriced, u)
		kdY.setOffsets(v)
		parallel.Chunks(len(rows), 64, func(lo, hi int) {
			var qs kdQuery
			for _, i := range rows[lo:hi] {
				hs := kdY.search(p.xs[int(i)*d:int(i+1)*d], u[i]-eps, pricingLimit, true, &qs)
				viol[i] = append(viol[i][:0], hs...)
			}
		})
		round++
		added := 0
		for i, hs := range viol {
			if len(hs) == 0 {
				continue
			}
			for _, hh := range hs {
				as, at, ac = append(as, int32(i)), append(at, hh.J), append(ac, hh.Val+v[hh.J])
			}
			added += len(hs)
			y[x[i]], x[i] = -1, -1
		}
		if opt.Progress != nil {
			opt.Progress(Progress{Round: round, Arcs: len(as), Pivots: augs, Violations: added, Elapsed: time.Since(start)})
		}
		if added == 0 {
			break
		}
		if round == maxRounds {
			return nil, fmt.Errorf("ot: exact OT still finds violating pairs after %d pricing rounds", round)
		}
		g = newAssignGraph(n, as, at, ac)
	}
	res := &sparseResult{u: u, v: v, kdX: kdX, kdY: kdY, pairs: make([]Pair, n)}
	for i := range res.pairs {
		res.pairs[i] = Pair{I: i, J: int(x[i]), Mass: 1 / float64(n)}
	}
	return res, nil
}
