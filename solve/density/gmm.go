package density

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// GMMOptions configures FitGMM. Zero values select the defaults, which
// are scikit-learn GaussianMixture's.
type GMMOptions struct {
	Components int     // number of components k (required, ≥ 1)
	MaxIter    int     // EM iterations; default 100
	Tol        float64 // stop when the mean log-likelihood changes less; default 1e-3
	RegCovar   float64 // added to covariance diagonals; 0 selects the default 1e-6 (negative is an error)
	Seed       uint64  // seed of the k-means++ initialisation
	// KMeansMaxIter and KMeansTol control the k-means initialisation;
	// defaults 300 and 1e-4 (relative to the mean feature variance).
	KMeansMaxIter int
	KMeansTol     float64
}

// GMM is a Gaussian mixture with full covariances. Build one with FitGMM
// or NewGMM; the fields are read-only (they must agree with the cached
// Cholesky factors).
type GMM struct {
	Weights []float64       // mixture weights, summing to 1
	Means   *mat.Dense      // k × d
	Covs    []*mat.SymDense // k covariances, d × d
	// Fit diagnostics (zero for NewGMM).
	Converged  bool    // EM met the tolerance within MaxIter
	Iter       int     // EM iterations run
	LowerBound float64 // mean log-likelihood of the data at the last E-step

	k, d int
	chol []float64 // k lower Cholesky factors L (Σ = L Lᵀ), row-major d×d
	logc []float64 // log w − ½ d log 2π − Σ log L_ii
	par2 []float64 // d = 2: per component μ₀, μ₁, L₀₀, L₁₀, L₁₁, logc
}

// NewGMM builds a mixture from weights (non-negative, normalised here),
// means (k × d) and symmetric positive definite covariances. Inputs are
// copied.
func NewGMM(weights []float64, means *mat.Dense, covs []*mat.SymDense) (*GMM, error) {
	if means == nil {
		return nil, errors.New("density: nil means")
	}
	k, d := means.Dims()
	if len(weights) != k || len(covs) != k {
		return nil, fmt.Errorf("density: %d weights, %d means, %d covariances", len(weights), k, len(covs))
	}
	g := &GMM{k: k, d: d, Weights: make([]float64, k), Means: mat.DenseCopyOf(means)}
	sum := 0.0
	for _, w := range weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("density: weight %v, need finite and ≥ 0", w)
		}
		sum += w
	}
	if !(sum > 0) {
		return nil, errors.New("density: weights sum to 0")
	}
	for i, w := range weights {
		g.Weights[i] = w / sum
	}
	for l, c := range covs {
		if c == nil || c.SymmetricDim() != d {
			return nil, fmt.Errorf("density: covariance %d is not %d×%d", l, d, d)
		}
		g.Covs = append(g.Covs, mat.NewSymDense(d, nil))
		g.Covs[l].CopySym(c)
	}
	if err := g.factor(); err != nil {
		return nil, err
	}
	return g, nil
}

// factor computes the Cholesky factors and log normalisers.
func (g *GMM) factor() error {
	k, d := g.k, g.d
	if g.chol == nil {
		g.chol = make([]float64, k*d*d)
		g.logc = make([]float64, k)
	}
	var ch mat.Cholesky
	var L mat.TriDense
	for l := 0; l < k; l++ {
		if ok := ch.Factorize(g.Covs[l]); !ok {
			return fmt.Errorf("density: covariance of component %d is not positive definite (degenerate data? increase RegCovar)", l)
		}
		ch.LTo(&L)
		logdet := 0.0
		for i := 0; i < d; i++ {
			for j := 0; j <= i; j++ {
				g.chol[l*d*d+i*d+j] = L.At(i, j)
			}
			logdet += math.Log(L.At(i, i))
		}
		g.logc[l] = math.Log(g.Weights[l]) - 0.5*float64(d)*math.Log(2*math.Pi) - logdet
	}
	if d == 2 {
		if g.par2 == nil {
			g.par2 = make([]float64, 6*k)
		}
		for l := 0; l < k; l++ {
			L := g.chol[4*l : 4*l+4]
			copy(g.par2[6*l:], []float64{g.Means.At(l, 0), g.Means.At(l, 1), L[0], L[2], L[3], g.logc[l]})
		}
	}
	return nil
}

// Dim returns the dimension d.
func (g *GMM) Dim() int { return g.d }

// Components returns the number of components k.
func (g *GMM) Components() int { return g.k }

// FitGMM fits a k-component full-covariance Gaussian mixture to the rows
// of x by EM, initialised from k-means (see the package documentation for
// the exact semantics). It fails when x has fewer than k points (or fewer
// than k distinct points), non-finite values, or a covariance that stays
// singular after RegCovar.
func FitGMM(x *mat.Dense, opt GMMOptions) (*GMM, error) {
	k := opt.Components
	if k < 1 {
		return nil, fmt.Errorf("density: %d components, need at least 1", k)
	}
	if opt.MaxIter == 0 {
		opt.MaxIter = 100
	}
	if opt.Tol == 0 {
		opt.Tol = 1e-3
	}
	if opt.RegCovar == 0 {
		opt.RegCovar = 1e-6
	}
	if opt.KMeansMaxIter == 0 {
		opt.KMeansMaxIter = 300
	}
	if opt.KMeansTol == 0 {
		opt.KMeansTol = 1e-4
	}
	if opt.MaxIter < 1 || opt.KMeansMaxIter < 1 || !(opt.Tol > 0) || !(opt.RegCovar >= 0) || !(opt.KMeansTol >= 0) ||
		math.IsInf(opt.RegCovar, 0) {
		return nil, fmt.Errorf("density: invalid options %+v", opt)
	}
	n, d, err := checkData(x, max(k, 2))
	if err != nil {
		return nil, fmt.Errorf("%w (for %d components)", err, k)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x676d6d2d6b6d6561))
	labels, err := kmeans(x, k, rng, opt.KMeansMaxIter, opt.KMeansTol)
	if err != nil {
		return nil, err
	}
	g := &GMM{k: k, d: d, Weights: make([]float64, k), Means: mat.NewDense(k, d, nil)}
	for l := 0; l < k; l++ {
		g.Covs = append(g.Covs, mat.NewSymDense(d, nil))
	}
	resp := make([]float64, n*k)
	for i, l := range labels {
		resp[i*k+l] = 1
	}
	ws := newWorkspace(n, k, d)
	if err := g.mstep(x, resp, opt.RegCovar, ws, false); err != nil {
		return nil, err
	}
	lb := math.Inf(-1)
	for it := 1; it <= opt.MaxIter; it++ {
		prev := lb
		lb = g.estep(x, resp, ws)
		if err := g.mstep(x, resp, opt.RegCovar, ws, true); err != nil {
			return nil, err
		}
		g.Iter = it
		if math.Abs(lb-prev) < opt.Tol {
			g.Converged = true
			break
		}
	}
	g.LowerBound = lb
	return g, nil
}

type workspace struct {
	ll  []float64   // per-chunk log-likelihood sums
	nk  [][]float64 // per-chunk responsibility sums
	sx  [][]float64 // per-chunk weighted coordinate sums, k×d
	sxx [][]float64 // per-chunk weighted scatter, k×d×d
	lp  [][]float64 // per-chunk scratch, k + d
}

func newWorkspace(n, k, d int) *workspace {
	nc := numChunks(n)
	ws := &workspace{ll: make([]float64, nc)}
	for c := 0; c < nc; c++ {
		ws.nk = append(ws.nk, make([]float64, k))
		ws.sx = append(ws.sx, make([]float64, k*d))
		ws.sxx = append(ws.sxx, make([]float64, k*d*d))
		ws.lp = append(ws.lp, make([]float64, k+d))
	}
	return ws
}

// expUnderflow is below the argument under which math.Exp returns 0
// (−745.13…): exp of anything smaller is 0 without calling it.
const expUnderflow = -746

// logComponents writes log(w_l N(x | μ_l, Σ_l)) to lp and, when u is
// non-nil, Σ_l⁻¹(x − μ_l) to u[l*d:(l+1)*d]. y is scratch of length d.
// For d = 2 the arithmetic is that of the general loops unrolled (same
// operations in the same order, so the same numbers bit for bit).
func (g *GMM) logComponents(xi, lp, y, u []float64) {
	d := g.d
	if d == 2 {
		x0, x1 := xi[0], xi[1]
		par := g.par2[:6*g.k]
		for l := range lp[:g.k] {
			p := par[6*l : 6*l+6 : 6*l+6]
			y0 := (x0 - p[0]) / p[2]
			s := x1 - p[1]
			s -= p[3] * y0
			y1 := s / p[4]
			q := y0 * y0
			q += y1 * y1
			lp[l] = p[5] - 0.5*q
			if u != nil {
				u1 := y1 / p[4]
				s := y0
				s -= p[3] * u1
				u[2*l], u[2*l+1] = s/p[2], u1
			}
		}
		return
	}
	means := g.Means.RawMatrix().Data
	for l := 0; l < g.k; l++ {
		L := g.chol[l*d*d : (l+1)*d*d]
		mu := means[l*d : (l+1)*d]
		q := 0.0
		for i := 0; i < d; i++ { // forward: y = L⁻¹(x − μ)
			s := xi[i] - mu[i]
			for j := 0; j < i; j++ {
				s -= L[i*d+j] * y[j]
			}
			y[i] = s / L[i*d+i]
			q += y[i] * y[i]
		}
		lp[l] = g.logc[l] - 0.5*q
		if u != nil { // backward: u = L⁻ᵀ y = Σ⁻¹(x − μ)
			ul := u[l*d : (l+1)*d]
			for i := d - 1; i >= 0; i-- {
				s := y[i]
				for j := i + 1; j < d; j++ {
					s -= L[j*d+i] * ul[j]
				}
				ul[i] = s / L[i*d+i]
			}
		}
	}
}

// expShifted returns exp(v − m) for v ≤ m, skipping the call where the
// result is known exactly: 1 at the maximum, 0 below underflow.
func expShifted(v, m float64) float64 {
	t := v - m
	if t == 0 {
		return 1
	}
	if t < expUnderflow {
		return 0
	}
	return math.Exp(t)
}

func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += expShifted(x, m)
	}
	return m + math.Log(s)
}

// rows returns the backing slice of x and its row stride.
func rows(x *mat.Dense) ([]float64, int) {
	r := x.RawMatrix()
	return r.Data, r.Stride
}

// estep writes responsibilities, accumulates their sums and weighted
// coordinate sums per chunk (ws.nk, ws.sx: the first pass of the next
// M-step) and returns the mean log-likelihood.
func (g *GMM) estep(x *mat.Dense, resp []float64, ws *workspace) float64 {
	n, d := x.Dims()
	k := g.k
	data, stride := rows(x)
	forChunks(n, func(c, lo, hi int) {
		y := ws.lp[c][k:]
		nk, sx := ws.nk[c], ws.sx[c]
		clear(nk)
		clear(sx)
		s := 0.0
		for i := lo; i < hi; i++ {
			r := resp[i*k : (i+1)*k]
			row := data[i*stride : i*stride+d]
			g.logComponents(row, r, y, nil)
			m := math.Inf(-1)
			for _, v := range r {
				if v > m || v != v { // math.Max's result without the call
					m = v
				}
			}
			z := 0.0
			for l, v := range r {
				r[l] = expShifted(v, m)
				z += r[l]
			}
			s += m + math.Log(z)
			for l := range r {
				r[l] /= z
			}
			accumulate(nk, sx, r, row)
		}
		ws.ll[c] = s
	})
	total := 0.0
	for _, v := range ws.ll {
		total += v
	}
	return total / float64(n)
}

// accumulate adds one point's responsibilities r and weighted coordinates
// to nk and sx (k×d).
func accumulate(nk, sx, r, row []float64) {
	if len(row) == 2 {
		x0, x1 := row[0], row[1]
		sx = sx[:2*len(r)]
		for l, rl := range r {
			nk[l] += rl
			sx[2*l] += rl * x0
			sx[2*l+1] += rl * x1
		}
		return
	}
	d := len(row)
	for l, rl := range r {
		nk[l] += rl
		for j, v := range row {
			sx[l*d+j] += rl * v
		}
	}
}

// mstep updates weights, means and covariances from responsibilities.
// With summed false it first computes the per-chunk sums ws.nk and ws.sx
// (estep leaves them computed: summed true).
func (g *GMM) mstep(x *mat.Dense, resp []float64, reg float64, ws *workspace, summed bool) error {
	n, d := x.Dims()
	k := g.k
	data, stride := rows(x)
	if !summed {
		forChunks(n, func(c, lo, hi int) {
			nk, sx := ws.nk[c], ws.sx[c]
			clear(nk)
			clear(sx)
			for i := lo; i < hi; i++ {
				accumulate(nk, sx, resp[i*k:(i+1)*k], data[i*stride:i*stride+d])
			}
		})
	}
	nk := make([]float64, k)
	sx := make([]float64, k*d)
	for c := range ws.nk { // ordered reduction over chunks
		for l := 0; l < k; l++ {
			nk[l] += ws.nk[c][l]
		}
		for i, v := range ws.sx[c] {
			sx[i] += v
		}
	}
	sum := 0.0
	for l := range nk {
		nk[l] += 10 * 0x1p-52 // as scikit-learn: avoids 0/0 for empty components
		sum += nk[l]
		for j := 0; j < d; j++ {
			g.Means.Set(l, j, sx[l*d+j]/nk[l])
		}
	}
	means := g.Means.RawMatrix().Data
	forChunks(n, func(c, lo, hi int) {
		sxx := ws.sxx[c]
		clear(sxx)
		if d == 2 {
			mu := means[:2*k]
			sxx = sxx[:4*k]
			for i := lo; i < hi; i++ {
				x0, x1 := data[i*stride], data[i*stride+1]
				for l, r := range resp[i*k : (i+1)*k] {
					if r == 0 {
						continue
					}
					d0, d1 := x0-mu[2*l], x1-mu[2*l+1]
					ra := r * d0
					sxx[4*l] += ra * d0
					rb := r * d1
					sxx[4*l+2] += rb * d0
					sxx[4*l+3] += rb * d1
				}
			}
			return
		}
		diff := ws.lp[c][k:]
		for i := lo; i < hi; i++ {
			row := data[i*stride : i*stride+d]
			for l := 0; l < k; l++ {
				r := resp[i*k+l]
				if r == 0 {
					continue
				}
				mu := means[l*d : (l+1)*d]
				for j := range diff {
					diff[j] = row[j] - mu[j]
				}
				s := sxx[l*d*d : (l+1)*d*d]
				for a := 0; a < d; a++ {
					ra := r * diff[a]
					for b := 0; b <= a; b++ {
						s[a*d+b] += ra * diff[b]
					}
				}
			}
		}
	})
	for l := 0; l < k; l++ {
		g.Weights[l] = nk[l] / sum
		for a := 0; a < d; a++ {
			for b := 0; b <= a; b++ {
				v := 0.0
				for c := range ws.sxx {
					v += ws.sxx[c][l*d*d+a*d+b]
				}
				v /= nk[l]
				if a == b {
					v += reg
				}
				g.Covs[l].SetSym(a, b, v)
			}
		}
	}
	return g.factor()
}

// evaluate computes, for each point, whichever of log ρ, ρ, ∇ρ and ∇log ρ
// is requested (non-nil).
func (g *GMM) evaluate(x *mat.Dense, logd, dens []float64, grad, score *mat.Dense) {
	n, _ := x.Dims()
	k, d := g.k, g.d
	needU := grad != nil || score != nil
	forChunks(n, func(c, lo, hi int) {
		lp := make([]float64, k)
		y := make([]float64, d)
		var u []float64
		if needU {
			u = make([]float64, k*d)
		}
		s := make([]float64, d)
		for i := lo; i < hi; i++ {
			g.logComponents(x.RawRowView(i), lp, y, u)
			lse := logSumExp(lp)
			if logd != nil {
				logd[i] = lse
			}
			if dens != nil {
				dens[i] = math.Exp(lse)
			}
			if !needU {
				continue
			}
			clear(s)
			for l := 0; l < k; l++ {
				r := math.Exp(lp[l] - lse)
				for j := 0; j < d; j++ {
					s[j] -= r * u[l*d+j]
				}
			}
			if score != nil {
				copy(score.RawRowView(i), s)
			}
			if grad != nil {
				rho := math.Exp(lse)
				row := grad.RawRowView(i)
				for j := range row {
					row[j] = rho * s[j]
				}
			}
		}
	})
}

// LogDensity writes log ρ(x_i) to dst[i].
func (g *GMM) LogDensity(dst []float64, x *mat.Dense) error {
	if _, err := checkEval(g.d, x, dst); err != nil {
		return err
	}
	g.evaluate(x, dst, nil, nil, nil)
	return nil
}

// Density writes ρ(x_i) to dst[i].
func (g *GMM) Density(dst []float64, x *mat.Dense) error {
	if _, err := checkEval(g.d, x, dst); err != nil {
		return err
	}
	g.evaluate(x, nil, dst, nil, nil)
	return nil
}

// Grad writes ∇ρ(x_i) = −Σ_l w_l N_l(x_i) Σ_l⁻¹(x_i − μ_l) to row i of dst.
func (g *GMM) Grad(dst *mat.Dense, x *mat.Dense) error {
	if _, err := checkEval(g.d, x, dst); err != nil {
		return err
	}
	g.evaluate(x, nil, nil, dst, nil)
	return nil
}

// DensityGrad writes ρ(x_i) to rho[i] and ∇ρ(x_i) to row i of grad in one
// pass over the components (the same numbers as Density and Grad).
func (g *GMM) DensityGrad(rho []float64, grad *mat.Dense, x *mat.Dense) error {
	if _, err := checkEval(g.d, x, rho); err != nil {
		return err
	}
	if _, err := checkEval(g.d, x, grad); err != nil {
		return err
	}
	g.evaluate(x, nil, rho, grad, nil)
	return nil
}

// Score writes ∇log ρ(x_i) = −Σ_l r_l(x_i) Σ_l⁻¹(x_i − μ_l), with r_l the
// posterior component probabilities, to row i of dst. It stays finite far
// in the tails where ρ underflows.
func (g *GMM) Score(dst *mat.Dense, x *mat.Dense) error {
	if _, err := checkEval(g.d, x, dst); err != nil {
		return err
	}
	g.evaluate(x, nil, nil, nil, dst)
	return nil
}

// MeanLogLikelihood returns (1/n) Σ_i log ρ(x_i), the quantity
// scikit-learn's GaussianMixture.score reports.
func (g *GMM) MeanLogLikelihood(x *mat.Dense) (float64, error) {
	n, err := checkEval(g.d, x, nil)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, errors.New("density: no points")
	}
	lp := make([]float64, n)
	g.evaluate(x, lp, nil, nil, nil)
	s := 0.0
	for _, v := range lp {
		s += v
	}
	return s / float64(n), nil
}

// Prune returns the mixture without the components whose covariance
// determinant is ≤ minDet, weights renormalised: the JKOnet* reference
// does this with minDet = 1e-4. It fails when no component remains.
func (g *GMM) Prune(minDet float64) (*GMM, error) {
	var w []float64
	var covs []*mat.SymDense
	var rows []float64
	d := g.d
	for l := 0; l < g.k; l++ {
		det := 1.0
		for i := 0; i < d; i++ {
			v := g.chol[l*d*d+i*d+i]
			det *= v * v
		}
		if det > minDet {
			w = append(w, g.Weights[l])
			covs = append(covs, g.Covs[l])
			rows = append(rows, g.Means.RawRowView(l)...)
		}
	}
	if len(w) == 0 {
		return nil, fmt.Errorf("density: no component has covariance determinant > %v", minDet)
	}
	return NewGMM(w, mat.NewDense(len(w), d, rows), covs)
}

// Sample draws n points from the mixture with a generator seeded by seed.
func (g *GMM) Sample(n int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 0x73616d706c65))
	d := g.d
	out := mat.NewDense(n, d, nil)
	z := make([]float64, d)
	cum := make([]float64, g.k)
	s := 0.0
	for l, w := range g.Weights {
		s += w
		cum[l] = s
	}
	for i := 0; i < n; i++ {
		u := rng.Float64() * s
		l := 0
		for l < g.k-1 && cum[l] <= u {
			l++
		}
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		L := g.chol[l*d*d : (l+1)*d*d]
		row := out.RawRowView(i)
		mu := g.Means.RawRowView(l)
		for a := 0; a < d; a++ {
			v := mu[a]
			for b := 0; b <= a; b++ {
				v += L[a*d+b] * z[b]
			}
			row[a] = v
		}
	}
	return out
}

// JKOnetStarDensity fits the density estimate of the JKOnet* reference to
// one snapshot: a 10-component full-covariance GMM (scikit-learn
// defaults), degenerate components dropped and ρ clipped below. The
// reference's thresholds are absolute (determinant ≤ 1e-4, ρ ≥ 1e-5) and
// so fail on data in small units; here they are those numbers in the
// units of x (see ReferenceThresholds): the same on the reference's data,
// the same decisions on the data in any units.
func JKOnetStarDensity(x *mat.Dense, seed uint64) (Estimator, error) {
	g, err := FitGMM(x, GMMOptions{Components: 10, Seed: seed})
	if err != nil {
		return nil, err
	}
	minDet, floor := ReferenceThresholds(x)
	p, err := g.Prune(minDet)
	if err != nil {
		return nil, err
	}
	return Clipped{E: p, Min: floor}, nil
}

// ReferenceThresholds returns the JKOnet* reference's component
// determinant threshold (1e-4) and density floor (1e-5) rescaled to the
// units of x. The reference set them for data spread like the uniform
// distribution on [−4, 4]^d (variance 16/3 per coordinate): with v the
// mean coordinate variance of x, minDet = 1e-4·(v/(16/3))^d and floor =
// 1e-5·((16/3)/v)^(d/2), how a determinant and a density change when the
// data are rescaled.
func ReferenceThresholds(x *mat.Dense) (minDet, floor float64) {
	n, d := x.Dims()
	v := 0.0
	for j := 0; j < d; j++ {
		mean, ss := 0.0, 0.0
		for i := 0; i < n; i++ {
			mean += x.At(i, j)
		}
		mean /= float64(max(n, 1))
		for i := 0; i < n; i++ {
			e := x.At(i, j) - mean
			ss += e * e
		}
		v += ss / float64(max(n, 1))
	}
	v /= float64(d)
	if !(v > 0) || math.IsInf(v, 0) {
		return 1e-4, 1e-5
	}
	r := v / (16.0 / 3)
	return 1e-4 * math.Pow(r, float64(d)), 1e-5 * math.Pow(r, -float64(d)/2)
}
