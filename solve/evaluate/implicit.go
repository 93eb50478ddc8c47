package evaluate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// ErrImplicitNotConverged is wrapped by the error of an implicit step whose
// iteration did not settle.
var ErrImplicitNotConverged = errors.New("implicit step did not converge")

// PredictImplicit advances the cloud x (n×d) from time t by one implicit
// (JKO, proximal) step of length dt: y = x + dt·drift(y, t + dt), the
// first-order condition of the JKO step for potential and interaction
// energies, plus the diffusion noise √(2β dt)·ξ of the explicit step. It
// is the forward model iJKOnet fits (Predict's Euler step is the one
// JKOnet* evaluated at x fits).
//
// y is found from y = x by damped fixed-point iterations
// y ← y + ω_i(x + dt·drift(y) − y), each particle's ω_i halved whenever
// its residual grows and let grow back (up to ½) while it shrinks. The
// iteration stops at a residual of 1e-12 times the cloud's scale; after
// 2,000 iterations a
// residual up to 1e-6 times the scale is accepted, and a larger one is an
// error wrapping ErrImplicitNotConverged (dt times the drift's Lipschitz
// constant too large for the step to settle).
func PredictImplicit(f sim.Dynamics, x *mat.Dense, t, dt float64, seed uint64) (*mat.Dense, error) {
	n, d := x.Dims()
	if d != f.Dim() {
		return nil, fmt.Errorf("evaluate: the cloud is %d-dimensional, the model %d", d, f.Dim())
	}
	x0 := make([]float64, 0, n*d)
	scale := 1.0
	for i := 0; i < n; i++ {
		row := x.RawRowView(i)
		x0 = append(x0, row...)
		for _, v := range row {
			scale = math.Max(scale, math.Abs(v))
		}
	}
	y := append([]float64(nil), x0...)
	v := make([]float64, n*d)
	const maxIter, tol, accept = 2000, 1e-12, 1e-6
	// Each particle has its own damping ω_i and residual: with potential
	// terms the particles' problems are independent, and one stiff particle
	// should not slow the others (interaction terms couple them weakly).
	omega, last := make([]float64, n), make([]float64, n)
	for i := range omega {
		omega[i], last[i] = 0.5, math.Inf(1)
	}
	prev := math.Inf(1)
	converged := false
	for it := 0; it < maxIter; it++ {
		if err := f.Drift(v, y, n, t+dt); err != nil {
			return nil, err
		}
		res := 0.0
		for i := 0; i < n; i++ {
			ri := 0.0
			for k := i * d; k < (i+1)*d; k++ {
				v[k] = x0[k] + dt*v[k] - y[k] // residual of the fixed point
				ri = math.Max(ri, math.Abs(v[k]))
			}
			if ri > last[i] {
				omega[i] /= 2
			} else {
				omega[i] = math.Min(0.5, omega[i]*1.1)
			}
			last[i] = ri
			res = math.Max(res, ri)
		}
		if math.IsNaN(res) || math.IsInf(res, 0) {
			break
		}
		prev = res
		if res <= tol*scale {
			converged = true
			break
		}
		for i := 0; i < n; i++ {
			for k := i * d; k < (i+1)*d; k++ {
				y[k] += omega[i] * v[k]
			}
		}
	}
	if !converged && prev <= accept*scale {
		converged = true
	}
	if !converged {
		return nil, fmt.Errorf("evaluate: %w after %d iterations (residual %.3g; dt·|∇drift| too large for this step?)", ErrImplicitNotConverged, maxIter, prev)
	}
	if beta := f.Beta(); beta > 0 {
		rng := rand.New(rand.NewPCG(seed, 0x696d706c))
		s := math.Sqrt(2 * beta * dt)
		for i := range y {
			y[i] += s * rng.NormFloat64()
		}
	}
	return mat.NewDense(n, d, y), nil
}

// OneStepImplicit is OneStep with the implicit step (PredictImplicit).
func OneStepImplicit(f sim.Dynamics, s *snapshot.Snapshots, seed uint64) (Report, error) {
	return oneStep(s, func(k int) (*mat.Dense, error) {
		return PredictImplicit(f, s.X[k], s.Times[k], s.Times[k+1]-s.Times[k], seed+uint64(k))
	})
}
