package ot

import (
	"math"

	"github.com/jko-org/jko/internal/parallel"
	"gonum.org/v1/gonum/mat"
)

// SinkhornOptions configure Sinkhorn. Zero fields take the defaults.
type SinkhornOptions struct {
	Epsilon float64 // entropic regularisation ε > 0 (required)
	Tol     float64 // stop when Σ_i |row sum − a_i| ≤ Tol (default 1e-9)
	MaxIter int     // iteration cap (default 10000)
}

// SinkhornResult is the entropic plan and a convergence report.
type SinkhornResult struct {
	Plan          *mat.Dense // n×m plan (column marginals exact)
	Cost          float64    // ⟨Plan, cost⟩, the transport part only
	F, G          []float64  // dual potentials: Plan_ij = exp((F_i+G_j−C_ij)/ε)
	Iterations    int
	MarginalError float64 // final Σ_i |row sum − a_i|
	Converged     bool    // MarginalError ≤ Tol within MaxIter
}

// Sparse returns the entries of the plan larger than threshold.
func (r *SinkhornResult) Sparse(threshold float64) *Plan {
	n, m := r.Plan.Dims()
	p := &Plan{N: n, M: m}
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			if v := r.Plan.At(i, j); v > threshold {
				p.Pairs = append(p.Pairs, Pair{I: i, J: j, Mass: v})
			}
		}
	}
	return p
}

// lseRows sets out[i] = ε·log a_i − ε·LSE_j((pot_j − C_ij)/ε) for each row
// of the row-major n×m matrix c, in parallel over rows.
func lseRows(c []float64, n, m int, pot, logw []float64, eps float64, out []float64) {
	parallel.Chunks(n, 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if math.IsInf(logw[i], -1) {
				out[i] = math.Inf(-1)
				continue
			}
			row := c[i*m : (i+1)*m]
			mx := math.Inf(-1)
			for j, cij := range row {
				if t := pot[j] - cij; t > mx {
					mx = t
				}
			}
			s := 0.0
			for j, cij := range row {
				s += math.Exp((pot[j] - cij - mx) / eps)
			}
			out[i] = eps*logw[i] - mx - eps*math.Log(s)
		}
	})
}

// Sinkhorn solves the entropic transport problem
// min ⟨P, C⟩ + ε·KL(P | a⊗b) by log-domain Sinkhorn iterations. Weights
// are validated and normalised as in Solve. Cost: O(n·m) memory (the cost
// matrix and the plan are dense) and O(n·m) time per iteration.
func Sinkhorn(a, b []float64, cost *mat.Dense, o SinkhornOptions) (*SinkhornResult, error) {
	if !(o.Epsilon > 0) || math.IsInf(o.Epsilon, 0) {
		return nil, inputErr("sinkhorn: epsilon must be positive and finite, got %v", o.Epsilon)
	}
	if o.Tol == 0 {
		o.Tol = 1e-9
	}
	if o.MaxIter == 0 {
		o.MaxIter = 10000
	}
	if o.Tol < 0 || o.MaxIter < 0 || math.IsNaN(o.Tol) {
		return nil, inputErr("sinkhorn: negative tolerance or iteration cap")
	}
	if cost == nil || cost.IsEmpty() {
		return nil, inputErr("empty cost matrix")
	}
	n, m := cost.Dims()
	aa, bb, err := normMarginals(a, b, n, m)
	if err != nil {
		return nil, err
	}
	c, err := costOf(cost, n, m)
	if err != nil {
		return nil, err
	}
	ct := make([]float64, n*m)
	parallel.Chunks(m, 64, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			for i := 0; i < n; i++ {
				ct[j*n+i] = c[i*m+j]
			}
		}
	})
	la, lb := make([]float64, n), make([]float64, m)
	for i, v := range aa {
		la[i] = math.Log(v)
	}
	for j, v := range bb {
		lb[j] = math.Log(v)
	}
	eps := o.Epsilon
	f, g := make([]float64, n), make([]float64, m)
	fNew := make([]float64, n)
	res := &SinkhornResult{F: f, G: g}
	errOf := func() float64 {
		// With g just updated, row i sums to a_i·exp((f_i − f'_i)/ε).
		lseRows(c, n, m, g, la, eps, fNew)
		e := 0.0
		for i := range f {
			if aa[i] > 0 {
				e += math.Abs(aa[i] * (math.Exp((f[i]-fNew[i])/eps) - 1))
			}
		}
		return e
	}
	lseRows(c, n, m, g, la, eps, f)
	for it := 1; it <= o.MaxIter; it++ {
		lseRows(ct, m, n, f, lb, eps, g)
		res.Iterations = it
		res.MarginalError = errOf()
		if res.MarginalError <= o.Tol {
			res.Converged = true
			break
		}
		copy(f, fNew)
	}
	plan := mat.NewDense(n, m, nil)
	raw := plan.RawMatrix().Data
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			if v := math.Exp((f[i] + g[j] - c[i*m+j]) / eps); v > 0 {
				raw[i*m+j] = v
				res.Cost += v * c[i*m+j]
			}
		}
	}
	res.Plan = plan
	return res, nil
}
