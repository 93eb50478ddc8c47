package linear

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Bound says where SolveBox left an unknown.
type Bound int8

// Where an unknown ends.
const (
	Free  Bound = iota // strictly inside its bounds (or unbounded)
	Lower              // held at its lower bound
	Upper              // held at its upper bound
)

// SolveBox minimises the problem (with the ridge of s) subject to
// lo_i ≤ θ_i ≤ hi_i (±Inf for no bound). It is an exact primal active-set
// method for the strictly convex quadratic: starting from the projection
// of the unconstrained solution, it solves the problem with the working
// set held at its bounds, steps as far towards that solution as the
// bounds allow (adding the bound that blocks), and once at the working
// set's optimum releases the bound whose multiplier has the wrong sign,
// until the Karush–Kuhn–Tucker conditions hold. Each iteration is one
// Cholesky factorisation of the free block: O(P³).
//
// It returns θ and where each unknown ended. Diagnostics (standard errors,
// rank) are those of Solve on the free unknowns with the others fixed (see
// Fix). The ridged system must be positive definite on the free unknowns;
// otherwise the error wraps ErrSingular.
func (n *Normal) SolveBox(s Settings, lo, hi []float64) ([]float64, []Bound, error) {
	p := n.P
	if len(lo) != p || len(hi) != p {
		panic(fmt.Sprintf("linear: SolveBox with %d and %d bounds for %d unknowns", len(lo), len(hi), p))
	}
	for i := range lo {
		if !(lo[i] <= hi[i]) {
			return nil, nil, fmt.Errorf("linear: unknown %d has bounds [%g, %g]", i, lo[i], hi[i])
		}
	}
	if n.Rows == 0 {
		return nil, nil, errors.New("linear: no data rows")
	}
	a := n.symmetric()
	relScale := relativeScales(a, p, s.Relative)
	for i := 0; i < p; i++ {
		r := 0.0
		switch len(s.Ridge) {
		case 0:
		case 1:
			r = s.Ridge[0]
		default:
			r = s.Ridge[i]
		}
		a[i*p+i] += r * relScale[i]
	}
	b := n.Atb
	// Work in the diagonally scaled unknowns u = θ/D (D = diag(A)^{-1/2}),
	// so tolerances do not depend on units.
	scale := make([]float64, p)
	for i := 0; i < p; i++ {
		if a[i*p+i] > 0 {
			scale[i] = 1 / math.Sqrt(a[i*p+i])
		} else {
			scale[i] = 1
		}
	}
	// solveFree returns the minimiser over the unknowns with where[i] ==
	// Free, the others held at x.
	solveFree := func(x []float64, where []Bound) ([]float64, error) {
		var free []int
		for i := 0; i < p; i++ {
			if where[i] == Free {
				free = append(free, i)
			}
		}
		out := append([]float64(nil), x...)
		if len(free) == 0 {
			return out, nil
		}
		q := len(free)
		m := mat.NewSymDense(q, nil)
		rhs := mat.NewVecDense(q, nil)
		for fi, i := range free {
			for fj := fi; fj < q; fj++ {
				j := free[fj]
				m.SetSym(fi, fj, a[i*p+j]*scale[i]*scale[j])
			}
			r := b[i]
			for j := 0; j < p; j++ {
				if where[j] != Free {
					r -= a[i*p+j] * x[j]
				}
			}
			rhs.SetVec(fi, r*scale[i])
		}
		var ch mat.Cholesky
		if !ch.Factorize(m) {
			return nil, fmt.Errorf("linear: the free unknowns' system is not positive definite (add a ridge): %w", ErrSingular)
		}
		var u mat.VecDense
		if err := ch.SolveVecTo(&u, rhs); err != nil {
			return nil, fmt.Errorf("linear: %v: %w", err, ErrSingular)
		}
		for fi, i := range free {
			out[i] = u.AtVec(fi) * scale[i]
		}
		return out, nil
	}

	where := make([]Bound, p)
	x := make([]float64, p)
	// Unknowns with equal bounds are fixed from the start, for good.
	for i := range x {
		if lo[i] == hi[i] {
			x[i], where[i] = lo[i], Lower
		}
	}
	x0, err := solveFree(x, where)
	if err != nil {
		return nil, nil, err
	}
	for i := range x {
		if where[i] != Free {
			continue
		}
		x[i] = x0[i]
		switch {
		case x[i] <= lo[i]:
			x[i], where[i] = lo[i], Lower
		case x[i] >= hi[i]:
			x[i], where[i] = hi[i], Upper
		}
	}
	const tol = 1e-12
	for iter := 0; iter < 20*p+20; iter++ {
		xs, err := solveFree(x, where)
		if err != nil {
			return nil, nil, err
		}
		// Step from x towards xs as far as the bounds allow.
		alpha, block := 1.0, -1
		for i := 0; i < p; i++ {
			if where[i] != Free {
				continue
			}
			d := xs[i] - x[i]
			if d < 0 && xs[i] < lo[i] {
				if t := (lo[i] - x[i]) / d; t < alpha {
					alpha, block = t, i
				}
			}
			if d > 0 && xs[i] > hi[i] {
				if t := (hi[i] - x[i]) / d; t < alpha {
					alpha, block = t, i
				}
			}
		}
		if block >= 0 {
			for i := 0; i < p; i++ {
				if where[i] == Free {
					x[i] += math.Max(alpha, 0) * (xs[i] - x[i])
				}
			}
			if xs[block] < lo[block] {
				x[block], where[block] = lo[block], Lower
			} else {
				x[block], where[block] = hi[block], Upper
			}
			continue
		}
		copy(x, xs)
		// At the working set's optimum: the multiplier of a bound is the
		// gradient Aθ − b pointing into the box; release the most negative.
		worst, wi := 0.0, -1
		for i := 0; i < p; i++ {
			if where[i] == Free || lo[i] == hi[i] {
				continue
			}
			g, mag := -b[i], math.Abs(b[i])
			for j := 0; j < p; j++ {
				g += a[i*p+j] * x[j]
				mag += math.Abs(a[i*p+j] * x[j])
			}
			lambda := g
			if where[i] == Upper {
				lambda = -g
			}
			// In scaled units, relative to the terms' size.
			if lambda < -tol*mag && lambda*scale[i] < worst {
				worst, wi = lambda*scale[i], i
			}
		}
		if wi < 0 {
			return x, where, nil
		}
		where[wi] = Free
	}
	return nil, nil, errors.New("linear: the bounded solve did not converge (cycling active set)")
}
