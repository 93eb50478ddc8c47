package ot

import (
	"math"

	"github.com/jko-org/jko/internal/parallel"
)

// useDense tells whether the sparse solver stores the cost matrix (8
// bytes a pair) and answers its nearest-neighbour, start and pricing
// queries by scanning it instead of querying k-d trees: in five
// dimensions and more up to denseMaxPairs pairs. A scan reads one cost a
// pair; a k-d tree query in five dimensions over a few thousand points
// computes about as many costs as the row has, plus bounds. Measured
// with cachegrind (instructions of a whole solve, one thread): uniform
// 1000 × 1300 in 5-D 458M → 375M, 2500 × 2000 1.12G → 1.06G; the EB
// train pairs 21–34% fewer; but in 2-D 1000 × 1300 271M → 337M, 3-D
// 309M → 390M, 4-D 422M → 431M, where the trees prune well.
func useDense(nn, mm, d int) bool {
	return d >= denseMinDim && nn*mm <= denseMaxPairs
}

// denseMinDim and denseMaxPairs bound the problems useDense stores.
var denseMinDim, denseMaxPairs = 5, 6_000_000

// denseCosts is the cost matrix of a sparse problem, row-major: c[s·mm + t].
type denseCosts struct {
	nn, mm int
	c      []float64
	zero   []float64
}

// newDenseCosts computes the cost matrix of p (rows in parallel; each
// entry is p.cost's value, so queries return what the k-d trees would).
func newDenseCosts(p *sparseProblem) *denseCosts {
	nn, mm, d := p.nn, p.mm, p.d
	dc := allocDense(nn, mm)
	parallel.Chunks(nn, 16, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			costRow(p.xs[s*d:(s+1)*d], p.ys, p.cf, dc.c[s*mm:(s+1)*mm])
		}
	})
	return dc
}

// allocDense returns an nn×mm cost matrix to be filled (fillColumns).
func allocDense(nn, mm int) *denseCosts {
	return &denseCosts{nn: nn, mm: mm, c: make([]float64, nn*mm), zero: make([]float64, mm)}
}

// costRow sets row[t] to pointCost(x, y_t) for the points y of ys
// (row-major, len(x) columns), with the same operations in the same
// order, unrolled for two and five dimensions.
func costRow(x, ys []float64, cf CostFunc, row []float64) {
	d := len(x)
	switch d {
	case 2:
		x0, x1 := x[0], x[1]
		ys = ys[:2*len(row)]
		for t := range row {
			y := ys[2*t : 2*t+2 : 2*t+2]
			u0, u1 := x0-y[0], x1-y[1]
			s := 0.0
			s += u0 * u0
			s += u1 * u1
			row[t] = s
		}
	case 5:
		x0, x1, x2, x3, x4 := x[0], x[1], x[2], x[3], x[4]
		ys = ys[:5*len(row)]
		for t := range row {
			y := ys[5*t : 5*t+5 : 5*t+5]
			u0, u1, u2, u3, u4 := x0-y[0], x1-y[1], x2-y[2], x3-y[3], x4-y[4]
			s := 0.0
			s += u0 * u0
			s += u1 * u1
			s += u2 * u2
			s += u3 * u3
			s += u4 * u4
			row[t] = s
		}
	default:
		for t := range row {
			y := ys[t*d : (t+1)*d]
			y = y[:len(x)]
			s := 0.0
			for k, v := range x {
				u := v - y[k]
				s += u * u
			}
			row[t] = s
		}
	}
	if cf == Euclidean {
		for t, v := range row {
			row[t] = math.Sqrt(v)
		}
	}
}

// zeros returns mm zeros (the offsets of a nearest-neighbour query).
func (dc *denseCosts) zeros() []float64 {
	return dc.zero
}

// row returns in qs.best the at most limit sinks t with the smallest
// c(s, t) − off_t below thr (off nil: zero), sorted with ties broken by
// t: the answer of kdTree.search for the point s.
func (dc *denseCosts) row(s int, off []float64, thr float64, limit int, qs *kdQuery) []hit {
	row := dc.c[s*dc.mm : (s+1)*dc.mm]
	b := qs.best[:0]
	if off == nil {
		off = dc.zeros()
	}
	off = off[:len(row)]
	for t, c := range row {
		val := c - off[t]
		if !(val < thr) {
			continue
		}
		p := len(b)
		if p < limit {
			b = append(b, hit{})
		} else {
			p--
		}
		for p > 0 && val < b[p-1].Val {
			b[p] = b[p-1]
			p--
		}
		b[p] = hit{int32(t), val}
		if len(b) == limit {
			thr = b[limit-1].Val
		}
	}
	qs.best = b
	return b
}

// columns writes, for every sink t, the at most limit sources s with the
// smallest c(s, t) − off_s (off nil: zero), sorted with ties broken by s,
// into out[t·limit:] and their number into cnt[t]. Column blocks run in
// parallel, each scanning the rows' segments in order.
func (dc *denseCosts) columns(off []float64, limit int, out []hit, cnt []int) {
	dc.scanColumns(nil, off, limit, out, cnt)
}

// fillColumns computes the cost matrix of p (allocDense) and answers the
// column queries of columns in the same pass: each column block computes
// its costs row by row and scans them while they are in cache.
func (dc *denseCosts) fillColumns(p *sparseProblem, off []float64, limit int, out []hit, cnt []int) {
	dc.scanColumns(p, off, limit, out, cnt)
}

// scanColumns is columns, computing each row's segment of the matrix
// first when p is not nil.
func (dc *denseCosts) scanColumns(p *sparseProblem, off []float64, limit int, out []hit, cnt []int) {
	nn, mm := dc.nn, dc.mm
	parallel.Chunks(mm, 64, func(lo, hi int) {
		worst := make([]float64, hi-lo)
		for q := range worst {
			worst[q] = math.Inf(1)
			cnt[lo+q] = 0
		}
		for s := 0; s < nn; s++ {
			o := 0.0
			if off != nil {
				o = off[s]
			}
			seg := dc.c[s*mm+lo : s*mm+hi]
			if p != nil {
				d := p.d
				costRow(p.xs[s*d:(s+1)*d], p.ys[lo*d:hi*d], p.cf, seg)
			}
			seg = seg[:len(worst)]
			for q, c := range seg {
				val := c - o
				if !(val < worst[q]) {
					continue
				}
				t := lo + q
				b := out[t*limit : (t+1)*limit]
				p := cnt[t]
				if p < limit {
					cnt[t]++
				} else {
					p--
				}
				for p > 0 && val < b[p-1].Val {
					b[p] = b[p-1]
					p--
				}
				b[p] = hit{int32(s), val}
				if cnt[t] == limit {
					worst[q] = b[limit-1].Val
				}
			}
		}
	})
}
