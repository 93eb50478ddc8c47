package compile

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/jko-org/jko/internal/eval"
	"github.com/jko-org/jko/internal/ir"
)

// polyDegrees reads the degree in each coordinate of z off the expression.
func TestPolyDegrees(t *testing.T) {
	for _, tc := range []struct {
		u    string
		deg  []int // of U itself; nil: not a polynomial
		grad []int // of its drift ∇U
	}{
		{"c*norm2(z)", []int{2, 2}, []int{1, 1}},
		{"c*z[0]^3*z[1] + z[1]^2", []int{3, 2}, []int{3, 1}},
		{"c*dot(w, monomials(z, 4))", []int{4, 4}, []int{4, 4}},
		{"c*(norm2(z)/2)^2", []int{4, 4}, []int{3, 3}},
		{"c*exp(-norm2(z))", nil, nil},
		{"c*log(norm2(z) + 0.01)", nil, nil},
		{"c*norm(z)", nil, nil},
		{"c*dot(w, bumps(z, grid(-1, 1, 2), 0.5))", nil, nil},
		{"c*z[0]/(1 + exp(c))", []int{1, 0}, []int{0, 0}},
	} {
		m := pairModel(t, tc.u)
		z := m.g.Lookup("z")
		deg, ok := polyDegrees(m.g, []ir.NodeID{m.agg[Interaction].value}, z, 2)
		if ok != (tc.deg != nil) || (ok && (deg[0] != tc.deg[0] || deg[1] != tc.deg[1])) {
			t.Errorf("U = %s: degrees %v (%v), want %v", tc.u, deg, ok, tc.deg)
		}
		deg, ok = polyDegrees(m.g, []ir.NodeID{m.agg[Interaction].grad}, z, 2)
		if ok != (tc.grad != nil) || (ok && (deg[0] != tc.grad[0] || deg[1] != tc.grad[1])) {
			t.Errorf("∇U of %s: degrees %v (%v), want %v", tc.u, deg, ok, tc.grad)
		}
	}
}

func pairModel(t *testing.T, u string) *Model {
	t.Helper()
	src := "param c = 0.7\n"
	if strings.Contains(u, "w") {
		src += "param w[*]\n"
	}
	s, err := LoadString("t.jko", src+"potential V(x) = norm2(x)\ninteraction U(z) = "+u+"\n")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Sums over a cloud through the cubature of a polynomial interaction equal
// the pair loop's, to 1e-12 of Σ|terms|, for the drift, its features, its
// VJP and the pair energies and their gradient, with the evaluation points
// inside the cloud (self-pairs left out) and outside it.
func TestCubatureMatchesPairLoop(t *testing.T) {
	m := pairModel(t, "c*norm2(z)^2/4 - dot(w, monomials(z, 3)) + z[0]^2*z[1]")
	theta := m.InitTheta(1)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range theta {
		theta[i] = r.NormFloat64()
	}
	const ny, d = 300, 2
	ys := make([]float64, ny*d)
	for i := range ys {
		ys[i] = 3 + 2*r.NormFloat64() // off-centre, as real clouds are
	}
	out := make([]float64, 40*d)
	for i := range out {
		out[i] = 3 + 3*r.NormFloat64()
	}
	P := m.NumParams
	for _, tc := range []struct {
		name string
		x    []float64
	}{{"inside", ys[:60*d]}, {"outside", out}} {
		n := len(tc.x) / d
		seed := make([]float64, n*d)
		for i := range seed {
			seed[i] = r.NormFloat64()
		}
		type result struct {
			grad, F, c, vjp, pvjp []float64
			psum                  float64
		}
		run := func(loop bool) result {
			PairLoop = loop
			defer func() { PairLoop = false }()
			var res result
			res.grad = make([]float64, n*d)
			m.InteractionGrad(res.grad, tc.x, n, ys, ny, theta)
			res.F, res.c = make([]float64, n*d*P), make([]float64, n*d)
			m.InteractionFeatures(res.F, res.c, tc.x, n, ys, ny)
			res.vjp = make([]float64, P)
			m.InteractionVJP(res.vjp, tc.x, seed, n, ys, ny, theta)
			res.psum = m.InteractionPairSum(tc.x, n, ys, ny, theta)
			res.pvjp = make([]float64, P)
			m.InteractionPairVJP(res.pvjp, tc.x, n, ys, ny, theta)
			return res
		}
		vjp, _ := m.vjpProg(Interaction)
		vvjp, _ := m.valueVJPProg(Interaction)
		feat := m.interactionFeatSplit()
		if feat[0].prog == nil || feat[1].prog != nil {
			t.Fatalf("%s: features split %v, want all polynomial", tc.name, feat)
		}
		for name, prog := range map[string]*eval.Program{
			"drift": m.gradProg(Interaction), "features": feat[0].prog, "vjp": vjp,
			"value": m.valueProg(Interaction), "value vjp": vvjp} {
			if m.population(prog, tc.x, n, ys, ny).cub == nil {
				t.Fatalf("%s: the %s is polynomial but no cubature was used", tc.name, name)
			}
		}
		got, want := run(false), run(true)
		check := func(what string, g, w []float64) {
			scale := 0.0
			for _, v := range w {
				scale = math.Max(scale, math.Abs(v))
			}
			for i := range w {
				if math.Abs(g[i]-w[i]) > 1e-12*scale*100 {
					t.Errorf("%s: %s[%d] = %.17g, pair loop %.17g", tc.name, what, i, g[i], w[i])
					return
				}
			}
		}
		check("drift", got.grad, want.grad)
		check("features", got.F, want.F)
		check("features c", got.c, want.c)
		check("vjp", got.vjp, want.vjp)
		check("pair vjp", got.pvjp, want.pvjp)
		check("pair sum", []float64{got.psum}, []float64{want.psum})
		// The features reproduce the drift.
		for i := 0; i < n*d; i++ {
			s := got.c[i]
			for j := 0; j < P; j++ {
				s += got.F[i*P+j] * theta[j]
			}
			if math.Abs(s-got.grad[i]) > 1e-10*(1+math.Abs(got.grad[i])) {
				t.Fatalf("%s: F θ + c = %g, drift %g", tc.name, s, got.grad[i])
			}
		}
	}
}

// A kernel that is not a polynomial keeps the pair loop.
func TestNonPolynomialUsesPairs(t *testing.T) {
	m := pairModel(t, "-c*log(norm(z))")
	x := []float64{0, 0, 1, 0, 0, 1, 2, 2}
	if m.population(m.gradProg(Interaction), x, 4, x, 4).cub != nil {
		t.Error("cubature for −c·log‖z‖")
	}
	// The self-pairs are left out: finite, and the mean over the others.
	g := make([]float64, 8)
	m.InteractionGrad(g, x, 4, x, 4, []float64{0.7})
	// ∇U(z) = −c z/‖z‖²; particle 0 at the origin: −(1/3)Σ_j c(0 − y_j)/‖y_j‖².
	want := []float64{0.7 / 3 * (1 + 0 + 2.0/8), 0.7 / 3 * (0 + 1 + 2.0/8)}
	for k := range want {
		if math.Abs(g[k]-want[k]) > 1e-14 {
			t.Errorf("drift[0][%d] = %.17g, want %.17g", k, g[k], want[k])
		}
	}
}

// The interaction features over a cubature are made a block of rows per
// goroutine, the block's pairs evaluated at once: each row's features are
// those of the row's pairs reduced on their own (Program.Reduce, row by
// row) and those of the row evaluated alone, bit for bit, on one core or
// several, rows on the cloud's points (the self-pairs) included.
func TestCubatureFeaturesRowByRow(t *testing.T) {
	m := pairModel(t, "dot(w, monomials(z, 4)) + c*norm2(z)^2")
	r := rand.New(rand.NewPCG(2, 8))
	const ny, n, d = 400, 150, 2
	ys := make([]float64, ny*d)
	for i := range ys {
		ys[i] = 2 * r.NormFloat64()
	}
	x := append([]float64(nil), ys[:30*d]...)
	for range (n - 30) * d {
		x = append(x, 3*r.NormFloat64())
	}
	pop := m.population(must2(m.featProg(Interaction)), x, n, ys, ny)
	if pop.cub == nil {
		t.Fatal("the features are not summed over a cubature")
	}
	P := m.NumParams
	features := func(procs int) ([]float64, []float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		F, c := make([]float64, n*d*P), make([]float64, n*d)
		m.interactionFeatures(F, c, x, n, ys, ny)
		return F, c
	}
	F1, c1 := features(1)
	F4, c4 := features(4)
	cubatureByRun = false
	Fr, cr := features(2)
	cubatureByRun = true
	if !slices.Equal(cr, c1) {
		t.Fatal("c differs from the rows reduced on their own")
	}
	for q, v := range Fr {
		if math.Float64bits(F1[q]) != math.Float64bits(v) {
			t.Fatalf("entry %d: %.17g, %.17g with the rows reduced on their own", q, F1[q], v)
		}
	}
	nonzero := 0
	for i := range n {
		Fi, ci := make([]float64, d*P), make([]float64, d)
		m.interactionFeatures(Fi, ci, x[i*d:(i+1)*d], 1, ys, ny)
		for e, v := range Fi {
			q := i*d*P + e
			if math.Float64bits(F1[q]) != math.Float64bits(v) || math.Float64bits(F4[q]) != math.Float64bits(v) {
				t.Fatalf("row %d entry %d: %.17g alone, %.17g on one core, %.17g on four", i, e, v, F1[q], F4[q])
			}
			if v != 0 {
				nonzero++
			}
		}
		for k := range d {
			if c1[i*d+k] != ci[k] || c4[i*d+k] != ci[k] {
				t.Fatalf("row %d: c differs", i)
			}
		}
	}
	if nonzero < n*d*(P-1)/2 {
		t.Errorf("only %d nonzero features", nonzero)
	}
}

func must2[T, U any](v T, _ U) T { return v }
