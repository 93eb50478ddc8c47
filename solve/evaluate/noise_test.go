package evaluate

import (
	"math"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// TestNoiseAware: W1 alone prefers a model without noise to the true one
// on noisy data; the model-against-itself reference exposes it (ratio ≈ 1
// for the truth, +Inf without noise, > 1 with too little noise).
func TestNoiseAware(t *testing.T) {
	const src = "param a = 1\nparam beta = 0.2\npotential V(x) = a*sum(x^2)\ninternal H(rho) = beta*rho*log(rho)\n"
	m := load(t, src, 2)
	truth, _ := NewFlow(m, []float64{1, 0.2}, 0)
	res, err := sim.Run(truth, sim.Options{Particles: 600, Steps: 3, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := &snapshot.Snapshots{Times: res.Times, X: res.X}
	score := func(beta float64) NoiseReport {
		f, _ := NewFlow(m, []float64{1, beta}, 0)
		r, err := NoiseAware(f, s, 3, compile.Explicit)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tr, none, little := score(0.2), score(0), score(0.05)
	if none.W1.Mean >= tr.W1.Mean {
		t.Logf("W1 without noise %g, truth %g: W1 no longer prefers the noiseless model", none.W1.Mean, tr.W1.Mean)
	}
	if tr.Ratio < 0.8 || tr.Ratio > 1.25 {
		t.Errorf("true model: ratio %g (W1 %g, self %g)", tr.Ratio, tr.W1.Mean, tr.Self.Mean)
	}
	if !math.IsInf(none.Ratio, 1) {
		t.Errorf("model without noise: ratio %g, want +Inf", none.Ratio)
	}
	if little.Ratio < 1.3*tr.Ratio {
		t.Errorf("too little noise: ratio %g against the truth's %g", little.Ratio, tr.Ratio)
	}
	if !(tr.Floor.Mean > 0) || tr.Floor.Mean > tr.W1.Mean*3 {
		t.Errorf("floor %g against W1 %g", tr.Floor.Mean, tr.W1.Mean)
	}
	// The drift error: 0 against itself, and a drift twice too strong is
	// off by exactly its own size.
	if rel, _, err := DriftError(truth, truth, s); err != nil || rel != 0 {
		t.Errorf("drift error of the truth: %g, %v", rel, err)
	}
	double, _ := NewFlow(m, []float64{2, 0.2}, 0)
	if rel, _, err := DriftError(double, truth, s); err != nil || math.Abs(rel-1) > 1e-12 {
		t.Errorf("drift error of 2∇V: %g, %v", rel, err)
	}
}
