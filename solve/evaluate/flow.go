package evaluate

import (
	"fmt"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/density"
	"gonum.org/v1/gonum/mat"
)

// Flow is the dynamics of a compiled model with parameters θ. It satisfies
// sim.Dynamics.
type Flow struct {
	Model *compile.Model
	Theta []float64

	beta    float64
	entropy bool
	tmp     []float64
}

// NewFlow returns the dynamics of m at θ. They are deterministic (the
// density of a non-entropic internal energy is a kernel estimate, which
// draws nothing): the noise of a simulation is seeded where it is drawn.
func NewFlow(m *compile.Model, theta []float64) (*Flow, error) {
	if len(theta) != m.NumParams {
		return nil, fmt.Errorf("evaluate: %d parameter values for a model with %d", len(theta), m.NumParams)
	}
	if len(m.Terms) == 0 {
		// A function library (stdlib/halves.jko): its drift would be zero
		// everywhere, a silent non-model.
		name := "the spec"
		if files := m.Spec.Model.Files; len(files) > 0 {
			name = files[0].Filename
		}
		return nil, fmt.Errorf("evaluate: %s declares no terms (potential, interaction or internal), so it has no dynamics: a library of functions is imported by a spec, not run", name)
	}
	f := &Flow{Model: m, Theta: theta}
	f.beta, f.entropy = m.Entropy(theta)
	if f.beta < 0 {
		return nil, fmt.Errorf("evaluate: the entropy coefficient β = %g is negative: the dynamics would run diffusion backwards (declare param beta >= 0 so that fits keep it non-negative)", f.beta)
	}
	return f, nil
}

// Dim is the model's dimension.
func (f *Flow) Dim() int { return f.Model.Dim }

// Beta is the diffusion coefficient of the entropy terms (0 when there are
// none, or when the internal energy is not an entropy).
func (f *Flow) Beta() float64 {
	if !f.entropy {
		return 0
	}
	return f.beta
}

// Drift writes the velocity of every particle of x at time t.
func (f *Flow) Drift(dst, x []float64, n int, t float64) error {
	return f.DriftAt(dst, x, n, x, n, t)
}

// DriftAt writes into dst (n×d) the velocity at time t of each of the n
// points x in the population cloud (nc×d): the mean field and the density
// are the cloud's, whatever points are evaluated, so the row of a point of
// the cloud is the row Drift gives it over the whole cloud.
func (f *Flow) DriftAt(dst, x []float64, n int, cloud []float64, nc int, t float64) error {
	m := f.Model
	d := m.Dim
	clear(dst[:n*d])
	if len(f.tmp) < n*d {
		f.tmp = make([]float64, n*d)
	}
	tmp := f.tmp[:n*d]
	if m.Has(compile.Potential) {
		m.PotentialGrad(tmp, x, n, t, f.Theta)
		sub(dst, tmp)
	}
	if m.Has(compile.Interaction) {
		m.InteractionGrad(tmp, x, n, cloud, nc, f.Theta)
		sub(dst, tmp)
	}
	if m.Has(compile.Internal) && !f.entropy {
		pts := mat.NewDense(n, d, x[:n*d])
		kde, err := density.FitKDE(mat.NewDense(nc, d, cloud[:nc*d]), density.KDEOptions{})
		if err != nil {
			return fmt.Errorf("evaluate: density for the internal energy: %w", err)
		}
		est := density.Clipped{E: kde, Min: 1e-5}
		rho := make([]float64, n)
		grad := mat.NewDense(n, d, nil)
		if err := est.Density(rho, pts); err != nil {
			return err
		}
		if err := est.Grad(grad, pts); err != nil {
			return err
		}
		coef := make([]float64, n)
		m.InternalCoef(coef, rho, n, f.Theta)
		g := grad.RawMatrix().Data
		for i := 0; i < n; i++ {
			for k := 0; k < d; k++ {
				dst[i*d+k] -= coef[i] * g[i*d+k]
			}
		}
	}
	return nil
}

func sub(dst, v []float64) {
	for i, x := range v {
		dst[i] -= x
	}
}

// Potential writes V(x_i, t) of each of the n particles of x into dst and
// reports true when the drift is −∇V alone (no interaction terms, and no
// internal energy other than entropy, whose share is noise): then the
// implicit step (sim.Options.Scheme) minimises V(y) + ‖y − x‖²/(2τ)
// particle by particle. It reports false, leaving dst alone, otherwise.
func (f *Flow) Potential(dst, x []float64, n int, t float64) bool {
	m := f.Model
	if m.Has(compile.Interaction) || (m.Has(compile.Internal) && !f.entropy) {
		return false
	}
	if !m.Has(compile.Potential) {
		clear(dst[:n])
		return true
	}
	m.PotentialValue(dst, x, n, t, f.Theta)
	return true
}

// PotentialDerivatives writes V(x_i, t) into v, ∇V(x_i, t) into g and,
// when h is not nil, the exact Hessian ∇²V(x_i, t) into h (n×d×d), and
// reports true when the drift is −∇V alone (as Potential does); the
// implicit step's Newton solve takes its Jacobian from it
// (sim.CurvatureDynamics).
func (f *Flow) PotentialDerivatives(v, g, h, x []float64, n int, t float64) bool {
	m := f.Model
	if m.Has(compile.Interaction) || (m.Has(compile.Internal) && !f.entropy) {
		return false
	}
	if h == nil {
		m.PotentialValueGrad(v, g, x, n, t, f.Theta)
	} else {
		m.PotentialHessian(v, g, h, x, n, t, f.Theta)
	}
	return true
}
