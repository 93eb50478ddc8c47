package jkonet

import (
	"github.com/jko-org/jko/internal/parallel"
	"math"
	"math/rand/v2"

	"github.com/jko-org/jko/compile"
	"gonum.org/v1/gonum/mat"
)

// The diffusion β of an entropy term, estimated from the noise it leaves.
//
// Under Euler–Maruyama, y = x − τ·∇V(x) + √(2βτ)·ξ (the drift −∇V, plus the interaction's), so the residual
// r = y − x + τ·∇V(x) of a particle has variance 2βτ per coordinate.
// The coupling between two snapshots is optimal transport, not the
// particles' identities; where the noise is small against the spacing of
// the particles, the coupling keeps most pairs and r still carries the
// noise, but it re-pairs some neighbours, which removes part of it (on
// styblinski_tang, β = 0.1, 1000 particles: 17%). The JKOnet* route, the
// score term −β∇log ρ, reads the noise through a density estimate whose
// gradient is noisy and smoothed: β̂ was 0.04–0.09 over seeds for 0.1 and
// depended on the density options.
//
// residualBeta measures the residual variance of the coupled pairs under
// the drift fitted without the entropy term, then corrects the coupling's
// loss by simulation: from the data's own snapshot k it simulates one
// Euler–Maruyama step of the fitted drift with a trial β, couples the
// simulated cloud to it the same way, and measures how much of the known
// noise the coupling leaves (the ratio a). The estimate is the measured
// variance over a, with a evaluated at the estimate (two fixed-point
// passes). No density is involved, so β does not depend on the density
// options; β scales as length²/time, so the estimate does not depend on
// the units.

// betaEstimate is the result of residualBeta.
type betaEstimate struct {
	Beta, StdErr float64
	// Raw is the residual variance /(2τd) before the coupling correction;
	// Ratio the fraction of the noise the coupling keeps.
	Raw, Ratio float64
	// Drift is θ with the coupling's bias on the drift removed (nil if the
	// simulation failed).
	Drift []float64
}

// stepResiduals returns, for each step, the weighted mean of
// ‖y − x + τ·∇V(x)‖²/(2τd) over the pairs and its standard error.
func stepResiduals(m *compile.Model, prep *Prepared, theta []float64) (mean, se []float64) {
	d := m.Dim
	mean = make([]float64, len(prep.Steps))
	se = make([]float64, len(prep.Steps))
	for s := range prep.Steps {
		st := &prep.Steps[s]
		dr := drift(m, st, theta)
		q := make([]float64, st.N)
		sw, sw2, mu := 0.0, 0.0, 0.0
		for i := 0; i < st.N; i++ {
			r2 := 0.0
			for k := 0; k < d; k++ {
				r := st.Delta[i*d+k] + st.Tau*dr[i*d+k]
				r2 += r * r
			}
			q[i] = r2 / (2 * st.Tau * float64(d))
			sw += st.W[i]
			sw2 += st.W[i] * st.W[i]
			mu += st.W[i] * q[i]
		}
		mu /= sw
		v := 0.0
		for i := 0; i < st.N; i++ {
			v += st.W[i] * (q[i] - mu) * (q[i] - mu)
		}
		v /= sw
		mean[s] = mu
		// Effective sample size (Σw)²/Σw².
		se[s] = math.Sqrt(v / (sw * sw / sw2))
	}
	return mean, se
}

// kept simulates, from each step's snapshot, one Euler–Maruyama step of the
// drift θ with noise β, couples it like the data, refits the drift to the
// simulated pairs as FitLinear did to the data's (the refit absorbs part of
// the noise too) and returns the share of the noise variance left in the
// residuals.
func kept(m *compile.Model, prep *Prepared, theta []float64, beta float64, o Options, seed uint64) (float64, []float64, error) {
	d := m.Dim
	sim := &Prepared{Dim: d, Scheme: compile.Explicit, Steps: make([]Transition, len(prep.Steps))}
	errs := make([]error, len(prep.Steps))
	parallel.For(len(prep.Steps), func(s int) {
		st := &prep.Steps[s]
		// Simulate from the particles that were coupled (not the whole
		// population the mean field averages over): the coupling's
		// removal of noise depends on how many particles it sees.
		n := st.NS
		// The entropy's entry of θ is 0: ρ = 1 keeps its term at 0·0.
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1
		}
		cloud := &Transition{K: st.K, Tau: st.Tau, T: st.T, N: n, P: st.Source, Cloud: st.Cloud, NC: st.NC,
			Rho: ones, GradRho: make([]float64, n*d)}
		dr := drift(m, cloud, theta)
		rng := rand.New(rand.NewPCG(seed, 0xbe7a+uint64(s)))
		sd := math.Sqrt(2 * beta * st.Tau)
		y := make([]float64, n*d)
		for i := range y {
			// drift evaluates ∇V (+ ∇U ∗ μ): the particles move down it.
			y[i] = st.Source[i] - st.Tau*dr[i] + sd*rng.NormFloat64()
		}
		x := mat.NewDense(n, d, st.Source)
		pairs, err := couple(x, mat.NewDense(n, d, y), nil, nil, o.Couplings)
		if err != nil {
			errs[s] = err
			return
		}
		ss := Transition{K: st.K, Tau: st.Tau, T: st.T, N: len(pairs), Cloud: st.Cloud, NC: st.NC, Source: st.Source, NS: n,
			Rho: make([]float64, len(pairs)), GradRho: make([]float64, len(pairs)*d)}
		for _, p := range pairs {
			xi, yj := st.Source[p.I*d:(p.I+1)*d], y[p.J*d:(p.J+1)*d]
			ss.P = append(ss.P, xi...)
			ss.X = append(ss.X, xi...)
			ss.Y = append(ss.Y, yj...)
			for k := 0; k < d; k++ {
				ss.Delta = append(ss.Delta, yj[k]-xi[k])
			}
			ss.W = append(ss.W, p.Mass)
		}
		for i := range ss.Rho {
			ss.Rho[i] = 1
		}
		sim.Steps[s] = ss
	})
	for _, err := range errs {
		if err != nil {
			return 0, nil, err
		}
	}
	o.betaPinned = true
	o.Progress = nil
	fit, err := FitLinear(m, sim, o)
	if err != nil {
		return 0, nil, err
	}
	mean, _ := stepResiduals(m, sim, fit.Theta)
	r := 0.0
	for _, v := range mean {
		r += v
	}
	return r / float64(len(mean)) / beta, fit.Theta, nil
}

// residualBeta estimates β for the drift θ (whose entropy entry is 0): the
// coupled pairs' residual variance, corrected for the noise the coupling
// removes (see above). Only for the explicit step (drift at x).
func residualBeta(m *compile.Model, prep *Prepared, theta []float64, o Options) (betaEstimate, error) {
	mean, se := stepResiduals(m, prep, theta)
	raw, v := 0.0, 0.0
	for s := range mean {
		raw += mean[s]
		v += se[s] * se[s]
	}
	K := float64(len(mean))
	raw /= K
	rawSE := math.Sqrt(v) / K
	if !(raw > 0) {
		return betaEstimate{Beta: 0, StdErr: rawSE, Raw: raw, Ratio: 1}, nil
	}
	var est betaEstimate
	// Solve β·a(β) = raw, a(β) the share of the noise a simulated step with
	// noise β keeps. The simulations share their random numbers, so a is a
	// smooth function of β and the secant method converges in a few steps.
	seed := o.Seed ^ 0x5eed
	f := func(b float64) (float64, float64, error) {
		a, _, err := kept(m, prep, theta, b, o, seed)
		return b*a - raw, a, err
	}
	b0 := raw
	f0, a0, err := f(b0)
	if err != nil {
		return betaEstimate{}, err
	}
	beta, ratio := raw/math.Max(a0, 0.05), a0
	for pass := 0; pass < 8; pass++ {
		f1, a1, err := f(beta)
		if err != nil {
			return betaEstimate{}, err
		}
		ratio = a1
		if f1 == f0 {
			break
		}
		next := beta - f1*(beta-b0)/(f1-f0)
		if !(next > 0) {
			next = beta / 2
		}
		b0, f0 = beta, f1
		done := math.Abs(next-beta) < 0.002*beta
		beta = next
		if done {
			break
		}
	}
	if !(ratio > 0.05) {
		// The coupling keeps almost none of the noise: the residuals
		// cannot measure it.
		ratio = 0.05
	}
	// The coupling's re-pairing biases the drift too (it reads as a
	// spreading force): one step of indirect inference removes the bias a
	// simulation with the fitted drift and β shows, θ − (θ_sim − θ).
	if _, thSim, err := kept(m, prep, theta, beta, o, seed+1); err == nil {
		est.Drift = make([]float64, len(theta))
		for j := range theta {
			est.Drift[j] = 2*theta[j] - thSim[j]
		}
	}
	// The simulated ratio has its own sampling error, about that of the
	// raw measurement (one simulation of the same size): counted once more.
	est.Beta, est.StdErr, est.Raw, est.Ratio = beta, rawSE/ratio*math.Sqrt2, raw, ratio
	return est, nil
}
