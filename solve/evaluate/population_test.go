package evaluate

import (
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// The particles of a split interacted with the whole population: the true
// interaction model, noise-free, predicts each step of a split exactly
// when the whole population is stepped, and misses it when the split is
// stepped alone (its mean field then averages over half the particles).
func TestSplitStepsWithPopulation(t *testing.T) {
	m := load(t, `
param k = 0.2
param c1 = 1
param c2 = 0.5
potential V(x) = k*norm2(x)/2
interaction U(z) = c1*norm2(z)/2 - c2*log(norm2(z) + 0.01)/2
`, 2)
	f, err := NewFlow(m, m.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(f, sim.Options{Particles: 300, Steps: 3, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -3, Hi: 3}, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	all := &snapshot.Snapshots{Times: res.Times, X: res.X}
	_, test, err := all.Split(0.5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if test.Population == nil {
		t.Fatal("Split keeps no population")
	}
	one, err := OneStep(f, test, 0, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	roll, err := AllSteps(f, test, 0, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	if one.Mean > 1e-9 || roll.Mean > 1e-9 {
		t.Errorf("true model on a split: one-step W1 %g, all-steps %g; want 0", one.Mean, roll.Mean)
	}
	alone := *test
	alone.Population = nil
	miss, err := OneStep(f, &alone, 0, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	if miss.Mean < 1e-3 {
		t.Errorf("the split stepped alone scores %g: the test cannot tell the two apart", miss.Mean)
	}
	// OneStepW1, given the population (as jko-beam's evaluation is), steps
	// the whole of it too; without it, the split alone.
	for k := range test.Len() - 1 {
		w, err := OneStepW1(f, test.X[k], test.Population[k], test.Times[k], test.X[k+1], nil, test.Times[k+1], k, 0, compile.Explicit)
		if err != nil {
			t.Fatal(err)
		}
		if w != one.PerStep[k] {
			t.Errorf("step %d: OneStepW1 with the population %g, OneStep %g", k, w, one.PerStep[k])
		}
		w, err = OneStepW1(f, test.X[k], nil, test.Times[k], test.X[k+1], nil, test.Times[k+1], k, 0, compile.Explicit)
		if err != nil {
			t.Fatal(err)
		}
		if w != miss.PerStep[k] {
			t.Errorf("step %d: OneStepW1 alone %g, OneStep alone %g", k, w, miss.PerStep[k])
		}
	}
}
