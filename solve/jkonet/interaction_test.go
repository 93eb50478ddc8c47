package jkonet

import (
	"math"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// simulateSpec runs a 2-D spec with the given parameter values, noise-free,
// from n particles uniform on [−lo, lo]², and returns the snapshots.
func simulateSpec(t *testing.T, src string, theta []float64, n, steps int, dt, lo float64) *snapshot.Snapshots {
	t.Helper()
	m := model(t, src)
	f, err := evaluate.NewFlow(m, theta)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(f, sim.Options{Particles: n, Steps: steps, Dt: dt,
		Init: sim.Init{Kind: "uniform", Lo: -lo, Hi: lo}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

// Issue 18's aggregation case: a confinement and an attractive–repulsive
// kernel, noise-free, 1000 particles. The particles of the training half
// interacted with the whole population, one another but not themselves:
// the fit averages over the whole snapshot and leaves the self-pair out,
// so the closed form is exact. (Averaging over the training half gave
// k = 0.309, c₁ = 0.841, c₂ = 0.258.)
func TestRecoverAggregation(t *testing.T) {
	const spec = `
param k, c1, c2
potential V(x) = k*norm2(x)/2
interaction U(z) = c1*norm2(z)/2 - c2*log(norm2(z) + 0.01)/2
`
	truth := []float64{0.2, 1, 0.5}
	data := simulateSpec(t, spec, truth, 1000, 5, 0.01, 4)
	train, _, err := data.Split(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data *snapshot.Snapshots
	}{{"train half", train}, {"all", data}} {
		o := DefaultOptions()
		o.Ridge = RidgeFixed(0)
		res, err := Fit(model(t, spec), tc.data, o)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range truth {
			if got := res.Theta[i]; math.Abs(got-want) > 1e-8 {
				t.Errorf("%s: %s = %.12g, want %g", tc.name, res.Names[i], got, want)
			}
		}
	}
}

// A kernel singular at z = 0 (−log‖z‖, through norm) is usable: the
// self-pair is left out of the mean field, in the simulation and in the fit.
func TestRecoverSingularKernel(t *testing.T) {
	const spec = `
param k, c
potential V(x) = k*norm2(x)/2
interaction U(z) = -c*log(norm(z))
`
	truth := []float64{1, 0.3}
	data := simulateSpec(t, spec, truth, 400, 3, 0.001, 2)
	train, _, err := data.Split(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	res, err := Fit(model(t, spec), train, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range truth {
		if got := res.Theta[i]; math.IsNaN(got) || math.Abs(got-want) > 1e-8 {
			t.Errorf("%s = %.12g, want %g", res.Names[i], got, want)
		}
	}
}
