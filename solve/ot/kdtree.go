package ot

import (
	"math"
	"slices"

	"github.com/jko-org/jko/internal/parallel"
)

// kdLeaf is the largest number of points in a k-d tree leaf.
const kdLeaf = 16

// kdTree is a k-d tree over a point cloud, used both for nearest
// neighbours and for the pricing queries of the sparse solver: "the
// points t of the cloud with cost(x, y_t) − v_t below a threshold",
// pruned with a lower bound over a node: for the squared cost, from a
// plane under the lifted offsets |y|² − v of its points (setPlanes);
// otherwise the cost on its bounding box less its largest v_t.
type kdTree struct {
	d     int
	cf    CostFunc
	pts   []float64 // the points in tree order, row-major
	idx   []int32   // original index of each point in tree order
	pos   []int32   // tree position of each original point
	nodes []kdNode
	box   []float64 // per node: d lower then d upper bounds
	maxV  []float64 // per node: largest offset of its points
	off   []float64 // offsets in tree order (nil = all zero)
	maxO  float64   // largest |offset|
	// Squared Euclidean cost: per node a plane g·y + a below the lifted
	// offsets |y|² − off(y) of its points (d slopes then the intercept),
	// and the margin for the round-off of the bound it gives.
	plane    []float64
	pmarg    []float64
	usePlane []bool // per node: the plane bound is the tighter
}

type kdNode struct {
	lo, hi      int32 // range of points in tree order
	left, right int32 // children, -1 for a leaf
}

// newKDTree builds the tree over the m points ps (row-major, d columns).
func newKDTree(ps []float64, m, d int, cf CostFunc) *kdTree {
	t := &kdTree{d: d, cf: cf, idx: make([]int32, m)}
	for i := range t.idx {
		t.idx[i] = int32(i)
	}
	t.build(ps, 0, m)
	t.pts = make([]float64, m*d)
	for k, i := range t.idx {
		copy(t.pts[k*d:(k+1)*d], ps[int(i)*d:(int(i)+1)*d])
	}
	t.maxV = make([]float64, len(t.nodes))
	t.pos = make([]int32, m)
	for k, i := range t.idx {
		t.pos[i] = int32(k)
	}
	return t
}

// build appends the node of idx[lo:hi] and its subtree; it returns the
// node's index.
func (t *kdTree) build(ps []float64, lo, hi int) int32 {
	d := t.d
	me := int32(len(t.nodes))
	t.nodes = append(t.nodes, kdNode{lo: int32(lo), hi: int32(hi), left: -1, right: -1})
	b := len(t.box)
	t.box = append(t.box, make([]float64, 2*d)...)
	for k := 0; k < d; k++ {
		t.box[b+k], t.box[b+d+k] = math.Inf(1), math.Inf(-1)
	}
	for _, i := range t.idx[lo:hi] {
		p := ps[int(i)*d : (int(i)+1)*d]
		for k, v := range p {
			t.box[b+k] = min(t.box[b+k], v)
			t.box[b+d+k] = max(t.box[b+d+k], v)
		}
	}
	if hi-lo <= kdLeaf {
		return me
	}
	// Split the widest side at the median.
	dim, w := 0, -1.0
	for k := 0; k < d; k++ {
		if s := t.box[b+d+k] - t.box[b+k]; s > w {
			dim, w = k, s
		}
	}
	if w <= 0 {
		return me // all points equal
	}
	seg := t.idx[lo:hi]
	selectKth(seg, (hi-lo)/2, func(p, q int32) bool {
		u, v := ps[int(p)*d+dim], ps[int(q)*d+dim]
		return u < v || (u == v && p < q)
	})
	mid := (lo + hi) / 2
	l := t.build(ps, lo, mid)
	r := t.build(ps, mid, hi)
	t.nodes[me].left, t.nodes[me].right = l, r
	return me
}

// setOffsets sets the offsets v (indexed by original point) subtracted from
// the cost in queries, and the per-node maxima.
func (t *kdTree) setOffsets(v []float64) {
	if t.off == nil {
		t.off = make([]float64, len(t.idx))
	}
	for k, i := range t.idx {
		t.off[k] = v[i]
	}
	t.maxO = 0
	for _, o := range t.off {
		t.maxO = max(t.maxO, math.Abs(o))
	}
	for q := len(t.nodes) - 1; q >= 0; q-- {
		nd := t.nodes[q]
		if nd.left < 0 {
			mx := math.Inf(-1)
			for _, o := range t.off[nd.lo:nd.hi] {
				mx = max(mx, o)
			}
			t.maxV[q] = mx
		} else {
			t.maxV[q] = max(t.maxV[nd.left], t.maxV[nd.right])
		}
	}
	if t.cf == SqEuclidean {
		t.setPlanes()
	}
}

// setPlanes fits, for every node, a plane g·y + a under the lifted
// offsets w(y) = |y|² − off(y) of its points: g by least squares on the
// leaves (averaged up the tree), a the largest intercept that keeps the
// plane below every point. Then cost(x, y) − off(y) = |x|² + w(y) − 2x·y
// ≥ |x|² + a + min over the node's box of (g − 2x)·y, a bound that
// stays tight when the offsets vary much within a node (transport over
// long distances), unlike the box's cost less the largest offset.
func (t *kdTree) setPlanes() {
	d := t.d
	if t.plane == nil {
		t.plane = make([]float64, len(t.nodes)*(d+1))
		t.pmarg = make([]float64, len(t.nodes))
		t.usePlane = make([]bool, len(t.nodes))
	}
	w := make([]float64, len(t.off))
	for k := range w {
		p := t.pts[k*d : (k+1)*d]
		w[k] = dot(p, p) - t.off[k]
	}
	A := make([]float64, d*(d+1))
	mean := make([]float64, d)
	for q := len(t.nodes) - 1; q >= 0; q-- {
		nd := t.nodes[q]
		g := t.plane[q*(d+1) : q*(d+1)+d]
		if nd.left < 0 {
			fitSlopes(t.pts, w, int(nd.lo), int(nd.hi), d, A, mean, g)
		} else {
			l, r := t.plane[int(nd.left)*(d+1):], t.plane[int(nd.right)*(d+1):]
			nl := float64(t.nodes[nd.left].hi - t.nodes[nd.left].lo)
			nr := float64(t.nodes[nd.right].hi - t.nodes[nd.right].lo)
			for i := range g {
				g[i] = (nl*l[i] + nr*r[i]) / (nl + nr)
			}
		}
		a, ra, ga := math.Inf(1), math.Inf(-1), 0.0
		lv, hv := math.Inf(1), math.Inf(-1)
		for k := nd.lo; k < nd.hi; k++ {
			r := w[k] - dot(g, t.pts[int(k)*d:int(k+1)*d])
			a, ra = min(a, r), max(ra, r)
			lv, hv = min(lv, t.off[k]), max(hv, t.off[k])
		}
		// The plane serves the node when the points stray less from it
		// than the offsets vary (otherwise the box bound is tighter).
		t.usePlane[q] = ra-a < hv-lv
		for _, v := range g {
			ga += math.Abs(v)
		}
		t.plane[q*(d+1)+d] = a
		t.pmarg[q] = 1e-11 * (1 + 4*float64(d) + t.maxO + ga + math.Abs(a))
	}
}

// fitSlopes sets g to the least-squares slopes of w over the points
// lo..hi (tree order), or to zero when they do not determine them.
func fitSlopes(pts, w []float64, lo, hi, d int, A, mean, g []float64) {
	clear(g)
	cnt := float64(hi - lo)
	if hi-lo <= d {
		return
	}
	clear(mean)
	wm := 0.0
	for k := lo; k < hi; k++ {
		for i := 0; i < d; i++ {
			mean[i] += pts[k*d+i] / cnt
		}
		wm += w[k] / cnt
	}
	// Normal equations [YᵀY | Yᵀw] on centred data, ridge for safety.
	clear(A)
	for k := lo; k < hi; k++ {
		for i := 0; i < d; i++ {
			yi := pts[k*d+i] - mean[i]
			for j := 0; j <= i; j++ {
				A[i*(d+1)+j] += yi * (pts[k*d+j] - mean[j])
			}
			A[i*(d+1)+d] += yi * (w[k] - wm)
		}
	}
	tr := 0.0
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			A[i*(d+1)+j] = A[j*(d+1)+i]
		}
		tr += A[i*(d+1)+i]
	}
	if !(tr > 0) {
		return
	}
	for i := 0; i < d; i++ {
		A[i*(d+1)+i] += 1e-9 * tr
	}
	// Gaussian elimination (symmetric positive definite: no pivoting).
	for i := 0; i < d; i++ {
		piv := A[i*(d+1)+i]
		for r := i + 1; r < d; r++ {
			f := A[r*(d+1)+i] / piv
			for c := i; c <= d; c++ {
				A[r*(d+1)+c] -= f * A[i*(d+1)+c]
			}
		}
	}
	for i := d - 1; i >= 0; i-- {
		v := A[i*(d+1)+d]
		for c := i + 1; c < d; c++ {
			v -= A[i*(d+1)+c] * g[c]
		}
		g[i] = v / A[i*(d+1)+i]
	}
	for _, v := range g {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 64 {
			clear(g)
			return
		}
	}
}

// planeBound is the plane's lower bound of cost(x, y) − off(y) over node
// q, less its margin (squared Euclidean cost only).
func (t *kdTree) planeBound(x []float64, xx float64, q int32) float64 {
	d := t.d
	pl := t.plane[int(q)*(d+1) : int(q+1)*(d+1)]
	bx := t.box[int(q)*2*d : int(q+1)*2*d]
	s := xx + pl[d]
	for i, v := range x[:d] {
		c := pl[i] - 2*v
		s += min(c*bx[i], c*bx[d+i])
	}
	return s - t.pmarg[q]
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// pointCost is the cost between two points.
func pointCost(p, q []float64, cf CostFunc) float64 {
	s := 0.0
	for k, v := range p {
		u := v - q[k]
		s += u * u
	}
	if cf == Euclidean {
		return math.Sqrt(s)
	}
	return s
}

// boxCost is a lower bound of the cost between x and any point of node q's
// box (floating-point rounding is monotone, so it never exceeds the cost
// computed by pointCost).
func (t *kdTree) boxCost(x []float64, q int32) float64 {
	d := t.d
	b := t.box[int(q)*2*d : (int(q)+1)*2*d]
	s := 0.0
	for k, v := range x {
		if lo := b[k]; v < lo {
			u := lo - v
			s += u * u
		} else if hi := b[d+k]; v > hi {
			u := v - hi
			s += u * u
		}
	}
	if t.cf == Euclidean {
		return math.Sqrt(s)
	}
	return s
}

// hit is one query result: point J (original index) at value Val =
// cost − offset.
type hit struct {
	J   int32
	Val float64
}

// kdQuery holds the state of one query; reuse it across queries of one
// goroutine.
type kdQuery struct {
	best  []hit // sorted by Val, at most limit
	stack []nodeBound
	vals  []float64 // searchNear's values of the near points
}

// search returns in qs.best the at most limit points J with the smallest
// cost(x, y_J) − off_J among those below thr (ties broken by J). With
// useOff false the offsets are zero (nearest neighbours).
func (t *kdTree) search(x []float64, thr float64, limit int, useOff bool, qs *kdQuery) []hit {
	d := t.d
	qs.best = qs.best[:0]
	planes := useOff && t.plane != nil
	xx := dot(x, x)
	st := append(qs.stack[:0], nodeBound{0, t.bound(x, xx, 0, useOff, planes)})
	for len(st) > 0 {
		nb := st[len(st)-1]
		st = st[:len(st)-1]
		if !(nb.lb < thr) {
			continue
		}
		nd := t.nodes[nb.q]
		if nd.left >= 0 {
			// Visit the child of lower bound first (pushed last).
			l := nodeBound{nd.left, t.bound(x, xx, nd.left, useOff, planes)}
			r := nodeBound{nd.right, t.bound(x, xx, nd.right, useOff, planes)}
			if l.lb < r.lb {
				l, r = r, l
			}
			st = append(st, l, r)
			continue
		}
		for k := nd.lo; k < nd.hi; k++ {
			val := pointCost(x, t.pts[int(k)*d:(int(k)+1)*d], t.cf)
			if useOff {
				val -= t.off[k]
			}
			if !(val < thr) {
				continue
			}
			h := hit{t.idx[k], val}
			b := qs.best
			p := len(b)
			if p < limit {
				b = append(b, h)
			} else {
				p--
				if !hitLess(h, b[p]) {
					continue
				}
			}
			for p > 0 && hitLess(h, b[p-1]) {
				b[p] = b[p-1]
				p--
			}
			b[p] = h
			qs.best = b
			if len(b) == limit {
				thr = min(thr, b[limit-1].Val)
			}
		}
	}
	qs.stack = st
	return qs.best
}

// searchNear is search with no threshold (the limit points J of least
// cost(x, y_J) − off_J), which starts from the threshold that the points
// of near (original indices, the answer of a query from a point close
// to x) give: the same answer, with fewer nodes visited.
func (t *kdTree) searchNear(x []float64, limit int, useOff bool, near []hit, qs *kdQuery) []hit {
	thr := math.Inf(1)
	if len(near) >= limit {
		// The limit-th least value over near bounds the limit-th least
		// over all points; thr just above it keeps points of that value.
		vals := qs.vals[:0]
		for _, h := range near {
			k := t.pos[h.J]
			val := pointCost(x, t.pts[int(k)*t.d:(int(k)+1)*t.d], t.cf)
			if useOff {
				val -= t.off[k]
			}
			vals = append(vals, val)
		}
		slices.Sort(vals)
		thr = math.Nextafter(vals[limit-1], math.Inf(1))
		qs.vals = vals
	}
	return t.search(x, thr, limit, useOff, qs)
}

// bound is a lower bound of cost(x, ·) − offset (useOff) or of the cost
// over node q.
func (t *kdTree) bound(x []float64, xx float64, q int32, useOff, planes bool) float64 {
	switch {
	case planes && t.usePlane[q]:
		return t.planeBound(x, xx, q)
	case useOff:
		return t.boxCost(x, q) - t.maxV[q]
	}
	return t.boxCost(x, q)
}

// nodeBound is a node with a lower bound of its values.
type nodeBound struct {
	q  int32
	lb float64
}

func hitLess(a, b hit) bool {
	return a.Val < b.Val || (a.Val == b.Val && a.J < b.J)
}

// selectKth partially orders a so that a[k] is the element of rank k
// under less (a strict total order) with the smaller ones before it and
// the others after (quickselect; the result depends on nothing else).
func selectKth(a []int32, k int, less func(p, q int32) bool) {
	lo, hi := 0, len(a)-1
	for hi > lo {
		if hi-lo < 16 {
			for i := lo + 1; i <= hi; i++ {
				for j := i; j > lo && less(a[j], a[j-1]); j-- {
					a[j], a[j-1] = a[j-1], a[j]
				}
			}
			return
		}
		// Median of three as the pivot, moved to hi.
		mid := lo + (hi-lo)/2
		if less(a[mid], a[lo]) {
			a[mid], a[lo] = a[lo], a[mid]
		}
		if less(a[hi], a[lo]) {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if less(a[mid], a[hi]) {
			a[mid], a[hi] = a[hi], a[mid]
		}
		pv := a[hi]
		st := lo
		for i := lo; i < hi; i++ {
			if less(a[i], pv) {
				a[i], a[st] = a[st], a[i]
				st++
			}
		}
		a[st], a[hi] = a[hi], a[st]
		switch {
		case k < st:
			hi = st - 1
		case k > st:
			lo = st + 1
		default:
			return
		}
	}
}

// nearQueries runs tree.searchNear from every point of pts (row-major,
// d columns) in the order of order (a k-d tree's order over pts, in
// which consecutive points lie close), each starting from the previous
// point's answer, in parallel; keep(s, hits) receives point s's answer
// (valid during the call only). The answers are search's, whatever the
// order and the number of cores.
func nearQueries(tree *kdTree, pts []float64, d int, order []int32, limit int, useOff bool, keep func(s int, hs []hit)) {
	parallel.Chunks(len(order), 64, func(lo, hi int) {
		var qs kdQuery
		var prev []hit
		for _, s := range order[lo:hi] {
			hs := tree.searchNear(pts[int(s)*d:int(s+1)*d], limit, useOff, prev, &qs)
			keep(int(s), hs)
			prev = append(prev[:0], hs...)
		}
	})
}
