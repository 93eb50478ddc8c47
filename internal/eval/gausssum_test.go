package eval

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// The lattice sums of a Gaussian kernel equal the pair sums to the stated
// tolerance: |ΔH| ≤ tol·ny and |Δ∂_k H| ≤ tol·ny·max|g′|, at targets
// inside the cloud, around it and far from it, in 1, 2 and 3 dimensions and
// for wide and narrow kernels.
func TestGaussSumLatticeMatchesPairs(t *testing.T) {
	for _, tc := range []struct {
		d              int
		s, tol, spread float64
		ny             int
	}{
		{1, 0.5, 1e-9, 2, 400},
		{2, 0.5, 1e-9, 2, 700},
		{2, 0.5, 1e-6, 2, 700},
		{2, 3, 1e-10, 2, 500},
		{3, 2, 1e-6, 0.5, 3000},
	} {
		r := rand.New(rand.NewPCG(uint64(tc.d), 7))
		d := tc.d
		ys := make([]float64, tc.ny*d)
		for i := range ys {
			ys[i] = 1 + tc.spread*r.NormFloat64()
		}
		const nt = 400
		tg := make([]float64, nt*d)
		for i := range tg {
			tg[i] = 1 + 2.5*tc.spread*r.NormFloat64()
		}
		copy(tg, ys[:50*d]) // targets on sources
		fast := NewGaussSum(ys, tc.ny, d, tc.s, tc.tol, 1e9)
		if !fast.Lattice() {
			t.Fatalf("d=%d s=%g: no lattice for 1e9 targets", d, tc.s)
		}
		exact := NewGaussSum(ys, tc.ny, d, tc.s, 0, nt)
		if exact.Lattice() {
			t.Fatal("a lattice with tolerance 0")
		}
		hv, hg := make([]float64, nt), make([]float64, nt*d)
		ev, eg := make([]float64, nt), make([]float64, nt*d)
		fast.At(tg, nt, hv, hg)
		exact.At(tg, nt, ev, eg)
		gmax := math.Sqrt(2/tc.s) * math.Exp(-0.5)
		worstV, worstG := 0.0, 0.0
		for i := range nt {
			worstV = math.Max(worstV, math.Abs(hv[i]-ev[i])/float64(tc.ny))
			for k := range d {
				worstG = math.Max(worstG, math.Abs(hg[i*d+k]-eg[i*d+k])/(float64(tc.ny)*gmax))
			}
		}
		if worstV > tc.tol || worstG > tc.tol {
			t.Errorf("d=%d s=%g tol %g: error %.3g in H, %.3g in ∇H (per source)", d, tc.s, tc.tol, worstV, worstG)
		}
		t.Logf("d=%d s=%g tol %g: error per source %.3g in H, %.3g in ∇H", d, tc.s, tc.tol, worstV, worstG)
		if worstV == 0 {
			t.Errorf("d=%d: the lattice equals the pairs exactly: not exercised", d)
		}
	}
}

// The pair sums' gradient is the derivative of their value (central
// differences), and a lone source gives the kernel itself.
func TestGaussSumPairs(t *testing.T) {
	ys := []float64{0.3, -0.2, 1.1, 0.4, -0.7, 0.9}
	gs := NewGaussSum(ys, 3, 2, 0.7, 0, 1)
	x := []float64{0.5, 0.1}
	var v [1]float64
	var g [2]float64
	gs.At(x, 1, v[:], g[:])
	const eps = 1e-6
	for k := range 2 {
		xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
		xp[k] += eps
		xm[k] -= eps
		var vp, vm [1]float64
		gs.At(xp, 1, vp[:], nil)
		gs.At(xm, 1, vm[:], nil)
		fd := (vp[0] - vm[0]) / (2 * eps)
		if math.Abs(fd-g[k]) > 1e-8 {
			t.Errorf("∂_%d H = %.12g, central difference %.12g", k, g[k], fd)
		}
	}
	one := NewGaussSum(ys[:2], 1, 2, 0.7, 0, 1)
	one.At(x, 1, v[:], nil)
	want := math.Exp(-((0.5-0.3)*(0.5-0.3) + (0.1+0.2)*(0.1+0.2)) / 0.7)
	if math.Abs(v[0]-want) > 1e-15 {
		t.Errorf("one source: %.17g, want %.17g", v[0], want)
	}
}

// The lattice does not depend on the number of cores.
func TestGaussSumCores(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	ys := make([]float64, 2000*2)
	for i := range ys {
		ys[i] = 3 * r.NormFloat64()
	}
	tg := ys[:400]
	run := func(procs int) []float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out := make([]float64, 200*3)
		gs := NewGaussSum(ys, 2000, 2, 0.5, 1e-9, 1e9)
		gs.At(tg, 200, out[:200], out[200:])
		return out
	}
	a, b := run(1), run(4)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("entry %d: %.17g on 1 core, %.17g on 4", i, a[i], b[i])
		}
	}
}

// Weighted sources (weights of both signs, some zero): the pair sums equal
// Σ_j w_j exp(−‖t − y_j‖²/s) written out here, and the lattice equals them
// to the stated bound, tol·Σ|w_j| in H and tol·max|g′|·Σ|w_j| in ∇H, also
// when it covers only a box of targets (NewGaussSumIn; the targets outside
// it, over the pairs) or when no source reaches the box; the unweighted
// sums are far off (the weights are not ignored).
func TestWeightedGaussSumMatchesPairs(t *testing.T) {
	for _, tc := range []struct {
		d      int
		s, tol float64
		ny     int
	}{
		{1, 0.5, 1e-9, 300},
		{2, 0.5, 1e-9, 800},
		{2, 1.5, 1e-6, 800},
		{3, 2, 1e-6, 2000},
	} {
		r := rand.New(rand.NewPCG(uint64(tc.d), 11))
		d := tc.d
		ys := make([]float64, tc.ny*d)
		for i := range ys {
			ys[i] = 2 * r.NormFloat64()
		}
		w := make([]float64, tc.ny)
		sumAbs := 0.0
		for j := range w {
			if j%7 != 3 {
				w[j] = 3 * r.NormFloat64()
			}
			sumAbs += math.Abs(w[j])
		}
		const nt = 300
		tg := make([]float64, nt*d)
		for i := range tg {
			tg[i] = 4 * r.NormFloat64()
		}
		for i := nt - 10; i < nt; i++ {
			tg[i*d] = 50 + r.Float64() // in the far box
		}
		// The sums written out.
		ref, refG := make([]float64, nt), make([]float64, nt*d)
		for i := range nt {
			for j := range tc.ny {
				r2 := 0.0
				for k := range d {
					v := tg[i*d+k] - ys[j*d+k]
					r2 += v * v
				}
				e := w[j] * math.Exp(-r2/tc.s)
				ref[i] += e
				for k := range d {
					refG[i*d+k] += -2 / tc.s * (tg[i*d+k] - ys[j*d+k]) * e
				}
			}
		}
		exact := NewWeightedGaussSum(ys, w, tc.ny, d, tc.s, 0, nt)
		fast := NewWeightedGaussSum(ys, w, tc.ny, d, tc.s, tc.tol, 1e9)
		plain := NewGaussSum(ys, tc.ny, d, tc.s, tc.tol, 1e9)
		blo, bhi := make([]float64, d), make([]float64, d)
		flo, fhi := make([]float64, d), make([]float64, d)
		for k := range d {
			blo[k], bhi[k] = -1, 1.5
			flo[k], fhi[k] = -1, 1
		}
		flo[0], fhi[0] = 50, 51
		box := NewGaussSumIn(ys, w, tc.ny, d, tc.s, tc.tol, 1e9, blo, bhi)
		far := NewGaussSumIn(ys, w, tc.ny, d, tc.s, tc.tol, 1e9, flo, fhi)
		if exact.Lattice() || !fast.Lattice() || !plain.Lattice() || !box.Lattice() || !far.none {
			t.Fatalf("d=%d: the paths are not the ones asked for", d)
		}
		gmax := math.Sqrt(2/tc.s) * math.Exp(-0.5)
		worst := func(h, g []float64) (float64, float64) {
			wv, wg := 0.0, 0.0
			for i := range nt {
				wv = math.Max(wv, math.Abs(h[i]-ref[i])/sumAbs)
				for k := range d {
					wg = math.Max(wg, math.Abs(g[i*d+k]-refG[i*d+k])/(sumAbs*gmax))
				}
			}
			return wv, wg
		}
		for _, c := range []struct {
			name  string
			gs    *GaussSum
			bound float64
		}{{"pairs", exact, 1e-14}, {"lattice", fast, tc.tol}, {"box", box, tc.tol}, {"far box", far, 1e-14}} {
			h, g := make([]float64, nt), make([]float64, nt*d)
			c.gs.At(tg, nt, h, g)
			wv, wg := worst(h, g)
			t.Logf("d=%d s=%g tol %g %s: error per unit weight %.3g in H, %.3g in ∇H", d, tc.s, tc.tol, c.name, wv, wg)
			if wv > c.bound || wg > c.bound {
				t.Errorf("d=%d s=%g tol %g %s: error per unit weight %.3g in H, %.3g in ∇H, bound %g", d, tc.s, tc.tol, c.name, wv, wg, c.bound)
			}
		}
		h, g := make([]float64, nt), make([]float64, nt*d)
		plain.At(tg, nt, h, g)
		if wv, wg := worst(h, g); wv < 1e-3 && wg < 1e-3 {
			t.Errorf("d=%d: the unweighted sums match the weighted ones (%.3g, %.3g)", d, wv, wg)
		}
	}
}

// Sums over shifted copies of a cloud (NewShiftedGaussSum): with shifts
// on a lattice (the aligned path: the copies added shifted) and off one
// (the listed sources), inside a box of targets and not, they equal the
// sums over the ny·M weighted sources written out here to the bound
// tol·max|g′|·ny·Σ_m|w_m| (tol·ny·Σ|w_m| for G).
func TestShiftedGaussSum(t *testing.T) {
	for _, tc := range []struct {
		name    string
		d       int
		s       float64
		aligned bool
		box     bool
	}{
		{"grid 2-D", 2, 0.5, true, false},
		{"grid 2-D in a box", 2, 0.5, true, true},
		{"grid 1-D", 1, 0.3, true, true},
		{"grid 3-D", 3, 1, true, true},
		{"scattered 2-D", 2, 0.5, false, true},
	} {
		const tol = 1e-9
		r := rand.New(rand.NewPCG(uint64(tc.d), 13))
		d := tc.d
		ny, per := 400, 4
		if d == 3 {
			ny, per = 150, 3
		}
		ys := make([]float64, ny*d)
		for i := range ys {
			ys[i] = 1.5 * r.NormFloat64()
		}
		// Centres: a grid of per^d points of step 0.9 from −1.3, or
		// scattered.
		M := 1
		for range d {
			M *= per
		}
		c := make([]float64, M*d)
		for m := range M {
			q := m
			for k := d - 1; k >= 0; k-- {
				c[m*d+k] = -1.3 + 0.9*float64(q%per)
				if !tc.aligned {
					c[m*d+k] += 0.3 * r.Float64()
				}
				q /= per
			}
		}
		w := make([]float64, M)
		sumAbs := 0.0
		for m := range w {
			w[m] = r.NormFloat64()
			sumAbs += math.Abs(w[m])
		}
		const nt = 200
		tg := make([]float64, nt*d)
		for i := range tg {
			tg[i] = 2 * r.NormFloat64()
		}
		var tlo, thi []float64
		if tc.box {
			tlo, thi = make([]float64, d), make([]float64, d)
			for k := range d {
				tlo[k], thi[k] = -2, 1
			}
		}
		gs := NewShiftedGaussSum(ys, ny, c, w, M, d, tc.s, tol, 1e9, tlo, thi)
		if !gs.Lattice() || (gs.cs != nil) != tc.aligned {
			t.Fatalf("%s: lattice %v, aligned %v", tc.name, gs.Lattice(), gs.cs != nil)
		}
		h, g := make([]float64, nt), make([]float64, nt*d)
		gs.At(tg, nt, h, g)
		gmax := math.Sqrt(2/tc.s) * math.Exp(-0.5)
		worstV, worstG := 0.0, 0.0
		for i := range nt {
			ref, refG := 0.0, make([]float64, d)
			for j := range ny {
				for m := range M {
					r2 := 0.0
					for k := range d {
						v := tg[i*d+k] - ys[j*d+k] - c[m*d+k]
						r2 += v * v
					}
					e := w[m] * math.Exp(-r2/tc.s)
					ref += e
					for k := range d {
						refG[k] += -2 / tc.s * (tg[i*d+k] - ys[j*d+k] - c[m*d+k]) * e
					}
				}
			}
			worstV = math.Max(worstV, math.Abs(h[i]-ref)/(float64(ny)*sumAbs))
			for k := range d {
				worstG = math.Max(worstG, math.Abs(g[i*d+k]-refG[k])/(float64(ny)*sumAbs*gmax))
			}
		}
		t.Logf("%s: error per unit weight %.3g in G, %.3g in ∇G", tc.name, worstV, worstG)
		if worstV > tol || worstG > tol || worstV == 0 {
			t.Errorf("%s: error per unit weight %.3g in G, %.3g in ∇G, bound %g", tc.name, worstV, worstG, tol)
		}
	}
}
