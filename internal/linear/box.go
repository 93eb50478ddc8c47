package linear

import (
	"errors"
	"fmt"
	"math"
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
// until the Karush–Kuhn–Tucker conditions hold. The unconstrained solve
// reuses f's decomposition; a working set with bounds held is solved
// through the singular value decomposition of the free block's columns
// (Fix): O(P³) once per working set, shared by every solve of the
// working set, whatever the ridge, the targets (FactorReusing) or the
// values held; no normal equations.
//
// It returns θ and where each unknown ended. Diagnostics (standard errors,
// rank) are those of Solve on the free unknowns with the others fixed (see
// Fix). The ridged system must be nonsingular on the free unknowns (to
// s.RankTol); otherwise the error wraps ErrSingular.
func (f *Factored) SolveBox(s Settings, lo, hi []float64) ([]float64, []Bound, error) {
	p := f.p
	if len(lo) != p || len(hi) != p {
		panic(fmt.Sprintf("linear: SolveBox with %d and %d bounds for %d unknowns", len(lo), len(hi), p))
	}
	for i := range lo {
		if !(lo[i] <= hi[i]) {
			return nil, nil, fmt.Errorf("linear: unknown %d has bounds [%g, %g]", i, lo[i], hi[i])
		}
	}
	r := s.Ridge
	if err := checkRidge(r); err != nil {
		return nil, nil, err
	}
	tol := s.rankTol()
	k, _ := f.r.Dims()
	scale := f.scale
	singular := fmt.Errorf("linear: the free unknowns' system is singular (add a ridge): %w", ErrSingular)
	// solveFree returns the minimiser over the unknowns with where[i] ==
	// Free, the others held at x (θ units).
	solveFree := func(x []float64, where []Bound) ([]float64, error) {
		var free []int
		for i := 0; i < p; i++ {
			if where[i] == Free {
				free = append(free, i)
			}
		}
		out := append([]float64(nil), x...)
		q := len(free)
		switch {
		case q == 0:
			return out, nil
		case q == p:
			if lmax, lmin := f.spectrum(r); !(lmin > tol*lmax) {
				return nil, singular
			}
			if err := f.vectors(); err != nil {
				return nil, err
			}
			u := f.solveU(r)
			for i := range out {
				out[i] = u[i] * scale[i]
			}
			return out, nil
		}
		// min ‖R_F u_F − (c − R_X u_X)‖² + r‖u_F‖²: the free block's
		// problem with the others held (Fix), solved through its singular
		// value decomposition, which serves every ridge and every value
		// of the held unknowns (computed once per working set, shared by
		// the problems of FactorReusing).
		var held []int
		var vals []float64
		for j := 0; j < p; j++ {
			if where[j] != Free {
				held = append(held, j)
				vals = append(vals, x[j])
			}
		}
		sub, subFree, err := f.Fix(held, vals)
		if err != nil {
			return nil, err
		}
		if lmax, lmin := sub.spectrum(r); !(lmin > tol*lmax) {
			return nil, singular
		}
		u := sub.solveU(r)
		for fi, j := range subFree {
			out[j] = u[fi] * scale[j]
		}
		return out, nil
	}
	// grad returns the gradient of ½(‖Ru − c‖² + r‖u‖²) in u at θ = x, and
	// the size of the terms it sums, per unknown.
	grad := func(x []float64) (g, mag []float64) {
		res := make([]float64, k)
		size := make([]float64, k)
		for row := 0; row < k; row++ {
			e, m := -f.c[row], math.Abs(f.c[row])
			for j := 0; j < p; j++ {
				t := f.r.At(row, j) * x[j] / scale[j]
				e += t
				m += math.Abs(t)
			}
			res[row], size[row] = e, m
		}
		g, mag = make([]float64, p), make([]float64, p)
		for i := 0; i < p; i++ {
			u := x[i] / scale[i]
			g[i], mag[i] = r*u, r*math.Abs(u)
			for row := 0; row < k; row++ {
				g[i] += f.r.At(row, i) * res[row]
				mag[i] += math.Abs(f.r.At(row, i)) * size[row]
			}
		}
		return g, mag
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
	const mtol = 1e-12
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
		// gradient pointing into the box; release the most negative (in
		// the scaled unknowns, relative to the terms' size).
		g, mag := grad(x)
		worst, wi := 0.0, -1
		for i := 0; i < p; i++ {
			if where[i] == Free || lo[i] == hi[i] {
				continue
			}
			lambda := g[i]
			if where[i] == Upper {
				lambda = -lambda
			}
			if lambda < -mtol*mag[i] && lambda < worst {
				worst, wi = lambda, i
			}
		}
		if wi < 0 {
			return x, where, nil
		}
		where[wi] = Free
	}
	return nil, nil, errors.New("linear: the bounded solve did not converge (cycling active set)")
}

// SolveBox factors the sums (Factor) and solves them within the bounds
// (Factored.SolveBox).
func (n *Normal) SolveBox(s Settings, lo, hi []float64) ([]float64, []Bound, error) {
	if len(lo) != n.P || len(hi) != n.P {
		panic(fmt.Sprintf("linear: SolveBox with %d and %d bounds for %d unknowns", len(lo), len(hi), n.P))
	}
	f, err := n.Factor()
	if err != nil {
		return nil, nil, err
	}
	return f.SolveBox(s, lo, hi)
}
