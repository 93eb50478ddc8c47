package jkonet

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/snapshot"
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
	if err := res.SetBetaFromSample(m, sample, o); err != nil {
		t.Fatal(err)
	}
	return res
}

// With all the pairs as the sample, the distributed fit of an entropy at
// x is FitLinear's: θ (β and the drift corrected for the coupling's bias)
// and the standard errors, to rounding.
func TestSetBetaFromSampleEqualsFitLinear(t *testing.T) {
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

// minibatchSample couples the first nb mini-batches of each step as a
// distributed fit does (CoupleBatch) and returns them as steps whose
// source is the batches' x rows.
func minibatchSample(t *testing.T, data *snapshot.Snapshots, size, nb int) *Prepared {
	t.Helper()
	out := &Prepared{}
	for k := 0; k+1 < len(data.X); k++ {
		x, y := data.X[k], data.X[k+1]
		n, _ := x.Dims()
		mm, _ := y.Dims()
		batches, err := Minibatches(n, mm, size)
		if err != nil {
			t.Fatal(err)
		}
		var bx, by []int
		var pairs []Pair
		for _, b := range batches[:nb] {
			local := Batch{X: rangeInts(len(bx), len(bx)+len(b.X)), Y: rangeInts(len(by), len(by)+len(b.Y))}
			ps, err := CoupleBatch(gatherRows(x, b.X), gatherRows(y, b.Y), nil, nil, local, BatchMass(nil, n, b.X), n, mm)
			if err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, ps...)
			bx, by = append(bx, b.X...), append(by, b.Y...)
		}
		st := NewStep(k, data.Times[k], data.Times[k+1], gatherRows(x, bx), gatherRows(y, by), pairs, "x")
		out.Steps = append(out.Steps, *st)
	}
	return out
}

// With mini-batch couplings, β from the residuals measures the batches'
// spacing more than the noise (0.93 ± 0.015 for 0.1 on 3000 particles in
// batches of 500, with FitLinear too): the distributed fit says so.
func TestSetBetaFromSampleMinibatchWarns(t *testing.T) {
	const n, size, nb = 600, 100, 2
	data := simulate(t, "styblinski_tang", n, 0.1, 4)
	src := stSpec + entSpec
	m := model(t, src)
	o := DefaultOptions()
	o.Couplings = MiniBatch(size)
	prep, err := Prepare(m, data, o, "x")
	if err != nil {
		t.Fatal(err)
	}
	got := distributedBeta(t, prep, minibatchSample(t, data, size, nb), src, o)
	if len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], "mini-batch couplings (batches of 100) is unreliable") {
		t.Errorf("warnings %q, want the mini-batch β warning", got.Warnings)
	}
	if !strings.Contains(got.BetaNote, "on a sample of") {
		t.Errorf("note %q does not name the sample", got.BetaNote)
	}
}

// Without an entropy at x, SolveDrift is Solve and SetBetaFromSample
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
		if err := got.SetBetaFromSample(m, nil, tc.o); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Theta, want.Theta) || got.BetaNote != "" {
			t.Errorf("%q %+v: SolveDrift %v (%q), Solve %v", tc.src, tc.o, got.Theta, got.BetaNote, want.Theta)
		}
	}
}
