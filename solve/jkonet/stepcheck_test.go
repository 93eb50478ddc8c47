package jkonet

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
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
	defer func(n int) { stepCheckRows = n }(stepCheckRows)
	for _, tc := range []struct {
		scheme compile.Scheme
		rows   int // stepCheckRows: 300 checks 150 pairs a step
		warn   bool
	}{{compile.Explicit, 8192, false}, {compile.Implicit, 8192, true}, {compile.Explicit, 300, false}, {compile.Implicit, 300, true}} {
		stepCheckRows = tc.rows
		o := DefaultOptions()
		o.Scheme = &tc.scheme
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
			t.Errorf("%v, %d rows a step: warning %q, StepShift %v; want a warning: %v", tc.scheme, tc.rows, got, res.StepShift, tc.warn)
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

// The step check's subsample is capped in rows, not pairs: in 50-D with
// 1,325 parameters 4,096 pairs a step would make its two fits cost as much
// as the fit itself.
func TestCheckPairs(t *testing.T) {
	for _, tc := range []struct {
		src  string
		dim  int
		want int
	}{
		{stSpec, 2, 4096},
		{"param c[*]\npotential V(x) = dot(c, polynomials(x, 2))\n", 50, 424},  // 16·1325 rows
		{"param c[*]\npotential V(x) = dot(c, polynomials(x, 2))\n", 10, 819},  // 8192 rows
		{"param c[*]\npotential V(x) = dot(c, polynomials(x, 35))\n", 2, 5320}, // 16·665 rows
	} {
		spec, err := compile.LoadString("test.jko", tc.src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := spec.Instantiate(tc.dim)
		if err != nil {
			t.Fatal(err)
		}
		if got := checkPairs(m); got != tc.want {
			t.Errorf("%d-D, %d parameters: %d pairs a step, want %d", tc.dim, m.NumParams, got, tc.want)
		}
	}
}
