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

// solveSparseAssign solves the assignment problem between equal uniform
// clouds (nn = mm) by Jonker–Volgenant shortest augmenting paths
// (Dijkstra with column prices) on a sparse candidate graph: every row's
// k pairs of least reduced cost under the start prices (cold: column
// reduction's, every column priced at its nearest row's cost; its 8
// nearest rows join the graph), plus the principal-axis pairing, which
// guarantees a perfect matching. Every pair is then priced by k-d tree
// queries; rows with violating pairs get those arcs, are unassigned and
// re-augmented, until no pair violates dual feasibility. A row whose
// certified threshold (tcert) covers its dual is not queried.
//
// Column reduction prices every column at its nearest row's cost: right
// when the points move less than their spacing (or independently of
// each other), far off when the clouds are displaced coherently over many
// spacings (a drift): the optimal prices then vary across the cloud by
// many nearest-neighbour costs, the neighbours do not hold the pairs, and
// the rounds of pricing and re-augmenting creep towards them (on 20,000
// points of a drifted 2-D simulation: 14 rounds, 24 CPU-s, where each
// round unassigned most rows). When that shows (more than n/coarseFree
// rows free after the reductions, n/coarseFreeWarm from start prices;
// augmentations scanning more than coarseScans·n columns; or more than
// n/coarseSwitch rows violating at the first pricing round) and the coarse solve may help (multiscale),
// the solve starts over from the coarse plan: its links between the k-d
// trees' leaves and the pairs of least reduced cost under its potentials
// join the graph, and its prices, refined by ε-scaling auction on the
// graph, replace the start's.
func solveSparseAssign(p *sparseProblem, opt Options) (*sparseResult, error) {
	start := time.Now()
	n, d := p.nn, p.d
	kdX := newKDTree(p.xs, n, d, p.cf)
	kdY := newKDTree(p.ys, n, d, p.cf)
	warm := len(p.prices) == n
	k := opt.Neighbours
	if k <= 0 {
		k = coldNeighbours
		if warm {
			k = warmNeighbours
			if n >= largeWarm {
				k = warmNeighboursLarge
			}
		}
	}
	k = min(k, n)
	var (
		as, at []int32
		ac     []float64
		g      *assignGraph
		x, y   []int32
		v      []float64
		free   int // rows the reductions leave free
	)
	// With start prices (Options.Prices), each row's k arcs are those of
	// least reduced cost under them, and the columns' nearest rows are
	// left out (the principal-axis pairing still guarantees a perfect
	// matching; measured on the β calibration's couplings: 25% less time,
	// no more pricing rounds). Cold, the columns' nearest rows give the
	// column reduction's prices, and each row's k arcs are those of least
	// reduced cost under them.
	// tcert[i] certifies row i: every column j outside the graph has
	// cost(i, j) − w_j ≥ tcert[i] for the prices w of the row's last query.
	// Prices only fall (reductions, augmentations, auction), so while
	// u_i − eps ≤ tcert[i] the row has no violating pair and the pricing
	// rounds skip it.
	tcert := make([]float64, n)
	// begin builds the candidate graph and assigns what the column and
	// row reductions can (or, warm, the start prices and row reduction).
	begin := func() {
		w := p.prices
		var fromY []hit
		kc := min(coldColumnNeighbours, n)
		if !warm {
			fromY = make([]hit, n*kc)
			nearQueries(kdX, p.ys, d, kdY.idx, kc, false, func(j int, hs []hit) {
				copy(fromY[j*kc:(j+1)*kc], hs)
			})
			w = make([]float64, n)
			for j := range w {
				w[j] = fromY[j*kc].Val
			}
		}
		kdY.setOffsets(w)
		fromX := make([]hit, n*k)
		nearQueries(kdY, p.xs, d, kdX.idx, k, true, func(i int, hs []hit) {
			copy(fromX[i*k:(i+1)*k], hs)
			if k < n {
				tcert[i] = hs[k-1].Val
			} else {
				tcert[i] = math.Inf(1)
			}
		})
		all := make([]arc, 0, n*(k+kc+1))
		for q, h := range fromX {
			all = append(all, arc{int32(q / k), h.J, p.cost(q/k, int(h.J))})
		}
		for q, h := range fromY {
			all = append(all, arc{h.J, int32(q / kc), h.Val})
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
		if warm {
			copy(v, p.prices)
			for i := range x {
				x[i], y[i] = -1, -1
			}
			leastFreeStart(g, x, y, v)
		} else {
			columnReduction(g, x, y, v) // v ≤ w: a least over more rows
		}
		free = len(rowReduction(g, x, y, v))
	}
	begin()
	coarse := 2*n >= multiscaleMin && p.multiscale()
	if !coarse && !warm && opt.Neighbours <= 0 && free*8 > n && k < min(n, rebuildNeighbours) {
		// Without the coarse plan to restart from, many free rows mean
		// long augmenting paths through every row they touch: a denser
		// graph is cheaper then (clustered 5-D clouds, 2,000 points:
		// 253 → 164 ms, BenchmarkAssignFit).
		k = min(n, rebuildNeighbours)
		begin()
	}
	freeSwitch := coarseFree
	if warm {
		freeSwitch = coarseFreeWarm
	}
	eps := 1e-13 * max(boxSpan(p.xs, p.ys, d, p.cf), 1e-300)
	dist := make([]float64, n)
	pred := make([]int32, n)
	mark := make([]int32, n) // stamp: 2·aug+1 touched, 2·aug+2 scanned
	var ready []int32
	var h minHeap
	stamp := int32(0)
	scans := 0 // columns scanned by the augmentations
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
			scans++
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
	// restart starts over from the coarse plan's prices (which may rise
	// above the current ones: the rows' certificates are those of the
	// coarse start's queries).
	restart := func() error {
		all := make([]arc, len(as))
		for q := range as {
			all[q] = arc{as[q], at[q], ac[q]}
		}
		all, v0, err := assignCoarse(p, opt, kdX, kdY, all, tcert)
		if err != nil {
			return err
		}
		all = sortArcs(all, n)
		as, at, ac = as[:0], at[:0], ac[:0]
		for _, e := range all {
			as, at, ac = append(as, e.s), append(at, e.t), append(ac, e.c)
		}
		g = newAssignGraph(n, as, at, ac)
		copy(v, v0)
		assignAuction(g, v, auctionBids*n)
		for i := range x {
			x[i], y[i] = -1, -1
		}
		leastFreeStart(g, x, y, v)
		rowReduction(g, x, y, v)
		return nil
	}
	round, augs := 0, 0
	u := make([]float64, n)
	viol := make([][]hit, n)
	var rows []int32
	if coarse && free*freeSwitch > n {
		// The start's prices are far off: no use augmenting from them.
		if err := restart(); err != nil {
			return nil, err
		}
		coarse = false
	}
	for {
		for i := int32(0); i < int32(n); i++ {
			if x[i] < 0 {
				if err := augment(i); err != nil {
					return nil, err
				}
				augs++
				if coarse && scans > coarseScans*n {
					// Long augmenting paths: the prices are far off.
					if err := restart(); err != nil {
						return nil, err
					}
					coarse = false
					i = -1
				}
			}
		}
		// Price every pair: the rows that their certificates (tcert)
		// do not cover.
		for i := range u {
			u[i] = p.cost(i, int(x[i])) - v[x[i]]
		}
		rows = rows[:0]
		for i := range u {
			viol[i] = viol[i][:0]
			if u[i]-eps > tcert[i] {
				rows = append(rows, int32(i))
			}
		}
		if len(rows) > 0 {
			kdY.setOffsets(v)
		}
		parallel.Chunks(len(rows), 64, func(lo, hi int) {
			var qs kdQuery
			for _, i := range rows[lo:hi] {
				hs := kdY.search(p.xs[int(i)*d:int(i+1)*d], u[i]-eps, pricingLimit, true, &qs)
				viol[i] = append(viol[i][:0], hs...)
				if len(hs) < pricingLimit {
					tcert[i] = u[i] - eps
				} else {
					tcert[i] = hs[pricingLimit-1].Val
				}
			}
		})
		round++
		added, violRows := 0, 0
		for i, hs := range viol {
			if len(hs) == 0 {
				continue
			}
			for _, hh := range hs {
				as, at, ac = append(as, int32(i)), append(at, hh.J), append(ac, hh.Val+v[hh.J])
			}
			added += len(hs)
			violRows++
			y[x[i]], x[i] = -1, -1
		}
		if round == 1 && coarse && violRows > n/coarseSwitch {
			if err := restart(); err != nil {
				return nil, err
			}
			coarse = false
			if opt.Progress != nil {
				opt.Progress(Progress{Round: round, Arcs: len(as), Pivots: augs, Violations: added, Elapsed: time.Since(start)})
			}
			continue
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

// columnReduction prices every column at its least cost over the
// candidate rows; each row takes a free column where it attains that
// minimum.
func columnReduction(g *assignGraph, x, y []int32, v []float64) {
	for i := range x {
		x[i], y[i] = -1, -1
	}
	for j := range v {
		v[j] = math.Inf(1)
	}
	for q, j := range g.col {
		v[j] = min(v[j], g.cost[q])
	}
	for i := range x {
		for q := g.start[i]; q < g.start[i+1]; q++ {
			if j := g.col[q]; y[j] < 0 && g.cost[q] == v[j] {
				x[i], y[j] = j, int32(i)
				break
			}
		}
	}
}

// leastFreeStart assigns each free row, in order, to its column of least
// reduced cost when that column is free.
func leastFreeStart(g *assignGraph, x, y []int32, v []float64) {
	for i := range x {
		if x[i] >= 0 {
			continue
		}
		best, jb := math.Inf(1), int32(-1)
		for q := g.start[i]; q < g.start[i+1]; q++ {
			if h := g.cost[q] - v[g.col[q]]; h < best {
				best, jb = h, g.col[q]
			}
		}
		if jb >= 0 && y[jb] < 0 {
			x[i], y[jb] = jb, int32(i)
		}
	}
}

// rowReduction runs two passes of augmenting row reduction (as the dense
// solver's) on the free rows: a row takes its column of least reduced
// cost, whose price drops to the row's second least, and the displaced
// row tries again; each pass scans at most n rows. It returns the rows
// left free.
func rowReduction(g *assignGraph, x, y []int32, v []float64) []int32 {
	n := len(x)
	var free []int32
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
			if math.IsInf(usub, 1) {
				// A single candidate: it stays the row's least at any
				// price, so the price keeps its value (not −∞).
				usub = umin
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
	return free
}

// The assignment's candidate graph, by default: every row's
// coldNeighbours (cold) or warmNeighbours (from Options.Prices) pairs of
// least reduced cost, and, cold, every column's coldColumnNeighbours
// nearest rows. Measured on the β calibration's warm 20,000-point
// couplings (12 of the paper_linear fit's): 8 neighbours left 17–45% of
// the rows free and 5 of the 12 restarted from the coarse plan (each
// 2–3 CPU-s), 16 left 8–31% free and none restarted (0.3–0.9 CPU-s);
// 12 was slower. Over all 110 couplings of that fit 24 or 32 took ~10%
// less CPU than 16 (16 of its warm couplings restart after their first
// pricing round), but 24 cost 19% more instructions on the 1,000-point
// fit's couplings. Cold, 1 or 3 nearest rows per column cost
// 13% and 10% more instructions than 8 on the 1,000-point fit's
// couplings. (Before, the graph was rebuilt with 32 neighbours when more
// than 1/8 of the rows stayed free: 1.5–3× slower on every cold case of
// BenchmarkAssignFit and on independent clouds, since the pricing rounds
// became cheap.)
var coldNeighbours, warmNeighbours, coldColumnNeighbours = 8, 16, 8

// warmNeighboursLarge is warmNeighbours for warm starts of largeWarm
// points or more, where the couplings that restart from the coarse plan
// after their first pricing round (16 of the 20,000-point fit's, above)
// cost more than the larger graph. Whole fits, `--split all`,
// wavy_plateau with its interaction and β = 0.1, idle, alternating, the
// fitted specs the same bytes: paper_linear at 20,000 per snapshot 69.2,
// 69.9 and 69.2 s wall (121–124 CPU-s) with 16 against 56.7, 57.4 and
// 58.8 s (102–104 CPU-s) with 24, and 64.9 s with 32; the true model's
// family at 20,000 55.9 → 42.9 s, at 10,000 16.6 and 15.9 → 14.5 and
// 15.0 s. Below largeWarm the 1,000-point measurement above holds.
var warmNeighboursLarge, largeWarm = 24, 10000

// rebuildNeighbours: a cold solve that cannot restart from the coarse plan
// rebuilds its graph with this many neighbours per row when the
// reductions leave more than 1/8 of the rows free.
var rebuildNeighbours = 32

// coarseSwitch: the assignment starts over from the coarse plan when more
// than n/coarseSwitch rows violate dual feasibility at the first pricing
// round. Measured (first round, violating pairs per row): ≤ 0.06 on
// independent 5-D clouds and small random displacements, 7–15 on drifted
// simulations, shifted clouds and independent 2-D clouds.
var coarseSwitch = 4

// coarseFree (cold) and coarseFreeWarm (from Options.Prices): the
// assignment starts over from the coarse plan at once, before any
// augmentation, when the reductions leave more than n/coarseFree rows
// free. Measured (free rows after the reductions): 16–17% for 2,000 and
// 20,000 points in 2-D moved by noise of the spacing
// (BenchmarkAssignFit), where a restart costs 2–3×; 23–26% on
// independent uniform 2-D clouds of 1,000–5,000 points, which restart
// later anyway (instructions, bench/ot/compare.py's clouds: 196M → 138M
// at 1,000, 409M → 296M at 2,000, 1.17G → 0.90G at 5,000 against n/3);
// 43–55% on the 20,000-point data couplings of the paper_linear fit
// (wavy_plateau + flowers, β = 0.1), which all restarted after 32n
// scans (6 of them: 17.8 → 14.1 CPU-s restarting at once). Warm starts
// keep n/3: at n/5 the fit's 1,000-point calibration couplings (8–25%
// free) took 20% more instructions.
var coarseFree, coarseFreeWarm = 5, 3

// coarseScans: the assignment also starts over from the coarse plan when
// the augmentations before the first pricing round scan more than
// coarseScans·n columns (measured: 8n–17n for small random displacements
// in 2-D, 107n on a drifted 2-D simulation of 10,000 points, whose first
// round alone then cost 8 CPU-s of 9 at 20,000).
var coarseScans = 32

// Auction after the coarse start: ε from auctionFirst down to auctionLast
// times the mean least candidate cost of a row, divided by 4 a stage, each
// stage at most auctionBids·n bids.
var (
	auctionFirst = 16.0
	auctionLast  = 1e-3
	auctionBids  = 50
)

// assignAuction lowers the column prices v by ε-scaling forward-auction
// stages on the candidate graph (every stage starts with all rows free
// and stops after budget bids). The assignment it finds is dropped: only
// the prices serve, as the start of the exact shortest-path phase.
func assignAuction(g *assignGraph, v []float64, budget int) {
	n := len(v)
	scale := 0.0
	for i := 0; i < n; i++ {
		m := math.Inf(1)
		for q := g.start[i]; q < g.start[i+1]; q++ {
			m = min(m, g.cost[q])
		}
		scale += m
	}
	scale /= float64(n)
	if !(scale > 0) || math.IsInf(scale, 0) {
		return
	}
	x, y := make([]int32, n), make([]int32, n)
	queue := make([]int32, 0, 2*n)
	for eps := auctionFirst * scale; eps >= auctionLast*scale; eps /= 4 {
		for i := range x {
			x[i], y[i] = -1, -1
		}
		queue = queue[:0]
		for i := int32(0); i < int32(n); i++ {
			queue = append(queue, i)
		}
		for h, bids := 0, 0; h < len(queue) && bids < budget; h, bids = h+1, bids+1 {
			i := queue[h]
			w1, w2 := math.Inf(1), math.Inf(1)
			j1 := int32(-1)
			for e := g.start[i]; e < g.start[i+1]; e++ {
				hh := g.cost[e] - v[g.col[e]]
				if hh < w2 {
					if hh < w1 {
						w2, w1, j1 = w1, hh, g.col[e]
					} else {
						w2 = hh
					}
				}
			}
			if math.IsInf(w2, 1) { // a single candidate
				w2 = w1
			}
			v[j1] -= w2 - w1 + eps
			if i0 := y[j1]; i0 >= 0 {
				x[i0] = -1
				queue = append(queue, i0)
			}
			x[i], y[j1] = j1, i
			if h > n && h*2 > len(queue) {
				queue = append(queue[:0], queue[h+1:]...)
				h = -1
			}
		}
	}
}

// assignCoarse adds to the candidate arcs of an assignment the pairs of
// points in the clusters (the k-d trees' leaves) that the optimal plan
// between the coarsened clouds links, and, under the potentials that plan
// suggests, every point's pairs of least reduced cost both ways. It
// returns the arcs and the column prices those potentials give, at most
// the prices w of the rows' queries, and sets tcert[i] to the least
// cost(i, j) − w_j of the columns j it did not add to row i.
func assignCoarse(p *sparseProblem, opt Options, kdX, kdY *kdTree, all []arc, tcert []float64) ([]arc, []float64, error) {
	n, d := p.nn, p.d
	u0, v0 := make([]float64, n), make([]float64, n)
	all, err := coarseStart(p, opt, kdX, kdY, u0, all, false)
	if err != nil {
		return nil, nil, err
	}
	// transforms sets v0 to the c-transform of u0 over the candidates and
	// u0 to the c-transform of v0.
	transforms := func() { cTransforms(all, u0, v0) }
	transforms()
	from := make([]hit, n*startLimit)
	cnt := make([]int, n)
	// least adds, for every point of pts, its pairs of least cost less
	// the offsets off of tree's points.
	least := func(tree *kdTree, pts, off []float64, rows bool, order []int32) {
		tree.setOffsets(off)
		nearQueries(tree, pts, d, order, startLimit, true, func(s int, hs []hit) {
			cnt[s] = copy(from[s*startLimit:(s+1)*startLimit], hs)
		})
		for s := 0; s < n; s++ {
			for _, h := range from[s*startLimit : s*startLimit+cnt[s]] {
				if rows {
					all = append(all, arc{int32(s), h.J, h.Val + off[h.J]})
				} else {
					all = append(all, arc{h.J, int32(s), h.Val + off[h.J]})
				}
			}
		}
	}
	w := slices.Clone(v0)
	least(kdY, p.xs, w, true, kdX.idx)
	for i := range tcert {
		tcert[i] = math.Inf(1)
		if cnt[i] == startLimit && startLimit < n {
			tcert[i] = from[i*startLimit+startLimit-1].Val
		}
	}
	least(kdX, p.ys, u0, false, kdY.idx)
	transforms()
	for j, wj := range w {
		v0[j] = min(v0[j], wj)
	}
	return all, v0, nil
}
