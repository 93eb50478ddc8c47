package linear

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// scaledProblem draws a k×q Gaussian matrix whose columns are scaled
// geometrically from 1 to 1/cond, and a Gaussian right-hand side.
func scaledProblem(rng *rand.Rand, k, q int, cond float64) (*mat.Dense, []float64) {
	a := mat.NewDense(k, q, nil)
	for i := range k {
		for j := range q {
			a.Set(i, j, rng.NormFloat64()*math.Pow(cond, -float64(j)/float64(max(q-1, 1))))
		}
	}
	c := make([]float64, k)
	for i := range c {
		c[i] = rng.NormFloat64()
	}
	return a, c
}

// svdProject agrees with a full SVD (mat.SVD, U formed): the same singular
// values, the same solution V·diag(1/σ)·Uᵀc and the same projector VVᵀ
// (each singular vector is defined up to sign), and the same part of c
// outside U's range, for square and tall, well- and ill-conditioned
// matrices.
func TestSVDProjectMatchesSVD(t *testing.T) {
	for _, tc := range []struct {
		k, q int
		cond float64
	}{{1, 1, 1}, {5, 5, 10}, {7, 4, 1e3}, {40, 40, 1e6}, {60, 33, 1e9}} {
		t.Run(fmt.Sprintf("%dx%d/cond=%g", tc.k, tc.q, tc.cond), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.k), uint64(tc.q)))
			k, q := tc.k, tc.q
			a, c := scaledProblem(rng, k, q, tc.cond)
			var svd mat.SVD
			if !svd.Factorize(a, mat.SVDThin) {
				t.Fatal("mat.SVD failed")
			}
			wantS := svd.Values(nil)
			var u, v mat.Dense
			svd.UTo(&u)
			svd.VTo(&v)
			var utc mat.VecDense
			utc.MulVec(u.T(), mat.NewVecDense(k, append([]float64(nil), c...)))
			wantRest := 0.0
			for _, x := range c {
				wantRest += x * x
			}
			for i := range q {
				wantRest -= utc.AtVec(i) * utc.AtVec(i)
			}

			buf := append([]float64(nil), a.RawMatrix().Data...)
			cc := append([]float64(nil), c...)
			s, gv, ct, rest, ok := svdProject(buf, k, q, cc)
			if !ok {
				t.Fatal("svdProject did not converge")
			}
			for i := range c {
				if cc[i] != c[i] {
					t.Fatal("svdProject changed c")
				}
			}
			for i := range q {
				if math.Abs(s[i]-wantS[i]) > 1e-13*wantS[0] {
					t.Errorf("σ[%d] = %.17g, mat.SVD %.17g", i, s[i], wantS[i])
				}
			}
			// x = V·diag(1/σ)·Uᵀc, over the directions with σ > 1e-12·σ₀.
			solve := func(v *mat.Dense, s, ct []float64) []float64 {
				x := make([]float64, q)
				for j := range q {
					if s[j] <= 1e-12*s[0] {
						continue
					}
					for i := range q {
						x[i] += v.At(i, j) * ct[j] / s[j]
					}
				}
				return x
			}
			got, want := solve(gv, s, ct), solve(&v, wantS, utc.RawVector().Data)
			norm := 0.0
			for _, x := range want {
				norm = math.Max(norm, math.Abs(x))
			}
			for i := range q {
				if math.Abs(got[i]-want[i]) > 1e-9*norm*tc.cond/1e3+1e-12*norm {
					t.Errorf("x[%d] = %.17g, mat.SVD %.17g", i, got[i], want[i])
				}
			}
			// Each singular vector (the values are distinct) up to its sign,
			// with Uᵀc's entry flipping with it.
			for j := range q {
				dot := 0.0
				for i := range q {
					dot += gv.At(i, j) * v.At(i, j)
				}
				if math.Abs(math.Abs(dot)-1) > 1e-8 {
					t.Errorf("v[%d]·v'[%d] = %g, want ±1", j, j, dot)
				}
				if w := utc.AtVec(j) * math.Copysign(1, dot); math.Abs(ct[j]-w) > 1e-10*(1+math.Abs(w)) {
					t.Errorf("(Uᵀc)[%d] = %.17g, mat.SVD %.17g", j, ct[j], w)
				}
			}
			if math.Abs(rest-wantRest) > 1e-10*(1+math.Abs(wantRest)) || rest < 0 {
				t.Errorf("rest %.17g, mat.SVD %.17g", rest, wantRest)
			}
		})
	}
}

// A problem decomposed without U (as above svdKeepU live columns) solves,
// chooses its ridge and reports its standard errors as with U, and Fix
// (which needs U's projection) still works through a new decomposition.
func TestFactorWithoutU(t *testing.T) {
	a, y, w := randomRows(11, 300, 12)
	fit := func() (*Result, *Result, float64) {
		q := NewQR(12)
		q.AddRows(a, y, w)
		f, err := q.Factor()
		if err != nil {
			t.Fatal(err)
		}
		r0, err := f.Solve(Settings{})
		if err != nil {
			t.Fatal(err)
		}
		sub, free, err := f.Fix([]int{3}, []float64{0.25})
		if err != nil || len(free) != 11 {
			t.Fatal(err, free)
		}
		r1, err := sub.Solve(Settings{})
		if err != nil {
			t.Fatal(err)
		}
		return r0, r1, f.rtail
	}
	w0, w1, wt := fit()
	defer func(k int) { svdKeepU = k }(svdKeepU)
	svdKeepU = 0
	g0, g1, gt := fit()
	for _, p := range [][2]*Result{{g0, w0}, {g1, w1}} {
		got, want := p[0], p[1]
		for j := range want.Theta {
			if math.Abs(got.Theta[j]-want.Theta[j]) > 1e-12*(1+math.Abs(want.Theta[j])) {
				t.Errorf("θ[%d] = %.17g, with U %.17g", j, got.Theta[j], want.Theta[j])
			}
			if math.Abs(got.StdErr[j]-want.StdErr[j]) > 1e-10*want.StdErr[j] {
				t.Errorf("SE[%d] = %.17g, with U %.17g", j, got.StdErr[j], want.StdErr[j])
			}
		}
	}
	if math.Abs(gt-wt) > 1e-10*wt {
		t.Errorf("residual tail %.17g, with U %.17g", gt, wt)
	}
}

// The two stages of a decomposition agree: the singular values, Uᵀc and
// the rest of c that values gives (B's iteration carrying c alone) are
// those vectors gives, bit for bit, and both match mat.SVD's (U formed) to
// rounding; V and U are orthonormal and reproduce A = UΣVᵀ.
func TestBidiagStages(t *testing.T) {
	for _, tc := range []struct {
		k, q int
		cond float64
	}{{1, 1, 1}, {6, 6, 10}, {9, 5, 1e3}, {60, 60, 1e6}, {80, 41, 1e9}} {
		t.Run(fmt.Sprintf("%dx%d/cond=%g", tc.k, tc.q, tc.cond), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.q), 5))
			k, q := tc.k, tc.q
			a, c := scaledProblem(rng, k, q, tc.cond)
			bd := newBidiag(append([]float64(nil), a.RawMatrix().Data...), k, q)
			s1, ct1, rest1, ok1 := bd.values(c)
			s2, ct2, rest2, v, u, ok2 := bd.vectors(c, true)
			if !ok1 || !ok2 {
				t.Fatal("no convergence")
			}
			for j := range q {
				if math.Float64bits(s1[j]) != math.Float64bits(s2[j]) || math.Float64bits(ct1[j]) != math.Float64bits(ct2[j]) {
					t.Fatalf("σ[%d], (Uᵀc)[%d]: %.17g, %.17g from the values, %.17g, %.17g with the vectors", j, j, s1[j], ct1[j], s2[j], ct2[j])
				}
			}
			if rest1 != rest2 {
				t.Errorf("rest %.17g from the values, %.17g with the vectors", rest1, rest2)
			}
			var svd mat.SVD
			if !svd.Factorize(a, mat.SVDThin) {
				t.Fatal("mat.SVD failed")
			}
			want := svd.Values(nil)
			for j := range q {
				if math.Abs(s1[j]-want[j]) > 1e-13*want[0] {
					t.Errorf("σ[%d] = %.17g, mat.SVD %.17g", j, s1[j], want[j])
				}
				// Uᵀc from the formed U, column by column.
				utc := 0.0
				for i := range k {
					utc += u.At(i, j) * c[i]
				}
				if math.Abs(ct1[j]-utc) > 1e-13*math.Sqrt(float64(k)) {
					t.Errorf("(Uᵀc)[%d] = %.17g, from U %.17g", j, ct1[j], utc)
				}
			}
			var usv, vs mat.Dense
			vs.Scale(1, v)
			for j := range q {
				for i := range q {
					vs.Set(i, j, v.At(i, j)*s1[j])
				}
			}
			usv.Mul(u, vs.T())
			for i := range k {
				for j := range q {
					if d := math.Abs(usv.At(i, j) - a.At(i, j)); d > 1e-13*want[0] {
						t.Fatalf("UΣVᵀ[%d,%d] − A = %.3g", i, j, d)
					}
				}
			}
		})
	}
}

// A problem from rows forms its singular vectors only when asked: a
// bounded solve with one unknown held at its bound reads the values alone
// and the free block's decomposition; the solution and diagnostics are
// those of the problem whose vectors are formed at once.
func TestFactorVectorsLazy(t *testing.T) {
	a, y, w := randomRows(4, 200, 9)
	factor := func() *Factored {
		q := NewQR(9)
		q.AddRows(a, y, w)
		f, err := q.Factor()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	lo, hi := make([]float64, 9), make([]float64, 9)
	for i := range lo {
		lo[i], hi[i] = math.Inf(-1), math.Inf(1)
	}
	lo[4], hi[4] = 0, 0
	f := factor()
	if f.v != nil || f.lazy == nil {
		t.Fatal("the vectors were formed by Factor")
	}
	r := f.AutoRidge(1)
	th, _, err := f.SolveBox(Settings{Ridge: r}, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	if f.v != nil {
		t.Error("SolveBox with a held unknown formed the whole problem's vectors")
	}
	eager := factor()
	if err := eager.vectors(); err != nil || eager.v == nil {
		t.Fatal("vectors not formed", err)
	}
	if r2 := eager.AutoRidge(1); r2 != r {
		t.Errorf("ridge %g, with the vectors %g", r, r2)
	}
	th2, _, err := eager.SolveBox(Settings{Ridge: r}, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.Solve(Settings{Ridge: r})
	if err != nil {
		t.Fatal(err)
	}
	res2, err := eager.Solve(Settings{Ridge: r})
	if err != nil {
		t.Fatal(err)
	}
	for j := range th {
		if th[j] != th2[j] || res.Theta[j] != res2.Theta[j] || res.StdErr[j] != res2.StdErr[j] {
			t.Errorf("θ[%d] %.17g and %.17g (bounded, free) lazily, %.17g and %.17g formed at once", j, th[j], res.Theta[j], th2[j], res2.Theta[j])
		}
	}
	if th[4] != 0 || res.Rank != 9 {
		t.Errorf("held θ[4] = %g, rank %d", th[4], res.Rank)
	}
}
