package linear

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Factor returns the problem of the sums, factored once: the
// eigendecomposition of the diagonally scaled AᵀWA, written as the
// singular value decomposition of its square root. Its precision is that
// of the normal equations (see Normal).
func (n *Normal) Factor() (*Factored, error) {
	p := n.P
	if n.Rows == 0 {
		return nil, errors.New("linear: no data rows")
	}
	for _, v := range append(append([]float64{n.Btb}, n.AtA...), n.Atb...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("linear: the features or targets contain NaN or Inf")
		}
	}
	a := n.symmetric()
	d := make([]float64, p)
	for i := range d {
		d[i] = a[i*p+i]
	}
	f := &Factored{p: p, btb: n.Btb, bsum: n.Bsum, w: n.W, rows: n.Rows}
	f.setScale(d)
	f.gs = make([]float64, p*p)
	f.h = make([]float64, p)
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			f.gs[i*p+j] = a[i*p+j] * f.scale[i] * f.scale[j]
		}
		f.h[i] = n.Atb[i] * f.scale[i]
	}
	q := len(f.live)
	f.r = mat.NewDense(p, p, nil)
	f.c = make([]float64, p)
	f.v = mat.NewDense(max(q, 1), max(q, 1), nil)
	if q == 0 {
		f.tail = math.Max(n.Btb, 0)
		f.rtail = f.tail
		return f, nil
	}
	g := mat.NewSymDense(q, nil)
	for a1, i := range f.live {
		for b1 := a1; b1 < q; b1++ {
			j := f.live[b1]
			g.SetSym(a1, b1, a[i*p+j]*f.scale[i]*f.scale[j])
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(g, true) {
		return nil, errors.New("linear: eigendecomposition failed")
	}
	ev := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	// Descending, as singular values: σ_k = √λ_k, R = ΣVᵀ, c = Σ⁺Vᵀh
	// with h the scaled AᵀWb, and the rest of bᵀWb is the residual
	// outside the range.
	f.sigma = make([]float64, q)
	f.v = mat.NewDense(q, q, nil)
	for k := 0; k < q; k++ {
		src := q - 1 - k
		s := math.Sqrt(math.Max(ev[src], 0))
		f.sigma[k] = s
		for a1, i := range f.live {
			f.v.Set(a1, k, vecs.At(a1, src))
			f.r.Set(k, i, s*vecs.At(a1, src))
		}
	}
	f.u = identity(p, q)
	f.sh = newShared(append([]float64(nil), n.AtA...))
	f.targets(n.Atb)
	return f, nil
}

// Factored is a weighted least-squares problem reduced to P×P, factored
// once: its data part is ‖R u − c‖² + tail in the unknowns scaled to unit
// diagonal, u_i = θ_i/scale_i (scale_i = (AᵀWA)_ii^(-1/2)), and R's
// columns of the features that are nonzero on the data have the singular
// value decomposition UΣVᵀ. Every question is answered from that one
// decomposition: the solution for any relative ridge r (u = V(Σ² +
// r)⁻¹ΣUᵀc), the residual, the condition number, the standard errors,
// the rank and flat directions, the solution without the ridge, and the
// data-chosen ridge (AutoRidge); only a bounded solve whose bounds bind
// factors the free unknowns' block again.
type Factored struct {
	p     int
	r     *mat.Dense // k×P, columns scaled
	c     []float64  // k
	tail  float64    // the residual no choice of θ removes
	scale []float64
	// btb, bsum, w and rows are bᵀWb, Σwb, Σw and the row count, for R²
	// and σ².
	btb, bsum, w float64
	rows         int
	// live lists the columns whose feature is nonzero on the data.
	live  []int
	sigma []float64  // singular values of r[:, live], descending
	v     *mat.Dense // len(live)×len(live), right singular vectors
	ct    []float64  // Uᵀc
	rtail float64    // tail plus the part of c outside U's range
	// gs and h are the scaled AᵀWA (P×P, row-major) and AᵀWb when the
	// problem came from sums, for the refinement step (see solveU); nil
	// when it came from rows (R and c serve).
	gs, h []float64
	// sh is shared with the problems of the same decomposition (see
	// FactorReusing and Fix); nil until needed.
	sh *shared
	// u holds the left singular vectors of r's live columns (the identity
	// when the problem came from sums: r = ΣVᵀ), nil when not kept.
	u *mat.Dense
	// lazy, for a problem from rows, forms v and u when first needed
	// (vectors); nil when they are formed already.
	lazy *lazyVectors
}

// setScale sets the scaling from the diagonal d of AᵀWA: d^(-1/2), and
// for a feature that is zero on the data the largest entry's, so that a
// relative ridge r is r‖u‖² in the scaled unknowns.
func (f *Factored) setScale(d []float64) {
	dmax := 0.0
	for _, v := range d {
		dmax = math.Max(dmax, v)
	}
	if dmax == 0 {
		dmax = 1
	}
	f.scale = make([]float64, len(d))
	f.live = f.live[:0]
	for i, v := range d {
		if v > 0 {
			f.scale[i] = 1 / math.Sqrt(v)
			f.live = append(f.live, i)
		} else {
			f.scale[i] = 1 / math.Sqrt(dmax)
		}
	}
}

// decompose computes the singular values of r's live columns and Uᵀc for
// their left singular vectors U; the singular vectors themselves are
// formed when first needed (vectors).
func (f *Factored) decompose() error {
	q := len(f.live)
	k, _ := f.r.Dims()
	if q == 0 {
		f.v = mat.NewDense(1, 1, nil)
		f.sigma, f.ct = nil, nil
		f.rtail = f.tail + sumSq(f.c)
		return nil
	}
	sub := make([]float64, k*q)
	for a, i := range f.live {
		for row := 0; row < k; row++ {
			sub[row*q+a] = f.r.At(row, i)
		}
	}
	bd := newBidiag(sub, k, q)
	sigma, ct, rest, ok := bd.values(f.c)
	if !ok {
		return errors.New("linear: singular value decomposition failed")
	}
	f.sigma, f.ct, f.rtail = sigma, ct, f.tail+rest
	f.v, f.u = nil, nil
	f.lazy = &lazyVectors{bd: bd}
	return nil
}

// lazyVectors is the first stage of a decomposition whose singular vectors
// are formed when first needed (Factored.vectors), once.
type lazyVectors struct {
	once sync.Once
	bd   *bidiag
	err  error
}

// vectors forms the singular vectors of a problem decomposed from rows, if
// they are not yet: V, and U when there are at most svdKeepU live columns.
// The singular values and Uᵀc stay decompose's (the same, bit for bit).
// Safe for concurrent use.
func (f *Factored) vectors() error {
	lz := f.lazy
	if lz == nil {
		return nil
	}
	lz.once.Do(func() {
		_, _, _, v, u, ok := lz.bd.vectors(f.c, len(f.live) <= svdKeepU)
		if !ok {
			lz.err = errors.New("linear: singular value decomposition failed")
			return
		}
		f.v, f.u = v, u
		lz.bd = nil
	})
	return lz.err
}

func sumSq(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v * v
	}
	return s
}

// solveU returns the minimiser in the scaled unknowns with ridge r (the
// features zero on the data stay at 0); r = 0 needs every σ > 0. The
// solution through the singular vectors is accurate in norm, not entry by
// entry (an entry much smaller than the largest gets the largest's
// rounding), so one step of iterative refinement follows: the gradient at
// u, from R and c (or from the sums), mapped back through the same
// decomposition. It makes the solve componentwise as accurate as a
// triangular one, for O(P²) more work.
func (f *Factored) solveU(r float64) []float64 {
	u := make([]float64, f.p)
	f.applyInverse(u, nil, r)
	f.applyInverse(u, f.gradient(u, r), r)
	return u
}

// applyInverse adds V(Σ² + r)⁻¹Vᵀg to u (g over all P unknowns), or,
// when g is nil, V(Σ² + r)⁻¹ΣUᵀc, the solution.
func (f *Factored) applyInverse(u, g []float64, r float64) {
	for k, s := range f.sigma {
		den := s*s + r
		if den == 0 {
			continue
		}
		var coef float64
		if g == nil {
			coef = s * f.ct[k] / den
		} else {
			for a, i := range f.live {
				coef += f.v.At(a, k) * g[i]
			}
			coef /= den
		}
		for a, i := range f.live {
			u[i] += f.v.At(a, k) * coef
		}
	}
}

// gradient returns −½ the gradient of the objective in the scaled
// unknowns at u: Rᵀ(c − Ru) − ru, or h − (G + r)u from the sums.
func (f *Factored) gradient(u []float64, r float64) []float64 {
	p := f.p
	g := make([]float64, p)
	if f.gs != nil {
		for i := 0; i < p; i++ {
			s := f.h[i] - r*u[i]
			for j, v := range f.gs[i*p : (i+1)*p] {
				s -= v * u[j]
			}
			g[i] = s
		}
		return g
	}
	k, _ := f.r.Dims()
	e := make([]float64, k)
	for row := 0; row < k; row++ {
		s := f.c[row]
		for j := 0; j < p; j++ {
			s -= f.r.At(row, j) * u[j]
		}
		e[row] = s
	}
	for i := 0; i < p; i++ {
		s := -r * u[i]
		for row := 0; row < k; row++ {
			s += f.r.At(row, i) * e[row]
		}
		g[i] = s
	}
	return g
}

// rss is the data part of the objective at solveU(r): no difference of
// large numbers is taken.
func (f *Factored) rss(r float64) float64 {
	out := f.rtail
	for k, s := range f.sigma {
		if s == 0 && r == 0 {
			out += f.ct[k] * f.ct[k]
			continue
		}
		e := r * f.ct[k] / (s*s + r)
		out += e * e
	}
	return out
}

// spectrum returns the largest and smallest eigenvalue of the scaled,
// ridged system ΣᵀΣ + r over all P unknowns.
func (f *Factored) spectrum(r float64) (lmax, lmin float64) {
	lmax, lmin = r, math.Inf(1)
	for _, s := range f.sigma {
		lmax = math.Max(lmax, s*s+r)
		lmin = math.Min(lmin, s*s+r)
	}
	if len(f.sigma) < f.p {
		lmin = math.Min(lmin, r)
	}
	return lmax, lmin
}

// checkRidge rejects a ridge that is negative, infinite or NaN.
func checkRidge(r float64) error {
	if !(r >= 0) || math.IsInf(r, 0) {
		return fmt.Errorf("linear: ridge %g: want a finite number ≥ 0", r)
	}
	return nil
}

// Solve minimises the problem with the ridge of s. It returns an error
// wrapping ErrSingular, naming the parameters involved, when the ridged
// system is singular (its smallest eigenvalue at most RankTol of the
// largest); an identified-but-weak direction is reported in
// Result.Unidentified instead.
func (f *Factored) Solve(s Settings) (*Result, error) {
	p := f.p
	r := s.Ridge
	if err := checkRidge(r); err != nil {
		return nil, err
	}
	if err := f.vectors(); err != nil {
		return nil, err
	}
	tol := s.rankTol()
	res := &Result{}
	res.Unidentified, res.Rank = f.degeneracies(tol, s)
	lmax, lmin := f.spectrum(r)
	if lmin > 0 {
		res.Cond = lmax / lmin
	} else {
		res.Cond = math.Inf(1)
	}
	if !(lmin > tol*lmax) {
		var who []string
		for _, d := range res.Unidentified {
			who = append(who, d.describe())
		}
		msg := "linear: the system is singular"
		if len(who) > 0 {
			msg += ": " + strings.Join(who, "; ")
		}
		msg += " (add a ridge with --reg, or remove the redundant terms)"
		return nil, fmt.Errorf("%s: %w", msg, ErrSingular)
	}
	u := f.solveU(r)
	res.Theta = make([]float64, p)
	for i := range u {
		res.Theta[i] = u[i] * f.scale[i]
	}
	res.RSS = f.rss(r)
	if tss := f.btb - f.bsum*f.bsum/f.w; tss > 0 {
		res.R2 = 1 - res.RSS/tss
	} else {
		res.R2 = math.NaN()
	}
	// Standard errors: σ² M⁻¹GM⁻¹ with M = G + r (scaled; G = VΣ²Vᵀ), so
	// its diagonal is Σ_k V_ik² σ_k²/(σ_k² + r)²; (Gᵢᵢ⁻¹) when r = 0.
	res.rows, res.w = f.rows, f.w
	res.invDiag = make([]float64, p)
	for k, sg := range f.sigma {
		den := sg*sg + r
		if den == 0 {
			continue
		}
		g := sg * sg / (den * den)
		for a, i := range f.live {
			vi := f.v.At(a, k)
			res.invDiag[i] += vi * vi * g
		}
	}
	for i := range res.invDiag {
		res.invDiag[i] *= f.scale[i] * f.scale[i]
	}
	res.stderr()
	// How far the ridge moved the solution, where the problem without it
	// is well posed.
	if r > 0 && len(f.live) == p && len(f.sigma) == p {
		if smin := f.sigma[p-1]; smin*smin > tol*f.sigma[0]*f.sigma[0] {
			u0 := f.solveU(0)
			res.RidgeShift = make([]float64, p)
			for i := range u0 {
				res.RidgeShift[i] = res.Theta[i] - u0[i]*f.scale[i]
			}
		}
	}
	return res, nil
}

// AutoRidge chooses a relative ridge (Settings.Ridge) from the data: the
// minimiser of generalised cross-validation (Golub, Heath and Wahba,
// "Generalized cross-validation as a method for choosing a good ridge
// parameter", 1979),
//
//	GCV(r) = RSS(r) / (rows − df(r))²,  df(r) = Σ_k σ_k²/(σ_k² + r),
//
// with σ_k the singular values of the design in the unknowns scaled to
// unit diagonal and df(r) the ridge's effective number of parameters. It
// is the rotation-invariant form of leave-one-out cross-validation: the
// ridge that best predicts rows the fit did not see. Every term is read
// from the one decomposition (RSS(r) = rtail + Σ_k (r·c_k/(σ_k² + r))²),
// so the search costs O(P) per trial ridge and no factorisation of its
// own: twenty ridges a decade from 10⁻¹⁸ to 10·σ_max², and r = 0 itself,
// which wins ties. The ridge is invariant to
// the units of the data, the features and the parameters; 0 on exact data
// (any ridge only adds residual there), and small on well-posed noisy
// problems (it moves θ by less than a tenth of a standard error,
// TestAutoRidgeWellPosed). Where the problem has nearly as many
// parameters as independent rows, df(r) counts the parameters the noise
// would fit: GCV raises the ridge until the fit stops chasing the noise,
// where the Hoerl–Kennard–Baldwin ridge it replaced, P·σ̂²/‖u‖², fell
// towards 0 as the least-squares coefficients grew (paper_linear, 249
// parameters, 250 particles per snapshot: 3.5e-7).
//
// blocks (≤ 1: none) says the rows come in that many blocks that see the
// same points again with errors they share: the steps of a time series,
// whose snapshots are the same particles moved a little, and whose coupled
// pairs' errors are in part a function of that configuration (the
// coupling re-pairs neighbours), not independent noise. Leaving one row
// out then leaves its error in the other blocks, cross-validation reads
// it as signal and the ridge falls to its floor (1e-8 for the 249
// parameters above, drift error 5.6× the truth's drift). Leaving a point's
// whole group of copies out is, to the same approximation (the group's
// leverage df/n), GCV with n = rows/blocks independent rows, which
// AutoRidge uses (there: a ridge of 2–4e-4 and a drift error of 7–11%).
// When the problem without a ridge is singular, r = 0 is not a candidate
// and the result is at least 1e-8.
func (f *Factored) AutoRidge(blocks int) float64 {
	if len(f.sigma) == 0 || f.rows == 0 {
		return 0
	}
	n := float64(f.rows) / float64(max(blocks, 1))
	s2max := f.sigma[0] * f.sigma[0]
	if !(s2max > 0) {
		return 0
	}
	lmax, lmin := f.spectrum(0)
	singular := !(lmin > 1e-10*lmax)
	best, bestScore := 0.0, math.Inf(1)
	if !singular {
		bestScore = f.gcv(0, n)
	}
	// A grid of twenty ridges a decade (12% apart: GCV is flat at its
	// minimum, and a finer choice would move θ by nothing the standard
	// errors see), fixed in the scaled unknowns, so that the choice does
	// not follow the rounding of the factorisation (the sums and the QR of
	// the same rows choose the same ridge).
	top := math.Ceil(20 * (math.Log10(s2max) + 1))
	for i := -20 * 18; float64(i) <= top; i++ {
		r := math.Pow(10, float64(i)/20)
		if g := f.gcv(r, n); g < bestScore {
			best, bestScore = r, g
		}
	}
	if singular {
		// A singular problem needs some ridge to be solved at all: at
		// least 1e-8 of the diagonal, which picks the smallest solution
		// along the directions the data do not determine.
		best = math.Max(best, 1e-8)
	}
	return best
}

// gcv is the generalised cross-validation score of the relative ridge r
// (see AutoRidge) with n independent rows, up to a constant factor; +Inf
// where the ridge leaves no residual degrees of freedom.
func (f *Factored) gcv(r, n float64) float64 {
	df := 0.0
	for _, s := range f.sigma {
		if den := s*s + r; den > 0 {
			df += s * s / den
		}
	}
	dof := n - df
	if !(dof > 0.5) {
		return math.Inf(1)
	}
	return f.rss(r) / (dof * dof)
}

// Fix returns the problem in the unknowns not listed in fixed, with the
// fixed unknowns held at vals (their contribution moved to the right-hand
// side), factored anew; free lists the remaining unknowns, in order. The
// residual and R² keep their meaning (about the original targets).
func (f *Factored) Fix(fixed []int, vals []float64) (sub *Factored, free []int, err error) {
	p := f.p
	isFixed := make([]bool, p)
	c := append([]float64(nil), f.c...)
	k, _ := f.r.Dims()
	for n, j := range fixed {
		isFixed[j] = true
		u := vals[n] / f.scale[j]
		for row := 0; row < k; row++ {
			c[row] -= f.r.At(row, j) * u
		}
	}
	b, err := f.block(isFixed)
	if err != nil {
		return nil, nil, err
	}
	free = b.free
	sub = &Factored{p: len(free), c: c, tail: f.tail, btb: f.btb, bsum: f.bsum, w: f.w, rows: f.rows,
		live: b.live, scale: b.scale}
	if sub.p == 0 {
		return sub, free, nil
	}
	sub.r, sub.gs, sub.sigma, sub.v, sub.sh = b.r, b.gs, b.sigma, b.v, b.sh
	if f.gs != nil {
		sub.h = make([]float64, sub.p)
		for fi, i := range free {
			sub.h[fi] = f.h[i]
			for n, j := range fixed {
				sub.h[fi] -= f.gs[i*p+j] * vals[n] / f.scale[j]
			}
		}
	}
	sub.project(b.u)
	return sub, free, nil
}

// degeneracies finds the directions of parameter space the data does not
// determine: first the parameters whose feature is zero on the data, each
// on its own, then the right singular vectors of the scaled design whose
// squared singular value is at most tol of the largest, smallest first.
func (f *Factored) degeneracies(tol float64, s Settings) ([]Degeneracy, int) {
	var out []Degeneracy
	isLive := make([]bool, f.p)
	for _, i := range f.live {
		isLive[i] = true
	}
	for i := 0; i < f.p; i++ {
		if !isLive[i] {
			out = append(out, Degeneracy{Params: []string{s.name(i)}, Coef: []float64{1}, index: []int{i},
				Reason: "its feature is zero on the data: the parameter has no effect on the drift (a constant offset, or a term the data never excites)"})
		}
	}
	q := len(f.sigma)
	if q == 0 {
		return out, 0
	}
	smax2 := f.sigma[0] * f.sigma[0]
	rank := 0
	for k := 0; k < q; k++ {
		if f.sigma[k]*f.sigma[k] > tol*smax2 {
			rank++
		}
	}
	for k := q - 1; k >= rank; k-- {
		rel := f.sigma[k] * f.sigma[k] / smax2
		// Back to the original parameter scale: θ = D·u.
		coef := make([]float64, len(f.live))
		norm := 0.0
		for a, i := range f.live {
			coef[a] = f.v.At(a, k) * f.scale[i]
			norm += coef[a] * coef[a]
		}
		norm = math.Sqrt(norm)
		type load struct {
			i int
			c float64
		}
		var ls []load
		for a, i := range f.live {
			c := coef[a] / norm
			if math.Abs(c) > 1e-3 {
				ls = append(ls, load{i, c})
			}
		}
		// Largest loading first; equal loadings (to 1e-6) in parameter
		// order; the sign of a direction is arbitrary: the first loading
		// is made positive.
		sort.SliceStable(ls, func(a, b int) bool {
			ca, cb := math.Abs(ls[a].c), math.Abs(ls[b].c)
			if math.Abs(ca-cb) > 1e-6 {
				return ca > cb
			}
			return ls[a].i < ls[b].i
		})
		sign := 1.0
		if len(ls) > 0 && ls[0].c < 0 {
			sign = -1
		}
		d := Degeneracy{Eigenvalue: math.Max(rel, 0), Reason: "their features are collinear on the data"}
		for _, l := range ls {
			d.index = append(d.index, l.i)
			d.Params = append(d.Params, s.name(l.i))
			d.Coef = append(d.Coef, sign*l.c)
		}
		out = append(out, d)
	}
	return out, rank
}

// Solve factors the sums (Factor) and solves them with s's ridge.
func (n *Normal) Solve(s Settings) (*Result, error) {
	f, err := n.Factor()
	if err != nil {
		return nil, err
	}
	return f.Solve(s)
}
