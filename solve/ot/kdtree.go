package ot

import (
	"math"
	"slices"
)

// kdLeaf is the largest number of points in a k-d tree leaf.
const kdLeaf = 16

// kdTree is a k-d tree over a point cloud, used both for nearest
// neighbours and for the pricing queries of the sparse solver: "the
// points t of the cloud with cost(x, y_t) − v_t below a threshold",
// pruned with a lower bound of the cost on a node's bounding box and the
// largest v_t in the node.
type kdTree struct {
	d     int
	cf    CostFunc
	pts   []float64 // the points in tree order, row-major
	idx   []int32   // original index of each point in tree order
	nodes []kdNode
	box   []float64 // per node: d lower then d upper bounds
	maxV  []float64 // per node: largest offset of its points
	off   []float64 // offsets in tree order (nil = all zero)
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
			t.box[b+k] = math.Min(t.box[b+k], v)
			t.box[b+d+k] = math.Max(t.box[b+d+k], v)
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
	slices.SortFunc(seg, func(p, q int32) int {
		u, v := ps[int(p)*d+dim], ps[int(q)*d+dim]
		switch {
		case u < v:
			return -1
		case u > v:
			return 1
		}
		return int(p - q)
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
	for q := len(t.nodes) - 1; q >= 0; q-- {
		nd := t.nodes[q]
		if nd.left < 0 {
			mx := math.Inf(-1)
			for _, o := range t.off[nd.lo:nd.hi] {
				mx = math.Max(mx, o)
			}
			t.maxV[q] = mx
		} else {
			t.maxV[q] = math.Max(t.maxV[nd.left], t.maxV[nd.right])
		}
	}
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
	stack []int32
}

// search returns in qs.best the at most limit points J with the smallest
// cost(x, y_J) − off_J among those below thr (ties broken by J). With
// useOff false the offsets are zero (nearest neighbours).
func (t *kdTree) search(x []float64, thr float64, limit int, useOff bool, qs *kdQuery) []hit {
	d := t.d
	qs.best = qs.best[:0]
	st := append(qs.stack[:0], 0)
	for len(st) > 0 {
		q := st[len(st)-1]
		st = st[:len(st)-1]
		lb := t.boxCost(x, q)
		if useOff {
			lb -= t.maxV[q]
		}
		if !(lb < thr) {
			continue
		}
		nd := t.nodes[q]
		if nd.left >= 0 {
			// Visit the nearer child first (pushed last).
			l, r := nd.left, nd.right
			if t.boxCost(x, l) < t.boxCost(x, r) {
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
				thr = math.Min(thr, b[limit-1].Val)
			}
		}
	}
	qs.stack = st
	return qs.best
}

func hitLess(a, b hit) bool {
	return a.Val < b.Val || (a.Val == b.Val && a.J < b.J)
}
