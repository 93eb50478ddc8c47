package linear

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bumps are P Gaussian bumps of width h centred on a grid over [-1, 1]:
// the design of an over-parameterised smooth fit.
func bumps(x float64, p int, h float64) []float64 {
	row := make([]float64, p)
	for j := range row {
		c := -1 + 2*float64(j)/float64(p-1)
		row[j] = math.Exp(-(x - c) * (x - c) / (2 * h * h))
	}
	return row
}

// replicated draws n points in [-1, 1], each observed k times (the steps
// of a time series seeing the same particles) as sin(3x) plus an error
// that is mostly the point's own (standard deviation sd, the same in its k
// copies: coupled pairs' errors are a function of the configuration,
// which the steps share) and partly fresh (sd/3), and returns the QR of
// the bump design.
func replicated(n, k, p int, h, sd float64, seed uint64) *QR {
	rng := rand.New(rand.NewPCG(seed, 7))
	q := NewQR(p)
	xs := make([]float64, n)
	own := make([]float64, n)
	for i := range xs {
		xs[i] = -1 + 2*rng.Float64()
		own[i] = sd * rng.NormFloat64()
	}
	for rep := 0; rep < k; rep++ {
		for i, x := range xs {
			q.AddRows(bumps(x, p, h), []float64{math.Sin(3*x) + own[i] + sd/3*rng.NormFloat64()}, []float64{1})
		}
	}
	return q
}

// outOfSample is the RMS error of the fitted bumps θ against sin(3x) on a
// fine grid of [-0.9, 0.9].
func outOfSample(theta []float64, h float64) float64 {
	s, n := 0.0, 0
	for x := -0.9; x <= 0.9; x += 0.001 {
		f := 0.0
		for j, v := range bumps(x, len(theta), h) {
			f += v * theta[j]
		}
		s += (f - math.Sin(3*x)) * (f - math.Sin(3*x))
		n++
	}
	return math.Sqrt(s / float64(n))
}

// hkb is the Hoerl–Kennard–Baldwin ridge AutoRidge used before,
// P·σ̂²/‖u‖² with u the least-squares solution in the unknowns scaled to
// unit diagonal (with a pilot ridge of 1e-10, and at least 1e-8, where the
// problem is singular), written out again here.
func hkb(f *Factored) float64 {
	pilot := 0.0
	if lmax, lmin := f.spectrum(0); !(lmin > 1e-10*lmax) {
		pilot = 1e-10
	}
	u := f.solveU(pilot)
	k := float64(f.p) * f.rss(pilot) / float64(f.rows-f.p) / sumSq(u)
	if pilot > 0 {
		k = math.Max(k, 1e-8)
	}
	return k
}

// TestAutoRidgeOverParameterised: 40 overlapping bumps fitted to 60
// points seen 5 times each (300 rows) whose errors are mostly shared by a
// point's copies. Cross-validation over rows finds every left-out error
// again in the copies, reads it as signal and keeps the ridge at its
// floor, as Hoerl–Kennard–Baldwin's σ̂²/‖u‖² did (the wild least-squares
// coefficients make ‖u‖ large): errors 0.5–1.4 against sin(3x). Counting
// one copy's rows as the independent ones (blocks = 5), GCV picks a ridge
// within 30% of the best fixed ridge's error, and less than half the old
// rule's.
func TestAutoRidgeOverParameterised(t *testing.T) {
	const n, k, p, h, sd = 60, 5, 40, 0.08, 0.3
	for seed := uint64(1); seed <= 3; seed++ {
		f, err := replicated(n, k, p, h, sd, seed).Factor()
		if err != nil {
			t.Fatal(err)
		}
		errAt := func(r float64) float64 {
			res, err := f.Solve(Settings{Ridge: r})
			if err != nil {
				t.Fatal(err)
			}
			return outOfSample(res.Theta, h)
		}
		best := math.Inf(1)
		for e := -8.0; e <= 1; e += 0.25 {
			best = math.Min(best, errAt(math.Pow(10, e)))
		}
		old := hkb(f)
		auto := f.AutoRidge(k)
		eAuto, eOld := errAt(auto), errAt(old)
		rows := f.AutoRidge(1)
		if eRows := errAt(rows); eRows < 2*errAt(f.AutoRidge(k)) {
			t.Errorf("seed %d: GCV over rows chose %.3g with error %.3g: the copies' shared errors should fool it", seed, rows, eRows)
		}
		t.Logf("seed %d: ridge %.3g (error %.3g), Hoerl–Kennard–Baldwin %.3g (error %.3g), best fixed error %.3g", seed, auto, eAuto, old, eOld, best)
		if eAuto > 1.3*best {
			t.Errorf("seed %d: the auto ridge %.3g has error %.3g, the best fixed ridge %.3g", seed, auto, eAuto, best)
		}
		if eAuto > eOld/2 {
			t.Errorf("seed %d: the auto ridge %.3g has error %.3g, Hoerl–Kennard–Baldwin's %.3g had %.3g", seed, auto, eAuto, old, eOld)
		}
	}
}

// TestAutoRidgeWellPosed: on exact data the ridge is 0 (the exact solve,
// to machine precision); on noisy well-posed data it moves no parameter
// by more than a tenth of its standard error.
func TestAutoRidgeWellPosed(t *testing.T) {
	for _, sd := range []float64{0, 0.1, 1} {
		rng := rand.New(rand.NewPCG(3, 9))
		q := NewQR(3)
		for i := 0; i < 2000; i++ {
			x := -2 + 4*rng.Float64()
			row := []float64{x * x * x, x, 1}
			q.AddRows(row, []float64{0.5*row[0] - 8*row[1] + 2.5 + sd*rng.NormFloat64()}, []float64{1 + rng.Float64()})
		}
		f, err := q.Factor()
		if err != nil {
			t.Fatal(err)
		}
		for _, blocks := range []int{1, 5} {
			r := f.AutoRidge(blocks)
			res, err := f.Solve(Settings{Ridge: r})
			if err != nil {
				t.Fatal(err)
			}
			if sd == 0 {
				for j, want := range []float64{0.5, -8, 2.5} {
					if math.Abs(res.Theta[j]-want) > 1e-12*math.Abs(want) || r != 0 {
						t.Errorf("exact data, blocks %d: ridge %g, θ%d = %.17g, want %g", blocks, r, j, res.Theta[j], want)
					}
				}
				continue
			}
			for j, sh := range res.RidgeShift {
				if math.Abs(sh) > res.StdErr[j]/10 {
					t.Errorf("sd %g, blocks %d: the ridge %.3g moved θ%d by %.3g, %.2f standard errors", sd, blocks, r, j, sh, math.Abs(sh)/res.StdErr[j])
				}
			}
		}
	}
}
