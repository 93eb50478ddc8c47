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
	truth, _ := NewFlow(m, []float64{1, 0.2})
	res, err := sim.Run(truth, sim.Options{Particles: 600, Steps: 3, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := &snapshot.Snapshots{Times: res.Times, X: res.X}
	score := func(beta float64) NoiseReport {
		f, _ := NewFlow(m, []float64{1, beta})
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
	if e, err := DriftError(truth, truth, s, 0, 1); err != nil || e.Relative != 0 || e.RelativeSE != 0 {
		t.Errorf("drift error of the truth: %+v, %v", e, err)
	}
	double, _ := NewFlow(m, []float64{2, 0.2})
	if e, err := DriftError(double, truth, s, 0, 1); err != nil || math.Abs(e.Relative-1) > 1e-12 {
		t.Errorf("drift error of 2∇V: %+v, %v", e, err)
	}
	// On a sample: exactly 1 still (every point's error is its own drift),
	// with a standard error of 0 for the relative error.
	if e, err := DriftError(double, truth, s, 100, 1); err != nil || math.Abs(e.Relative-1) > 1e-12 || e.Points != 100 || e.RelativeSE > 1e-12 {
		t.Errorf("drift error of 2∇V on 100 points: %+v, %v", e, err)
	}
}

// TestDriftErrorSample: the drift error on a sample of the particles, each
// in its whole snapshot, is within 3 standard errors of the value over
// every particle, and its standard errors match the spread of the
// estimates over seeds (an interaction, so the cloud matters).
func TestDriftErrorSample(t *testing.T) {
	const src = "param a = 1\nparam c = 1\npotential V(x) = a*sum(x^2)\ninteraction U(z) = c*sum(z + 2*sin(abs(z)^1.2))\n"
	m := load(t, src, 2)
	truth, _ := NewFlow(m, []float64{1, 1})
	fit, _ := NewFlow(m, []float64{1.1, 0.7})
	res, err := sim.Run(truth, sim.Options{Particles: 300, Steps: 3, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := &snapshot.Snapshots{Times: res.Times, X: res.X}
	full, err := DriftError(fit, truth, s, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if full.Points != 3*300 || full.Population != full.Points || full.RelativeSE != 0 || full.RMSSE != 0 || !(full.Relative > 0) {
		t.Fatalf("over every particle: %+v", full)
	}
	// A sample of the whole population is the whole population.
	if all, _ := DriftError(fit, truth, s, 5000, 0); all != full {
		t.Errorf("maxPoints above the population: %+v, want %+v", all, full)
	}
	const seeds = 30
	var rel, rms []float64
	seRel, seRMS := 0.0, 0.0
	for seed := range uint64(seeds) {
		e, err := DriftError(fit, truth, s, 100, seed)
		if err != nil {
			t.Fatal(err)
		}
		if e.Points != 100 || e.Population != 900 || !(e.RelativeSE > 0) || !(e.RMSSE > 0) {
			t.Fatalf("seed %d: %+v", seed, e)
		}
		if math.Abs(e.Relative-full.Relative) > 3*e.RelativeSE || math.Abs(e.RMS-full.RMS) > 3*e.RMSSE {
			t.Errorf("seed %d: relative %g ± %g, RMS %g ± %g; over every particle %g, %g", seed, e.Relative, e.RelativeSE, e.RMS, e.RMSSE, full.Relative, full.RMS)
		}
		rel, rms = append(rel, e.Relative), append(rms, e.RMS)
		seRel += e.RelativeSE / seeds
		seRMS += e.RMSSE / seeds
	}
	// The standard errors are the estimates' spread (within sampling
	// error of 30 seeds: a ratio in [0.6, 1.6]).
	for _, c := range []struct {
		name string
		v    []float64
		se   float64
	}{{"relative", rel, seRel}, {"RMS", rms, seRMS}} {
		r := math.Sqrt(sampleVar(c.v)) / c.se
		t.Logf("%s: spread over seeds / mean standard error = %.3g", c.name, r)
		if r < 0.6 || r > 1.6 {
			t.Errorf("%s: spread over seeds %g against a mean standard error %g (ratio %g)", c.name, math.Sqrt(sampleVar(c.v)), c.se, r)
		}
	}
	// A fixed seed fixes the sample.
	if a, b := must(DriftError(fit, truth, s, 100, 7)), must(DriftError(fit, truth, s, 100, 7)); a != b {
		t.Errorf("seed 7 twice: %+v, %+v", a, b)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
