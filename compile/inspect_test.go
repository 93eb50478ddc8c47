package compile_test

import (
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
)

// EvalTerm and TermText against closed forms, one term of each kind, and
// the first non-finite sub-expression located in the spec.
func TestEvalTerm(t *testing.T) {
	const src = `param a = 1.5
potential V(x) = a*norm2(x)
interaction U(z) = exp(-norm2(z))
internal H(rho) = rho*log(rho)
potential L(x) = 2 + log(x[0] - 1)
`
	m := instantiate(t, src, 2)
	theta := m.InitTheta(0)
	x := []float64{0.5, -2}
	r2 := x[0]*x[0] + x[1]*x[1]
	const rho = 3.0
	at := compile.TermPoint{X: x, Rho: rho}
	cases := []struct {
		value      float64
		grad       []float64
		gradText   string // a piece the text of the gradient holds
		derivText  string
		nonFinite  string // the text of the first non-finite sub-expression
		nonFinPosn string
	}{
		{value: 1.5 * r2, grad: []float64{3 * x[0], 3 * x[1]}, gradText: "a"},
		{value: math.Exp(-r2), grad: []float64{-2 * x[0] * math.Exp(-r2), -2 * x[1] * math.Exp(-r2)}, gradText: "exp("},
		{value: rho * math.Log(rho), grad: []float64{1 / rho}, gradText: "rho", derivText: "log("},
		{value: math.NaN(), grad: []float64{1 / (x[0] - 1), 0}, gradText: "x[0]", nonFinite: "log(", nonFinPosn: "t.jko:5:"},
	}
	if len(m.Terms) != len(cases) {
		t.Fatalf("%d terms, want %d", len(m.Terms), len(cases))
	}
	for i, c := range cases {
		name := m.Terms[i].Name
		tv, err := m.EvalTerm(i, theta, at)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !(near(tv.Value, c.value, 1e-14) || math.IsNaN(c.value) && math.IsNaN(tv.Value)) {
			t.Errorf("%s: value %g, want %g", name, tv.Value, c.value)
		}
		if len(tv.Grad) != len(c.grad) {
			t.Fatalf("%s: gradient %v, want %v", name, tv.Grad, c.grad)
		}
		for k := range c.grad {
			if !near(tv.Grad[k], c.grad[k], 1e-14) {
				t.Errorf("%s: gradient %v, want %v", name, tv.Grad, c.grad)
			}
		}
		switch nf := tv.NonFinite; {
		case c.nonFinite == "" && nf != nil:
			t.Errorf("%s: non-finite at %+v, but every value is finite", name, *nf)
		case c.nonFinite != "" && nf == nil:
			t.Errorf("%s: no non-finite sub-expression found", name)
		case nf != nil:
			if !strings.HasPrefix(nf.Expr, c.nonFinite) || !strings.HasPrefix(nf.Pos.String(), c.nonFinPosn) || len(nf.Value) != 1 || !math.IsNaN(nf.Value[0]) {
				t.Errorf("%s: first non-finite %s: %s is %v, want %s… at %s…", name, nf.Pos, nf.Expr, nf.Value, c.nonFinite, c.nonFinPosn)
			}
		}
		grad, deriv, err := m.TermText(i)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(grad, c.gradText) || (deriv == "") != (c.derivText == "") || !strings.Contains(deriv, c.derivText) {
			t.Errorf("%s: derivatives as text %q and %q, want them to hold %q and %q", name, grad, deriv, c.gradText, c.derivText)
		}
	}
}

// Bad arguments are errors, not panics.
func TestEvalTermErrors(t *testing.T) {
	m := instantiate(t, "param a\npotential V(x) = a*norm2(x)\n", 2)
	theta := m.InitTheta(0)
	for _, c := range []struct {
		i     int
		theta []float64
		x     []float64
		want  string
	}{
		{i: 1, theta: theta, want: "term 1 of a model with 1 terms"},
		{i: -1, theta: theta, want: "term -1"},
		{i: 0, theta: nil, want: "0 parameter values for a model with 1"},
		{i: 0, theta: theta, x: []float64{1, 2, 3}, want: "3 coordinates for a model at d = 2"},
	} {
		_, err := m.EvalTerm(c.i, c.theta, compile.TermPoint{X: c.x})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("EvalTerm(%d, %v, %v): error %v, want %q", c.i, c.theta, c.x, err, c.want)
		}
	}
	if _, _, err := m.TermText(2); err == nil {
		t.Error("TermText(2) of a model with one term: no error")
	}
	// The origin when no point is given.
	tv, err := m.EvalTerm(0, theta, compile.TermPoint{})
	if err != nil || tv.Value != 0 || len(tv.Grad) != 2 {
		t.Errorf("at the origin: %+v, %v", tv, err)
	}
}
