package eval

import (
	"math"
	"sync"

	"github.com/jko-org/jko/internal/parallel"
)

// Sums of a Gaussian kernel over a cloud without the pair loop.
//
// GaussSum evaluates H(t) = Σ_j exp(−‖t − y_j‖²/s) and ∇H(t) at many
// targets t. Directly that is one kernel evaluation per (target, source)
// pair. On a uniform lattice of spacing h covering the sources (and every
// target within the kernel's reach of them) it is instead:
//
//  1. anterpolation: each source spreads its unit mass onto the p^d
//     lattice points around it with the weights of local p-point Lagrange
//     interpolation, W(q) = Σ_j ℓ_q(y_j), so Σ_j f(y_j) ≈ Σ_q W(q) f(q)
//     for any f smooth at the scale h (exact for polynomials of degree
//     < p in each coordinate, cell by cell);
//  2. a separable discrete convolution: H and ∂_k H at every lattice point
//     a are Σ_q W(q) Π_k g_k(a_k − q_k) with g_k the 1-D kernel (or its
//     derivative on axis k), one axis at a time, so the cost is the
//     lattice size times the kernel's reach in lattice steps per axis;
//  3. interpolation: H(t) and ∂_k H(t) by the same local p-point Lagrange
//     interpolation of the lattice values around t.
//
// Both approximations are interpolations of a Gaussian of width √s at
// spacing h, so their error is a function of h/√s and p alone: the spacing
// is the largest for which the 1-D interpolation error of the kernel and of
// its derivative (normalised to its maximum) is at most tol, measured on a
// fine sample when the first GaussSum of that (p, tol) is built. The error
// of H is then at most tol per source, and of ∂_k H tol·max|g′| per source
// (the tests check both against the exact pair sums; the errors of the
// sources largely cancel, and the measured errors are 100–1000× smaller).
// Targets farther than the kernel's reach R (exp(−R²/s) = tol/1000) from
// the sources' bounding box on some axis get 0, and the convolutions stop
// at R.
//
// The lattice is used when it is cheaper than the pair sums for the number
// of targets expected, and d ≤ 3; otherwise At sums over the pairs exactly.
//
// The sources may carry weights (NewWeightedGaussSum): H(t) =
// Σ_j w_j exp(−‖t − y_j‖²/s). Anterpolation spreads w_j instead of a unit
// mass and the pair sums multiply by w_j; the errors above are per unit of
// |w_j|, so the bounds become tol·Σ_j |w_j| for H and tol·max|g′|·Σ_j |w_j|
// for ∂_k H (TestWeightedGaussSumMatchesPairs).
type GaussSum struct {
	d   int
	s   float64
	ys  []float64 // the exact path (lat == nil)
	ws  []float64 // the sources' weights (nil: 1)
	ny  int
	lat *gaussLattice
}

// gaussLattice holds the lattice values of H and ∇H.
type gaussLattice struct {
	p      int
	h      float64
	lo     []float64 // the coordinates of lattice point 0 per axis
	n      []int     // points per axis
	stride []int     // of the lattice index, the last axis fastest
	// vals holds, per lattice point, H then ∂_0 H … ∂_{d−1} H.
	vals []float64
	// reach: targets outside [boxLo − R, boxHi + R] on an axis get 0.
	boxLo, boxHi []float64
}

// gaussStencil is the number of lattice points per axis of the
// interpolation stencils.
const gaussStencil = 10

// gaussReach2 is R²/s, the kernel's reach for the tolerance:
// exp(−R²/s) = tol/1000.
func gaussReach2(tol float64) float64 { return math.Log(1e3 / tol) }

// maxLattice bounds the lattice's points (memory: (d+1) values each).
const maxLattice = 1 << 22

var gaussSpacings sync.Map // gaussKey → h/√s

type gaussKey struct {
	p   int
	tol float64
}

// NewGaussSum prepares the sums over the ny sources ys (ny×d) of the kernel
// exp(−‖t − y‖²/s), s > 0, to the tolerance tol (see GaussSum) for about
// targets targets.
func NewGaussSum(ys []float64, ny, d int, s, tol float64, targets int) *GaussSum {
	return NewWeightedGaussSum(ys, nil, ny, d, s, tol, targets)
}

// NewWeightedGaussSum is NewGaussSum for the sums Σ_j w_j exp(−‖t − y_j‖²/s)
// with the weights w (ny entries; nil for 1): the tolerance is then per
// unit of Σ_j |w_j| (see GaussSum).
func NewWeightedGaussSum(ys, w []float64, ny, d int, s, tol float64, targets int) *GaussSum {
	gs := &GaussSum{d: d, s: s, ys: ys[:ny*d], ny: ny}
	if w != nil {
		gs.ws = w[:ny]
	}
	if ny == 0 || d > 3 || !(tol > 0) {
		return gs
	}
	p := gaussStencil
	h := gaussSpacing(p, tol) * math.Sqrt(s)
	R := math.Sqrt(gaussReach2(tol) * s)
	lo, hi := make([]float64, d), make([]float64, d)
	for k := range d {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	for j := range ny {
		for k := range d {
			v := ys[j*d+k]
			lo[k], hi[k] = math.Min(lo[k], v), math.Max(hi[k], v)
		}
	}
	L := &gaussLattice{p: p, h: h, lo: make([]float64, d), n: make([]int, d), stride: make([]int, d), boxLo: lo, boxHi: hi}
	size := 1.0
	for k := range d {
		// Lattice points from lo − R − p·h to hi + R + p·h: every stencil of
		// a target within reach lies inside.
		L.lo[k] = lo[k] - R - float64(p)*h
		L.n[k] = int(math.Ceil((hi[k]+R+float64(p)*h-L.lo[k])/h)) + 1
		size *= float64(L.n[k])
	}
	reach := math.Ceil(R / h)
	latticeCost := size*(2*reach+1)*float64(d*(d+1)/2+d) + float64(targets)*math.Pow(float64(p), float64(d))*float64(d+1) + float64(ny)*math.Pow(float64(p), float64(d))
	pairCost := float64(targets) * float64(ny) * float64(d+1) * 3
	if size > maxLattice || latticeCost >= pairCost {
		return gs
	}
	st := 1
	for k := d - 1; k >= 0; k-- {
		L.stride[k] = st
		st *= L.n[k]
	}
	L.build(ys, gs.ws, ny, d, s, int(reach))
	gs.lat = L
	return gs
}

// Lattice reports whether the sums go through the lattice (else over the
// pairs).
func (gs *GaussSum) Lattice() bool { return gs.lat != nil }

// At writes H(t_i) into val (n entries, nil to skip) and ∇H(t_i) into grad
// (n×d, nil to skip) for the n targets t (n×d). It may be called from
// several goroutines at once.
func (gs *GaussSum) At(t []float64, n int, val, grad []float64) {
	if gs.lat != nil {
		gs.lat.at(t, n, gs.d, val, grad)
		return
	}
	d := gs.d
	fac, G := make([]float64, d), make([]float64, d)
	for i := range n {
		ti := t[i*d : (i+1)*d]
		H := 0.0
		clear(G)
		for j := range gs.ny {
			yj := gs.ys[j*d : (j+1)*d]
			e := 1.0
			for k := range d {
				w := ti[k] - yj[k]
				fac[k] = w
				e *= math.Exp(-w * w / gs.s)
			}
			if gs.ws != nil {
				e *= gs.ws[j]
			}
			H += e
			for k := range d {
				G[k] += -2 / gs.s * fac[k] * e
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

// build spreads the sources (with the weights ws, nil for 1) onto the
// lattice and convolves with the kernel along each axis.
func (L *gaussLattice) build(ys, ws []float64, ny, d int, s float64, reach int) {
	p := L.p
	total := L.stride[0] * L.n[0]
	W := make([]float64, total)
	var base [3]int
	var lw [3][gaussStencil]float64
	for j := range ny {
		wj := 1.0
		if ws != nil {
			wj = ws[j]
			if wj == 0 {
				continue
			}
		}
		for k := range d {
			base[k] = L.stencil(k, ys[j*d+k], lw[k][:])
		}
		// The weight goes into the first axis's stencil weights.
		for a := range p {
			lw[0][a] *= wj
		}
		switch d {
		case 1:
			for a := range p {
				W[base[0]+a] += lw[0][a]
			}
		case 2:
			for a := range p {
				row := W[(base[0]+a)*L.stride[0]+base[1]:]
				wa := lw[0][a]
				for b := range p {
					row[b] += wa * lw[1][b]
				}
			}
		case 3:
			for a := range p {
				for b := range p {
					row := W[(base[0]+a)*L.stride[0]+(base[1]+b)*L.stride[1]+base[2]:]
					wab := lw[0][a] * lw[1][b]
					for c := range p {
						row[c] += wab * lw[2][c]
					}
				}
			}
		}
	}
	// The 1-D kernel and its derivative at lattice offsets −reach..reach.
	ker := make([]float64, 2*reach+1)
	dker := make([]float64, 2*reach+1)
	for r := -reach; r <= reach; r++ {
		w := float64(r) * L.h
		e := math.Exp(-w * w / s)
		ker[r+reach] = e
		dker[r+reach] = -2 / s * w * e
	}
	// Field f holds Π_k of ker or dker (dker on axis f−1): f = 0 is H.
	// Passes with the same kernels on the leading axes are shared.
	memo := map[string][]float64{}
	fields := make([][]float64, d+1)
	for f := range fields {
		cur, key := W, ""
		for k := range d {
			kk, c := ker, "k"
			if f == k+1 {
				kk, c = dker, "d"
			}
			key += c
			if v, ok := memo[key]; ok {
				cur = v
				continue
			}
			cur = L.convolve(cur, k, kk, reach)
			memo[key] = cur
		}
		fields[f] = cur
	}
	L.vals = make([]float64, total*(d+1))
	for f, v := range fields {
		for i, x := range v {
			L.vals[i*(d+1)+f] = x
		}
	}
}

// convolve returns in convolved with the kernel kk (offsets −reach..reach)
// along axis k. Lines of the lattice along k are independent; each is
// written by one goroutine.
func (L *gaussLattice) convolve(in []float64, k int, kk []float64, reach int) []float64 {
	out := make([]float64, len(in))
	n, st := L.n[k], L.stride[k]
	lines := len(in) / n
	// rev[j] = kk[2·reach − j]: out[a] = Σ_q src[q]·rev[q − a + reach].
	rev := make([]float64, len(kk))
	for j := range kk {
		rev[j] = kk[len(kk)-1-j]
	}
	parallel.Chunks(lines, 64, func(l0, l1 int) {
		src := make([]float64, n)
		dst := make([]float64, n)
		for l := l0; l < l1; l++ {
			// Line l: the index with axis k removed, split around axis k.
			outer, inner := l/st, l%st
			off := outer*n*st + inner
			q0, q1 := n, -1
			for a := range n {
				v := in[off+a*st]
				src[a] = v
				if v != 0 {
					q0, q1 = min(q0, a), a
				}
			}
			if q1 < 0 {
				continue
			}
			a0, a1 := max(0, q0-reach), min(n-1, q1+reach)
			for a := a0; a <= a1; a++ {
				lo, hi := max(q0, a-reach), min(q1, a+reach)
				dst[a] = dot(src[lo:hi+1], rev[lo-a+reach:hi-a+reach+1])
			}
			for a := a0; a <= a1; a++ {
				out[off+a*st] = dst[a]
			}
		}
	})
	return out
}

// dot returns Σ u_i v_i (len(v) ≥ len(u)), four sums at a time.
func dot(u, v []float64) float64 {
	v = v[:len(u)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(u); i += 4 {
		s0 += u[i] * v[i]
		s1 += u[i+1] * v[i+1]
		s2 += u[i+2] * v[i+2]
		s3 += u[i+3] * v[i+3]
	}
	for ; i < len(u); i++ {
		s0 += u[i] * v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// stencil returns the first lattice index on axis k of the p-point stencil
// around coordinate v and writes its Lagrange weights into w.
func (L *gaussLattice) stencil(k int, v float64, w []float64) int {
	p := L.p
	u := (v - L.lo[k]) / L.h
	cell := int(math.Floor(u))
	base := cell - p/2 + 1
	lagrange(u-float64(base), w)
	return base
}

// lagrangeDen[r] = 1/Π_{q≠r}(r − q) = (−1)^{p−1−r}/(r!(p−1−r)!) for the
// p = gaussStencil nodes 0..p−1.
var lagrangeDen = func() (den [gaussStencil]float64) {
	p := gaussStencil
	fact := [gaussStencil + 1]float64{1}
	for i := 1; i <= p; i++ {
		fact[i] = fact[i-1] * float64(i)
	}
	for r := range p {
		den[r] = 1 / (fact[r] * fact[p-1-r])
		if (p-1-r)%2 == 1 {
			den[r] = -den[r]
		}
	}
	return den
}()

// lagrange writes the weights ℓ_r(τ), r = 0..p−1, of interpolation at τ
// from the nodes 0..p−1 (p = gaussStencil).
func lagrange(tau float64, w []float64) {
	w = w[:gaussStencil]
	prod := 1.0
	for r := range gaussStencil {
		t := tau - float64(r)
		if t == 0 {
			clear(w)
			w[r] = 1
			return
		}
		w[r] = t
		prod *= t
	}
	for r := range gaussStencil {
		w[r] = prod * lagrangeDen[r] / w[r]
	}
}

// at interpolates H and ∇H at the targets.
func (L *gaussLattice) at(t []float64, n, d int, val, grad []float64) {
	p := L.p
	var base [3]int
	var lw [3][gaussStencil]float64
	var acc [4]float64
	nf := d + 1
	for i := range n {
		ti := t[i*d : (i+1)*d]
		out := false
		for k := range d {
			if ti[k] < L.lo[k]+float64(p)*L.h || ti[k] > L.lo[k]+float64(L.n[k]-1-p)*L.h {
				out = true
				break
			}
		}
		acc = [4]float64{}
		if !out {
			for k := range d {
				base[k] = L.stencil(k, ti[k], lw[k][:])
			}
			switch d {
			case 1:
				for a := range p {
					v := L.vals[(base[0]+a)*nf:]
					acc[0] += lw[0][a] * v[0]
					acc[1] += lw[0][a] * v[1]
				}
			case 2:
				for a := range p {
					row := L.vals[((base[0]+a)*L.stride[0]+base[1])*3:]
					var r0, r1, r2 float64
					for b := range p {
						wb := lw[1][b]
						v := row[b*3 : b*3+3]
						r0 += wb * v[0]
						r1 += wb * v[1]
						r2 += wb * v[2]
					}
					wa := lw[0][a]
					acc[0] += wa * r0
					acc[1] += wa * r1
					acc[2] += wa * r2
				}
			case 3:
				for a := range p {
					for b := range p {
						row := L.vals[((base[0]+a)*L.stride[0]+(base[1]+b)*L.stride[1]+base[2])*4:]
						wab := lw[0][a] * lw[1][b]
						for c := range p {
							w := wab * lw[2][c]
							v := row[c*4 : c*4+4]
							acc[0] += w * v[0]
							acc[1] += w * v[1]
							acc[2] += w * v[2]
							acc[3] += w * v[3]
						}
					}
				}
			}
		}
		if val != nil {
			val[i] = acc[0]
		}
		if grad != nil {
			copy(grad[i*d:(i+1)*d], acc[1:1+d])
		}
	}
}

// gaussSpacing returns the largest h/√s (on a grid of ratios 2^(−k/8))
// for which p-point interpolation of exp(−w²) and of its derivative
// (normalised) at spacing h errs by at most tol, cached per (p, tol).
func gaussSpacing(p int, tol float64) float64 {
	key := gaussKey{p, tol}
	if v, ok := gaussSpacings.Load(key); ok {
		return v.(float64)
	}
	target := key.tol
	c := 1.0
	for ; c > 1e-3; c *= math.Pow(2, -1.0/8) {
		if interpError(p, c, math.Sqrt(gaussReach2(tol))) <= target {
			break
		}
	}
	gaussSpacings.Store(key, c)
	return c
}

// interpError is the largest error of p-point Lagrange interpolation at
// spacing c (units of √s) of g(w) = exp(−w²) and of g′(w)/max|g′|, over
// cells covering the kernel's reach and 16 points per cell.
func interpError(p int, c, reach float64) float64 {
	g := func(w float64) float64 { return math.Exp(-w * w) }
	gmax := math.Sqrt(2) * math.Exp(-0.5)
	dg := func(w float64) float64 { return -2 * w * math.Exp(-w*w) / gmax }
	var lw [gaussStencil]float64
	worst := 0.0
	for cell := -int(reach/c) - 1; cell <= int(reach/c)+1; cell++ {
		// Nodes (cell − p/2 + 1 + r)·c; a shift of the lattice by 1/3 of a
		// cell against the kernel's centre, as in general position.
		base := cell - p/2 + 1
		for q := range 16 {
			tau := float64(p/2-1) + (float64(q)+0.5)/16
			lagrange(tau, lw[:])
			for _, f := range []func(float64) float64{g, dg} {
				s := 0.0
				for r := range p {
					s += lw[r] * f((float64(base+r)+1.0/3)*c)
				}
				worst = math.Max(worst, math.Abs(s-f((float64(base)+tau+1.0/3)*c)))
			}
		}
	}
	return worst
}
