package density

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Estimator is a density ρ on R^d evaluated in batches: x is n × d, one
// point per row; dst has n entries (or is n × d for vector outputs).
type Estimator interface {
	// Dim is the dimension d.
	Dim() int
	// Density writes ρ(x_i) to dst[i].
	Density(dst []float64, x *mat.Dense) error
	// LogDensity writes log ρ(x_i) to dst[i].
	LogDensity(dst []float64, x *mat.Dense) error
	// Grad writes ∇ρ(x_i) to row i of dst.
	Grad(dst *mat.Dense, x *mat.Dense) error
	// Score writes ∇log ρ(x_i) = ∇ρ/ρ to row i of dst.
	Score(dst *mat.Dense, x *mat.Dense) error
}

// DensityGrader is an Estimator that computes ρ and ∇ρ together, in one
// pass, with the same results as its Density and Grad.
type DensityGrader interface {
	Estimator
	// DensityGrad writes ρ(x_i) to rho[i] and ∇ρ(x_i) to row i of grad.
	DensityGrad(rho []float64, grad *mat.Dense, x *mat.Dense) error
}

// DensityGrad writes ρ(x_i) to rho[i] and ∇ρ(x_i) to row i of grad, in
// one pass when e is a DensityGrader, else with Density and Grad.
func DensityGrad(e Estimator, rho []float64, grad *mat.Dense, x *mat.Dense) error {
	if dg, ok := e.(DensityGrader); ok {
		return dg.DensityGrad(rho, grad, x)
	}
	if err := e.Density(rho, x); err != nil {
		return err
	}
	return e.Grad(grad, x)
}

// checkData validates a data matrix for fitting.
func checkData(x *mat.Dense, minRows int) (n, d int, err error) {
	if x == nil {
		return 0, 0, errors.New("density: nil data")
	}
	n, d = x.Dims()
	if n < minRows {
		return n, d, fmt.Errorf("density: %d points, need at least %d", n, minRows)
	}
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return n, d, fmt.Errorf("density: point %d coordinate %d is %v", i, j, v)
			}
		}
	}
	return n, d, nil
}

// checkEval validates evaluation inputs: x is n × d, and dst (a []float64
// or *mat.Dense) is sized for n points.
func checkEval(d int, x *mat.Dense, dst any) (int, error) {
	if x == nil {
		return 0, errors.New("density: nil points")
	}
	n, c := x.Dims()
	if c != d {
		return 0, fmt.Errorf("density: points have dimension %d, estimator %d", c, d)
	}
	switch v := dst.(type) {
	case []float64:
		if len(v) != n {
			return 0, fmt.Errorf("density: dst has %d entries for %d points", len(v), n)
		}
	case *mat.Dense:
		if v == nil {
			return 0, errors.New("density: nil dst")
		}
		if r, c := v.Dims(); r != n || c != d {
			return 0, fmt.Errorf("density: dst is %d×%d, want %d×%d", r, c, n, d)
		}
	}
	return n, nil
}

// Clipped floors the density of E at Min: ρ̃ = max(ρ, Min). Where the
// floor is active (ρ < Min) the gradient and score are 0, as JAX
// differentiates jnp.clip in the JKOnet* reference; elsewhere they are
// those of E.
type Clipped struct {
	E   Estimator
	Min float64
}

// Dim returns the dimension of the wrapped estimator.
func (c Clipped) Dim() int { return c.E.Dim() }

// Density writes max(ρ(x_i), Min).
func (c Clipped) Density(dst []float64, x *mat.Dense) error {
	if err := c.E.Density(dst, x); err != nil {
		return err
	}
	for i, v := range dst {
		dst[i] = math.Max(v, c.Min)
	}
	return nil
}

// LogDensity writes log max(ρ(x_i), Min).
func (c Clipped) LogDensity(dst []float64, x *mat.Dense) error {
	if err := c.E.LogDensity(dst, x); err != nil {
		return err
	}
	lm := math.Log(c.Min)
	for i, v := range dst {
		dst[i] = math.Max(v, lm)
	}
	return nil
}

func (c Clipped) masked(dst *mat.Dense, x *mat.Dense, f func(*mat.Dense, *mat.Dense) error) error {
	if err := f(dst, x); err != nil {
		return err
	}
	n, _ := x.Dims()
	rho := make([]float64, n)
	if err := c.E.Density(rho, x); err != nil {
		return err
	}
	for i, v := range rho {
		if v < c.Min {
			row := dst.RawRowView(i)
			for j := range row {
				row[j] = 0
			}
		}
	}
	return nil
}

// DensityGrad writes max(ρ(x_i), Min) and ∇ρ(x_i) (0 where the floor is
// active): one pass of the wrapped estimator when it is a DensityGrader
// (Density then Grad take two, as Grad needs ρ for the mask).
func (c Clipped) DensityGrad(rho []float64, grad *mat.Dense, x *mat.Dense) error {
	if _, err := checkEval(c.E.Dim(), x, rho); err != nil {
		return err
	}
	if _, err := checkEval(c.E.Dim(), x, grad); err != nil {
		return err
	}
	if err := DensityGrad(c.E, rho, grad, x); err != nil {
		return err
	}
	for i, v := range rho {
		if v < c.Min {
			clear(grad.RawRowView(i))
			rho[i] = c.Min
		}
	}
	return nil
}

// Grad writes ∇ρ(x_i), or 0 where the floor is active.
func (c Clipped) Grad(dst *mat.Dense, x *mat.Dense) error { return c.masked(dst, x, c.E.Grad) }

// Score writes ∇ρ/ρ (x_i), or 0 where the floor is active.
func (c Clipped) Score(dst *mat.Dense, x *mat.Dense) error { return c.masked(dst, x, c.E.Score) }
