package jkonet

import (
	"fmt"

	"github.com/jko-org/jko/solve/density"
	"github.com/jko-org/jko/solve/ot"
	"gonum.org/v1/gonum/mat"
)

// Pair is one pair of a coupling: mass Mass moves from x_I to y_J. It is
// the optimal-transport plan's entry, ot.Pair.
type Pair = ot.Pair

// couple returns the pairs of the optimal coupling between x and y
// (squared Euclidean cost) whose mass exceeds 1/(10·max(n, m)), the
// reference's threshold.
func couple(x, y *mat.Dense, wa, wb []float64, c Couplings) ([]Pair, error) {
	pairs, _, err := coupleFrom(x, y, wa, wb, c, nil)
	return pairs, err
}

// coupleFrom is couple whose exact solver starts from the column prices
// (ot.Options.Prices; nil: none), which change its time, not its plan. It
// also returns the plan's column potentials V (nil for Sinkhorn and
// mini-batch couplings), the prices of a later coupling to a similar y.
func coupleFrom(x, y *mat.Dense, wa, wb []float64, c Couplings, prices []float64) ([]Pair, []float64, error) {
	if err := c.check(); err != nil {
		return nil, nil, err
	}
	var plan *ot.Plan
	var err error
	exact := false
	if eps, ok := c.Epsilon(); ok {
		plan, err = sinkhornPlan(x, y, wa, wb, eps)
	} else if b, ok := c.BatchSize(); ok {
		plan, err = ot.MiniBatch(x, y, wa, wb, ot.SqEuclidean, ot.MiniBatchOptions{Batch: b})
	} else {
		plan, err = ot.CoupleWith(x, y, wa, wb, ot.SqEuclidean, ot.Options{Prices: prices})
		exact = true
	}
	if err != nil {
		return nil, nil, err
	}
	n, _ := x.Dims()
	m, _ := y.Dims()
	thr := 1 / (10 * float64(max(n, m)))
	pairs := make([]Pair, 0, len(plan.Pairs))
	for _, q := range plan.Pairs {
		if q.Mass > thr {
			pairs = append(pairs, q)
		}
	}
	if len(pairs) == 0 {
		return nil, nil, fmt.Errorf("the coupling has no pair above the threshold %.3g", thr)
	}
	if !exact {
		return pairs, nil, nil
	}
	return pairs, plan.V, nil
}

// sinkhornPlan is the entropic coupling (log-domain Sinkhorn with ε
// relative to the mean cost, so the setting does not depend on the scale
// of the data).
func sinkhornPlan(x, y *mat.Dense, wa, wb []float64, eps float64) (*ot.Plan, error) {
	cost, err := ot.CostMatrix(x, y, ot.SqEuclidean)
	if err != nil {
		return nil, err
	}
	n, m := cost.Dims()
	mean := 0.0
	for i := 0; i < n; i++ {
		for _, v := range cost.RawRowView(i) {
			mean += v
		}
	}
	mean /= float64(n * m)
	a, b := uniformIfNil(wa, n), uniformIfNil(wb, m)
	res, err := ot.Sinkhorn(a, b, cost, ot.SinkhornOptions{Epsilon: eps * mean})
	if err != nil {
		return nil, err
	}
	if !res.Converged {
		return nil, fmt.Errorf("sinkhorn with ε = %g did not converge in %d iterations (marginal error %.3g): use a larger ε or exact couplings", eps, res.Iterations, res.MarginalError)
	}
	return res.Sparse(0), nil
}

func uniformIfNil(w []float64, n int) []float64 {
	if w != nil {
		return w
	}
	u := make([]float64, n)
	for i := range u {
		u[i] = 1 / float64(n)
	}
	return u
}

// NewDensity fits the density estimator d to the cloud x. GMM(10) is the
// JKOnet* reference recipe (10 components, degenerate components pruned);
// every estimate is clipped below at the reference's 1e-5 in the units of
// x (density.ReferenceThresholds).
func NewDensity(x *mat.Dense, d Density, seed uint64) (density.Estimator, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	var est density.Estimator
	if k, ok := d.Components(); !ok {
		kde, err := density.FitKDE(x, density.KDEOptions{})
		if err != nil {
			return nil, err
		}
		est = kde
	} else if k == 10 {
		return density.JKOnetStarDensity(x, seed)
	} else {
		g, err := density.FitGMM(x, density.GMMOptions{Components: k, Seed: seed})
		if err != nil {
			return nil, err
		}
		est = g
	}
	_, floor := density.ReferenceThresholds(x)
	return density.Clipped{E: est, Min: floor}, nil
}

type densityEstimate struct{ density.Estimator }

func (e densityEstimate) eval(rho, grad, p []float64, n, d int) error {
	return density.DensityGrad(e.Estimator, rho, mat.NewDense(n, d, grad), mat.NewDense(n, d, p))
}

func estimate(x *mat.Dense, d Density, seed uint64) (densityEstimate, error) {
	est, err := NewDensity(x, d, seed)
	return densityEstimate{est}, err
}
