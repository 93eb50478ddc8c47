package linear

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Normal holds the sums that define a weighted least-squares problem in P
// unknowns: AᵀWA, AᵀWb, bᵀWb, the total weight and the number of rows. The
// zero value is not usable; call NewNormal.
type Normal struct {
	P   int
	AtA []float64 // P×P, row-major, symmetric (only the upper triangle is accumulated until Symmetrize)
	Atb []float64 // P
	Btb float64
	// Bsum and W accumulate Σ w b and Σ w, for R² about the mean of b;
	// Asum is Σ w a (P), for Fix.
	Bsum, W float64
	Asum    []float64
	Rows    int
}

// NewNormal returns empty sums for p unknowns.
func NewNormal(p int) *Normal {
	if p <= 0 {
		panic("linear: NewNormal needs p > 0")
	}
	return &Normal{P: p, AtA: make([]float64, p*p), Atb: make([]float64, p), Asum: make([]float64, p)}
}

// AddRows adds m rows at once: a is m×P row-major, b and w have m
// entries. It uses a symmetric rank-k update (BLAS syrk), much faster than
// m calls of AddRow for wide problems.
func (n *Normal) AddRows(a, b, w []float64) {
	p := n.P
	m := len(b)
	if len(a) != m*p || len(w) != m {
		panic(fmt.Sprintf("linear: AddRows with %d entries, %d targets, %d weights for %d unknowns", len(a), m, len(w), p))
	}
	if m == 0 {
		return
	}
	sa := make([]float64, m*p)
	for r := 0; r < m; r++ {
		sw := math.Sqrt(w[r])
		row := a[r*p : (r+1)*p]
		for j, v := range row {
			sa[r*p+j] = sw * v
			n.Asum[j] += w[r] * v
			n.Atb[j] += w[r] * v * b[r]
		}
		n.Btb += w[r] * b[r] * b[r]
		n.Bsum += w[r] * b[r]
		n.W += w[r]
	}
	n.Rows += m
	blas64.Syrk(blas.Trans, 1, blas64.General{Rows: m, Cols: p, Stride: p, Data: sa},
		1, blas64.Symmetric{Uplo: blas.Upper, N: p, Stride: p, Data: n.AtA})
}

// Fix returns the sums of the problem in the unknowns not listed in fixed,
// with the fixed unknowns held at vals (their contribution moved to the
// right-hand side). free lists the remaining unknowns, in order.
func (n *Normal) Fix(fixed []int, vals []float64) (sub *Normal, free []int) {
	p := n.P
	isFixed := make([]bool, p)
	xv := make([]float64, p)
	for k, j := range fixed {
		isFixed[j] = true
		xv[j] = vals[k]
	}
	for j := 0; j < p; j++ {
		if !isFixed[j] {
			free = append(free, j)
		}
	}
	a := n.symmetric()
	q := len(free)
	sub = NewNormal(max(q, 1))
	sub.P = q
	sub.AtA, sub.Atb, sub.Asum = sub.AtA[:q*q], sub.Atb[:q], sub.Asum[:q]
	// Moving the fixed part: b' = b − a_x·θ_x.
	ax := make([]float64, p) // AᵀWA θ_x
	for i := 0; i < p; i++ {
		for _, j := range fixed {
			ax[i] += a[i*p+j] * xv[j]
		}
	}
	for fi, i := range free {
		for fj, j := range free {
			if fj >= fi {
				sub.AtA[fi*q+fj] = a[i*p+j]
			}
		}
		sub.Atb[fi] = n.Atb[i] - ax[i]
		sub.Asum[fi] = n.Asum[i]
	}
	xtb, xax, xs := 0.0, 0.0, 0.0
	for _, j := range fixed {
		xtb += xv[j] * n.Atb[j]
		xax += xv[j] * ax[j]
		xs += xv[j] * n.Asum[j]
	}
	sub.Btb = n.Btb - 2*xtb + xax
	sub.Bsum = n.Bsum - xs
	sub.W, sub.Rows = n.W, n.Rows
	return sub, free
}

// AddRow adds the row a (length P) with right-hand side b and weight w.
func (n *Normal) AddRow(a []float64, b, w float64) {
	if len(a) != n.P {
		panic(fmt.Sprintf("linear: row has %d entries, want %d", len(a), n.P))
	}
	p := n.P
	for i, ai := range a {
		if ai == 0 {
			continue
		}
		wai := w * ai
		row := n.AtA[i*p : (i+1)*p]
		for j := i; j < p; j++ {
			row[j] += wai * a[j]
		}
		n.Atb[i] += wai * b
		n.Asum[i] += wai
	}
	n.Btb += w * b * b
	n.Bsum += w * b
	n.W += w
	n.Rows++
}

// Merge adds the sums of o to n.
func (n *Normal) Merge(o *Normal) {
	if o.P != n.P {
		panic("linear: Merge of sums with different sizes")
	}
	for i := range n.AtA {
		n.AtA[i] += o.AtA[i]
	}
	for i := range n.Atb {
		n.Atb[i] += o.Atb[i]
		n.Asum[i] += o.Asum[i]
	}
	n.Btb += o.Btb
	n.Bsum += o.Bsum
	n.W += o.W
	n.Rows += o.Rows
}

// Settings configure Solve.
type Settings struct {
	// Ridge is λ_i, one per unknown, or a single value for all (len 1), or
	// nil for none.
	Ridge []float64
	// Names label the unknowns in reports; nil gives θ0, θ1, ….
	Names []string
	// RankTol is the relative eigenvalue threshold below which a direction
	// counts as not identified (default 1e-10).
	RankTol float64
	// Relative makes Ridge relative to the diagonal of AᵀWA: λ_i =
	// Ridge_i·(AᵀWA)_ii (Marquardt's scaling). The penalty is then the same
	// whatever the units of the data, of the features and of the
	// parameters: rescaling feature i by c rescales (AᵀWA)_ii by c² and θ_i
	// by 1/c, leaving λ_i θ_i² unchanged.
	Relative bool
}

// Degeneracy is a direction of parameter space that the data does not
// determine: moving the parameters along Coef changes the fit by (almost)
// nothing.
type Degeneracy struct {
	Params []string  // the parameters involved, largest loading first
	Coef   []float64 // their loadings in the null direction (unit norm over all)
	// Eigenvalue is the relative size of the direction (λ/λ_max).
	Eigenvalue float64
	Reason     string
	index      []int
}

// Result is a solved least-squares problem.
type Result struct {
	Theta  []float64
	StdErr []float64 // standard error per unknown; NaN when not estimable
	Rank   int
	// Cond is the 2-norm condition number of the (scaled, ridged) system
	// that was factorised.
	Cond float64
	// RSS is the weighted residual sum of squares, R2 the coefficient of
	// determination about the weighted mean of b.
	RSS, R2 float64
	// Unidentified lists the directions the data does not determine.
	Unidentified []Degeneracy
	// RidgeShift is θ minus the solution without the ridge (nil when there
	// is no ridge, or when the problem without it is singular): the bias
	// the ridge adds, to compare with StdErr.
	RidgeShift []float64

	// invDiag is the diagonal of (AᵀWA + Λ)⁻¹ AᵀWA (AᵀWA + Λ)⁻¹ in θ
	// units (the covariance of the ridge estimate over σ²; (AᵀWA)⁻¹ without
	// a ridge); rows and w are the row count and total weight, for SetRSS.
	invDiag []float64
	rows    int
	w       float64
}

// SetRSS replaces the residual sum of squares computed from the sums (which
// loses precision when the fit is nearly exact: it is a difference of large
// numbers) by one computed directly from the rows, and updates R² and the
// standard errors. tss is the total sum of squares about the weighted mean
// (NaN to leave R² alone).
func (r *Result) SetRSS(rss, tss float64) {
	r.RSS = rss
	if !math.IsNaN(tss) && tss > 0 {
		r.R2 = 1 - rss/tss
	}
	r.stderr()
}

func (r *Result) stderr() {
	p := len(r.Theta)
	r.StdErr = make([]float64, p)
	if r.invDiag == nil || r.rows <= r.Rank {
		for i := range r.StdErr {
			r.StdErr[i] = math.NaN()
		}
		return
	}
	// Cov(θ) = σ² M⁻¹AᵀWA M⁻¹ (M = AᵀWA + Λ) with σ² = RSS/(rows − rank):
	// with the weights rescaled to mean 1 the factors of the mean weight
	// cancel. Under a ridge this is the spread of the estimate about its
	// biased mean; the bias is RidgeShift's business.
	sigma2 := r.RSS / float64(r.rows-r.Rank)
	for i := 0; i < p; i++ {
		r.StdErr[i] = math.Sqrt(sigma2 * r.invDiag[i])
	}
	for _, d := range r.Unidentified {
		for _, j := range d.index {
			r.StdErr[j] = math.NaN()
		}
	}
}

// ErrSingular is wrapped by Solve's error when the system cannot be solved.
var ErrSingular = errors.New("singular system")

func (n *Normal) symmetric() []float64 {
	p := n.P
	a := make([]float64, p*p)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			a[i*p+j] = n.AtA[i*p+j]
			a[j*p+i] = n.AtA[i*p+j]
		}
	}
	return a
}

func (s Settings) name(i int) string {
	if i < len(s.Names) {
		return s.Names[i]
	}
	return fmt.Sprintf("θ%d", i)
}

// Solve minimises the problem. It returns an error wrapping ErrSingular,
// naming the parameters involved, when the ridged system is not positive
// definite; an identified-but-weak direction is reported in
// Result.Unidentified instead.
func (n *Normal) Solve(s Settings) (*Result, error) {
	p := n.P
	if n.Rows == 0 {
		return nil, errors.New("linear: no data rows")
	}
	tol := s.RankTol
	if tol == 0 {
		tol = 1e-10
	}
	ridge := make([]float64, p)
	switch len(s.Ridge) {
	case 0:
	case 1:
		for i := range ridge {
			ridge[i] = s.Ridge[0]
		}
	case p:
		copy(ridge, s.Ridge)
	default:
		panic(fmt.Sprintf("linear: %d ridge values for %d unknowns", len(s.Ridge), p))
	}
	for _, v := range append(append([]float64{}, n.AtA...), n.Atb...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("linear: the features or targets contain NaN or Inf")
		}
	}
	a := n.symmetric()
	hasRidge := false
	relScale := relativeScales(a, p, s.Relative)
	for i := range ridge {
		ridge[i] *= relScale[i]
		if ridge[i] < 0 || math.IsNaN(ridge[i]) {
			return nil, fmt.Errorf("linear: ridge %g < 0", ridge[i])
		}
		hasRidge = hasRidge || ridge[i] > 0
	}

	// Symmetric diagonal scaling D A D with D = diag(A)^{-1/2} so that
	// features of very different magnitudes (x⁸ next to a bump) do not
	// ruin the factorisation. Zero columns keep scale 1.
	scale := make([]float64, p)
	for i := 0; i < p; i++ {
		d := a[i*p+i] + ridge[i]
		if d > 0 {
			scale[i] = 1 / math.Sqrt(d)
		} else {
			scale[i] = 1
		}
	}
	sa := mat.NewSymDense(p, nil)
	ga := mat.NewSymDense(p, nil) // scaled data part only, for identifiability
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			v := a[i*p+j] * scale[i] * scale[j]
			ga.SetSym(i, j, v)
			if i == j {
				v += ridge[i] * scale[i] * scale[i]
			}
			sa.SetSym(i, j, v)
		}
	}

	res := &Result{}
	res.Unidentified, res.Rank = degeneracies(ga, scale, tol, s)

	var eig mat.EigenSym
	if ok := eig.Factorize(sa, false); !ok {
		return nil, errors.New("linear: eigendecomposition failed")
	}
	ev := eig.Values(nil)
	lmax, lmin := ev[len(ev)-1], ev[0]
	if lmin > 0 {
		res.Cond = lmax / lmin
	} else {
		res.Cond = math.Inf(1)
	}

	var chol mat.Cholesky
	if ok := chol.Factorize(sa); !ok || lmin <= tol*lmax {
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
	sb := mat.NewVecDense(p, nil)
	for i := 0; i < p; i++ {
		sb.SetVec(i, n.Atb[i]*scale[i])
	}
	var sx mat.VecDense
	if err := chol.SolveVecTo(&sx, sb); err != nil {
		return nil, fmt.Errorf("linear: %v: %w", err, ErrSingular)
	}
	theta := make([]float64, p)
	for i := range theta {
		theta[i] = sx.AtVec(i) * scale[i]
	}
	res.Theta = theta

	// RSS = bᵀWb − 2θᵀAᵀWb + θᵀAᵀWAθ.
	quad := 0.0
	for i := 0; i < p; i++ {
		row := 0.0
		for j := 0; j < p; j++ {
			row += a[i*p+j] * theta[j]
		}
		quad += theta[i] * row
	}
	rss := n.Btb - 2*dot(theta, n.Atb) + quad
	if rss < 0 {
		rss = 0
	}
	res.RSS = rss
	tss := n.Btb - n.Bsum*n.Bsum/n.W
	if tss > 0 {
		res.R2 = 1 - rss/tss
	} else {
		res.R2 = math.NaN()
	}

	// Standard errors: σ² M⁻¹AM⁻¹ with σ² = RSS/(rows − rank), in the
	// scaled coordinates (M = DAD + DΛD, A = DAD there).
	var inv mat.SymDense
	res.rows, res.w = n.Rows, n.W
	if err := chol.InverseTo(&inv); err == nil {
		res.invDiag = make([]float64, p)
		if hasRidge {
			var ma, mam mat.Dense
			ma.Mul(&inv, ga)
			mam.Mul(&ma, &inv)
			for i := 0; i < p; i++ {
				res.invDiag[i] = mam.At(i, i) * scale[i] * scale[i]
			}
		} else {
			for i := 0; i < p; i++ {
				res.invDiag[i] = inv.At(i, i) * scale[i] * scale[i]
			}
		}
	}
	res.stderr()

	// How far the ridge moved the solution, where the problem without it
	// is well posed.
	if hasRidge {
		var c0 mat.Cholesky
		var e0 mat.EigenSym
		if e0.Factorize(ga, false) {
			v := e0.Values(nil)
			if v[0] > tol*v[len(v)-1] && c0.Factorize(ga) {
				var x0 mat.VecDense
				if c0.SolveVecTo(&x0, sb) == nil {
					res.RidgeShift = make([]float64, p)
					for i := range theta {
						res.RidgeShift[i] = theta[i] - x0.AtVec(i)*scale[i]
					}
				}
			}
		}
	}
	return res, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// degeneracies finds the directions of parameter space the data does not
// determine: first the parameters whose feature is zero on the data, each
// on its own, then the null directions of the remaining (scaled) matrix g.
func degeneracies(g *mat.SymDense, scale []float64, tol float64, s Settings) ([]Degeneracy, int) {
	p := g.SymmetricDim()
	var out []Degeneracy
	dmax := 0.0
	for i := 0; i < p; i++ {
		dmax = math.Max(dmax, g.At(i, i))
	}
	var live []int
	for i := 0; i < p; i++ {
		if dmax == 0 || g.At(i, i) <= tol*dmax {
			out = append(out, Degeneracy{Params: []string{s.name(i)}, Coef: []float64{1}, index: []int{i},
				Reason: "its feature is zero on the data: the parameter has no effect on the drift (a constant offset, or a term the data never excites)"})
			continue
		}
		live = append(live, i)
	}
	if len(live) == 0 {
		return out, 0
	}
	q := len(live)
	sub := mat.NewSymDense(q, nil)
	for a, i := range live {
		for b := a; b < q; b++ {
			sub.SetSym(a, b, g.At(i, live[b]))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sub, true) {
		return out, 0
	}
	ev := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	lmax := ev[q-1]
	rank := 0
	for k := 0; k < q; k++ {
		rel := ev[k] / lmax
		if rel > tol {
			rank++
			continue
		}
		// Back to the original parameter scale: θ = D·u.
		coef := make([]float64, q)
		norm := 0.0
		for a, i := range live {
			coef[a] = vecs.At(a, k) * scale[i]
			norm += coef[a] * coef[a]
		}
		norm = math.Sqrt(norm)
		type load struct {
			i int
			c float64
		}
		var ls []load
		for a, i := range live {
			c := coef[a] / norm
			if math.Abs(c) > 1e-3 {
				ls = append(ls, load{i, c})
			}
		}
		// Largest loading first; equal loadings (to 1e-6) in parameter order.
		sort.SliceStable(ls, func(a, b int) bool {
			ca, cb := math.Abs(ls[a].c), math.Abs(ls[b].c)
			if math.Abs(ca-cb) > 1e-6 {
				return ca > cb
			}
			return ls[a].i < ls[b].i
		})
		d := Degeneracy{Eigenvalue: math.Max(rel, 0), Reason: "their features are collinear on the data"}
		for _, l := range ls {
			d.index = append(d.index, l.i)
			d.Params = append(d.Params, s.name(l.i))
			d.Coef = append(d.Coef, l.c)
		}
		out = append(out, d)
	}
	return out, rank
}

func (d Degeneracy) describe() string {
	if len(d.Params) == 1 {
		return fmt.Sprintf("%s is not identifiable: %s", d.Params[0], d.Reason)
	}
	var terms []string
	for i, name := range d.Params {
		if i == 6 {
			terms = append(terms, fmt.Sprintf("… (%d more)", len(d.Params)-6))
			break
		}
		terms = append(terms, fmt.Sprintf("%+.3g·%s", d.Coef[i], name))
	}
	return fmt.Sprintf("%s are not identifiable: %s (%s ≈ 0)", strings.Join(d.Params[:min(len(d.Params), 6)], ", "), d.Reason, strings.Join(terms, " "))
}

// String describes the degeneracy in one sentence.
func (d Degeneracy) String() string { return d.describe() }

// AutoRidge chooses a ridge from the data, relative to the diagonal of
// AᵀWA (use it with Settings.Relative): Hoerl, Kennard and Baldwin's
// k = P·σ̂²/‖u‖², where u is the least-squares solution in the unknowns
// scaled to unit diagonal and σ̂² = RSS/(rows − P) its residual variance
// (Hoerl, Kennard, Baldwin, "Ridge regression: some simulations", 1975).
// It is the ridge of a Gaussian prior on u whose variance is ‖u‖²/P, fitted
// to the data: invariant to the units of the data, the features and the
// parameters; 0 on exact data (the exact solve); small against the
// standard errors wherever the data identify the parameters, and large
// only along directions they barely see. When the problem without a ridge
// is singular, the pilot solve uses a ridge of 1e-10 of the diagonal and
// the result is at least 1e-8.
func (n *Normal) AutoRidge() float64 {
	p := n.P
	if n.Rows <= p {
		return 0
	}
	a := n.symmetric()
	for _, v := range append(append([]float64{}, n.AtA...), n.Atb...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
	}
	scale := make([]float64, p)
	sa := mat.NewSymDense(p, nil)
	sb := mat.NewVecDense(p, nil)
	for i := 0; i < p; i++ {
		if a[i*p+i] > 0 {
			scale[i] = 1 / math.Sqrt(a[i*p+i])
		} else {
			scale[i] = 1
		}
	}
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			sa.SetSym(i, j, a[i*p+j]*scale[i]*scale[j])
		}
		sb.SetVec(i, n.Atb[i]*scale[i])
	}
	var u mat.VecDense
	var ch mat.Cholesky
	var eig mat.EigenSym
	pilot := 0.0
	if ok := eig.Factorize(sa, false); !ok {
		return 0
	}
	ev := eig.Values(nil)
	if ev[0] <= 1e-10*ev[p-1] {
		pilot = 1e-10
	}
	for i := 0; i < p; i++ {
		sa.SetSym(i, i, sa.At(i, i)+pilot)
	}
	if !ch.Factorize(sa) || ch.SolveVecTo(&u, sb) != nil {
		return 0
	}
	// RSS = bᵀWb − 2uᵀ(DAᵀWb) + uᵀ(DAD)u, without the pilot ridge.
	quad := 0.0
	for i := 0; i < p; i++ {
		row := 0.0
		for j := 0; j < p; j++ {
			row += a[i*p+j] * scale[i] * scale[j] * u.AtVec(j)
		}
		quad += u.AtVec(i) * row
	}
	rss := math.Max(n.Btb-2*mat.Dot(&u, sb)+quad, 0)
	uu := mat.Dot(&u, &u)
	if uu == 0 {
		return 0
	}
	// The weights need not have mean 1: σ̂² in the units of the sums is
	// RSS/(rows − P), and ‖u‖² is unit free.
	sigma2 := rss / float64(n.Rows-p)
	k := float64(p) * sigma2 / uu
	if pilot > 0 {
		// A singular problem needs some ridge to be solved at all: at
		// least 1e-8 of the diagonal, which picks the smallest solution
		// along the directions the data do not determine.
		k = math.Max(k, 1e-8)
	}
	return k
}

// relativeScales returns what a relative ridge multiplies: the diagonal of
// AᵀWA, and for a feature that is zero on the data (whose parameter the
// data cannot see) the largest diagonal entry, so the ridge holds that
// parameter at 0; all ones when the ridge is absolute.
func relativeScales(a []float64, p int, relative bool) []float64 {
	out := make([]float64, p)
	dmax := 0.0
	for i := 0; i < p; i++ {
		dmax = math.Max(dmax, a[i*p+i])
	}
	if dmax == 0 {
		dmax = 1
	}
	for i := range out {
		switch {
		case !relative:
			out[i] = 1
		case a[i*p+i] > 0:
			out[i] = a[i*p+i]
		default:
			out[i] = dmax
		}
	}
	return out
}
