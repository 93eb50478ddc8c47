package density

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// truth is a known 3-component 2-D mixture.
func truth(t testing.TB) *GMM {
	g, err := NewGMM([]float64{0.5, 0.3, 0.2},
		mat.NewDense(3, 2, []float64{-2, 0, 2, 1, 0, -3}),
		[]*mat.SymDense{
			mat.NewSymDense(2, []float64{0.5, 0.2, 0.2, 0.3}),
			mat.NewSymDense(2, []float64{0.4, -0.1, -0.1, 0.6}),
			mat.NewSymDense(2, []float64{1.0, 0, 0, 0.2}),
		})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// refDensity evaluates a mixture directly from its parameters with an
// explicit inverse and determinant: an independent reference.
func refDensity(g *GMM, x []float64) (rho float64, grad []float64) {
	d := len(x)
	grad = make([]float64, d)
	for l := range g.Weights {
		var inv mat.Dense
		if err := inv.Inverse(g.Covs[l]); err != nil {
			panic(err)
		}
		diff := mat.NewVecDense(d, nil)
		for j := range x {
			diff.SetVec(j, x[j]-g.Means.At(l, j))
		}
		var u mat.VecDense
		u.MulVec(&inv, diff)
		q := mat.Dot(diff, &u)
		p := g.Weights[l] * math.Exp(-0.5*q) / math.Sqrt(math.Pow(2*math.Pi, float64(d))*mat.Det(g.Covs[l]))
		rho += p
		for j := range grad {
			grad[j] -= p * u.AtVec(j)
		}
	}
	return rho, grad
}

func TestGMMRecovers(t *testing.T) {
	want := truth(t)
	x := want.Sample(20000, 1)
	got, err := FitGMM(x, GMMOptions{Components: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Converged {
		t.Errorf("not converged after %d iterations", got.Iter)
	}
	used := map[int]bool{}
	for l := 0; l < 3; l++ { // match components by nearest mean
		best, bd := -1, math.Inf(1)
		for m := 0; m < 3; m++ {
			if dd := sqDist(want.Means.RawRowView(l), got.Means.RawRowView(m)); dd < bd && !used[m] {
				best, bd = m, dd
			}
		}
		used[best] = true
		if math.Abs(got.Weights[best]-want.Weights[l]) > 0.015 {
			t.Errorf("component %d weight %v, want %v", l, got.Weights[best], want.Weights[l])
		}
		if math.Sqrt(bd) > 0.04 {
			t.Errorf("component %d mean %v, want %v", l, got.Means.RawRowView(best), want.Means.RawRowView(l))
		}
		for a := 0; a < 2; a++ {
			for b := 0; b < 2; b++ {
				if e := math.Abs(got.Covs[best].At(a, b) - want.Covs[l].At(a, b)); e > 0.04 {
					t.Errorf("component %d cov[%d,%d] = %v, want %v", l, a, b, got.Covs[best].At(a, b), want.Covs[l].At(a, b))
				}
			}
		}
	}
	llFit, _ := got.MeanLogLikelihood(x)
	llTrue, _ := want.MeanLogLikelihood(x)
	if llFit < llTrue || llFit > llTrue+0.01 {
		t.Errorf("fitted mean log-likelihood %v, true parameters %v", llFit, llTrue)
	}
	if math.Abs(got.LowerBound-llFit) > 1e-3 {
		t.Errorf("LowerBound %v vs final %v", got.LowerBound, llFit)
	}
}

func TestGMMMatchesDirectFormula(t *testing.T) {
	g := truth(t)
	x := mat.NewDense(4, 2, []float64{0, 0, -2, 0.1, 3, -1, 9, 9})
	rho := make([]float64, 4)
	lg := make([]float64, 4)
	grad := mat.NewDense(4, 2, nil)
	score := mat.NewDense(4, 2, nil)
	for _, err := range []error{g.Density(rho, x), g.LogDensity(lg, x), g.Grad(grad, x), g.Score(score, x)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ {
		r, gr := refDensity(g, x.RawRowView(i))
		if !near(rho[i], r, 1e-12) || !near(lg[i], math.Log(r), 1e-12) {
			t.Errorf("point %d: ρ = %v (log %v), want %v", i, rho[i], lg[i], r)
		}
		for j := 0; j < 2; j++ {
			if !near(grad.At(i, j), gr[j], 1e-11) || !near(score.At(i, j), gr[j]/r, 1e-9) {
				t.Errorf("point %d: ∇ρ %v score %v, want %v %v", i, grad.RawRowView(i), score.RawRowView(i), gr, gr[j]/r)
			}
		}
	}
}

func near(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(1e-300, math.Max(math.Abs(a), math.Abs(b)))
}

// TestFiniteDifferences checks ∇ρ and ∇log ρ of every estimator against
// central differences of ρ and log ρ.
func TestFiniteDifferences(t *testing.T) {
	data := truth(t).Sample(300, 3)
	g3d, _ := NewGMM([]float64{1, 2}, mat.NewDense(2, 3, []float64{0, 0, 0, 1, -1, 0.5}),
		[]*mat.SymDense{mat.NewSymDense(3, []float64{1, .3, .1, .3, .8, -.2, .1, -.2, .6}), mat.NewSymDense(3, []float64{.2, 0, 0, 0, .3, .1, 0, .1, .4})})
	kde, err := FitKDE(data, KDEOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kdeIso, _ := FitKDE(data, KDEOptions{Bandwidth: 0.3})
	fitted, err := FitGMM(data, GMMOptions{Components: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		e    Estimator
	}{{"gmm", truth(t)}, {"gmm3d", g3d}, {"fitted", fitted}, {"kde scott", kde}, {"kde iso", kdeIso},
		{"clipped", Clipped{E: truth(t), Min: 1e-5}}}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		d := c.e.Dim()
		const n, h = 20, 1e-5
		x := mat.NewDense(n, d, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				x.Set(i, j, rng.Float64()*4-2)
			}
		}
		grad, score := mat.NewDense(n, d, nil), mat.NewDense(n, d, nil)
		if err := c.e.Grad(grad, x); err != nil {
			t.Fatal(err)
		}
		if err := c.e.Score(score, x); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < d; j++ {
			xp, xm := mat.DenseCopyOf(x), mat.DenseCopyOf(x)
			for i := 0; i < n; i++ {
				xp.Set(i, j, x.At(i, j)+h)
				xm.Set(i, j, x.At(i, j)-h)
			}
			rp, rm, lp, lm := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			c.e.Density(rp, xp)
			c.e.Density(rm, xm)
			c.e.LogDensity(lp, xp)
			c.e.LogDensity(lm, xm)
			for i := 0; i < n; i++ {
				fdG := (rp[i] - rm[i]) / (2 * h)
				fdS := (lp[i] - lm[i]) / (2 * h)
				if math.Abs(fdG-grad.At(i, j)) > 1e-6*(1+math.Abs(fdG)) || math.Abs(fdS-score.At(i, j)) > 1e-5*(1+math.Abs(fdS)) {
					t.Errorf("%s point %d dim %d: ∇ρ %v vs fd %v, score %v vs fd %v", c.name, i, j, grad.At(i, j), fdG, score.At(i, j), fdS)
				}
			}
		}
	}
}

func TestKDE(t *testing.T) {
	x := truth(t).Sample(400, 5)
	for _, opt := range []KDEOptions{{Rule: Scott}, {Rule: Silverman}, {Bandwidth: 0.2}} {
		k, err := FitKDE(x, opt)
		if err != nil {
			t.Fatal(err)
		}
		// integrate on a grid over [−8, 8]²
		const m, lo, hi = 321, -8.0, 8.0
		step := (hi - lo) / (m - 1)
		g := mat.NewDense(m*m, 2, nil)
		for a := 0; a < m; a++ {
			for b := 0; b < m; b++ {
				g.Set(a*m+b, 0, lo+float64(a)*step)
				g.Set(a*m+b, 1, lo+float64(b)*step)
			}
		}
		rho := make([]float64, m*m)
		if err := k.Density(rho, g); err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, v := range rho {
			s += v
		}
		if s *= step * step; math.Abs(s-1) > 1e-3 {
			t.Errorf("%+v: integral %v", opt, s)
		}
	}
	// Scott's factor on the data covariance, as scipy.stats.gaussian_kde:
	// for 1-D data {0, 1, 2, 3}: var = 5/3, factor 4^(−1/5).
	k, _ := FitKDE(mat.NewDense(4, 1, []float64{0, 1, 2, 3}), KDEOptions{})
	if h := k.KernelCov().At(0, 0); !near(h, 5.0/3*math.Pow(4, -0.4), 1e-14) {
		t.Errorf("Scott kernel variance %v", h)
	}
	// Direct sum reference at one point.
	rho := make([]float64, 1)
	k.Density(rho, mat.NewDense(1, 1, []float64{1.3}))
	h := k.KernelCov().At(0, 0)
	want := 0.0
	for _, xi := range []float64{0, 1, 2, 3} {
		want += 0.25 * math.Exp(-0.5*(1.3-xi)*(1.3-xi)/h) / math.Sqrt(2*math.Pi*h)
	}
	if !near(rho[0], want, 1e-13) {
		t.Errorf("KDE density %v, want %v", rho[0], want)
	}
}

func TestEntropyKL(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 20000
	// Gaussian with covariance A Aᵀ, A = [[1, 0], [0.5, 1.2]].
	g := mat.NewDense(n, 2, nil)
	u := mat.NewDense(n, 2, nil)
	c3 := mat.NewDense(n, 3, nil)
	for i := 0; i < n; i++ {
		z0, z1 := rng.NormFloat64(), rng.NormFloat64()
		g.Set(i, 0, z0)
		g.Set(i, 1, 0.5*z0+1.2*z1)
		u.Set(i, 0, 2*rng.Float64())
		u.Set(i, 1, 0.5*rng.Float64())
		for j := 0; j < 3; j++ {
			c3.Set(i, j, 0.7*rng.NormFloat64())
		}
	}
	detA := 1.2
	cases := []struct {
		name string
		x    *mat.Dense
		k    int
		want float64
		tol  float64
	}{
		{"gauss2d k1", g, 1, math.Log(2*math.Pi*math.E) + math.Log(detA), 0.03},
		{"gauss2d k3", g, 3, math.Log(2*math.Pi*math.E) + math.Log(detA), 0.03},
		{"uniform 2x0.5", u, 1, math.Log(1.0), 0.03},
		{"gauss3d", c3, 1, 1.5*math.Log(2*math.Pi*math.E) + 3*math.Log(0.7), 0.05},
	}
	for _, c := range cases {
		h, err := EntropyKL(c.x, c.k)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: H = %.4f, closed form %.4f", c.name, h, c.want)
		if math.Abs(h-c.want) > c.tol {
			t.Errorf("%s: H = %v, want %v ± %v", c.name, h, c.want, c.tol)
		}
	}
	if _, err := EntropyKL(mat.NewDense(3, 1, []float64{1, 1, 2}), 1); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicates: %v", err)
	}
}

// TestKDTree compares k-th neighbour distances with brute force.
func TestKDTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, d := range []int{1, 2, 5} {
		x := mat.NewDense(700, d, nil)
		for i := 0; i < 700; i++ {
			for j := 0; j < d; j++ {
				x.Set(i, j, math.Round(rng.NormFloat64()*20)/10) // ties on purpose
			}
		}
		tr := newKDTree(x)
		for _, k := range []int{1, 4} {
			best := make([]float64, k)
			for i := 0; i < 700; i++ {
				var ds []float64
				for j := 0; j < 700; j++ {
					if j != i {
						ds = append(ds, sqDist(x.RawRowView(i), x.RawRowView(j)))
					}
				}
				sort.Float64s(ds)
				if got := tr.kth(i, best); got != ds[k-1] {
					t.Fatalf("d=%d k=%d point %d: %v, want %v", d, k, i, got, ds[k-1])
				}
			}
		}
	}
}

func TestDeterminism(t *testing.T) {
	x := truth(t).Sample(20000, 9)
	fit := func(procs int) (*GMM, []float64, float64) {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		g, err := FitGMM(x, GMMOptions{Components: 5, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		s := mat.NewDense(20000, 2, nil)
		g.Score(s, x)
		h, _ := EntropyKL(x, 1)
		return g, s.RawMatrix().Data, h
	}
	g1, s1, h1 := fit(1)
	g2, s2, h2 := fit(2)
	g3, s3, h3 := fit(3)
	for _, p := range []struct {
		g *GMM
		s []float64
		h float64
	}{{g2, s2, h2}, {g3, s3, h3}} {
		if !slices.Equal(g1.Weights, p.g.Weights) || !mat.Equal(g1.Means, p.g.Means) || g1.LowerBound != p.g.LowerBound ||
			!slices.Equal(s1, p.s) || h1 != p.h {
			t.Fatal("results depend on GOMAXPROCS")
		}
		for l := range g1.Covs {
			if !mat.Equal(g1.Covs[l], p.g.Covs[l]) {
				t.Fatal("covariances depend on GOMAXPROCS")
			}
		}
	}
	g4, _ := FitGMM(x, GMMOptions{Components: 5, Seed: 43})
	if slices.Equal(g1.Weights, g4.Weights) {
		t.Error("different seeds gave identical fits")
	}
}

func TestErrors(t *testing.T) {
	x := truth(t).Sample(50, 1)
	nan := mat.DenseCopyOf(x)
	nan.Set(3, 1, math.NaN())
	same := mat.NewDense(10, 2, nil)
	for i := 0; i < 10; i++ {
		same.SetRow(i, []float64{1, float64(i % 2)})
	}
	line := mat.NewDense(10, 2, nil)
	for i := 0; i < 10; i++ {
		line.SetRow(i, []float64{float64(i), 2 * float64(i)})
	}
	g := truth(t)
	cases := []struct {
		name string
		err  error
		msg  string
	}{
		{"n<k", func() error {
			_, err := FitGMM(mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 6}), GMMOptions{Components: 5})
			return err
		}(), "need at least 5"},
		{"k=0", func() error { _, err := FitGMM(x, GMMOptions{}); return err }(), "components"},
		{"nan", func() error { _, err := FitGMM(nan, GMMOptions{Components: 2}); return err }(), "point 3 coordinate 1 is NaN"},
		{"distinct", func() error { _, err := FitGMM(same, GMMOptions{Components: 3}); return err }(), "only 2 distinct"},
		{"negreg", func() error { _, err := FitGMM(x, GMMOptions{Components: 2, RegCovar: -1}); return err }(), "invalid options"},
		{"eval dim", g.Density(make([]float64, 2), mat.NewDense(2, 3, nil)), "dimension 3"},
		{"eval dst", g.Density(make([]float64, 1), mat.NewDense(2, 2, nil)), "1 entries for 2"},
		{"eval grad dst", g.Grad(mat.NewDense(2, 1, nil), mat.NewDense(2, 2, nil)), "want 2×2"},
		{"kde singular", func() error { _, err := FitKDE(line, KDEOptions{}); return err }(), "singular"},
		{"kde weights", func() error { _, err := FitKDE(x, KDEOptions{Weights: []float64{1}}); return err }(), "1 weights for 50"},
		{"kde bandwidth", func() error { _, err := FitKDE(x, KDEOptions{Bandwidth: -1}); return err }(), "bandwidth"},
		{"cov", func() error {
			_, err := NewGMM([]float64{1}, mat.NewDense(1, 2, nil), []*mat.SymDense{mat.NewSymDense(2, []float64{1, 1, 1, 1})})
			return err
		}(), "not positive definite"},
		{"entropy k", func() error { _, err := EntropyKL(x, -1); return err }(), "k = -1"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.msg) {
			t.Errorf("%s: got %v, want %q", c.name, c.err, c.msg)
		}
	}
}

func TestClippedAndPrune(t *testing.T) {
	g, _ := NewGMM([]float64{0.5, 0.5}, mat.NewDense(2, 1, []float64{0, 10}),
		[]*mat.SymDense{mat.NewSymDense(1, []float64{1}), mat.NewSymDense(1, []float64{1e-5})})
	p, err := g.Prune(1e-4)
	if err != nil || p.Components() != 1 || p.Weights[0] != 1 {
		t.Fatalf("prune: %v %v", p, err)
	}
	c := Clipped{E: p, Min: 1e-5}
	x := mat.NewDense(2, 1, []float64{0, 6})
	rho, grad := make([]float64, 2), mat.NewDense(2, 1, nil)
	c.Density(rho, x)
	c.Grad(grad, x)
	if !near(rho[0], 1/math.Sqrt(2*math.Pi), 1e-15) || rho[1] != 1e-5 || grad.At(1, 0) != 0 {
		t.Errorf("clipped: ρ %v ∇ρ %v", rho, grad.RawMatrix().Data)
	}
	if _, err := g.Prune(1); err == nil {
		t.Error("pruning every component accepted")
	}
	// The reference recipe runs end to end.
	e, err := JKOnetStarDensity(truth(t).Sample(1000, 2), 0)
	if err != nil || e.Dim() != 2 {
		t.Fatal(err)
	}
}

// TestReferenceDensityUnits: the reference recipe works in any units. With
// its absolute determinant threshold (1e-4), data rescaled by 0.05 failed
// with "no component has covariance determinant > 0.0001".
func TestReferenceDensityUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const n = 800
	x := mat.NewDense(n, 2, nil)
	for i := 0; i < n; i++ {
		x.Set(i, 0, -4+8*rng.Float64())
		x.Set(i, 1, rng.NormFloat64())
	}
	const c = 0.05
	xs := mat.DenseCopyOf(x)
	xs.Scale(c, xs)
	ref, err := JKOnetStarDensity(x, 1)
	if err != nil {
		t.Fatal(err)
	}
	small, err := JKOnetStarDensity(xs, 1)
	if err != nil {
		t.Fatalf("data in units 20× smaller: %v", err)
	}
	r1, r2 := make([]float64, n), make([]float64, n)
	if err := ref.Density(r1, x); err != nil {
		t.Fatal(err)
	}
	if err := small.Density(r2, xs); err != nil {
		t.Fatal(err)
	}
	// A density in units c times smaller is 1/c² larger in 2-D.
	for i := 0; i < n; i++ {
		if got := r2[i] * c * c; math.Abs(got-r1[i]) > 0.02*r1[i] {
			t.Fatalf("point %d: ρ = %g in small units (×c² = %g), %g in the original", i, r2[i], got, r1[i])
		}
	}
	md, fl := ReferenceThresholds(x)
	mds, fls := ReferenceThresholds(xs)
	if math.Abs(mds/(md*c*c*c*c)-1) > 1e-9 || math.Abs(fls*c*c/fl-1) > 1e-9 {
		t.Errorf("thresholds %g, %g; in small units %g, %g", md, fl, mds, fls)
	}
}
