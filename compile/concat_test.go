package compile_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
)

// fdCase is a point and parameters at which derivatives are compared with
// central finite differences.
type fdCase struct {
	m     *compile.Model
	x     []float64 // n×d
	n     int
	t     float64
	theta []float64
}

func newFDCase(t *testing.T, src string, d, n int, tm float64) fdCase {
	t.Helper()
	m := instantiate(t, src, d)
	theta := m.InitTheta(7)
	for i := range theta {
		theta[i] += 0.05 * math.Sin(float64(3*i+1))
	}
	x := make([]float64, n*d)
	for i := range x {
		x[i] = 1.3 * math.Sin(float64(5*i+2))
	}
	return fdCase{m: m, x: x, n: n, t: tm, theta: theta}
}

func (c fdCase) value(x []float64, tm float64, theta []float64) float64 {
	v := make([]float64, c.n)
	c.m.PotentialValue(v, x, c.n, tm, theta)
	s := 0.0
	for _, e := range v {
		s += e
	}
	return s
}

func (c fdCase) grad(x []float64, theta []float64) []float64 {
	g := make([]float64, len(x))
	c.m.PotentialGrad(g, x, c.n, c.t, theta)
	return g
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// A time-conditioned network mlp([x, t], …) and other concatenations
// ([t, x^2, sin(t)], concat(x, t*x)) are differentiated like every other
// term: ∇ₓV, ∂V/∂θ, the mixed second derivative ∂(∇ₓV·s)/∂θ that JKOnet*'s
// gradient methods use, and the Hessian ∇ₓ(∇ₓV·s), each against central
// finite differences of the level below; and the value depends on t.
func TestConcatDerivatives(t *testing.T) {
	specs := []string{
		"potential V(x, t) = mlp([x, t], 5, 4)\n",
		"potential V(x, t) = mlp([t, x, t^2], 4)\n",
		"param a = 0.3\nparam w[*]\npotential V(x, t) = a*norm2(concat(x, t*x)) + dot(w, [t, x^2, sin(t)]) + mlp(concat(x, [1, t]), 3)\n",
		"param c[*]\npotential V(x, t) = dot(c, polynomials([x, t], 3))\n",
	}
	const d, n, tm, h = 3, 4, 0.7, 1e-5
	for si, src := range specs {
		c := newFDCase(t, src, d, n, tm)
		name := fmt.Sprintf("spec%d", si)

		// The value depends on t.
		if v0, v1 := c.value(c.x, 0.2, c.theta), c.value(c.x, 0.9, c.theta); v0 == v1 {
			t.Errorf("%s: value %g at t = 0.2 and 0.9: t is ignored", name, v0)
		}

		// ∇ₓV against differences of V.
		g := c.grad(c.x, c.theta)
		for i := range c.x {
			xp, xm := slices.Clone(c.x), slices.Clone(c.x)
			xp[i] += h
			xm[i] -= h
			fd := (c.value(xp, tm, c.theta) - c.value(xm, tm, c.theta)) / (2 * h)
			if !near(g[i], fd, 1e-6) {
				t.Errorf("%s: ∇ₓV[%d] = %g, finite differences %g", name, i, g[i], fd)
			}
		}

		// ∂(Σ V)/∂θ and ∂(Σ s·∇ₓV)/∂θ against differences in θ.
		seed := make([]float64, n*d)
		for i := range seed {
			seed[i] = math.Cos(float64(2*i + 1))
		}
		dv := make([]float64, len(c.theta))
		c.m.PotentialValueVJP(dv, c.x, n, tm, c.theta, nil)
		dg := make([]float64, len(c.theta))
		c.m.PotentialVJP(dg, c.x, seed, n, tm, c.theta)
		for j := range c.theta {
			tp, tq := slices.Clone(c.theta), slices.Clone(c.theta)
			tp[j] += h
			tq[j] -= h
			fd := (c.value(c.x, tm, tp) - c.value(c.x, tm, tq)) / (2 * h)
			if !near(dv[j], fd, 1e-6) {
				t.Errorf("%s: ∂V/∂θ%d = %g, finite differences %g", name, j, dv[j], fd)
			}
			gp, gq := c.grad(c.x, tp), c.grad(c.x, tq)
			fd = 0
			for i := range seed {
				fd += seed[i] * (gp[i] - gq[i]) / (2 * h)
			}
			if !near(dg[j], fd, 1e-6) {
				t.Errorf("%s: ∂(s·∇ₓV)/∂θ%d = %g, finite differences %g", name, j, dg[j], fd)
			}
		}

		// The Hessian-vector product ∇ₓ(s·∇ₓV) built in the graph,
		// against differences of ∇ₓV, point by point.
		got := compile.HessVecForTest(c.m, 0, c.x[:d], seed[:d], tm, c.theta)
		for i := 0; i < d; i++ {
			xp, xm := slices.Clone(c.x), slices.Clone(c.x)
			xp[i] += h
			xm[i] -= h
			gp, gq := c.grad(xp, c.theta), c.grad(xm, c.theta)
			fd := 0.0
			for k := 0; k < d; k++ {
				fd += seed[k] * (gp[k] - gq[k]) / (2 * h)
			}
			if !near(got[i], fd, 1e-6) {
				t.Errorf("%s: (∇²V s)[%d] = %g, finite differences %g", name, i, got[i], fd)
			}
		}
	}
}

// The shapes the checker gives to concatenations and polynomial libraries
// are the lengths the compiler builds, at several d.
func TestConcatShapes(t *testing.T) {
	tests := []struct {
		expr string
		want func(d int) int
	}{
		{"[x, t]", func(d int) int { return d + 1 }},
		{"[t, x, 2, x]", func(d int) int { return 2*d + 2 }},
		{"concat(x)", func(d int) int { return d }},
		{"concat(x, x[1:], t)", func(d int) int { return 2*d - 1 + 1 }},
		{"polynomials(x, 2)", func(d int) int { return (d+1)*(d+2)/2 - 1 }},
		{"polynomials([x, t], 3)", func(d int) int { return (d+2)*(d+3)*(d+4)/6 - 1 }},
		{"monomials([x, t], 2)", func(d int) int { return int(math.Pow(3, float64(d+1))) - 1 }},
	}
	for _, tc := range tests {
		src := "param w[*]\npotential V(x, t) = dot(w, " + tc.expr + ")\n"
		for _, d := range []int{2, 3, 5} {
			m := instantiate(t, src, d)
			p := m.Params[0]
			if p.Size != tc.want(d) {
				t.Errorf("%s at d = %d: w has %d entries, want %d", tc.expr, d, p.Size, tc.want(d))
			}
		}
	}
}

// polynomialReference lists the exponent vectors of total degree 1..k in n
// variables, independently of the compiler: every tuple of {0..k}^n with
// 1 ≤ Σe ≤ k, ordered by degree and then with the exponent of x0 falling
// first (x0², x0x1, x1², …: scikit-learn's PolynomialFeatures order).
func polynomialReference(n, k int) [][]int {
	var out [][]int
	e := make([]int, n)
	var rec func(i, left int)
	rec = func(i, left int) {
		if i == n {
			if left < k {
				out = append(out, slices.Clone(e))
			}
			return
		}
		for v := 0; v <= left; v++ {
			e[i] = v
			rec(i+1, left-v)
		}
	}
	rec(0, k)
	deg := func(e []int) int {
		s := 0
		for _, v := range e {
			s += v
		}
		return s
	}
	slices.SortFunc(out, func(a, b []int) int {
		if da, db := deg(a), deg(b); da != db {
			return da - db
		}
		for i := range a {
			if a[i] != b[i] {
				return b[i] - a[i]
			}
		}
		return 0
	})
	return out
}

// polynomials(x, k) has C(n+k, k) − 1 features (65 for degree 2 in 10-D),
// whose values and labels match the independent enumeration; the closed
// form sees a linear model in its coefficients, with features equal to
// the gradient.
func TestPolynomials(t *testing.T) {
	for _, tc := range []struct{ n, k, count int }{
		{1, 1, 1}, {1, 4, 4}, {2, 2, 5}, {3, 3, 19}, {10, 2, 65}, {10, 3, 285}, {5, 1, 5},
	} {
		src := fmt.Sprintf("param c[*]\npotential V(x) = dot(c, polynomials(x, %d))\n", tc.k)
		m := instantiate(t, src, tc.n)
		if m.Params[0].Size != tc.count {
			t.Errorf("polynomials(x, %d) in %d-D: %d features, want %d", tc.k, tc.n, m.Params[0].Size, tc.count)
			continue
		}
		ref := polynomialReference(tc.n, tc.k)
		if len(ref) != tc.count {
			t.Fatalf("reference has %d features, want %d", len(ref), tc.count)
		}
		if err := m.LinearError(); err != nil {
			t.Errorf("polynomials(x, %d) in %d-D: not linear: %v", tc.k, tc.n, err)
		}
		x := make([]float64, tc.n)
		for i := range x {
			x[i] = 0.9 + 0.37*float64(i) - 0.2*float64(i*i%3)
		}
		// The value of V with c = e_j is feature j.
		theta := make([]float64, m.NumParams)
		v := []float64{0}
		for j, e := range ref {
			want := 1.0
			var parts []string
			for i, p := range e {
				want *= math.Pow(x[i], float64(p))
				switch {
				case p == 1:
					parts = append(parts, fmt.Sprintf("x[%d]", i))
				case p > 1:
					parts = append(parts, fmt.Sprintf("x[%d]^%d", i, p))
				}
			}
			clear(theta)
			theta[j] = 1
			m.PotentialValue(v, x, 1, 0, theta)
			if !near(v[0], want, 1e-14) {
				t.Errorf("n=%d k=%d: feature %d (%v) = %g, want %g", tc.n, tc.k, j, e, v[0], want)
			}
			if got, w := m.FeatureLabel("c", j), strings.Join(parts, "*"); got != w {
				t.Errorf("n=%d k=%d: feature %d is labelled %q, want %q", tc.n, tc.k, j, got, w)
			}
		}
		// The closed form's features are ∂(∇V)/∂c: F·c = ∇V.
		for j := range theta {
			theta[j] = math.Sin(float64(j + 1))
		}
		F := make([]float64, tc.n*tc.count)
		c0 := make([]float64, tc.n)
		m.PotentialFeatures(F, c0, x, 1, 0)
		g := make([]float64, tc.n)
		m.PotentialGrad(g, x, 1, 0, theta)
		for i := 0; i < tc.n; i++ {
			s := c0[i]
			for j := 0; j < tc.count; j++ {
				s += F[i*tc.count+j] * theta[j]
			}
			if !near(s, g[i], 1e-12) {
				t.Errorf("n=%d k=%d: (F·c)[%d] = %g, ∇V = %g", tc.n, tc.k, i, s, g[i])
			}
		}
	}
}

// Degrees whose libraries are too large are refused with the count.
func TestPolynomialsTooLarge(t *testing.T) {
	s, err := compile.LoadString("t.jko", "param c[*]\npotential V(x) = dot(c, polynomials(x, 6))\n")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Instantiate(40); err == nil || !strings.Contains(err.Error(), "9366818 features") {
		t.Errorf("polynomials(x, 6) in 40-D: err = %v, want the count 9366818", err)
	}
}

// Concatenation puts the entries in order: scalars where they stand,
// vectors entry by entry (d = 3, x = (1, 2, 3), t = 5).
func TestConcatValues(t *testing.T) {
	x := []float64{1, 2, 3}
	const tm = 5
	tests := []struct {
		expr string
		want float64
	}{
		{"dot([1, 10, 100, 1000], [x, t])", 1 + 20 + 300 + 5000},
		{"dot([1, 10, 100, 1000], [t, x])", 5 + 10 + 200 + 3000},
		{"dot([1, 10, 100, 1000], [x[0], t, x[1:]])", 1 + 50 + 200 + 3000},
		{"dot([1, 10, 100, 1000, 1e4, 1e5], concat(x^2, t, [t, 7]))", 1 + 40 + 900 + 5000 + 5e4 + 7e5},
		{"sum(concat(x, x) * [1, 1, 1, 2, 2, 2])", 6 + 12},
		{"len([x, t, x])", 7},
	}
	for _, tc := range tests {
		m := instantiate(t, "potential V(x, t) = "+tc.expr+"\n", 3)
		v := []float64{0}
		m.PotentialValue(v, x, 1, tm, nil)
		if v[0] != tc.want {
			t.Errorf("%s = %g, want %g", tc.expr, v[0], tc.want)
		}
	}
}

// The features of a library over a concatenation are labelled by the
// parts' own names (before: "[x, t][2]").
func TestConcatFeatureLabels(t *testing.T) {
	for _, tc := range []struct {
		lib  string
		want string
	}{
		{"polynomials([x, t], 2)", "x[0] x[1] t x[0]^2 x[0]*x[1] x[0]*t x[1]^2 x[1]*t t^2"},
		{"monomials(concat(x[1:], t), 1)", "t (x[1:])[0] (x[1:])[0]*t"},
	} {
		m := instantiate(t, "param c[*]\npotential V(x, t) = dot(c, "+tc.lib+")\n", 2)
		var got []string
		for i := 0; i < m.Params[0].Size; i++ {
			got = append(got, m.FeatureLabel("c", i))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: labels %q, want %q", tc.lib, strings.Join(got, " "), tc.want)
		}
	}
}
