package compile

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jko-org/jko/internal/eval"
)

// gaussModels compiles the spec twice: with the Gaussian bumps taken out of
// the pair sums and, under PairLoop, without.
func gaussModels(t *testing.T, src string) (fast, loop *Model) {
	t.Helper()
	compileIt := func() *Model {
		s, err := LoadString("g.jko", src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Instantiate(2)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fast = compileIt()
	PairLoop = true
	defer func() { PairLoop = false }()
	loop = compileIt()
	if len(loop.gauss) != 0 {
		t.Fatal("Gaussian terms split under PairLoop")
	}
	return fast, loop
}

// The drift, features, VJPs, pair sums and values of interaction energies
// with Gaussian bumps equal the pair loop's: exactly (to rounding) when the
// sums over the bumps are over the pairs too (gaussTol = 0), and to the
// stated tolerance through the lattice; the features reproduce the drift.
func TestGaussBumpsMatchPairLoop(t *testing.T) {
	for _, tc := range []struct {
		name, u string
		terms   int
		only    bool
	}{
		{"paper_linear", "dot(w, monomials(z, 4)) + dot(v, bumps(z, grid(-4, 4, 10), 0.5))", 1, false},
		{"bumps only", "dot(bumps(z, grid(-2, 3, 4), 0.8), v)", 1, true},
		{"bumps and a log", "dot(v, bumps(z, grid(-4, 4, 6), 1.5)) - c*log(1 + norm2(z))", 1, false},
		{"subtracted bumps", "c*norm2(z) - dot(v, bumps(z, grid(-1, 1, 2), 0.3))", 1, false},
		{"halved bumps stay in the pair loop", "dot(v, bumps(z, grid(-4, 4, 3), 0.5)/2)", 0, false},
	} {
		src := "param v[*]\npotential V(x) = norm2(x)\ninteraction U(z) = " + tc.u + "\n"
		if strings.Contains(tc.u, "c*") {
			src = "param c = 0.7\n" + src
		}
		if strings.Contains(tc.u, "w,") {
			src = "param w[*]\n" + src
		}
		fast, loop := gaussModels(t, src)
		if len(fast.gauss) != tc.terms || fast.gaussOnly != tc.only {
			t.Fatalf("%s: %d Gaussian terms (only %v), want %d (%v)", tc.name, len(fast.gauss), fast.gaussOnly, tc.terms, tc.only)
		}
		r := rand.New(rand.NewPCG(9, 9))
		theta := fast.InitTheta(1)
		for i := range theta {
			theta[i] = r.NormFloat64()
		}
		const ny, d = 200, 2
		ys := make([]float64, ny*d)
		for i := range ys {
			ys[i] = 8*r.Float64() - 4
		}
		out := make([]float64, 20*d)
		for i := range out {
			out[i] = 6 * r.NormFloat64()
		}
		for _, xs := range []struct {
			name string
			x    []float64
		}{{"inside", ys[:30*d]}, {"outside", out}} {
			n := len(xs.x) / d
			for _, g := range fast.gauss {
				if !eval.NewGaussSum(ys, ny, d, g.s, gaussTol, math.MaxInt32).Lattice() {
					t.Fatalf("%s %s: no lattice", tc.name, xs.name)
				}
			}
			gaussLattice = true
			seed := make([]float64, n*d)
			for i := range seed {
				seed[i] = r.NormFloat64()
			}
			got := gaussResults(fast, xs.x, n, ys, ny, theta, seed)
			want := gaussResults(loop, xs.x, n, ys, ny, theta, seed)
			defer func(v float64) { gaussTol = v }(gaussTol)
			gaussTol, gaussLattice = 0, false
			exact := gaussResults(fast, xs.x, n, ys, ny, theta, seed)
			gaussTol = 1e-9
			for i, w := range want {
				compareVec(t, tc.name+" "+xs.name+" exact "+gaussNames[i], exact[i], w, 1e-12)
				compareVec(t, tc.name+" "+xs.name+" lattice "+gaussNames[i], got[i], w, 1e-8)
			}
			// The features reproduce the drift: F θ + c.
			P := fast.NumParams
			F, c, grad := got[1], got[2], got[0]
			for i := 0; i < n*d; i++ {
				s := c[i]
				for j := range P {
					s += F[i*P+j] * theta[j]
				}
				if math.Abs(s-grad[i]) > 1e-10*(1+math.Abs(grad[i])) {
					t.Fatalf("%s %s: F θ + c = %g, drift %g", tc.name, xs.name, s, grad[i])
				}
			}
		}
	}
}

var gaussNames = []string{"drift", "features", "features c", "vjp", "pair sum", "pair vjp", "value"}

// gaussResults evaluates every interaction sum of m.
func gaussResults(m *Model, x []float64, n int, ys []float64, ny int, theta, seed []float64) [][]float64 {
	d, P := m.Dim, m.NumParams
	grad := make([]float64, n*d)
	m.InteractionGrad(grad, x, n, ys, ny, theta)
	F, c := make([]float64, n*d*P), make([]float64, n*d)
	m.InteractionFeatures(F, c, x, n, ys, ny)
	vjp := make([]float64, P)
	m.InteractionVJP(vjp, x, seed, n, ys, ny, theta)
	psum := m.InteractionPairSum(x, n, ys, ny, theta)
	pvjp := make([]float64, P)
	m.InteractionPairVJP(pvjp, x, n, ys, ny, theta)
	val := make([]float64, n)
	m.InteractionValue(val, x, n, theta)
	return [][]float64{grad, F, c, vjp, {psum}, pvjp, val}
}

// compareVec fails when some entry of got differs from want by more than
// tol times the largest |want| (or tol when want is all zero).
func compareVec(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	scale = math.Max(scale, 1e-300)
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*scale {
			t.Errorf("%s[%d] = %.17g, pair loop %.17g (scale %.3g)", what, i, got[i], want[i], scale)
			return
		}
	}
}

// A row's Gaussian sums do not depend on what was asked before (the memo)
// or on how many rows are asked with it: bit for bit, with repeated rows,
// rows seen before and rows all new (evaluated in place).
func TestGaussMemo(t *testing.T) {
	src := "param v[*]\nparam w[*]\npotential V(x) = norm2(x)\ninteraction U(z) = dot(w, monomials(z, 2)) + dot(v, bumps(z, grid(-4, 4, 5), 0.5))\n"
	load := func() *Model {
		s, err := LoadString("g.jko", src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Instantiate(2)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	r := rand.New(rand.NewPCG(4, 4))
	const ny, d = 3000, 2
	ys := make([]float64, ny*d)
	for i := range ys {
		ys[i] = 8*r.Float64() - 4
	}
	x := append(append([]float64(nil), ys[:100*d]...), ys[40*d:60*d]...) // rows 40..59 twice
	n := len(x) / d
	used, fresh := load(), load()
	P := used.NumParams
	F0, c0 := make([]float64, 50*d*P), make([]float64, 50*d)
	used.InteractionFeatures(F0, c0, x, 50, ys, ny)
	got, want := make([]float64, n*d*P), make([]float64, n*d*P)
	c := make([]float64, n*d)
	used.InteractionFeatures(got, c, x, n, ys, ny)
	fresh.InteractionFeatures(want, c, x, n, ys, ny)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("F[%d] = %.17g after other rows, %.17g fresh", i, got[i], want[i])
		}
	}
	// The first call's rows, all new and distinct, were evaluated in
	// place: the same as among repeated rows.
	for i := range F0 {
		if F0[i] != want[i] {
			t.Fatalf("F[%d] = %.17g in place, %.17g among repeated rows", i, F0[i], want[i])
		}
	}
	if len(used.gmemo.clouds) != 1 || len(used.gmemo.clouds[0].rows) != 100 || len(used.gmemo.clouds[0].frows) != 100 {
		t.Errorf("memo: %d clouds, want 1 with 100 rows", len(used.gmemo.clouds))
	}
	// The drift from the remembered sums is the features' F θ.
	theta := used.InitTheta(2)
	for i := range theta {
		theta[i] = r.NormFloat64()
	}
	g := make([]float64, n*d)
	used.InteractionGradRemembered(g, x, n, ys, ny, theta)
	for i := range n * d {
		s := c[i]
		for j := range P {
			s += got[i*P+j] * theta[j]
		}
		if math.Abs(s-g[i]) > 1e-10*(1+math.Abs(g[i])) {
			t.Fatalf("F θ + c = %g, drift %g", s, g[i])
		}
	}
	if !used.gmemo.clouds[0].sums[0].Lattice() {
		t.Error("no lattice at N = 3000")
	}
}

// Goroutines sharing a Model's memo (the same cloud, overlapping rows) get
// the results of a model used from one goroutine, bit for bit (run with
// -race in CI).
func TestGaussMemoConcurrent(t *testing.T) {
	src := "param v[*]\nparam w[*]\npotential V(x) = norm2(x)\ninteraction U(z) = dot(w, monomials(z, 2)) + dot(v, bumps(z, grid(-4, 4, 4), 0.5))\n"
	load := func() *Model {
		s, err := LoadString("g.jko", src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Instantiate(2)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	r := rand.New(rand.NewPCG(6, 6))
	const ny, d = 2000, 2
	ys := make([]float64, ny*d)
	for i := range ys {
		ys[i] = 8*r.Float64() - 4
	}
	shared, alone := load(), load()
	P := shared.NumParams
	theta := shared.InitTheta(1)
	for i := range theta {
		theta[i] = r.NormFloat64()
	}
	const jobs, n = 6, 120
	type res struct{ F, g []float64 }
	run := func(m *Model, j int) res {
		x := ys[j*40*d : (j*40+n)*d] // overlapping windows
		F, c, g := make([]float64, n*d*P), make([]float64, n*d), make([]float64, n*d)
		if j%2 == 0 {
			m.InteractionFeatures(F, c, x, n, ys, ny)
			m.InteractionGrad(g, x, n, ys, ny, theta)
		} else {
			m.InteractionGrad(g, x, n, ys, ny, theta)
			m.InteractionFeatures(F, c, x, n, ys, ny)
		}
		return res{F, g}
	}
	got := make([]res, jobs)
	var wg sync.WaitGroup
	for j := range jobs {
		wg.Add(1)
		go func() { defer wg.Done(); got[j] = run(shared, j) }()
	}
	wg.Wait()
	for j := range jobs {
		want := run(alone, j)
		if !slices.Equal(got[j].F, want.F) || !slices.Equal(got[j].g, want.g) {
			t.Errorf("job %d: concurrent results differ from sequential ones", j)
		}
	}
}

// The drift of Gaussian bumps through the contracted sum (one weighted
// Gauss sum over the ny·M shifted sources, gaussDrift) equals the pair
// loop's to the stated bound, gaussTol·max|g′|·Σ_m|w_m|·ny/count_i per
// row (with self-pairs: rows of the cloud, one of them twice), in the
// paper_linear interaction with its 100 bumps; the same on 1 and 2 cores,
// bit for bit.
func TestGaussDriftContracted(t *testing.T) {
	const s = 0.5
	src := "param w[*]\nparam v[*]\npotential V(x) = norm2(x)\ninteraction U(z) = dot(w, monomials(z, 4)) + dot(v, bumps(z, grid(-4, 4, 10), 0.5))\n"
	fast, loop := gaussModels(t, src)
	if len(fast.gauss) != 1 || fast.gauss[0].m != 100 {
		t.Fatalf("%d Gaussian terms", len(fast.gauss))
	}
	r := rand.New(rand.NewPCG(12, 12))
	theta := fast.InitTheta(1)
	for i := range theta {
		theta[i] = r.NormFloat64()
	}
	v := theta[fast.Params[fast.gauss[0].block].Offset:][:100]
	v[7], v[50] = 0, 0 // zero weights
	sumAbs := 0.0
	for _, wm := range v {
		sumAbs += math.Abs(wm)
	}
	const ny, d = 1000, 2
	ys := make([]float64, ny*d)
	for i := range ys {
		ys[i] = 3 * r.NormFloat64()
	}
	copy(ys[10*d:11*d], ys[:d]) // row 0 twice in the cloud
	x := make([]float64, 0, 150*d)
	x = append(x, ys[:100*d]...)
	for range 50 * d {
		x = append(x, 6*r.NormFloat64()) // some far from the cloud
	}
	n := len(x) / d
	want := make([]float64, n*d)
	loop.InteractionGrad(want, x, n, ys, ny, theta)
	drift := func(procs int) []float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		g := make([]float64, n*d)
		fast.InteractionGrad(g, x, n, ys, ny, theta)
		return g
	}
	gaussLattice = true // the lattice whatever its cost for 150 rows
	defer func() { gaussLattice = false }()
	got := drift(2)
	if one := drift(1); !slices.Equal(one, got) {
		t.Fatal("the drift on 1 core differs from the drift on 2")
	}
	// The same sums over the pairs (gaussTol = 0) differ from the lattice's
	// (it was used) and equal the pair loop's to rounding.
	defer func(v float64) { gaussTol = v }(gaussTol)
	gaussTol, gaussLattice = 0, false
	exact := drift(2)
	gaussTol = 1e-9
	compareVec(t, "pairs", exact, want, 1e-12)
	if slices.Equal(exact, got) {
		t.Error("the lattice's drift equals the pairs' exactly: not exercised")
	}
	self := selfCounts(x, n, ys, ny, d)
	if self[0] != 2 || self[1] != 1 || self[120] != 0 {
		t.Fatalf("self counts %v", self[:3])
	}
	gmax := math.Sqrt(2/s) * math.Exp(-0.5)
	// The bound is the lattice's, plus rounding.
	worst := 0.0
	for i := range n {
		bound := gaussTol*gmax*sumAbs*ny/float64(ny-self[i]) + 1e-13*(1+math.Abs(want[i*d])+math.Abs(want[i*d+1]))
		for k := range d {
			e := math.Abs(got[i*d+k] - want[i*d+k])
			worst = math.Max(worst, e/bound)
			if e > bound {
				t.Errorf("row %d: drift %.17g, pair loop %.17g, bound %.3g", i, got[i*d+k], want[i*d+k], bound)
			}
		}
	}
	t.Logf("worst error / bound: %.3g", worst)
	// The remembered sums (bump by bump) to the same bound.
	rem := make([]float64, n*d)
	fast.InteractionGradRemembered(rem, x, n, ys, ny, theta)
	for i := range n {
		bound := gaussTol*gmax*sumAbs*ny/float64(ny-self[i]) + 1e-13*(1+math.Abs(want[i*d])+math.Abs(want[i*d+1]))
		for k := range d {
			if e := math.Abs(rem[i*d+k] - want[i*d+k]); e > bound {
				t.Errorf("row %d: remembered drift %.17g, pair loop %.17g, bound %.3g", i, rem[i*d+k], want[i*d+k], bound)
			}
		}
	}
}

// The features of bumps on a grid go through the shared stencils
// (eval.TensorShifts): the same as target by target, bit for bit, on the
// lattice, for paper_linear's 10×10 grid and a coarse one; centres that
// are not a grid stay target by target.
func TestGaussGridFeaturesMatchTargets(t *testing.T) {
	defer func(v bool) { gaussLattice = v }(gaussLattice)
	gaussLattice = true
	for _, tc := range []struct {
		name, u string
		grid    bool
	}{
		{"paper_linear", "dot(w, monomials(z, 4)) + dot(v, bumps(z, grid(-4, 4, 10), 0.5))", true},
		{"coarse", "dot(v, bumps(z, grid(-2, 3, 3), 0.8))", true},
		{"not a grid", "dot(v, bumps(z, [[0, 0], [1, 0.5], [-1, 2]], 0.6))", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "param v[*]\ninteraction U(z) = " + tc.u + "\n"
			if strings.Contains(tc.u, "w,") {
				src = "param w[*]\n" + src
			}
			grid, _ := gaussModels(t, src)
			plain, _ := gaussModels(t, src)
			if len(grid.gauss) != 1 || (grid.gauss[0].grid != nil) != tc.grid {
				t.Fatalf("%d Gaussian terms, grid %v: want 1, %v", len(grid.gauss), grid.gauss[0].grid != nil, tc.grid)
			}
			plain.gauss[0].grid = nil
			r := rand.New(rand.NewPCG(5, 1))
			const ny, n, d = 300, 70, 2
			ys := make([]float64, ny*d)
			for i := range ys {
				ys[i] = 3 * r.NormFloat64()
			}
			x := append([]float64(nil), ys[:20*d]...) // rows on sources
			for range (n - 20) * d {
				x = append(x, 4*r.NormFloat64())
			}
			P := grid.NumParams
			Fg, cg := make([]float64, n*d*P), make([]float64, n*d)
			Fp, cp := make([]float64, n*d*P), make([]float64, n*d)
			grid.InteractionFeatures(Fg, cg, x, n, ys, ny)
			plain.InteractionFeatures(Fp, cp, x, n, ys, ny)
			nonzero := 0
			for i := range Fg {
				if math.Float64bits(Fg[i]) != math.Float64bits(Fp[i]) {
					t.Fatalf("F[%d] = %.17g through the grid, %.17g target by target", i, Fg[i], Fp[i])
				}
				if Fg[i] != 0 {
					nonzero++
				}
			}
			if !slices.Equal(cg, cp) || nonzero < len(Fg)/4 {
				t.Fatalf("c differs, or only %d of %d features nonzero", nonzero, len(Fg))
			}
		})
	}
}

// spatialOrder returns a permutation of the rows that keeps neighbours
// together: on random points in a square, consecutive rows lie far closer
// than in the given order.
func TestSpatialOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	const n, d = 5000, 2
	x := make([]float64, n*d)
	for i := range x {
		x[i] = 8 * r.Float64()
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	got := spatialOrder(x, d, rows)
	if !slices.Equal(slices.Sorted(slices.Values(got)), rows) {
		t.Fatal("not a permutation of the rows")
	}
	step := func(order []int) float64 {
		s := 0.0
		for q := 1; q < len(order); q++ {
			a, b := order[q-1], order[q]
			s += math.Hypot(x[a*d]-x[b*d], x[a*d+1]-x[b*d+1])
		}
		return s / float64(len(order)-1)
	}
	if before, after := step(rows), step(got); !(after < before/10) {
		t.Errorf("mean step between consecutive rows %.3g after, %.3g before", after, before)
	}
	if one := spatialOrder(x[:d], d, []int{0}); !slices.Equal(one, []int{0}) {
		t.Errorf("one row: %v", one)
	}
}
