package ot

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/jko-org/jko/internal/parallel"
)

// Options configures CoupleWith.
type Options struct {
	// Neighbours is the number k of nearest neighbours, in the other
	// cloud, of every point that seed the candidate graph (default 8;
	// for the assignment of equal uniform clouds, the pairs of least
	// reduced cost under the start prices, default 8 cold, 16 from
	// Prices, 24 from Prices for 10,000 points or more; unused by the
	// general solver where it scans the cost matrix, see useDense).
	Neighbours int
	// Prices, if set, are column prices to start the solve of equal
	// uniform clouds from, one per point of y in the cost's units (a
	// previous Plan's V between similar clouds: the simulations of a
	// calibration, a step of an iteration): the candidate graph takes
	// every row's least reduced costs under them, and prices close to the
	// optimal ones leave few rows to augment. The plan is optimal
	// whatever they are (the pricing rounds certify it over all pairs);
	// they change only the time, and the potentials U, V where the
	// optimal ones are not unique. Ignored by the general solver
	// (weighted or unequal clouds) and when their length is not y's.
	Prices []float64
	// Progress, if set, is called after every pricing round and every
	// 2^20 simplex pivots of the sparse solver.
	Progress func(Progress)
}

// Progress reports the state of a long exact solve.
type Progress struct {
	Round      int           // pricing rounds over all pairs completed
	Arcs       int           // arcs in the candidate graph
	Pivots     int           // simplex pivots (assignment: augmentations) so far
	Violations int           // arcs added by the last pricing round
	Elapsed    time.Duration // since the start of the solve
}

// String formats the report for a log line.
func (p Progress) String() string {
	return fmt.Sprintf("round %d: %d arcs, %d pivots, %d violations, %.1fs",
		p.Round, p.Arcs, p.Pivots, p.Violations, p.Elapsed.Seconds())
}

// maxRounds bounds the pricing rounds (a safety net against round-off
// that keeps finding violations: an error instead of a hang).
const maxRounds = 1000

// pricingLimit caps the violating arcs added per source and round.
var pricingLimit = 16

// startLimit is pricingLimit for the initial reduced-cost queries of the
// sinks, sourceStartLimit for those of the sources: the pricing rounds
// query from the sources, so their start needs fewer (measured with
// cachegrind over the EB pairs and the uniform and weighted clouds of
// bench/ot: 2% fewer instructions than 16 both ways, 5–8% on the 2-D
// clouds; 2 was worse than 4).
var startLimit, sourceStartLimit = 16, 4

// denseSourceStartLimit is sourceStartLimit when the cost matrix answers
// the queries.
var denseSourceStartLimit = 8

// sparseMaxPivots bounds the pivots per arc and node (a safety net: a
// solve that exceeds it reports an error instead of running forever).
const sparseMaxPivots = 200

// arcList is the candidate graph of the sparse solver.
type arcList struct {
	s, t []int32
	c    []float64
}

func (l *arcList) add(s, t int32, c float64) {
	l.s = append(l.s, s)
	l.t = append(l.t, t)
	l.c = append(l.c, c)
}

// sparseProblem is the transport problem between the points of positive
// mass, scaled so that costs are of order 1.
type sparseProblem struct {
	nn, mm, d int
	xs, ys    []float64 // kept points, row-major
	a, b      []float64 // their masses
	cf        CostFunc
	// prices: Options.Prices of the kept columns, scaled as the points
	// (nil: none).
	prices []float64
}

func (p *sparseProblem) cost(s, t int) float64 {
	d := p.d
	return pointCost(p.xs[s*d:(s+1)*d], p.ys[t*d:(t+1)*d], p.cf)
}

// sparseResult is the solution on the kept points.
type sparseResult struct {
	pairs []Pair // indices into the kept points
	u, v  []float64
	kdX   *kdTree // the clouds' k-d trees, or nil if not built
	kdY   *kdTree
}

// solveSparse solves the transport problem by the network simplex on a
// sparse candidate graph (the k nearest neighbours of every point in the
// other cloud; for large problems also the links of the solution between
// the coarsened clouds, solved recursively; and the pairs of least reduced
// cost under the potentials it suggests, which alone make the graph where
// the cost matrix is stored, useDense), then prices all n·m pairs with
// k-d tree queries or scans of the cost matrix, adds the arcs that
// violate dual feasibility and re-solves from the current basis, until no
// pair violates it: the final potentials certify optimality over all
// pairs.
func solveSparse(p *sparseProblem, opt Options) (*sparseResult, error) {
	start := time.Now()
	nn, mm, d := p.nn, p.mm, p.d
	ms := nn+mm >= multiscaleMin && p.multiscale()
	// The k-d trees answer the queries unless the cost matrix does, and
	// cluster the clouds for the coarse problem.
	var kdX, kdY *kdTree
	k := opt.Neighbours
	if k <= 0 {
		k = 8
	}
	// Candidate graph: k nearest neighbours both ways, deduplicated.
	kx, ky := min(k, mm), min(k, nn)
	fromX := make([]hit, nn*kx)
	fromY := make([]hit, mm*ky)
	// Small problems in five dimensions and more: the cost matrix
	// answers the queries.
	var dc *denseCosts
	cost := p.cost
	if useDense(nn, mm, d) {
		dc = allocDense(nn, mm) // filled with the first column queries
		cost = func(s, t int) float64 { return dc.c[s*mm+t] }
	}
	if dc == nil || ms {
		kdX, kdY = newKDTree(p.xs, nn, d, p.cf), newKDTree(p.ys, mm, d, p.cf)
	}
	// rowQuery and colQuery are the k-d tree queries of a source or a
	// sink, or the dense scans.
	rowQuery := func(s int, off []float64, thr float64, limit int, qs *kdQuery) []hit {
		if dc != nil {
			return dc.row(s, off, thr, limit, qs)
		}
		return kdY.search(p.xs[s*d:(s+1)*d], thr, limit, off != nil, qs)
	}
	colQueries := func(off []float64, limit int, out []hit, cnt []int) {
		if dc != nil {
			dc.columns(off, limit, out, cnt)
			return
		}
		if off != nil {
			kdX.setOffsets(off)
		}
		parallel.Chunks(mm, 64, func(lo, hi int) {
			var qs kdQuery
			for t := lo; t < hi; t++ {
				cnt[t] = copy(out[t*limit:(t+1)*limit], kdX.search(p.ys[t*d:(t+1)*d], math.Inf(1), limit, off != nil, &qs))
			}
		})
	}
	// With the cost matrix, the candidates come from the start queries
	// alone (below), which then give exact c-transforms over all pairs.
	var all []arc
	if dc == nil {
		parallel.Chunks(nn, 64, func(lo, hi int) {
			var qs kdQuery
			for s := lo; s < hi; s++ {
				copy(fromX[s*kx:(s+1)*kx], rowQuery(s, nil, math.Inf(1), kx, &qs))
			}
		})
		colQueries(nil, ky, fromY, make([]int, mm))
		all = make([]arc, 0, len(fromX)+len(fromY))
		for q, h := range fromX {
			all = append(all, arc{int32(q / kx), h.J, h.Val})
		}
		for q, h := range fromY {
			all = append(all, arc{h.J, int32(q / ky), h.Val})
		}
	}
	// Multiscale: every pair of points in two clusters that the coarse
	// problem's solution links; the coarse potentials seed the fine ones.
	u0 := make([]float64, nn)
	if ms {
		var err error
		if all, err = coarseStart(p, opt, kdX, kdY, u0, all, true); err != nil {
			return nil, err
		}
	}
	v0 := make([]float64, mm)
	// transforms sets v0 to the c-transform of u0 over the candidates and
	// u0 to the c-transform of v0.
	transforms := func() { cTransforms(all, u0, v0) }
	// Where every point goes under these potentials: the pairs of least
	// reduced cost over all pairs, both ways. The k-d trees query the
	// sources after the c-transforms over the candidates; the dense scans
	// query the sinks first (v0: the c-transform of u0 over all pairs),
	// then the sources, with more sinks each (measured with cachegrind:
	// 8 sinks 4% fewer instructions than 4 on the EB pair 2498 × 1967,
	// as many on uniform 5-D clouds).
	srcLimit := sourceStartLimit
	if dc == nil {
		transforms()
	} else {
		srcLimit = denseSourceStartLimit
	}
	fromX = slices.Grow(fromX[:0], nn*srcLimit)[:nn*srcLimit]
	fromY = slices.Grow(fromY[:0], mm*startLimit)[:mm*startLimit]
	cntX, cntY := make([]int, nn), make([]int, mm)
	if dc != nil {
		dc.fillColumns(p, u0, startLimit, fromY, cntY)
		for t := range v0 {
			v0[t] = fromY[t*startLimit].Val
		}
	} else {
		kdY.setOffsets(v0)
	}
	parallel.Chunks(nn, 64, func(lo, hi int) {
		var qs kdQuery
		for s := lo; s < hi; s++ {
			cntX[s] = copy(fromX[s*srcLimit:(s+1)*srcLimit], rowQuery(s, v0, math.Inf(1), srcLimit, &qs))
		}
	})
	if dc == nil {
		colQueries(u0, startLimit, fromY, cntY)
	}
	// The arcs carry their costs as computed once (not value + offset, a
	// rounding away), so duplicates agree.
	for s := 0; s < nn; s++ {
		for _, h := range fromX[s*srcLimit : s*srcLimit+cntX[s]] {
			all = append(all, arc{int32(s), h.J, cost(s, int(h.J))})
		}
	}
	for t := 0; t < mm; t++ {
		for _, h := range fromY[t*startLimit : t*startLimit+cntY[t]] {
			all = append(all, arc{h.J, int32(t), cost(int(h.J), t)})
		}
	}
	fromX, fromY = nil, nil
	all = sortArcs(all, nn)
	transforms()
	tr := newTree(nn, mm, cost)
	// Greedy (matrix-minimum) allocation over the candidates by reduced
	// cost for these potentials.
	byCost := slices.Clone(all)
	for q := range byCost {
		e := &byCost[q]
		e.c -= u0[e.s] + v0[e.t]
	}
	byCost = sortByCost(byCost)
	ra, rb := slices.Clone(p.a), slices.Clone(p.b)
	var fs, ft []int32
	for _, e := range byCost {
		if ra[e.s] > 0 && rb[e.t] > 0 {
			f := min(ra[e.s], rb[e.t])
			ra[e.s] -= f
			rb[e.t] -= f
			fs, ft = append(fs, e.s), append(ft, e.t)
		}
	}
	byCost = nil
	// What the candidates could not carry: north-west corner over the
	// remaining points in their principal-axis order.
	ro, co := principalOrderRaw(p.xs, p.ys, nn, mm, d)
	// Round-off slivers are left to forestTree's balances.
	sliver := 1e-12 / float64(nn+mm)
	var lr, lc []int
	for _, s := range ro {
		if ra[s] > sliver {
			lr = append(lr, s)
		}
	}
	for _, t := range co {
		if rb[t] > sliver {
			lc = append(lc, t)
		}
	}
	for i, j := 0, 0; i < len(lr) && j < len(lc); {
		s, t := lr[i], lc[j]
		f := min(ra[s], rb[t])
		ra[s] -= f
		rb[t] -= f
		fs, ft = append(fs, int32(s)), append(ft, int32(t))
		if ra[s] <= sliver {
			i++
		} else {
			j++
		}
	}
	if !forestTree(tr, p.a, p.b, fs, ft) {
		tr.reset()
		northWest(tr, slices.Clone(p.a), slices.Clone(p.b), ro, co)
	}
	fs, ft = nil, nil
	arcs := &arcList{
		s: make([]int32, len(all)), t: make([]int32, len(all)), c: make([]float64, len(all)),
	}
	for q, e := range all {
		arcs.s[q], arcs.t[q], arcs.c[q] = e.s, e.t, e.c
	}
	all = nil
	// Tolerance: relative to the largest cost between the clouds' boxes.
	eps := 1e-13 * max(boxSpan(p.xs, p.ys, d, p.cf), 1e-300)
	maxPivots := sparseMaxPivots * (nn + mm + 100) * int(math.Log2(float64(nn+mm)+2)+1)
	pivots, round := 0, 0
	report := func(viol int) {
		if opt.Progress != nil {
			opt.Progress(Progress{Round: round, Arcs: len(arcs.c), Pivots: pivots, Violations: viol, Elapsed: time.Since(start)})
		}
	}
	viol := make([][]hit, nn)
	for {
		// Simplex on the candidate graph with a candidate list: a major
		// scan collects violating arcs block by block until the list is
		// full; minor iterations pivot on the most violating arc of the
		// list, re-priced each time, until it is spent.
		na := len(arcs.c)
		block := max(int(sparseBlock*math.Sqrt(float64(na))), 64)
		listSize := max(int(listFactor*math.Sqrt(float64(na))), 8)
		pos := 0
		// The list holds copies of its arcs, so that re-pricing it reads
		// only the potentials.
		type cand struct {
			s, t int32
			c    float64
		}
		list := make([]cand, 0, listSize+block)
		scanCap := listScanCap * block
		as, at, ac := arcs.s, arcs.t, arcs.c
		pu, pv := tr.pot[:nn], tr.pot[nn:]
		for {
			// Major: refill the list, block by block.
			for scanned := 0; scanned < na; {
				if scanned > 0 && (len(list) >= listSize || (len(list) > 0 && scanned >= scanCap)) {
					break
				}
				for cnt := min(block, na-scanned); cnt > 0; {
					end := min(pos+cnt, na)
					s, t, c := as[pos:end], at[pos:end], ac[pos:end]
					t, c = t[:len(s)], c[:len(s)]
					for q, sv := range s {
						if c[q]-pu[sv]-pv[t[q]] < -eps {
							list = append(list, cand{sv, t[q], c[q]})
						}
					}
					cnt -= end - pos
					scanned += end - pos
					if pos = end; pos == na {
						pos = 0
					}
				}
			}
			if len(list) == 0 {
				break
			}
			// Minor iterations.
			for minor := 0; minor < listSize/2 && len(list) > 0; minor++ {
				best, bq := -eps, -1
				keep := list[:0]
				for _, e := range list {
					if r := e.c - pu[e.s] - pv[e.t]; r < -eps {
						if r < best {
							best, bq = r, len(keep)
						}
						keep = append(keep, e)
					}
				}
				list = keep
				if bq < 0 {
					break
				}
				e := list[bq]
				list[bq] = list[len(list)-1]
				list = list[:len(list)-1]
				tr.pivot(int(e.s), int(e.t), best)
				pivots++
				if pivots > maxPivots {
					return nil, fmt.Errorf("ot: network simplex did not converge in %d pivots", pivots)
				}
				if pivots&(1<<20-1) == 0 {
					report(0)
				}
			}
		}
		// Price every pair against fresh potentials.
		tr.refreshPotentials()
		if dc == nil {
			kdY.setOffsets(tr.pot[nn:])
		}
		parallel.Chunks(nn, 64, func(lo, hi int) {
			var qs kdQuery
			for s := lo; s < hi; s++ {
				h := rowQuery(s, tr.pot[nn:], tr.pot[s]-eps, pricingLimit, &qs)
				viol[s] = append(viol[s][:0], h...)
			}
		})
		round++
		added := 0
		for s, hs := range viol {
			for _, h := range hs {
				arcs.add(int32(s), h.J, h.Val+tr.pot[nn+int(h.J)])
				added++
			}
		}
		report(added)
		if added == 0 {
			break
		}
		if round == maxRounds {
			return nil, fmt.Errorf("ot: exact OT still finds violating pairs after %d pricing rounds", round)
		}
	}
	res := &sparseResult{u: tr.pot[:nn], v: tr.pot[nn:], kdX: kdX, kdY: kdY}
	for v := 0; v < nn+mm; v++ {
		if tr.parent[v] < 0 || tr.flow[v] <= 0 {
			continue
		}
		pv := int(tr.parent[v])
		if v < nn {
			res.pairs = append(res.pairs, Pair{I: v, J: pv - nn, Mass: tr.flow[v]})
		} else {
			res.pairs = append(res.pairs, Pair{I: pv, J: v - nn, Mass: tr.flow[v]})
		}
	}
	sort.Slice(res.pairs, func(x, y int) bool {
		if res.pairs[x].I != res.pairs[y].I {
			return res.pairs[x].I < res.pairs[y].I
		}
		return res.pairs[x].J < res.pairs[y].J
	})
	return res, nil
}

// arc is a candidate arc from source s to sink t of cost c.
type arc struct {
	s, t int32
	c    float64
}

// sortArcs sorts arcs by source then sink and keeps one of duplicates
// (the cheapest, the first of equal costs); sources are below n. Two
// stable counting sorts, by sink then by source: linear in the arcs (the
// comparison sorts of each source's sinks it replaces took 25M of the
// 271M instructions of a uniform 1000 × 1300 2-D solve).
func sortArcs(all []arc, n int) []arc {
	m := 0
	for _, e := range all {
		m = max(m, int(e.t)+1)
	}
	// Stable counting sorts: by sink into byT, then by source back.
	byT := make([]arc, len(all))
	start := make([]int32, max(n, m)+1)
	for _, e := range all {
		start[e.t+1]++
	}
	for i := 1; i <= m; i++ {
		start[i] += start[i-1]
	}
	for _, e := range all {
		byT[start[e.t]] = e
		start[e.t]++
	}
	clear(start)
	for _, e := range byT {
		start[e.s+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	out := all
	for _, e := range byT {
		out[start[e.s]] = e
		start[e.s]++
	}
	k := 0
	for a, e := range out {
		switch {
		case a == 0 || e.s != out[k-1].s || e.t != out[k-1].t:
			out[k] = e
			k++
		case e.c < out[k-1].c:
			out[k-1] = e
		}
	}
	return out[:k]
}

// sortByCost sorts arcs, which sortArcs left ordered by source then
// sink, by cost, ties by source then sink: a stable least-significant-
// digit radix sort of the costs' bits, 11 bits a pass (passes where every
// arc has the same digit are skipped). It returns the sorted arcs (arcs
// or a buffer of the same length). Measured with cachegrind: a whole
// solve of uniform 1000 × 1300 clouds takes 279M → 267M instructions in
// 2-D, 345M → 335M in 5-D against the comparison sort it replaces.
func sortByCost(arcs []arc) []arc {
	const bits = 11
	n := len(arcs)
	if n == 0 {
		return arcs
	}
	keys := make([]uint64, n)
	for q, e := range arcs {
		// The order of float64 values as unsigned integers: negative
		// numbers have every bit flipped, others only the sign.
		k := math.Float64bits(e.c)
		if k>>63 != 0 {
			k = ^k
		} else {
			k |= 1 << 63
		}
		keys[q] = k
	}
	src, dst := arcs, make([]arc, n)
	srcK, dstK := keys, make([]uint64, n)
	var count [1 << bits]int
	for shift := 0; shift < 64; shift += bits {
		clear(count[:])
		for _, k := range srcK {
			count[(k>>shift)&(1<<bits-1)]++
		}
		if count[(srcK[0]>>shift)&(1<<bits-1)] == n {
			continue
		}
		pos := 0
		for b, c := range count {
			count[b] = pos
			pos += c
		}
		for q, k := range srcK {
			b := (k >> shift) & (1<<bits - 1)
			dst[count[b]] = src[q]
			dstK[count[b]] = k
			count[b]++
		}
		src, dst = dst, src
		srcK, dstK = dstK, srcK
	}
	return src
}

// multiscale tells whether the candidate graph should hold the links of
// the solution between the coarsened clouds: when the clouds' means lie
// apart (squared distance above 1% of their mean variance: the transport
// has a direction, and the nearest neighbours do not see far enough), or
// when there are many points per dimension (((n + m)/2)^(1/d) ≥ 30: in
// two dimensions from 1,800 points, in three from 54,000, where transport
// takes many short steps). Otherwise (independent clouds in five
// dimensions, say) the links only add arcs: measured 1.4–2× less CPU
// without them on uniform 5-D clouds of 2,300–9,000 points, 2.4× more
// without them on the EB pairs, 1.6× more on uniform 2-D clouds of 9,000
// points and 1.9× more on weighted 2-D clouds of 4,500.
func (p *sparseProblem) multiscale() bool {
	d := p.d
	if math.Pow(float64(p.nn+p.mm)/2, 1/float64(d)) >= 30 {
		return true
	}
	mean := func(ps, w []float64) ([]float64, float64) {
		mu := make([]float64, d)
		for i, wi := range w {
			for k := 0; k < d; k++ {
				mu[k] += wi * ps[i*d+k]
			}
		}
		v := 0.0
		for i, wi := range w {
			for k := 0; k < d; k++ {
				u := ps[i*d+k] - mu[k]
				v += wi * u * u
			}
		}
		return mu, v
	}
	mx, vx := mean(p.xs, p.a)
	my, vy := mean(p.ys, p.b)
	return pointCost(mx, my, SqEuclidean) >= 0.01*(vx+vy)/2
}

// multiscaleMin is the number of points from which the candidate graph
// may also hold the links of the solution between the coarsened clouds.
var multiscaleMin = 2000

// clusters returns groups of at most size points (the leaves of the tree,
// split further at the median of their widest side) as weighted points:
// centres of mass, masses, and the member points of each.
func (t *kdTree) clusters(ps, w []float64, size int) (centres, mass []float64, members [][]int32) {
	d := t.d
	var emit func(g []int32)
	emit = func(g []int32) {
		if len(g) > size {
			dim, wd := 0, -1.0
			for k := 0; k < d; k++ {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, i := range g {
					v := ps[int(i)*d+k]
					lo, hi = min(lo, v), max(hi, v)
				}
				if hi-lo > wd {
					dim, wd = k, hi-lo
				}
			}
			slices.SortFunc(g, func(a, b int32) int {
				va, vb := ps[int(a)*d+dim], ps[int(b)*d+dim]
				switch {
				case va < vb:
					return -1
				case va > vb:
					return 1
				}
				return int(a - b)
			})
			h := len(g) / 2
			emit(g[:h])
			emit(g[h:])
			return
		}
		c := make([]float64, d)
		tot := 0.0
		for _, i := range g {
			tot += w[i]
		}
		for _, i := range g {
			f := w[i] / tot
			for k := 0; k < d; k++ {
				c[k] += f * ps[int(i)*d+k]
			}
		}
		centres = append(centres, c...)
		mass = append(mass, tot)
		members = append(members, g)
	}
	for _, nd := range t.nodes {
		if nd.left >= 0 {
			continue
		}
		emit(slices.Clone(t.idx[nd.lo:nd.hi]))
	}
	return centres, mass, members
}

// clusterSize is the largest number of points of a cluster of the coarse
// problem. Measured with cachegrind (with sourceStartLimit 4): 8 takes 3%
// fewer instructions than the k-d tree's leaves of 16 on the EB pairs,
// 20–25% fewer on uniform and weighted 2-D clouds of 2,300–9,000 points;
// 4 was worse on the EB pairs.
var clusterSize = 8

// boxSpan is the cost between opposite corners of the bounding box of both
// clouds, an upper bound of every cost.
func boxSpan(xs, ys []float64, d int, cf CostFunc) float64 {
	lo, hi := make([]float64, d), make([]float64, d)
	for k := range lo {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	for _, ps := range [][]float64{xs, ys} {
		for q, v := range ps {
			lo[q%d] = min(lo[q%d], v)
			hi[q%d] = max(hi[q%d], v)
		}
	}
	return pointCost(lo, hi, cf)
}

// listScanCap bounds, in blocks, a major scan that has found some
// violating arcs but fewer than the list's size.
const listScanCap = 16

// sparseBlock and listFactor scale the pricing block and the candidate
// list of the sparse simplex with the square root of the number of arcs.
// With the candidate graphs of the dense queries and the coarse slopes, a
// block of 2·√arcs takes 1–4% fewer instructions than 4·√arcs on the EB
// pairs and uniform 2-D clouds of 4,500–9,000 points, 10% on 1000 × 1300
// 2-D, as many on uniform 5-D clouds (cachegrind).
var sparseBlock, listFactor = 2.0, 2.0

// cTransforms sets v to the c-transform of u over the arcs (v_t = min over
// arcs (s, t) of c − u_s), then u to the c-transform of v.
func cTransforms(arcs []arc, u, v []float64) {
	for t := range v {
		v[t] = math.Inf(1)
	}
	for _, e := range arcs {
		v[e.t] = min(v[e.t], e.c-u[e.s])
	}
	for s := range u {
		u[s] = math.Inf(1)
	}
	for _, e := range arcs {
		u[e.s] = min(u[e.s], e.c-v[e.t])
	}
}

// coarseStart solves the problem between p's clouds coarsened into
// clusters of at most clusterSize points, sets u (one entry per point of
// the first cloud) to its clusters' coarse potentials (with slopes, plus
// addSlopes' first-order term), and appends to arcs every pair of points
// in two clusters the coarse plan links.
func coarseStart(p *sparseProblem, opt Options, kdX, kdY *kdTree, u []float64, arcs []arc, slopes bool) ([]arc, error) {
	cx, ax, gx := kdX.clusters(p.xs, p.a, clusterSize)
	cy, ay, gy := kdY.clusters(p.ys, p.b, clusterSize)
	coarse := &sparseProblem{nn: len(ax), mm: len(ay), d: p.d, cf: p.cf, xs: cx, ys: cy, a: ax, b: ay}
	cres, err := solveSparse(coarse, Options{Neighbours: opt.Neighbours})
	if err != nil {
		return nil, err
	}
	for c, g := range gx {
		for _, s := range g {
			u[s] = cres.u[c]
		}
	}
	if slopes {
		addSlopes(p, cres.pairs, cx, ax, gx, cy, u)
	}
	for _, q := range cres.pairs {
		for _, s := range gx[q.I] {
			for _, t := range gy[q.J] {
				arcs = append(arcs, arc{s, t, p.cost(int(s), int(t))})
			}
		}
	}
	return arcs, nil
}

// addSlopes adds to the coarse potentials u (per point of the first
// cloud) a first-order term within each cluster: u_s += g·(x_s − centre),
// where g, the potential's gradient at the cluster's centre, is the mean
// over the coarse plan's links of the cost's gradient in x there (at an
// optimum ∇u(x) = ∇ₓc(x, T(x))). The coarse potentials are constant per
// cluster, so a cluster's points otherwise start from one value; with the
// slopes the greedy start over the reduced costs is closer to the optimal
// basis: on the EB train pairs 26–37% fewer pivots (2498 × 1967: 34,100 →
// 25,400) and 10–21% fewer instructions with the dense queries; nothing
// gained on independent uniform 5-D clouds, where the optimal potential
// is rough at the clusters' scale.
func addSlopes(p *sparseProblem, links []Pair, cx, ax []float64, gx [][]int32, cy, u []float64) {
	d := p.d
	grad := make([]float64, len(ax)*d)
	for _, q := range links {
		xc, yc := cx[q.I*d:(q.I+1)*d], cy[q.J*d:(q.J+1)*d]
		g := grad[q.I*d : (q.I+1)*d]
		w := q.Mass / ax[q.I]
		switch p.cf {
		case SqEuclidean:
			for k := range g {
				g[k] += w * 2 * (xc[k] - yc[k])
			}
		case Euclidean:
			if r := math.Sqrt(pointCost(xc, yc, SqEuclidean)); r > 0 {
				for k := range g {
					g[k] += w * (xc[k] - yc[k]) / r
				}
			}
		}
	}
	for c, members := range gx {
		xc, g := cx[c*d:(c+1)*d], grad[c*d:(c+1)*d]
		for _, s := range members {
			xs := p.xs[int(s)*d : (int(s)+1)*d]
			for k := range g {
				u[s] += g[k] * (xs[k] - xc[k])
			}
		}
	}
}
