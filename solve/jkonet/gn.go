package jkonet

import (
	"fmt"
	"math"
	"strings"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/linear"
)

// MaxGaussNewton is the number of parameters up to which a gradient-based
// fit is followed by the Gauss–Newton analysis (P + 1 passes over the
// pairs, and a P×P eigen-decomposition).
const MaxGaussNewton = 200

// gaussNewton analyses a gradient-based fit at its optimum θ: the loss is
// Σ w ‖r(θ)‖² with residuals r = τ·drift_θ + (y − x), so near θ it is the
// quadratic of the linear least-squares problem in the Jacobian J = ∂r/∂θ
// (taken here by central differences of the drift), reduced by a QR of
// its rows (O(N·d·P²) time, one step's rows in memory at a time). Its
// solution gives
// standard errors σ²(JᵀWJ)⁻¹, valid to first order at a minimum, and its
// null directions are the parameter combinations the loss is flat along.
func gaussNewton(m *compile.Model, prep *Prepared, theta []float64, names []string) (*linear.Result, error) {
	P, d := m.NumParams, m.Dim
	gn := linear.NewQR(P)
	th := append([]float64(nil), theta...)
	for s := range prep.Steps {
		st := &prep.Steps[s]
		rows := st.N * d
		J := make([]float64, rows*P)
		for j := 0; j < P; j++ {
			h := 1e-6 * math.Max(1, math.Abs(theta[j]))
			th[j] = theta[j] + h
			up := drift(m, st, th)
			th[j] = theta[j] - h
			dn := drift(m, st, th)
			th[j] = theta[j]
			for r := 0; r < rows; r++ {
				J[r*P+j] = st.Tau * (up[r] - dn[r]) / (2 * h)
			}
		}
		dr := drift(m, st, theta)
		b := make([]float64, rows)
		w := make([]float64, rows)
		for i := 0; i < st.N; i++ {
			for k := 0; k < d; k++ {
				r := i*d + k
				b[r] = -(st.Tau*dr[r] + st.Delta[r])
				w[r] = st.W[i]
			}
		}
		gn.AddRows(J, b, w)
	}
	// Near-flat directions count as not identified: 1e-8 of the largest
	// curvature in the scaled parameters, where finite differences are
	// still meaningful.
	f, err := gn.Factor()
	if err != nil {
		return nil, err
	}
	return f.Solve(linear.Settings{Names: names, RankTol: 1e-8})
}

// analyse fills a gradient-based fit's standard errors and warnings from
// the Gauss–Newton analysis at its optimum.
func analyse(m *compile.Model, prep *Prepared, res *Result) {
	if m.NumParams > MaxGaussNewton {
		res.Warnings = append(res.Warnings, fmt.Sprintf("no standard errors: %d parameters (the Gauss–Newton analysis runs up to %d); use the bootstrap for an uncertainty", m.NumParams, MaxGaussNewton))
		return
	}
	gn, err := gaussNewton(m, prep, res.Theta, res.Names)
	if err != nil {
		res.Warnings = append(res.Warnings, "the loss is flat in some direction at the optimum, no standard errors: "+strings.TrimPrefix(err.Error(), "linear: "))
		return
	}
	res.GaussNewton = gn
	res.StdErr = gn.StdErr
	if prep.Scheme == compile.Explicit {
		res.warnUnmodelledNoise(m, prep, true)
	}
	for _, dg := range gn.Unidentified {
		res.Warnings = append(res.Warnings, "the loss is flat (near-unidentifiable parameters): "+dg.String())
	}
}
