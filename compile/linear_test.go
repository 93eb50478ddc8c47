package compile_test

import (
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
)

func instantiate(t *testing.T, src string, d int) *compile.Model {
	t.Helper()
	s, err := compile.LoadString("t.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// a·Σx⁴ + b·Σsin(x) + c: two features with a drift, and c has none.
func TestLinearFeatures(t *testing.T) {
	m := instantiate(t, "param a, b, c\npotential V(x) = a*sum(x^4) + b*sum(sin(x)) + c\n", 2)
	if err := m.LinearError(); err != nil {
		t.Fatal(err)
	}
	x := []float64{0.7, -1.3}
	F := make([]float64, 2*3)
	c := make([]float64, 2)
	m.PotentialFeatures(F, c, x, 1, 0)
	for k := 0; k < 2; k++ {
		want := []float64{4 * math.Pow(x[k], 3), math.Cos(x[k]), 0}
		for j, w := range want {
			if got := F[k*3+j]; math.Abs(got-w) > 1e-14 {
				t.Errorf("F[%d][%d] = %g, want %g", k, j, got, w)
			}
		}
		if c[k] != 0 {
			t.Errorf("constant part %v, want 0", c)
		}
	}
}

// exp(−s‖z‖²) with learnable s is not linear, and the error points at exp.
func TestNonlinearPosition(t *testing.T) {
	m := instantiate(t, "param s\ninteraction U(z) = exp(-s*norm2(z))\n", 2)
	err := m.LinearError()
	if err == nil {
		t.Fatal("want a nonlinearity error")
	}
	if !strings.Contains(err.Error(), "t.jko:2:20") || !strings.Contains(err.Error(), "exp") {
		t.Errorf("error does not point at exp (2:20):\n%v", err)
	}
}

// The entropy is recognised and gives β; the porous medium is not an
// entropy and its f″ is 2κ.
func TestInternalEnergies(t *testing.T) {
	m := instantiate(t, "param beta\ninternal H(rho) = beta*rho*log(rho)\n", 2)
	if b, ok := m.Entropy([]float64{0.3}); !ok || math.Abs(b-0.3) > 1e-12 {
		t.Errorf("entropy: β = %v, %v", b, ok)
	}
	p := instantiate(t, "param kappa\ninternal f(rho) = kappa*rho^2\n", 2)
	if _, ok := p.Entropy([]float64{1}); ok {
		t.Error("porous medium taken for an entropy")
	}
	coef := make([]float64, 2)
	p.InternalCoef(coef, []float64{0.5, 3}, 2, []float64{1.5})
	if coef[0] != 3 || coef[1] != 3 {
		t.Errorf("f″ = %v, want 2κ = 3", coef)
	}
}

// Coefficients of a feature library are labelled with their features.
func TestFeatureLabels(t *testing.T) {
	m := instantiate(t, "import \"paper_linear_potential\"\n", 2)
	for _, c := range []struct {
		param string
		i     int
		want  string
	}{
		{"theta_poly", 0, "x[1]"},
		{"theta_poly", 3, "x[1]^4"},
		{"theta_poly", 5, "x[0]*x[1]"},
		{"theta_poly", 23, "x[0]^4*x[1]^4"},
		{"theta_bump", 0, "bump at (-4, -4)"},
		{"theta_bump", 99, "bump at (4, 4)"},
		{"nonexistent", 0, ""},
	} {
		if got := m.FeatureLabel(c.param, c.i); got != c.want {
			t.Errorf("%s[%d]: %q, want %q", c.param, c.i, got, c.want)
		}
	}
}

// The parameter-free part of the features, c, is the drift at θ = 0: the
// gradient of a fixed term where there is one, and exactly 0 (whatever
// the buffer held) where every term vanishes with its parameters, which
// skips the drift's program; F·θ + c is the drift at any θ.
func TestFeaturesFixedPart(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		fixed     func(x float64) float64 // ∂V/∂x_k of the fixed part
	}{
		{"linear", "param a, b\npotential V(x) = a*sum(x^2) + b*sum(sin(x))\n", func(float64) float64 { return 0 }},
		{"fixed quartic", "param a, b\npotential V(x) = a*sum(x^2) + b*sum(sin(x)) + 0.5*sum(x^4)\n", func(x float64) float64 { return 2 * x * x * x }},
	} {
		m := instantiate(t, tc.src, 2)
		x := []float64{0.7, -1.3, 2.1, 0.4}
		const n, d, P = 2, 2, 2
		F := make([]float64, n*d*P)
		c := []float64{9, 9, 9, 9}
		m.PotentialFeatures(F, c, x, n, 0)
		theta := []float64{0.3, -1.7}
		grad := make([]float64, n*d)
		m.PotentialGrad(grad, x, n, 0, theta)
		for i := range n * d {
			if want := tc.fixed(x[i]); math.Abs(c[i]-want) > 1e-13*(1+math.Abs(want)) {
				t.Errorf("%s: c[%d] = %g, want %g", tc.name, i, c[i], want)
			}
			got := c[i] + F[i*P]*theta[0] + F[i*P+1]*theta[1]
			if math.Abs(got-grad[i]) > 1e-13*(1+math.Abs(grad[i])) {
				t.Errorf("%s: F·θ + c = %g, drift %g", tc.name, got, grad[i])
			}
		}
	}
}
