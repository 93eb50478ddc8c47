package ot

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// NetworkSimplex returns an optimal transport plan between weights a and b
// (nil = uniform; normalised to mass 1; zeros allowed) for the n×m cost
// matrix, by the network simplex method on the transportation problem.
// The initial basis is a greedy (matrix-minimum) allocation over the
// cheapest arcs of each row and column. rowOrder and colOrder, if non-nil,
// are permutations of the rows and columns used by the north-west-corner
// basis that replaces it when it cannot be built; nil is the identity.
func NetworkSimplex(a, b []float64, cost *mat.Dense, rowOrder, colOrder []int) (*Plan, error) {
	if cost == nil || cost.IsEmpty() {
		return nil, inputErr("empty cost matrix")
	}
	n, m := cost.Dims()
	aa, bb, err := normMarginals(a, b, n, m)
	if err != nil {
		return nil, err
	}
	c, err := costOf(cost, n, m)
	if err != nil {
		return nil, err
	}
	for _, o := range []struct {
		p []int
		k int
	}{{rowOrder, n}, {colOrder, m}} {
		if o.p != nil && !isPerm(o.p, o.k) {
			return nil, inputErr("order is not a permutation of 0..%d", o.k-1)
		}
	}
	c, e := unitCosts(c)
	p, err := networkSimplex(aa, bb, c, n, m, rowOrder, colOrder)
	if err != nil {
		return nil, err
	}
	return p, p.unscale(e)
}

func isPerm(p []int, n int) bool {
	if len(p) != n {
		return false
	}
	seen := make([]bool, n)
	for _, v := range p {
		if v < 0 || v >= n || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// nsTree is a spanning tree of the bipartite graph (sources 0..n-1, sinks
// n..n+m-1). flow[v] is the flow on the arc between v and parent[v]; pot
// holds u for sources and v for sinks, with u_s + v_t = c(s, t) on tree
// arcs. size[v] counts the nodes of v's subtree; mark stamps the nodes met
// while looking for a pivot's apex. Both are set up lazily by the first
// pivot after the tree is built.
type nsTree struct {
	n, m                      int
	cost                      func(s, t int) float64
	parent, first, next, prev []int32
	size, mark                []int32
	flow, pot                 []float64
	stack                     []int32
	root, stamp               int32
	ready                     bool // size and root are valid
	sinceRefresh              int  // pivots since the potentials were recomputed
}

// newTree returns an empty tree over nn sources and mm sinks with the
// given arc cost.
func newTree(nn, mm int, cost func(s, t int) float64) *nsTree {
	N := nn + mm
	tr := &nsTree{
		n: nn, m: mm, cost: cost,
		parent: make([]int32, N), first: make([]int32, N),
		next: make([]int32, N), prev: make([]int32, N),
		size: make([]int32, N), mark: make([]int32, N),
		flow: make([]float64, N), pot: make([]float64, N),
	}
	tr.reset()
	return tr
}

// reset empties the tree.
func (t *nsTree) reset() {
	for v := range t.first {
		t.first[v], t.next[v], t.prev[v], t.parent[v] = -1, -1, -1, -1
		t.flow[v], t.pot[v] = 0, 0
	}
	t.ready = false
}

func (t *nsTree) detach(v int32) {
	p := t.parent[v]
	if t.prev[v] >= 0 {
		t.next[t.prev[v]] = t.next[v]
	} else {
		t.first[p] = t.next[v]
	}
	if t.next[v] >= 0 {
		t.prev[t.next[v]] = t.prev[v]
	}
}

func (t *nsTree) attach(v, p int32) {
	t.parent[v] = p
	t.prev[v] = -1
	t.next[v] = t.first[p]
	if t.first[p] >= 0 {
		t.prev[t.first[p]] = v
	}
	t.first[p] = v
}

// arcCost is the cost of the tree arc between v and its parent.
func (t *nsTree) arcCost(v int32) float64 {
	p := t.parent[v]
	if int(v) < t.n {
		return t.cost(int(v), int(p)-t.n)
	}
	return t.cost(int(p), int(v)-t.n)
}

// prepare finds the root and the subtree sizes of a freshly built tree.
func (t *nsTree) prepare() {
	t.root = 0
	for v, p := range t.parent {
		if p < 0 {
			t.root = int32(v)
			break
		}
	}
	// Preorder into the stack, then sizes in reverse.
	order := append(t.stack[:0], t.root)
	for k := 0; k < len(order); k++ {
		for ch := t.first[order[k]]; ch >= 0; ch = t.next[ch] {
			order = append(order, ch)
		}
	}
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		t.size[v] = 1
		for ch := t.first[v]; ch >= 0; ch = t.next[ch] {
			t.size[v] += t.size[ch]
		}
	}
	t.stack = order
	clear(t.mark)
	t.stamp = 0
	t.ready = true
}

// pivot brings arc (s, n+tt) with reduced cost rc < 0 into the tree,
// choosing the leaving arc so that the tree stays strongly feasible. It
// costs the length of the cycle plus the smaller of the two parts the
// leaving arc cuts the tree into (the potentials of that part shift).
func (t *nsTree) pivot(s, tt int, rc float64) {
	if !t.ready {
		t.prepare()
	}
	n := t.n
	i, j := int32(s), int32(n+tt)
	// Apex of the cycle: climb from i and j in turn, stamping the nodes
	// met, until one climb meets the other's stamp.
	if t.stamp >= math.MaxInt32-2 {
		clear(t.mark)
		t.stamp = 0
	}
	t.stamp += 2
	si, sj := t.stamp-1, t.stamp
	t.mark[i], t.mark[j] = si, sj
	u, w := i, j
	apex := int32(-1)
	for apex < 0 {
		if p := t.parent[u]; p >= 0 {
			u = p
			if t.mark[u] == sj {
				apex = u
				break
			}
			t.mark[u] = si
		}
		if p := t.parent[w]; p >= 0 {
			w = p
			if t.mark[w] == si {
				apex = w
				break
			}
			t.mark[w] = sj
		}
	}
	// The cycle carries flow apex→…→i→j→…→apex. Decreasing arcs: on the
	// i side those whose child is a source, on the j side those whose
	// child is a sink. Leaving arc: the last blocking arc met from apex.
	delta := math.Inf(1)
	leave := int32(-1)
	for v := i; v != apex; v = t.parent[v] {
		if int(v) < n && t.flow[v] < delta {
			delta, leave = t.flow[v], v
		}
	}
	for v := j; v != apex; v = t.parent[v] {
		if int(v) >= n && t.flow[v] <= delta {
			delta, leave = t.flow[v], v
		}
	}
	if delta > 0 {
		for v := i; v != apex; v = t.parent[v] {
			if int(v) < n {
				t.flow[v] -= delta
			} else {
				t.flow[v] += delta
			}
		}
		for v := j; v != apex; v = t.parent[v] {
			if int(v) >= n {
				t.flow[v] -= delta
			} else {
				t.flow[v] += delta
			}
		}
	}
	// Which end of the entering arc lies below the leaving arc?
	u1, u2 := j, i
	for v := i; v != apex; v = t.parent[v] {
		if v == leave {
			u1, u2 = i, j
			break
		}
	}
	// Shift the potentials of the part cut off by the leaving arc (its
	// sources by −shift, sinks by +shift), or, when it is the larger
	// part, those of the rest the other way: potentials are defined up
	// to such a shift.
	shift := rc
	if int(u1) < n {
		shift = -rc
	}
	S := t.size[leave]
	if int(S) <= (n+t.m)/2 {
		t.shiftFrom(leave, -1, shift)
	} else {
		t.shiftFrom(t.root, leave, -shift)
	}
	// Sizes: the ancestors of leave up to the apex lose the moved part,
	// those of u2 up to the apex gain it.
	for v := t.parent[leave]; v != apex; v = t.parent[v] {
		t.size[v] -= S
	}
	for v := u2; v != apex; v = t.parent[v] {
		t.size[v] += S
	}
	// Re-hang the path u1 … leave under u2, reversing it; along it the
	// new subtree of a node is the moved part less the old subtree of the
	// node below it.
	prevNode, prevFlow, prevSize := u2, delta, int32(0)
	for v := u1; ; {
		op, of, os := t.parent[v], t.flow[v], t.size[v]
		t.detach(v)
		t.attach(v, prevNode)
		t.flow[v] = prevFlow
		t.size[v] = S - prevSize
		if v == leave {
			break
		}
		prevNode, prevFlow, prevSize, v = v, of, os, op
	}
	if t.sinceRefresh++; t.sinceRefresh > n+t.m {
		t.refreshPotentials()
	}
}

// shiftFrom adds shift to the potentials of the sinks and subtracts it
// from those of the sources in the subtree of top, skipping the subtree
// of skip (−1: none). It walks the child lists without a stack: down to
// the first child, else on to the next sibling, else back up; the change
// flips sign at every step, sources and sinks alternating.
func (t *nsTree) shiftFrom(top, skip int32, shift float64) {
	pot, first, next, parent := t.pot, t.first, t.next, t.parent
	// sh is the change of v's potential; a child's is the opposite.
	sh := shift
	if int(top) < t.n {
		sh = -shift
	}
	pot[top] += sh
	v, c := top, first[top]
	for {
		if c >= 0 {
			if c == skip {
				c = next[c]
				continue
			}
			sh = -sh
			pot[c] += sh
			v, c = c, first[c]
			continue
		}
		if v == top {
			return
		}
		v, c = parent[v], next[v]
		sh = -sh
	}
}

// refreshPotentials recomputes the potentials from the tree arcs' costs
// (pot[root] = 0), removing the round-off accumulated by pivots.
func (t *nsTree) refreshPotentials() {
	if !t.ready {
		t.prepare()
	}
	t.sinceRefresh = 0
	t.pot[t.root] = 0
	st := append(t.stack[:0], t.root)
	for len(st) > 0 {
		v := st[len(st)-1]
		st = st[:len(st)-1]
		for ch := t.first[v]; ch >= 0; ch = t.next[ch] {
			t.pot[ch] = t.arcCost(ch) - t.pot[v]
			st = append(st, ch)
		}
	}
	t.stack = st
}

// cblockFactor scales the phase-1 pricing block, cblockFactor·sqrt(candidates).
var cblockFactor = 4.0

// blockFactor scales the pricing block, blockFactor·sqrt(arcs).
var blockFactor = 1.0

// networkSimplex runs on validated, normalised weights and a row-major cost.
func networkSimplex(a, b, c []float64, n, m int, rowOrder, colOrder []int) (*Plan, error) {
	// Keep the points with positive mass. The cost is used in place
	// unless some mass is zero.
	rows := make([]int, 0, n)
	cols := make([]int, 0, m)
	for i := 0; i < n; i++ {
		if a[i] > 0 {
			rows = append(rows, i)
		}
	}
	for j := 0; j < m; j++ {
		if b[j] > 0 {
			cols = append(cols, j)
		}
	}
	nn, mm := len(rows), len(cols)
	rc := c
	if nn != n || mm != m {
		rc = make([]float64, nn*mm)
		for s, i := range rows {
			ci := c[i*m : (i+1)*m]
			r := rc[s*mm : (s+1)*mm]
			for t, j := range cols {
				r[t] = ci[j]
			}
		}
	}
	maxC := 0.0
	for _, v := range rc {
		maxC = math.Max(maxC, math.Abs(v))
	}
	N := nn + mm
	tr := newTree(nn, mm, func(s, t int) float64 { return rc[s*mm+t] })
	// The greedy start packs arcs as int32 s*mm+t.
	var cand []int32
	if nn*mm < math.MaxInt32 && !noGreedy {
		cand = candidates(rc, nn, mm)
	}
	if cand == nil || !greedyStart(tr, ra0(a, rows), ra0(b, cols), rc, cand) {
		tr.reset()
		northWest(tr, ra0(a, rows), ra0(b, cols), seqOf(rowOrder, rows, n), seqOf(colOrder, cols, m))
	}
	// Block-search pricing.
	eps := 1e-13 * math.Max(maxC, 1e-300)
	total := nn * mm
	block := int(blockFactor * math.Sqrt(float64(total)))
	if block < 64 {
		block = 64
	}
	if block > total {
		block = total
	}
	maxPivots := 1000 * (N + 100) * int(math.Log2(float64(N)+2))
	pivots := 0
	// Phase 1: block pricing restricted to the candidate arcs of the
	// greedy start, which carry most of the optimal plan; phase 2 then
	// prices the whole matrix.
	if nc := len(cand); nc > 0 {
		cblock := max(int(cblockFactor*math.Sqrt(float64(nc))), 16)
		pos := 0
		for {
			best, be := -eps, int32(-1)
			for scanned, inBlock := 0, 0; scanned < nc; scanned, inBlock = scanned+1, inBlock+1 {
				if inBlock == cblock {
					if be >= 0 {
						break
					}
					inBlock = 0
				}
				e := cand[pos]
				pos++
				if pos == nc {
					pos = 0
				}
				s, t := int(e)/mm, int(e)%mm
				if r := rc[e] - tr.pot[s] - tr.pot[nn+t]; r < best {
					best, be = r, e
				}
			}
			if be < 0 {
				break
			}
			tr.pivot(int(be)/mm, int(be)%mm, best)
			if pivots++; pivots > maxPivots {
				return nil, fmt.Errorf("ot: network simplex did not converge in %d pivots", pivots)
			}
		}
	}
	ps, pt := 0, 0 // pricing position
	for {
		best, bs, bt := -eps, -1, -1
		scanned, inBlock := 0, 0
		for scanned < total {
			us := tr.pot[ps]
			row := rc[ps*mm : (ps+1)*mm]
			vv := tr.pot[nn:]
			lim := mm
			if rem := pt + (block - inBlock); rem < lim {
				lim = rem
			}
			if rem := pt + (total - scanned); rem < lim {
				lim = rem
			}
			for q := pt; q < lim; q++ {
				if r := row[q] - us - vv[q]; r < best {
					best, bs, bt = r, ps, q
				}
			}
			k := lim - pt
			scanned += k
			inBlock += k
			pt = lim
			if pt == mm {
				pt = 0
				ps++
				if ps == nn {
					ps = 0
				}
			}
			if inBlock >= block {
				if bs >= 0 {
					break
				}
				inBlock = 0
			}
		}
		if bs < 0 {
			break
		}
		tr.pivot(bs, bt, best)
		pivots++
		if pivots > maxPivots {
			return nil, fmt.Errorf("ot: network simplex did not converge in %d pivots", pivots)
		}
	}
	// Read the plan off the tree.
	p := &Plan{N: n, M: m}
	for v := 0; v < N; v++ {
		if tr.parent[v] < 0 || tr.flow[v] <= 0 {
			continue
		}
		pv := int(tr.parent[v])
		var i, j int
		if v < nn {
			i, j = rows[v], cols[pv-nn]
		} else {
			i, j = rows[pv], cols[v-nn]
		}
		p.Pairs = append(p.Pairs, Pair{I: i, J: j, Mass: tr.flow[v]})
	}
	sort.Slice(p.Pairs, func(x, y int) bool {
		if p.Pairs[x].I != p.Pairs[y].I {
			return p.Pairs[x].I < p.Pairs[y].I
		}
		return p.Pairs[x].J < p.Pairs[y].J
	})
	for _, q := range p.Pairs {
		p.Cost += q.Mass * c[q.I*m+q.J]
	}
	return p, nil
}

// principalOrder sorts both clouds along the leading principal axis of
// their union (power iteration on the pooled covariance, deterministic).
func principalOrder(x, y *mat.Dense) (ro, co []int) {
	n, d := x.Dims()
	m, _ := y.Dims()
	return principalOrderRaw(rowsOf(x), rowsOf(y), n, m, d)
}

// principalOrderRaw is principalOrder on row-major n×d and m×d points.
func principalOrderRaw(xs, ys []float64, n, m, d int) (ro, co []int) {
	mean := make([]float64, d)
	for _, pts := range [][]float64{xs, ys} {
		for k, v := range pts {
			mean[k%d] += v
		}
	}
	for k := range mean {
		mean[k] /= float64(n + m)
	}
	cov := make([]float64, d*d)
	tmp := make([]float64, d)
	for _, pts := range [][]float64{xs, ys} {
		for p := 0; p+d <= len(pts); p += d {
			for k := 0; k < d; k++ {
				tmp[k] = pts[p+k] - mean[k]
			}
			for k := 0; k < d; k++ {
				for l := 0; l < d; l++ {
					cov[k*d+l] += tmp[k] * tmp[l]
				}
			}
		}
	}
	dir := make([]float64, d)
	for k := range dir {
		dir[k] = 1 / math.Sqrt(float64(d)) * (1 + 0.01*float64(k))
	}
	for it := 0; it < 50; it++ {
		nrm := 0.0
		for k := 0; k < d; k++ {
			s := 0.0
			for l := 0; l < d; l++ {
				s += cov[k*d+l] * dir[l]
			}
			tmp[k] = s
			nrm += s * s
		}
		if nrm == 0 {
			break
		}
		nrm = math.Sqrt(nrm)
		for k := range dir {
			dir[k] = tmp[k] / nrm
		}
	}
	order := func(pts []float64, cnt int) []int {
		type pi struct {
			p float64
			i int
		}
		ps := make([]pi, cnt)
		for i := 0; i < cnt; i++ {
			s := 0.0
			for k := 0; k < d; k++ {
				s += pts[i*d+k] * dir[k]
			}
			ps[i] = pi{s, i}
		}
		// Ties by index: the order of a stable sort.
		slices.SortFunc(ps, func(a, b pi) int {
			switch {
			case a.p < b.p:
				return -1
			case a.p > b.p:
				return 1
			}
			return a.i - b.i
		})
		idx := make([]int, cnt)
		for k, e := range ps {
			idx[k] = e.i
		}
		return idx
	}
	return order(xs, n), order(ys, m)
}

// ra0 gathers w at the given indices.
func ra0(w []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = w[i]
	}
	return out
}

// seqOf lists the kept indices (positions in keep) in the given order of
// 0..k-1 (nil = identity).
func seqOf(order, keep []int, k int) []int {
	pos := make([]int, k)
	for q := range pos {
		pos[q] = -1
	}
	for q, i := range keep {
		pos[i] = q
	}
	seq := make([]int, 0, len(keep))
	for q := 0; q < k; q++ {
		i := q
		if order != nil {
			i = order[q]
		}
		if pos[i] >= 0 {
			seq = append(seq, pos[i])
		}
	}
	return seq
}

// northWest builds the north-west-corner basis in a fresh tree, visiting
// sources and sinks in the orders rs and cs: a path from source rs[0].
// When a source is exhausted the next source joins (an upward arc, which
// may carry zero flow); otherwise the next sink joins with positive flow.
// The tree is therefore strongly feasible.
func northWest(tr *nsTree, ra, rb []float64, rs, cs []int) {
	nn, mm := len(rs), len(cs)
	k, l := 0, 0
	child, par := int32(tr.n+cs[0]), int32(rs[0])
	for {
		s, t := rs[k], cs[l]
		var f float64
		switch {
		case k == nn-1:
			f = rb[t]
		case l == mm-1:
			f = ra[s]
		default:
			f = math.Min(ra[s], rb[t])
		}
		ra[s] -= f
		rb[t] -= f
		tr.attach(child, par)
		tr.flow[child] = f
		tr.pot[child] = tr.cost(s, t) - tr.pot[par]
		if (ra[s] <= 0 || l == mm-1) && k < nn-1 {
			par = int32(tr.n + t)
			k++
			child = int32(rs[k])
		} else if l < mm-1 {
			par = int32(s)
			l++
			child = int32(tr.n + cs[l])
		} else {
			break
		}
	}
}

// noGreedy forces the north-west-corner start (tests).
var noGreedy bool
