package ijkonet

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// StiffnessThreshold is the value of τ·λ at the median particle at or
// above which Fit warns that the implicit step it fits and an explicit
// (Euler) step that may have made the data differ. For V = (λ/2)‖x‖²
// Euler's step is x(1 − τλ) and the JKO step with curvature λ̂ is
// x/(1 + τλ̂), so fitting the JKO step to Euler data gives
// λ̂ = λ/(1 − τλ): relative to the truth the fitted curvature is too
// large by λ̂/λ − 1 = τλ̂, 10% at the threshold, more than the
// coefficient errors the benchmarks report. The median particle, not the
// stiffest: a neural fit's curvature has spikes the data do not have
// (mlp(x, 64, 64) fitted to unpaired Euler data of V = ‖x‖² with τ = 0.01,
// where τλ = 0.02 at every particle: τ·λ 0.034 at the median particle,
// 0.21 at the stiffest), and a few stiff particles bias a few drifts.
const StiffnessThreshold = 0.1

// stiffnessPoints is how many particles per snapshot the curvature is
// measured at (evenly spaced through the snapshot; all when fewer).
const stiffnessPoints = 256

// Stiffness returns the largest τ_k·|λ| over the steps k and over up to
// 256 particles x of each μ_k, where τ_k = t_{k+1} − t_k and λ is an
// eigenvalue of the Hessian of the fitted potential ∇²V(x, t_{k+1})
// (central differences of the symbolic gradient), together with the step
// τ and curvature |λ| where it is largest. Interaction terms are left
// out (their curvature would need the O(n²) pair sums); a model without
// potential terms gives 0.
func Stiffness(m *compile.Model, s *snapshot.Snapshots, theta []float64) (tauLambda, tau, lambda float64) {
	for _, p := range stiffnessAt(m, s, theta) {
		if p.tauLambda > tauLambda {
			tauLambda, tau, lambda = p.tauLambda, p.tau, p.lambda
		}
	}
	return tauLambda, tau, lambda
}

// stiff is τ·|λ| at one particle: its step τ and the largest |eigenvalue|
// λ of the potential's Hessian there.
type stiff struct{ tauLambda, tau, lambda float64 }

// stiffnessAt is τ_k·|λ| at each particle Stiffness measures (particles
// whose Hessian has no finite eigenvalues are left out).
func stiffnessAt(m *compile.Model, s *snapshot.Snapshots, theta []float64) []stiff {
	if !m.Has(compile.Potential) {
		return nil
	}
	var out []stiff
	d := m.Dim
	for k := 0; k+1 < s.Len(); k++ {
		tk := s.Times[k+1] - s.Times[k]
		r := s.X[k].RawMatrix()
		stride := max(1, r.Rows/stiffnessPoints)
		var x []float64
		for i := 0; i < r.Rows; i += stride {
			x = append(x, r.Data[i*r.Stride:i*r.Stride+d]...)
		}
		n := len(x) / d
		// Column j of every particle's Hessian, from one pair of batched
		// gradient calls with coordinate j moved by ± h_i.
		H := make([]float64, n*d*d)
		xp, xm := make([]float64, len(x)), make([]float64, len(x))
		gp, gm := make([]float64, len(x)), make([]float64, len(x))
		for j := 0; j < d; j++ {
			copy(xp, x)
			copy(xm, x)
			for i := 0; i < n; i++ {
				h := 1e-5 * (1 + math.Abs(x[i*d+j]))
				xp[i*d+j] += h
				xm[i*d+j] -= h
			}
			m.PotentialGrad(gp, xp, n, s.Times[k+1], theta)
			m.PotentialGrad(gm, xm, n, s.Times[k+1], theta)
			for i := 0; i < n; i++ {
				h2 := xp[i*d+j] - xm[i*d+j]
				for l := 0; l < d; l++ {
					H[i*d*d+l*d+j] = (gp[i*d+l] - gm[i*d+l]) / h2
				}
			}
		}
		sym := mat.NewSymDense(d, nil)
		var eig mat.EigenSym
		for i := 0; i < n; i++ {
			h := H[i*d*d : (i+1)*d*d]
			for a := 0; a < d; a++ {
				for b := a; b < d; b++ {
					sym.SetSym(a, b, (h[a*d+b]+h[b*d+a])/2)
				}
			}
			if !eig.Factorize(sym, false) {
				continue
			}
			p := stiff{tauLambda: -1}
			for _, v := range eig.Values(nil) {
				if v := math.Abs(v); tk*v > p.tauLambda && !math.IsInf(v, 0) && !math.IsNaN(v) {
					p = stiff{tk * v, tk, v}
				}
			}
			if p.tauLambda >= 0 {
				out = append(out, p)
			}
		}
	}
	return out
}

// stiffnessWarning is Fit's warning when τ·λ at the median particle (of
// those Stiffness measures) is at or above StiffnessThreshold, else "".
func stiffnessWarning(m *compile.Model, s *snapshot.Snapshots, theta []float64) string {
	at := stiffnessAt(m, s, theta)
	if len(at) == 0 {
		return ""
	}
	slices.SortFunc(at, func(a, b stiff) int { return cmp.Compare(a.tauLambda, b.tauLambda) })
	med, top := at[(len(at)-1)/2], at[len(at)-1]
	if med.tauLambda < StiffnessThreshold {
		return ""
	}
	return fmt.Sprintf("τ·λ = %.3g at the median particle, τ·λmax = %.3g at the stiffest (step τ = %.3g times the fitted potential's largest |Hessian eigenvalue| there, %.3g and %.3g; warned from %g at the median): iJKOnet fits the implicit (JKO) step, so if these snapshots were made by explicit (Euler) steps the fitted potential's curvature is off by about %.0f%% at half the particles; fit them with JKOnet* (jko fit --step explicit), or use snapshots with smaller steps",
		med.tauLambda, top.tauLambda, med.tau, med.lambda, top.lambda, StiffnessThreshold, 100*med.tauLambda)
}
