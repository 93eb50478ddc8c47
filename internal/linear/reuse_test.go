package linear

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// exactRidge solves the ridge problem of the sums n over the unknowns
// free (the others held at 0) in rational arithmetic: (G_FF + r·diag(G_FF))
// θ_F = (AᵀWb)_F, G = AᵀWA, with the float64 sums taken as exact.
func exactRidge(n *Normal, r float64, free []int) []float64 {
	a := n.symmetric()
	p, q := n.P, len(free)
	rat := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	g := make([][]*big.Rat, q)
	for fi, i := range free {
		g[fi] = make([]*big.Rat, q+1)
		for fj, j := range free {
			g[fi][fj] = rat(a[i*p+j])
			if i == j {
				g[fi][fj].Add(g[fi][fj], new(big.Rat).Mul(rat(r), rat(a[i*p+i])))
			}
		}
		g[fi][q] = rat(n.Atb[i])
	}
	t := new(big.Rat)
	for k := 0; k < q; k++ {
		for i := k + 1; i < q; i++ {
			f := new(big.Rat).Quo(g[i][k], g[k][k])
			for j := k; j <= q; j++ {
				g[i][j].Sub(g[i][j], t.Mul(f, g[k][j]))
			}
		}
	}
	x := make([]*big.Rat, q)
	for i := q - 1; i >= 0; i-- {
		s := new(big.Rat).Set(g[i][q])
		for j := i + 1; j < q; j++ {
			s.Sub(s, t.Mul(g[i][j], x[j]))
		}
		x[i] = s.Quo(s, g[i][i])
	}
	out := make([]float64, p)
	for fi, i := range free {
		out[i], _ = x[fi].Float64()
	}
	return out
}

// stackedSolve is SolveBox's former solve of a working set: the least
// squares problem [R_F; √r I] u = [c; 0] by the singular value
// decomposition of the stacked matrix, without refinement.
func stackedSolve(f *Factored, r float64, free []int) []float64 {
	k, _ := f.r.Dims()
	q := len(free)
	a := mat.NewDense(k+q, q, nil)
	rhs := make([]float64, k+q)
	copy(rhs, f.c)
	for fi, j := range free {
		for row := 0; row < k; row++ {
			a.Set(row, fi, f.r.At(row, j))
		}
		a.Set(k+fi, fi, math.Sqrt(r))
	}
	var svd mat.SVD
	svd.Factorize(a, mat.SVDThin)
	sv := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	out := make([]float64, f.p)
	for k2 := 0; k2 < q; k2++ {
		s := 0.0
		for i := 0; i < k+q; i++ {
			s += u.At(i, k2) * rhs[i]
		}
		s /= sv[k2]
		for fi, j := range free {
			out[j] += v.At(fi, k2) * s * f.scale[j]
		}
	}
	return out
}

// TestSolveBoxHeldAccurate: a working set with an unknown held (as the β
// estimator's refits hold β at 0, its feature zero on the data) is solved
// through the free block's decomposition to the accuracy the ridged
// normal equations allow (relative error ≤ 2·cond·1e-15 in norm, cond
// that of the ridged, scaled system), against the exact rational
// solution of the same float64 sums, on a monomial design whose
// condition grows as the ridge shrinks; and at least as accurately as
// the stacked solve it replaced.
func TestSolveBoxHeldAccurate(t *testing.T) {
	const m, p, held = 300, 12, 5
	a := make([]float64, m*p)
	b := make([]float64, m)
	w := make([]float64, m)
	for row := 0; row < m; row++ {
		x := 1 + 0.75*float64(row)/(m-1)
		v := 1.0
		for j := 0; j < p; j++ {
			a[row*p+j] = v
			b[row] += v * float64(j+1)
			v *= x
		}
		b[row] += math.Ldexp(1, -20) * float64(1-2*(row%2))
		a[row*p+held] = 0
		w[row] = 1
	}
	n := NewNormal(p)
	n.AddRows(a, b, w)
	var free []int
	lo := make([]float64, p)
	hi := make([]float64, p)
	for j := range lo {
		lo[j], hi[j] = math.Inf(-1), math.Inf(1)
		if j != held {
			free = append(free, j)
		}
	}
	lo[held], hi[held] = 0, 0
	f, err := n.Factor()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []float64{math.Ldexp(1, -30), math.Ldexp(1, -20), math.Ldexp(1, -10)} {
		want := exactRidge(n, r, free)
		normErr := func(th []float64) float64 {
			d, s := 0.0, 0.0
			for _, j := range free {
				d += (th[j] - want[j]) * (th[j] - want[j])
				s += want[j] * want[j]
			}
			return math.Sqrt(d / s)
		}
		got, where, err := f.SolveBox(Settings{Ridge: r, RankTol: 1e-30}, lo, hi)
		if err != nil {
			t.Fatalf("ridge %g: %v", r, err)
		}
		if got[held] != 0 || where[held] != Lower {
			t.Errorf("ridge %g: the held unknown at %g (%v), want 0", r, got[held], where[held])
		}
		sub, _, err := f.Fix([]int{held}, []float64{0})
		if err != nil {
			t.Fatal(err)
		}
		lmax, lmin := sub.spectrum(r)
		cond := lmax / lmin
		eNew, eOld := normErr(got), normErr(stackedSolve(f, r, free))
		t.Logf("ridge %.3g, condition %.3g: relative error %.3g (the stacked solve: %.3g)", r, cond, eNew, eOld)
		if eNew > 2*cond*1e-15 {
			t.Errorf("ridge %g: relative error %.3g, want ≤ 2·cond·1e-15 = %.3g", r, eNew, 2*cond*1e-15)
		}
		if eNew > eOld {
			t.Errorf("ridge %g: relative error %.3g, above the stacked solve's %.3g", r, eNew, eOld)
		}
	}
}

// sameFactored reports whether two factored problems hold the same
// numbers bit for bit in everything their answers come from.
func sameFactored(t *testing.T, what string, a, b *Factored) {
	t.Helper()
	same := sameBits(a.c, b.c) && sameBits(a.ct, b.ct) && sameBits(a.sigma, b.sigma) && sameBits(a.scale, b.scale) &&
		sameBits(a.h, b.h) && sameBits(a.gs, b.gs) && sameBits(a.r.RawMatrix().Data, b.r.RawMatrix().Data) &&
		sameBits(a.v.RawMatrix().Data, b.v.RawMatrix().Data) &&
		sameBits([]float64{a.tail, a.rtail, a.btb, a.bsum, a.w}, []float64{b.tail, b.rtail, b.btb, b.bsum, b.w})
	if !same || a.rows != b.rows || a.p != b.p {
		t.Errorf("%s: not the same bits as the fresh factorisation", what)
	}
}

// TestFactorReusing: problems that share AᵀWA and differ in the targets
// (rows equal, targets and therefore AᵀWb, bᵀWb different), factored
// reusing the first one's decomposition, give the same bits as factored
// afresh, and so do their held blocks (Fix) and bounded solves, whichever
// order they come in; sums with a different AᵀWA are factored afresh.
func TestFactorReusing(t *testing.T) {
	const m, p = 200, 9
	a, b0, w := randomRows(7, m, p)
	for r := 0; r < m; r++ {
		a[r*p+4] = 0 // a feature zero on the data
	}
	rng := rand.New(rand.NewPCG(3, 4))
	sums := func(b []float64) *Normal {
		n := NewNormal(p)
		n.AddRows(a, b, w)
		return n
	}
	first, err := sums(b0).Factor()
	if err != nil {
		t.Fatal(err)
	}
	lo := make([]float64, p)
	hi := make([]float64, p)
	for j := range lo {
		lo[j], hi[j] = math.Inf(-1), math.Inf(1)
	}
	lo[4], hi[4] = 0, 0
	lo[2], hi[2] = -0.1, 0.1 // binds for some targets
	prev := first
	for trial := 0; trial < 4; trial++ {
		b := make([]float64, m)
		for i := range b {
			b[i] = b0[i] + rng.NormFloat64()
		}
		n := sums(b)
		fresh, err := n.Factor()
		if err != nil {
			t.Fatal(err)
		}
		reused, err := n.FactorReusing(prev)
		if err != nil {
			t.Fatal(err)
		}
		if reused.sh != first.sh {
			t.Errorf("trial %d: the decomposition was not reused", trial)
		}
		sameFactored(t, "FactorReusing", fresh, reused)
		for _, fixed := range [][]int{{4}, {2, 4}, {0, 4, 8}} {
			vals := make([]float64, len(fixed))
			for i := range vals {
				vals[i] = rng.NormFloat64()
			}
			sf, freeF, err := fresh.Fix(fixed, vals)
			if err != nil {
				t.Fatal(err)
			}
			sr, freeR, err := reused.Fix(fixed, vals)
			if err != nil {
				t.Fatal(err)
			}
			if len(freeF) != len(freeR) {
				t.Fatalf("Fix: free %v and %v", freeF, freeR)
			}
			sameFactored(t, "Fix", sf, sr)
		}
		s := Settings{Ridge: reused.AutoRidge(1)}
		xf, wf, err := fresh.SolveBox(s, lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		xr, wr, err := reused.SolveBox(s, lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(xf, xr) {
			t.Errorf("trial %d: SolveBox %v reusing, %v afresh", trial, xr, xf)
		}
		for j := range wf {
			if wf[j] != wr[j] {
				t.Errorf("trial %d: unknown %d ends %v reusing, %v afresh", trial, j, wr[j], wf[j])
			}
		}
		prev = reused
	}
	// Different rows: a fresh decomposition.
	a[0] += 1
	other, err := sums(b0).FactorReusing(first)
	if err != nil {
		t.Fatal(err)
	}
	if other.sh == first.sh {
		t.Error("sums with a different AᵀWA reused the decomposition")
	}
	fresh, err := sums(b0).Factor()
	if err != nil {
		t.Fatal(err)
	}
	sameFactored(t, "FactorReusing of other sums", fresh, other)
}
