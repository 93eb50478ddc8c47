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
	// tlo, thi: the box the targets were declared in (NewGaussSumIn), or
	// nil; targets outside it are summed over the pairs. none: no source
	// reaches the box (the sums in it are 0).
	tlo, thi []float64
	none     bool
	// cs, cw: the sources are y_j + c_m with the weights w_m, m < M
	// (NewShiftedGaussSum); nil otherwise.
	cs, cw []float64
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
	// With a box of targets (NewGaussSumIn): targets outside [tl, th] get
	// 0 (at), and the convolutions write only the points o0..o1 per axis,
	// the stencils of the targets in it.
	tl, th []float64
	o0, o1 []int
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
	return NewGaussSumIn(ys, w, ny, d, s, tol, targets, nil, nil)
}

// NewGaussSumIn is NewWeightedGaussSum for targets expected in the box
// [tlo, thi] (d entries each; nil for anywhere): the lattice covers only
// the box and the sources within the kernel's reach R of it (the others
// add less than tol/1000 per unit weight to any target in the box, the
// truncation the convolutions make anyway), and At sums over the pairs
// for targets outside the box.
func NewGaussSumIn(ys, w []float64, ny, d int, s, tol float64, targets int, tlo, thi []float64) *GaussSum {
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
	kept := ny
	if tlo != nil {
		gs.tlo, gs.thi = tlo[:d], thi[:d]
		for k := range d {
			lo[k], hi[k] = math.Max(lo[k], tlo[k]-R), math.Min(hi[k], thi[k]+R)
			if !(lo[k] <= hi[k]) {
				gs.none = true
				return gs
			}
		}
		kept = 0
		for j := range ny {
			if inBox(ys[j*d:(j+1)*d], lo, hi) {
				kept++
			}
		}
	}
	L, size := layout(d, h, R, lo, hi, gs.tlo, gs.thi)
	if L == nil {
		gs.none = true
		return gs
	}
	reach := math.Ceil(R / h)
	latticeCost := size*(2*reach+1)*float64(d*(d+1)/2+d) + float64(targets)*math.Pow(float64(p), float64(d))*float64(d+1) + float64(kept)*math.Pow(float64(p), float64(d))
	pairCost := float64(targets) * float64(ny) * float64(d+1) * 3
	if size > maxLattice || latticeCost >= pairCost {
		gs.tlo, gs.thi = nil, nil
		return gs
	}
	L.build(ys, gs.ws, ny, d, s, int(reach), lo, hi)
	gs.lat = L
	return gs
}

// layout returns the lattice of spacing h for the sources in the box
// [lo, hi] and the targets within the reach R of them (in the box
// [tlo, thi] when not nil), and its number of points; nil when no target
// in the box is within reach.
func layout(d int, h, R float64, lo, hi, tlo, thi []float64) (*gaussLattice, float64) {
	p := gaussStencil
	L := &gaussLattice{p: p, h: h, lo: make([]float64, d), n: make([]int, d), stride: make([]int, d), boxLo: lo, boxHi: hi, o0: make([]int, d), o1: make([]int, d)}
	size := 1.0
	for k := range d {
		if tlo == nil {
			// Lattice points from lo − R − p·h to hi + R + p·h: every
			// stencil of a target within reach lies inside.
			L.lo[k] = lo[k] - R - float64(p)*h
			L.n[k] = int(math.Ceil((hi[k]+R+float64(p)*h-L.lo[k])/h)) + 1
			L.o0[k], L.o1[k] = 0, L.n[k]-1
		} else {
			// The targets within reach, [tl, th], and the sources' and
			// their stencils.
			if L.tl == nil {
				L.tl, L.th = make([]float64, d), make([]float64, d)
			}
			L.tl[k], L.th[k] = math.Max(tlo[k], lo[k]-R), math.Min(thi[k], hi[k]+R)
			if !(L.tl[k] <= L.th[k]) {
				return nil, 0
			}
			L.lo[k] = math.Min(lo[k], L.tl[k]) - float64(p)*h
			L.n[k] = int(math.Ceil((math.Max(hi[k], L.th[k])+float64(p)*h-L.lo[k])/h)) + 1
			L.o0[k] = max(0, int(math.Floor((L.tl[k]-L.lo[k])/h))-p)
			L.o1[k] = min(L.n[k]-1, int(math.Ceil((L.th[k]-L.lo[k])/h))+p)
		}
		size *= float64(L.n[k])
	}
	st := 1
	for k := d - 1; k >= 0; k-- {
		L.stride[k] = st
		st *= L.n[k]
	}
	return L, size
}

// Lattice reports whether the sums go through the lattice (else over the
// pairs).
func (gs *GaussSum) Lattice() bool { return gs.lat != nil || gs.none }

// inBox reports whether lo ≤ p ≤ hi in every coordinate.
func inBox(p, lo, hi []float64) bool {
	for k, v := range p {
		if v < lo[k] || v > hi[k] {
			return false
		}
	}
	return true
}

// At writes H(t_i) into val (n entries, nil to skip) and ∇H(t_i) into grad
// (n×d, nil to skip) for the n targets t (n×d). It may be called from
// several goroutines at once.
func (gs *GaussSum) At(t []float64, n int, val, grad []float64) {
	d := gs.d
	if gs.lat != nil || gs.none {
		if gs.none {
			if val != nil {
				clear(val[:n])
			}
			if grad != nil {
				clear(grad[:n*d])
			}
		} else {
			gs.lat.at(t, n, d, val, grad)
		}
		if gs.tlo == nil {
			return
		}
		// The targets outside the declared box, over the pairs.
		for i := range n {
			if !inBox(t[i*d:(i+1)*d], gs.tlo, gs.thi) {
				var vi, gi []float64
				if val != nil {
					vi = val[i : i+1]
				}
				if grad != nil {
					gi = grad[i*d : (i+1)*d]
				}
				gs.pairs(t[i*d:(i+1)*d], 1, vi, gi)
			}
		}
		return
	}
	gs.pairs(t, n, val, grad)
}

// pairs is At over the pairs.
func (gs *GaussSum) pairs(t []float64, n int, val, grad []float64) {
	if gs.cs != nil {
		gs.shiftedPairs(t, n, val, grad)
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

// build spreads the sources in the box [lo, hi] (with the weights ws, nil
// for 1) onto the lattice and convolves with the kernel along each axis.
func (L *gaussLattice) build(ys, ws []float64, ny, d int, s float64, reach int, lo, hi []float64) {
	W := make([]float64, L.stride[0]*L.n[0])
	L.spread(W, ys, ws, ny, d, lo, hi)
	L.finish(W, d, s, reach)
}

// spread adds the sources in the box [lo, hi] (nil: all) with the weights
// ws (nil for 1) to the lattice masses W.
func (L *gaussLattice) spread(W, ys, ws []float64, ny, d int, lo, hi []float64) {
	p := L.p
	var base [3]int
	var lw [3][gaussStencil]float64
	for j := range ny {
		if lo != nil && !inBox(ys[j*d:(j+1)*d], lo, hi) {
			continue
		}
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
}

// finish convolves the masses W with the kernel and its derivatives along
// each axis into L.vals.
func (L *gaussLattice) finish(W []float64, d int, s float64, reach int) {
	total := len(W)
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
			// The later axes' passes read this line only if it is within
			// their reach of their outputs.
			skip := false
			for j := k + 1; j < len(L.n); j++ {
				if q := inner / L.stride[j] % L.n[j]; q < L.o0[j]-reach || q > L.o1[j]+reach {
					skip = true
					break
				}
			}
			if skip {
				continue
			}
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
			a0, a1 := max(L.o0[k], q0-reach), min(L.o1[k], q1+reach)
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
			if L.tl != nil {
				if ti[k] < L.tl[k] || ti[k] > L.th[k] {
					out = true
					break
				}
			} else if ti[k] < L.lo[k]+float64(p)*L.h || ti[k] > L.lo[k]+float64(L.n[k]-1-p)*L.h {
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
