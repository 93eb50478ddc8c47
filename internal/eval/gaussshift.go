package eval

import (
	"math"
)

// Sums over shifted copies of a cloud.
//
// NewShiftedGaussSum prepares G(t) = Σ_j Σ_m w_m exp(−‖t − y_j − c_m‖²/s):
// the ny·M sources y_j + c_m with the weights w_m. When the shifts lie on
// a lattice (on every axis, their differences are integer multiples of one
// step δ, as the centres of grid are), the lattice spacing is chosen to
// divide δ (the largest h ≤ the tolerance's spacing that does) and aligned
// with the shifts: the masses of the ny sources are spread once and the M
// copies added shifted by whole lattice steps, ny·p^d + M·(the cloud's box
// in lattice points) operations instead of ny·M·p^d, with the same sums
// as spreading each shifted source (to rounding: the shifts are rounded to
// whole steps, an error of at most 1e-12·max(1, |c|) in a position).
// Otherwise the ny·M sources are listed and summed as NewGaussSumIn does.

// NewShiftedGaussSum prepares the sums over the sources y_j + c_m (ys ny×d,
// c M×d) with the weights w_m (M) of the kernel exp(−‖t − y‖²/s), to the
// tolerance tol per unit of ny·Σ_m |w_m| (see GaussSum), for about
// targets targets in the box [tlo, thi] (nil: anywhere; see NewGaussSumIn).
func NewShiftedGaussSum(ys []float64, ny int, c, w []float64, M, d int, s, tol float64, targets int, tlo, thi []float64) *GaussSum {
	general := func() *GaussSum {
		src, ws := make([]float64, ny*M*d), make([]float64, ny*M)
		for j := range ny {
			for m := range M {
				u := j*M + m
				for k := range d {
					src[u*d+k] = ys[j*d+k] + c[m*d+k]
				}
				ws[u] = w[m]
			}
		}
		return NewGaussSumIn(src, ws, ny*M, d, s, tol, targets, tlo, thi)
	}
	if ny == 0 || M == 0 || d > 3 || !(tol > 0) {
		return general()
	}
	p := gaussStencil
	h := gaussSpacing(p, tol) * math.Sqrt(s)
	R := math.Sqrt(gaussReach2(tol) * s)
	// The shifts' step δ and their offsets from cmin in steps.
	cmin, cmax := make([]float64, d), make([]float64, d)
	scale := 1.0
	for k := range d {
		cmin[k], cmax[k] = math.Inf(1), math.Inf(-1)
	}
	for m := range M {
		for k := range d {
			v := c[m*d+k]
			cmin[k], cmax[k] = math.Min(cmin[k], v), math.Max(cmax[k], v)
			scale = math.Max(scale, math.Abs(v))
		}
	}
	eps := 1e-12 * scale
	delta := math.Inf(1)
	for m := range M {
		for k := range d {
			if v := c[m*d+k] - cmin[k]; v > eps {
				delta = math.Min(delta, v)
			}
		}
	}
	steps := 1
	if !math.IsInf(delta, 1) {
		steps = int(math.Ceil(delta / h))
		h = delta / float64(steps)
	}
	shift := make([]int, M*d)
	for m := range M {
		for k := range d {
			v := c[m*d+k] - cmin[k]
			if v <= eps {
				continue
			}
			r := math.Round(v / delta)
			if math.Abs(v-r*delta) > eps {
				return general()
			}
			shift[m*d+k] = int(r) * steps
		}
	}
	gs := &GaussSum{d: d, s: s, ys: ys[:ny*d], ny: ny, cs: c[:M*d], cw: w[:M]}
	if tlo != nil {
		gs.tlo, gs.thi = tlo[:d], thi[:d]
	}
	// The sources' box: the cloud's shifted by cmin and by cmax.
	ylo, yhi := make([]float64, d), make([]float64, d)
	for k := range d {
		ylo[k], yhi[k] = math.Inf(1), math.Inf(-1)
	}
	for j := range ny {
		for k := range d {
			v := ys[j*d+k] + cmin[k]
			ylo[k], yhi[k] = math.Min(ylo[k], v), math.Max(yhi[k], v)
		}
	}
	lo, hi := make([]float64, d), make([]float64, d)
	for k := range d {
		// The last copy lies steps·δ·r from the first.
		lo[k], hi[k] = ylo[k], yhi[k]+cmax[k]-cmin[k]
	}
	L, size := layout(d, h, R, lo, hi, gs.tlo, gs.thi)
	if L == nil {
		gs.none = true
		return gs
	}
	// The cloud's own masses, on the lattice of the same spacing and
	// phase over its box (one step more each side).
	sub := &gaussLattice{p: p, h: h, lo: make([]float64, d), n: make([]int, d), stride: make([]int, d)}
	var off [3]int // lattice index of sub's point 0
	subSize := 1.0
	for k := range d {
		off[k] = int(math.Floor((ylo[k]-L.lo[k])/h)) - p/2 - 1
		sub.lo[k] = L.lo[k] + float64(off[k])*h
		sub.n[k] = int(math.Ceil((yhi[k]-sub.lo[k])/h)) + p/2 + 2
		subSize *= float64(sub.n[k])
	}
	reach := math.Ceil(R / h)
	pd := math.Pow(float64(p), float64(d))
	latticeCost := size*(2*reach+1)*float64(d*(d+1)/2+d) + float64(targets)*pd*float64(d+1) + float64(ny)*pd + float64(M)*subSize
	pairCost := float64(targets) * float64(ny*M) * float64(d+1) * 3
	if size > maxLattice || latticeCost >= pairCost {
		gs.tlo, gs.thi = nil, nil
		return gs
	}
	st := 1
	for k := d - 1; k >= 0; k-- {
		sub.stride[k] = st
		st *= sub.n[k]
	}
	ysh := make([]float64, ny*d)
	for j := range ny {
		for k := range d {
			ysh[j*d+k] = ys[j*d+k] + cmin[k]
		}
	}
	Wy := make([]float64, st)
	sub.spread(Wy, ysh, nil, ny, d, nil, nil)
	// W(q + off + shift_m) += w_m Wy(q), line by line along the last axis.
	W := make([]float64, L.stride[0]*L.n[0])
	var n3, sst, lst [3]int
	for k := range 3 {
		n3[k] = 1
	}
	for k := range d {
		n3[3-d+k], sst[3-d+k], lst[3-d+k] = sub.n[k], sub.stride[k], L.stride[k]
	}
	var o3 [3]int
	for m := range M {
		wm := w[m]
		if wm == 0 {
			continue
		}
		for k := range d {
			o3[3-d+k] = off[k] + shift[m*d+k]
		}
		for a := range n3[0] {
			for b := range n3[1] {
				src := Wy[a*sst[0]+b*sst[1]:][:n3[2]]
				dst := W[(a+o3[0])*lst[0]+(b+o3[1])*lst[1]+o3[2]:][:n3[2]]
				for i, v := range src {
					dst[i] += wm * v
				}
			}
		}
	}
	L.finish(W, d, s, int(reach))
	gs.lat = L
	return gs
}

// shiftedPairs is At over the pairs of the targets and the sources
// y_j + c_m.
func (gs *GaussSum) shiftedPairs(t []float64, n int, val, grad []float64) {
	d, M := gs.d, len(gs.cw)
	fac, G := make([]float64, d), make([]float64, d)
	for i := range n {
		ti := t[i*d : (i+1)*d]
		H := 0.0
		clear(G)
		for j := range gs.ny {
			yj := gs.ys[j*d : (j+1)*d]
			for m := range M {
				cm := gs.cs[m*d : (m+1)*d]
				e := gs.cw[m]
				for k := range d {
					v := ti[k] - (yj[k] + cm[k])
					fac[k] = v
					e *= math.Exp(-v * v / gs.s)
				}
				H += e
				for k := range d {
					G[k] += -2 / gs.s * fac[k] * e
				}
			}
		}
		if val != nil {
			val[i] = H
		}
		if grad != nil {
			copy(grad[i*d:(i+1)*d], G)
		}
	}
}
