package jkonet

import (
	"regexp"
	"strings"
	"testing"
)

// An implicit fit of noise-free Euler data is confidently wrong (c₁ =
// 1.0142 ± 3·10⁻⁶ for 1 in the aggregation case): the fit must say that
// the step moves the estimates by thousands of standard errors and that
// the explicit step fits the data better. The explicit fit of the same
// data, exact, must not warn.
func TestStepCheck(t *testing.T) {
	const spec = `
param k, c1, c2
potential V(x) = k*norm2(x)/2
interaction U(z) = c1*norm2(z)/2 - c2*log(norm2(z) + 0.01)/2
`
	data := simulateSpec(t, spec, []float64{0.2, 1, 0.5}, 400, 3, 0.01, 4)
	defer func(n int) { stepCheckPairs = n }(stepCheckPairs)
	for _, tc := range []struct {
		evalAt string
		pairs  int // stepCheckPairs: 150 checks on a subsample
		warn   bool
	}{{"x", 4096, false}, {"y", 4096, true}, {"x", 150, false}, {"y", 150, true}} {
		stepCheckPairs = tc.pairs
		o := DefaultOptions()
		o.EvalAt = tc.evalAt
		res, err := Fit(model(t, spec), data, o)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		for _, w := range res.Warnings {
			if strings.Contains(w, "step matters") {
				got = w
			}
		}
		if (got != "") != tc.warn || (res.StepShift != nil) != tc.warn {
			t.Errorf("eval at %s, %d pairs: warning %q, StepShift %v; want a warning: %v", tc.evalAt, tc.pairs, got, res.StepShift, tc.warn)
			continue
		}
		if !tc.warn {
			continue
		}
		for _, want := range []string{`under the explicit step`, `c1 (1|0\.9999\d*|1\.0000\d*) \(`, `fit the explicit step better`} {
			if !regexp.MustCompile(want).MatchString(got) {
				t.Errorf("warning %q does not say %q", got, want)
			}
		}
		if s := res.StepShift[1]; !(s < -0.005) {
			t.Errorf("c1 shift %g, want about -0.014", s)
		}
	}
}

// Noisy Euler data fitted with the explicit step: the implicit step's
// estimates differ by many standard errors, but the data clearly prefer the
// explicit step, so there is nothing to warn about.
func TestStepCheckNoisy(t *testing.T) {
	const spec = `
param a, b, c
potential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)
`
	data := simulate(t, "styblinski_tang", 1000, 0.1, 1)
	res, err := Fit(model(t, spec), data, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "step matters") {
			t.Errorf("explicit fit of Euler data warns: %s", w)
		}
	}
}
