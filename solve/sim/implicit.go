package sim

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// ErrImplicitNotConverged is wrapped by the error of an implicit step that
// has no solution the iteration can find: it did not settle, or it settled
// on a point that is not a minimum of the step's energy.
var ErrImplicitNotConverged = errors.New("implicit step did not converge")

// PotentialDynamics is implemented by dynamics that can say when their
// drift is −∇V alone; the implicit step then descends V(y) + ‖y − x‖²/(2h)
// particle by particle, which settles where a search for a root of the
// first-order condition alone could stall.
type PotentialDynamics interface {
	Dynamics
	// Potential writes V(x_i, t) of each of the n particles of x into dst
	// and reports true when the drift is −∇V; it reports false, leaving
	// dst alone, otherwise.
	Potential(dst, x []float64, n int, t float64) bool
}

// CurvatureDynamics is implemented by potential dynamics that can give
// the potential's exact derivatives (a compiled model's symbolic
// Hessian): the implicit step's Newton solve then takes each particle's
// Hessian from them instead of finite differences of the drift, and its
// value and gradient from one evaluation.
type CurvatureDynamics interface {
	PotentialDynamics
	// PotentialDerivatives writes V(x_i, t) into v (n) and ∇V(x_i, t)
	// into g (n×d) for the n particles of x and, when h is not nil, the
	// Hessian ∇²V(x_i, t) into h (n×d×d, each particle's d×d matrix
	// row-major). It reports true when the drift is −∇V alone; it
	// reports false, leaving the destinations alone, otherwise.
	PotentialDerivatives(v, g, h, x []float64, n int, t float64) bool
}

// implicitStep replaces x (n×d) by the implicit (JKO, proximal) step of
// length h from time t: y = x + h·drift(y, t + h), the first-order
// condition of min_y V(y) + ‖y − x‖²/(2h) for a potential (with the
// interaction of the other particles for interaction energies).
//
// y is found by iterations started from the explicit step (from x where
// the drift is not finite there), each particle's own: Newton steps on
// V(y) + ‖y − x‖²/(2h) with a backtracking line search (the Armijo test)
// when the dynamics have a potential (PotentialDynamics),
// Levenberg–Marquardt steps on the residual g_i = y_i − x_i − h·drift_i(y)
// with the same search on ½‖g_i‖² otherwise. The d×d Jacobian
// I − h·∂drift_i/∂y_i is I + h·∇²V(y_i) from the potential's exact Hessian
// when the dynamics give it (CurvatureDynamics); otherwise it comes from
// forward differences (the whole cloud moved together along one axis, so
// the cost is d + 2 drift evaluations per iteration; interaction terms
// enter the residual exactly but not the Jacobian, which slows the
// iteration only where they are strong). Each particle has its own
// damping, so one stiff particle does not slow the others. The iteration
// stops at a residual of 1e-12 times the cloud's scale; after 200
// iterations a residual up to 1e-6 times the scale is accepted. The
// solution must be a minimum: where the Jacobian's symmetric part is not
// positive definite (the energy's curvature below −1/h, so the step has
// no unique minimiser there) the result is an error wrapping
// ErrImplicitNotConverged, as it is when the iteration does not settle.
func implicitStep(f Dynamics, x []float64, n int, t, h float64) error {
	d := f.Dim()
	s := newProxSolver(f, append([]float64(nil), x[:n*d]...), n, t+h, h)
	defer s.release()
	scale := 1.0
	for _, v := range s.x {
		scale = math.Max(scale, math.Abs(v))
	}
	y, err := s.solve(1e-12*scale, 1e-6*scale)
	if err != nil {
		return err
	}
	copy(x, y)
	return nil
}

// proxSolver solves y = x + dt·drift(y, t) for a cloud x (n×d).
type proxSolver struct {
	f     Dynamics
	n, d  int
	t, dt float64
	x     []float64
	pot   PotentialDynamics // nil: no potential to descend, the residual is the merit
	curv  CurvatureDynamics // nil: the Jacobian from finite differences
	w     *proxWork
}

// proxWork is a solver's scratch, reused from call to call (iJKOnet
// refines its particle maps thousands of times per fit).
type proxWork struct {
	buf     []float64
	pending []bool
}

var proxPool sync.Pool

// newProxSolver returns a solver for the cloud x (n×d, kept) at time t
// with step dt; release returns its scratch.
func newProxSolver(f Dynamics, x []float64, n int, t, dt float64) *proxSolver {
	s := &proxSolver{f: f, n: n, d: f.Dim(), t: t, dt: dt, x: x}
	s.w, _ = proxPool.Get().(*proxWork)
	if s.w == nil {
		s.w = &proxWork{}
	}
	s.pot, _ = f.(PotentialDynamics)
	s.curv, _ = f.(CurvatureDynamics)
	return s
}

func (s *proxSolver) release() {
	proxPool.Put(s.w)
	s.w = nil
}

// scratch carves the solver's scratch into zeroed slices of the given
// lengths.
func (s *proxSolver) scratch(lens ...int) [][]float64 {
	total := 0
	for _, l := range lens {
		total += l
	}
	if cap(s.w.buf) < total {
		s.w.buf = make([]float64, total)
	}
	buf := s.w.buf[:total]
	clear(buf)
	out := make([][]float64, len(lens))
	for i, l := range lens {
		out[i], buf = buf[:l:l], buf[l:]
	}
	return out
}

// maxProxIter bounds the iterations of an implicit step.
const maxProxIter = 200

// evaluate writes into g the residual y − x − dt·drift(y), into r each
// particle's Euclidean residual norm and into mer each particle's merit
// (see merit), and, when jac is not nil and the dynamics give their
// potential's Hessian, each particle's Jacobian I + dt·∇²V(y_i) into jac
// (n·d·d). It reports whether the residuals are finite and whether jac
// was written.
func (s *proxSolver) evaluate(g, r, mer, jac, y []float64) (finite, jacDone bool, err error) {
	n, d := s.n, s.d
	if s.curv != nil {
		// g first holds ∇V, jac ∇²V, mer V.
		if s.curv.PotentialDerivatives(mer, g, jac, y, n, s.t) {
			finite = true
			for i := 0; i < n; i++ {
				ri, q := 0.0, 0.0
				for k := i * d; k < (i+1)*d; k++ {
					dy := y[k] - s.x[k]
					g[k] = dy + s.dt*g[k]
					ri += g[k] * g[k]
					q += dy * dy
				}
				r[i] = math.Sqrt(ri)
				if math.IsNaN(r[i]) || math.IsInf(r[i], 0) {
					finite = false
				}
				mer[i] = s.dt*mer[i] + q/2
			}
			if jac != nil {
				for k := range jac[:n*d*d] {
					jac[k] *= s.dt
				}
				for i := 0; i < n; i++ {
					for p := 0; p < d; p++ {
						jac[i*d*d+p*d+p]++
					}
				}
			}
			return finite, jac != nil, nil
		}
		s.curv = nil // the drift is not −∇V alone
	}
	finite, err = s.residual(g, r, y)
	if err != nil {
		return false, false, err
	}
	s.merit(mer, y, r)
	return finite, false, nil
}

// residual writes g = y − x − dt·drift(y) into g and each particle's
// Euclidean residual norm into r; it reports whether all are finite.
func (s *proxSolver) residual(g, r, y []float64) (bool, error) {
	if err := s.f.Drift(g, y, s.n, s.t); err != nil {
		return false, err
	}
	ok := true
	for i := 0; i < s.n; i++ {
		ri := 0.0
		for k := i * s.d; k < (i+1)*s.d; k++ {
			g[k] = y[k] - s.x[k] - s.dt*g[k]
			ri += g[k] * g[k]
		}
		r[i] = math.Sqrt(ri)
		if math.IsNaN(r[i]) || math.IsInf(r[i], 0) {
			ok = false
		}
	}
	return ok, nil
}

// jacobian writes each particle's d×d Jacobian of the residual at y
// (residual g there) into jac (n·d·d, row-major per particle), by forward
// differences along each axis. The whole cloud moves by the same step, so
// the interaction terms, functions of differences, do not change.
func (s *proxSolver) jacobian(jac, y, g, work, gp []float64) error {
	n, d := s.n, s.d
	for j := 0; j < d; j++ {
		h := 1.0
		for i := 0; i < n; i++ {
			h = math.Max(h, math.Abs(y[i*d+j]))
		}
		h *= 1.5e-8 // about √ε times the axis' scale
		copy(work, y)
		for i := 0; i < n; i++ {
			work[i*d+j] += h
		}
		if err := s.f.Drift(gp, work, n, s.t); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			h := work[i*d+j] - y[i*d+j] // the step as represented
			for k := 0; k < d; k++ {
				gk := work[i*d+k] - s.x[i*d+k] - s.dt*gp[i*d+k]
				jac[i*d*d+k*d+j] = (gk - g[i*d+k]) / h
			}
		}
	}
	return nil
}

// merit writes each particle's merit at y (residual g and its norms r
// there) into m: dt·V(y_i) + ‖y_i − x_i‖²/2 when the dynamics have a
// potential (the function the step minimises), else ½‖g_i‖².
func (s *proxSolver) merit(m, y, r []float64) {
	if s.pot != nil && s.pot.Potential(m, y, s.n, s.t) {
		for i := range m {
			q := 0.0
			for k := i * s.d; k < (i+1)*s.d; k++ {
				q += (y[k] - s.x[k]) * (y[k] - s.x[k])
			}
			m[i] = s.dt*m[i] + q/2
		}
		return
	}
	for i := range m {
		m[i] = r[i] * r[i] / 2
	}
}

func (s *proxSolver) solve(tol, accept float64) ([]float64, error) {
	n, d := s.n, s.d
	y := make([]float64, n*d)
	if err := s.f.Drift(y, s.x, n, s.t-s.dt); err != nil {
		return nil, err
	}
	for k := range y {
		y[k] = s.x[k] + s.dt*y[k] // the explicit step starts the iteration
	}
	// Where Euler's step lands out of the drift's range (a stiff
	// potential, where the implicit step matters most), start from x.
	g, r := make([]float64, n*d), make([]float64, n)
	if _, err := s.residual(g, r, y); err != nil {
		return nil, err
	}
	for i, ri := range r {
		if math.IsNaN(ri) || math.IsInf(ri, 0) {
			copy(y[i*d:(i+1)*d], s.x[i*d:(i+1)*d])
		}
	}
	worst, err := s.iterate(y, tol, maxProxIter)
	if err != nil {
		return nil, err
	}
	if worst > accept {
		return nil, fmt.Errorf("%w after %d iterations (largest residual %.3g): the step's energy may have no minimiser near the particle, or dt is too long for the drift", ErrImplicitNotConverged, maxProxIter, worst)
	}
	// A root of the residual is the JKO step only where it minimises
	// V(y) + ‖y − x‖²/(2 dt): the Jacobian's symmetric part, dt times that
	// function's Hessian, must be positive definite.
	w := s.scratch(n*d, n*d, n*d*d, n, d*d, d)
	work, gp, jac, mer, a, b := w[0], w[1], w[2], w[3], w[4], w[5]
	_, exact, err := s.evaluate(g, r, mer, jac, y)
	if err != nil {
		return nil, err
	}
	if !exact {
		if err := s.jacobian(jac, y, g, work, gp); err != nil {
			return nil, err
		}
	}
	for i := 0; i < n; i++ {
		ji := jac[i*d*d : (i+1)*d*d]
		for p := 0; p < d; p++ {
			for q := 0; q < d; q++ {
				a[p*d+q] = (ji[p*d+q] + ji[q*d+p]) / 2
			}
			b[p] = 0
		}
		if !solveSPD(a, b, d) {
			return nil, fmt.Errorf("%w: particle %d settles where the step's energy is not convex (curvature below −1/dt = %.3g), so the step has no unique minimiser there", ErrImplicitNotConverged, i, -1/s.dt)
		}
	}
	return y, nil
}

// maxBacktrack bounds the step halvings of one iteration's line search.
const maxBacktrack = 10

// iterate improves y in place by at most maxIter iterations, until every
// particle's residual is at most tol, and returns the largest residual.
// Each iteration takes a Newton (or Levenberg–Marquardt) direction per
// particle and searches along it, halving the step up to maxBacktrack
// times, until the merit decreases (the Armijo test with a potential).
func (s *proxSolver) iterate(y []float64, tol float64, maxIter int) (float64, error) {
	n, d := s.n, s.d
	if s.pot != nil && !s.pot.Potential(make([]float64, 1), s.x[:d], 1, s.t) {
		s.pot, s.curv = nil, nil
	}
	w := s.scratch(n*d, n, n, n*d, n, n, n*d, n*d, n*d, n*d*d, n, d*d, d, n, n)
	g, r, mer := w[0], w[1], w[2]
	gt, rt, mert := w[3], w[4], w[5]
	yt, work, dir := w[6], w[7], w[8]
	jac, lambda, a, b := w[9], w[10], w[11], w[12]
	slope, alpha := w[13], w[14]
	if cap(s.w.pending) < n {
		s.w.pending = make([]bool, n)
	}
	pending := s.w.pending[:n]
	// Damping: none for Newton steps on a potential (shifted only where
	// the Hessian is not positive definite or the full step fails to
	// descend), a little for Levenberg–Marquardt.
	if s.pot == nil {
		for i := range lambda {
			lambda[i] = 1e-4
		}
	}
	// With a potential alone each particle's residual and merit depend on
	// its own position only, so those of the accepted trial points carry
	// over to the next iteration; with interactions every particle's
	// moves change the others' residuals, which are evaluated anew.
	known := false
	for it := 0; ; it++ {
		jacDone := false
		if !known || (s.curv != nil && it < maxIter) {
			jacArg := jac
			if it == maxIter {
				jacArg = nil
			}
			ok, exact, err := s.evaluate(g, r, mer, jacArg, y)
			if err != nil {
				return 0, err
			}
			if !ok {
				return 0, fmt.Errorf("%w: the drift is not finite where particles stand at iteration %d", ErrImplicitNotConverged, it)
			}
			jacDone = exact
		}
		worst := 0.0
		for _, ri := range r {
			worst = math.Max(worst, ri)
		}
		if worst <= tol || it == maxIter {
			return worst, nil
		}
		if !jacDone {
			if err := s.jacobian(jac, y, g, work, gt); err != nil {
				return 0, err
			}
		}
		left := 0
		for i := 0; i < n; i++ {
			pending[i] = false
			if r[i] <= tol {
				continue
			}
			ji, gi := jac[i*d*d:(i+1)*d*d], g[i*d:(i+1)*d]
			if s.pot != nil {
				// With a potential, g is the gradient of the merit and the
				// Jacobian its Hessian: a Newton direction, the Hessian
				// shifted by λ·(1 + its largest diagonal entry) where it is
				// not positive definite.
				for !s.newton(a, b, ji, gi, lambda[i]) {
					if lambda[i] > 1e12 {
						break // a non-finite Jacobian: the search rejects it
					}
					lambda[i] = math.Max(4*lambda[i], 1e-4)
				}
			} else if !s.levenberg(a, b, ji, gi, lambda[i]) {
				lambda[i] = math.Min(math.Max(lambda[i]*4, 1e-4), 1e12)
				continue // a singular Jacobian: try a larger λ next time
			}
			slope[i] = 0
			for p := 0; p < d; p++ {
				dir[i*d+p] = b[p]
				slope[i] += b[p] * gi[p]
			}
			alpha[i] = 1
			pending[i] = true
			left++
		}
		for bt := 0; left > 0 && bt <= maxBacktrack; bt++ {
			copy(yt, y)
			for i := 0; i < n; i++ {
				if pending[i] {
					for p := i * d; p < (i+1)*d; p++ {
						yt[p] += alpha[i] * dir[p]
					}
				}
			}
			if _, _, err := s.evaluate(gt, rt, mert, nil, yt); err != nil {
				return 0, err
			}
			for i := 0; i < n; i++ {
				if !pending[i] {
					continue
				}
				better := mert[i] < mer[i]
				if s.pot != nil {
					better = mert[i] <= mer[i]+1e-4*alpha[i]*slope[i] // Armijo
					if -alpha[i]*slope[i] < 1e-12*(1+math.Abs(mer[i])) {
						// The decrease is below the merit's rounding:
						// judge by the residual.
						better = rt[i] < r[i]
					}
				}
				switch {
				case better: // NaN compares false: rejected
					copy(y[i*d:(i+1)*d], yt[i*d:(i+1)*d])
					copy(g[i*d:(i+1)*d], gt[i*d:(i+1)*d])
					r[i], mer[i] = rt[i], mert[i]
					if alpha[i] == 1 {
						lambda[i] /= 3
					}
					pending[i] = false
					left--
				case bt == maxBacktrack:
					pending[i] = false // no descent along it: damp harder
					lambda[i] = math.Min(math.Max(lambda[i]*4, 1e-4), 1e12)
				default:
					alpha[i] /= 2
				}
			}
		}
		known = s.pot != nil
	}
}

// newton writes into b the step −(H + λ·(1 + max H_pp)·I)⁻¹ g for the
// symmetric part H of the Jacobian ji, reporting false when that matrix is
// not positive definite.
func (s *proxSolver) newton(a, b, ji, gi []float64, lambda float64) bool {
	d := s.d
	scale := 1.0
	for p := 0; p < d; p++ {
		scale = math.Max(scale, math.Abs(ji[p*d+p]))
	}
	for p := 0; p < d; p++ {
		for q := 0; q < d; q++ {
			a[p*d+q] = (ji[p*d+q] + ji[q*d+p]) / 2
		}
		a[p*d+p] += lambda * scale
		b[p] = -gi[p]
	}
	return solveSPD(a, b, d)
}

// levenberg writes into b the Levenberg–Marquardt step
// −(JᵀJ + λ·diag(JᵀJ))⁻¹ Jᵀg, reporting false for a singular JᵀJ.
func (s *proxSolver) levenberg(a, b, ji, gi []float64, lambda float64) bool {
	d := s.d
	for p := 0; p < d; p++ {
		b[p] = 0
		for k := 0; k < d; k++ {
			b[p] -= ji[k*d+p] * gi[k]
		}
		for q := 0; q < d; q++ {
			v := 0.0
			for k := 0; k < d; k++ {
				v += ji[k*d+p] * ji[k*d+q]
			}
			a[p*d+q] = v
		}
	}
	for p := 0; p < d; p++ {
		a[p*d+p] *= 1 + lambda
	}
	return solveSPD(a, b, d)
}

// solveSPD solves a·z = b in place (z into b) for a symmetric d×d matrix by
// Cholesky factorisation; it reports false, leaving b unusable, when a is
// not positive definite.
func solveSPD(a, b []float64, d int) bool {
	for j := 0; j < d; j++ {
		s := a[j*d+j]
		for k := 0; k < j; k++ {
			s -= a[j*d+k] * a[j*d+k]
		}
		if !(s > 0) {
			return false
		}
		a[j*d+j] = math.Sqrt(s)
		for i := j + 1; i < d; i++ {
			v := a[i*d+j]
			for k := 0; k < j; k++ {
				v -= a[i*d+k] * a[j*d+k]
			}
			a[i*d+j] = v / a[j*d+j]
		}
	}
	for i := 0; i < d; i++ { // L z = b
		v := b[i]
		for k := 0; k < i; k++ {
			v -= a[i*d+k] * b[k]
		}
		b[i] = v / a[i*d+i]
	}
	for i := d - 1; i >= 0; i-- { // Lᵀ x = z
		v := b[i]
		for k := i + 1; k < d; k++ {
			v -= a[k*d+i] * b[k]
		}
		b[i] = v / a[i*d+i]
	}
	return true
}

// ImplicitRefine improves y (n×d), an approximation of the implicit step
// of length h from the cloud x at time t, by at most iters iterations of
// the solver of Options.Implicit (see implicitStep), and returns the
// largest residual ‖y_i − x_i − h·drift_i(y)‖ left. It is for callers
// that track the step while the dynamics change (iJKOnet's particle maps,
// warm-started from one training epoch to the next), so not settling
// within iters is not an error; a drift that is not finite is.
func ImplicitRefine(f Dynamics, y, x []float64, n int, t, h float64, iters int) (float64, error) {
	d := f.Dim()
	if len(y) < n*d || len(x) < n*d {
		panic(fmt.Sprintf("sim: ImplicitRefine: %d and %d coordinates for %d points in %d dimensions", len(y), len(x), n, d))
	}
	s := newProxSolver(f, x[:n*d], n, t+h, h)
	defer s.release()
	worst, err := s.iterate(y[:n*d], 0, iters)
	if err != nil {
		return worst, fmt.Errorf("sim: %w", err)
	}
	return worst, nil
}
