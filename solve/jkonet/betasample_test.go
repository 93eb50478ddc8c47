package jkonet

import (
	"math"
	"slices"
	"strings"
	"testing"
)

const entSpec = "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"

// distributedBeta is the distributed fit of an entropy at x: the sums of
// all of prep's pairs solved by SolveDrift, the residual pass, then β
// from sample.
func distributedBeta(t *testing.T, prep, sample *Prepared, src string, o Options) *Result {
	t.Helper()
	m := model(t, src)
	acc, err := NewAccumulator(m, "x")
	if err != nil {
		t.Fatal(err)
	}
	for s := range prep.Steps {
		if err := acc.Add(m, &prep.Steps[s]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := acc.Solve(m, o); err == nil || !strings.Contains(err.Error(), "SolveDrift") {
		t.Fatalf("Solve with the residual β: err = %v, want the refusal naming SolveDrift", err)
	}
	res, err := acc.SolveDrift(m, o)
	if err != nil {
		t.Fatal(err)
	}
	var r Residual
	for s := range prep.Steps {
		if err := r.Add(m, &prep.Steps[s], res.Theta, acc.MeanTarget()); err != nil {
			t.Fatal(err)
		}
	}
	res.SetResidual(r, m.Dim)
	if err := res.SetBetaFromPairs(m, sample, o); err != nil {
		t.Fatal(err)
	}
	return res
}

// With all the pairs as the sample, the distributed fit of an entropy at
// x is FitLinear's: θ (β and the drift corrected for the coupling's bias)
// and the standard errors, to rounding.
func TestSetBetaFromPairsEqualsFitLinear(t *testing.T) {
	data := simulate(t, "styblinski_tang", 400, 0.1, 3)
	src := stSpec + entSpec
	m := model(t, src)
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	prep, err := Prepare(m, data, o, "x")
	if err != nil {
		t.Fatal(err)
	}
	want, err := FitLinear(m, prep, o)
	if err != nil {
		t.Fatal(err)
	}
	prep2, err := Prepare(m, data, o, "x")
	if err != nil {
		t.Fatal(err)
	}
	got := distributedBeta(t, prep, prep2, src, o)
	for j := range want.Theta {
		if d := rel(got.Theta[j], want.Theta[j]); d > 1e-9 {
			t.Errorf("%s: %.12g distributed, %.12g FitLinear", want.Names[j], got.Theta[j], want.Theta[j])
		}
		if d := rel(got.StdErr[j], want.StdErr[j]); d > 1e-9 {
			t.Errorf("stderr %s: %.12g distributed, %.12g FitLinear", want.Names[j], got.StdErr[j], want.StdErr[j])
		}
	}
	if !slices.Equal(got.Clamped, want.Clamped) {
		t.Errorf("clamped %v, FitLinear %v", got.Clamped, want.Clamped)
	}
	if !strings.HasPrefix(got.BetaNote, want.BetaNote) {
		t.Errorf("note %q, FitLinear's %q", got.BetaNote, want.BetaNote)
	}
	bi := m.NumParams - 1
	if b := got.Theta[bi]; math.Abs(b-0.1) > 3*got.StdErr[bi] {
		t.Errorf("β = %.4g ± %.2g, truth 0.1", b, got.StdErr[bi])
	}
}

// With mini-batch couplings, the pairs give FitLinear's estimate too
// (beam/pipeline checks the batches coupled one by one, on the workers);
// β from the residuals then measures the
// batches' spacing more than the noise (0.61 ± 0.010 for 0.1 on 3000
// particles in batches of 500, with FitLinear too): the distributed fit
// says so.
func TestSetBetaFromPairsMinibatch(t *testing.T) {
	data := simulate(t, "styblinski_tang", 600, 0.1, 4)
	src := stSpec + entSpec
	m := model(t, src)
	o := DefaultOptions()
	o.Couplings = MiniBatch(100)
	prep, err := Prepare(m, data, o, "x")
	if err != nil {
		t.Fatal(err)
	}
	want, err := FitLinear(m, prep, o)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := Prepare(m, data, o, "x")
	if err != nil {
		t.Fatal(err)
	}
	got := distributedBeta(t, prep, pairs, src, o)
	for j := range want.Theta {
		if d := rel(got.Theta[j], want.Theta[j]); d > 1e-9 {
			t.Errorf("%s: %.12g distributed, %.12g FitLinear", want.Names[j], got.Theta[j], want.Theta[j])
		}
	}
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "mini-batch couplings (batches of 100) is unreliable") {
		t.Errorf("warnings %q, want the mini-batch β warning", got.Warnings)
	}
	// jko fit's own closed form says so too (it gave 0.61 ± 0.010 for 0.1
	// silently).
	if n := countContaining(want.Warnings, "mini-batch couplings (batches of 100) is unreliable"); n != 1 {
		t.Errorf("FitLinear warnings %q, want the mini-batch β warning once", want.Warnings)
	}
	if !strings.Contains(got.BetaNote, "pairs over 5 steps") {
		t.Errorf("note %q does not count the pairs", got.BetaNote)
	}
}

// Without an entropy at x, SolveDrift is Solve and SetBetaFromPairs
// changes nothing.
func TestSolveDriftWithoutResidualBeta(t *testing.T) {
	data := simulate(t, "styblinski_tang", 200, 0, 1)
	for _, tc := range []struct {
		src string
		o   Options
	}{
		{stSpec, DefaultOptions()},
		{stSpec + entSpec, Options{BetaFrom: BetaScore}},
		{stSpec + entSpec, Options{EvalAt: "y"}},
	} {
		m := model(t, tc.src)
		evalAt := EvalAt(tc.o, m)
		prep, err := Prepare(m, data, tc.o, evalAt)
		if err != nil {
			t.Fatal(err)
		}
		acc, _ := NewAccumulator(m, evalAt)
		for s := range prep.Steps {
			if err := acc.Add(m, &prep.Steps[s]); err != nil {
				t.Fatal(err)
			}
		}
		want, err := acc.Solve(m, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := acc.SolveDrift(m, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		if err := got.SetBetaFromPairs(m, nil, tc.o); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Theta, want.Theta) || got.BetaNote != "" {
			t.Errorf("%q %+v: SolveDrift %v (%q), Solve %v", tc.src, tc.o, got.Theta, got.BetaNote, want.Theta)
		}
	}
}

func countContaining(list []string, sub string) int {
	n := 0
	for _, s := range list {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}
