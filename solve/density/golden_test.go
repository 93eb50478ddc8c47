package density

import (
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/gmm_golden.json from the current code")

// goldenFit is one frozen fit: the data's recipe, the fitted mixture, and
// the reference recipe's ρ and ∇ρ at a few points.
type goldenFit struct {
	Name       string
	N, D, K    int
	DataSeed   uint64
	Seed       uint64
	Weights    []float64
	Means      []float64
	Covs       []float64 // k × d × d, full matrices
	Iter       int
	LowerBound float64
	Rho        []float64 // JKOnetStarDensity (when K = 10) or the fit, at the first 16 points
	Grad       []float64
}

// goldenData draws n points in d dimensions from a fixed lopsided mixture
// (a 2-D truth for d = 2; skewed clusters otherwise).
func goldenData(t testing.TB, n, d int, seed uint64) *mat.Dense {
	if d == 2 {
		return truth(t).Sample(n, seed)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		c := rng.IntN(3)
		for j := 0; j < d; j++ {
			v := float64(c*(j+1)%4) + (0.3+0.2*float64(j))*rng.NormFloat64()
			if c == 2 {
				v = math.Exp(0.5 * v)
			}
			x.Set(i, j, v)
		}
	}
	return x
}

var goldenCases = []goldenFit{
	{Name: "2d jkonet* n=1000", N: 1000, D: 2, K: 10, DataSeed: 21, Seed: 3},
	{Name: "2d jkonet* n=2500", N: 2500, D: 2, K: 10, DataSeed: 22, Seed: 4},
	{Name: "2d k=3 n=5000", N: 5000, D: 2, K: 3, DataSeed: 23, Seed: 5},
	{Name: "1d k=4 n=1500", N: 1500, D: 1, K: 4, DataSeed: 24, Seed: 6},
	{Name: "3d k=5 n=3000", N: 3000, D: 3, K: 5, DataSeed: 25, Seed: 7},
	{Name: "4d jkonet* n=2000", N: 2000, D: 4, K: 10, DataSeed: 26, Seed: 8},
}

func runGolden(t *testing.T, c goldenFit) goldenFit {
	x := goldenData(t, c.N, c.D, c.DataSeed)
	g, err := FitGMM(x, GMMOptions{Components: c.K, Seed: c.Seed})
	if err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	out := c
	out.Weights = g.Weights
	out.Means = g.Means.RawMatrix().Data
	out.Covs = nil
	for _, s := range g.Covs {
		for a := 0; a < c.D; a++ {
			for b := 0; b < c.D; b++ {
				out.Covs = append(out.Covs, s.At(a, b))
			}
		}
	}
	out.Iter, out.LowerBound = g.Iter, g.LowerBound
	var e Estimator = g
	if c.K == 10 {
		if e, err = JKOnetStarDensity(x, c.Seed); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
	pts := mat.DenseCopyOf(x.Slice(0, 16, 0, c.D))
	out.Rho = make([]float64, 16)
	grad := mat.NewDense(16, c.D, nil)
	if err := e.Density(out.Rho, pts); err != nil {
		t.Fatal(err)
	}
	if err := e.Grad(grad, pts); err != nil {
		t.Fatal(err)
	}
	out.Grad = grad.RawMatrix().Data
	return out
}

// TestGMMGolden compares fits with the numbers the implementation of
// main at 4802357 (before the specialised kernels) produced on the same
// data, frozen in testdata/gmm_golden.json: the fast paths must estimate
// the same mixtures (bit for bit on amd64; to 1e-12 relative elsewhere).
func TestGMMGolden(t *testing.T) {
	const file = "testdata/gmm_golden.json"
	if *updateGolden {
		var all []goldenFit
		for _, c := range goldenCases {
			all = append(all, runGolden(t, c))
		}
		b, err := json.MarshalIndent(all, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenFit
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(goldenCases) {
		t.Fatalf("%d frozen fits, %d cases", len(want), len(goldenCases))
	}
	// Go fuses multiply–adds on some architectures (arm64, …), not amd64:
	// there the numbers must be the same bit for bit.
	rel := 1e-12
	if runtime.GOARCH == "amd64" {
		rel = 0
	}
	for _, w := range want {
		got := runGolden(t, w)
		if got.Iter != w.Iter {
			t.Errorf("%s: %d EM iterations, want %d", w.Name, got.Iter, w.Iter)
		}
		for _, f := range []struct {
			name      string
			got, want []float64
		}{{"weights", got.Weights, w.Weights}, {"means", got.Means, w.Means}, {"covs", got.Covs, w.Covs},
			{"lower bound", []float64{got.LowerBound}, []float64{w.LowerBound}}, {"ρ", got.Rho, w.Rho}, {"∇ρ", got.Grad, w.Grad}} {
			if len(f.got) != len(f.want) {
				t.Errorf("%s: %d %s, want %d", w.Name, len(f.got), f.name, len(f.want))
				continue
			}
			for i := range f.got {
				if f.got[i] != f.want[i] && !near(f.got[i], f.want[i], rel) {
					t.Errorf("%s: %s[%d] = %v, want %v", w.Name, f.name, i, f.got[i], f.want[i])
				}
			}
		}
	}
}

// TestDensityGrad: the one-pass ρ and ∇ρ are Density's and Grad's numbers
// exactly, floor included (points far out, where Clipped's floor is active).
func TestDensityGrad(t *testing.T) {
	x := truth(t).Sample(500, 4)
	g, err := FitGMM(x, GMMOptions{Components: 4, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	kde, err := FitKDE(x, KDEOptions{})
	if err != nil {
		t.Fatal(err)
	}
	star, err := JKOnetStarDensity(x, 3)
	if err != nil {
		t.Fatal(err)
	}
	pts := mat.NewDense(40, 2, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 40; i++ {
		pts.Set(i, 0, 12*rng.Float64()-6)
		pts.Set(i, 1, 12*rng.Float64()-6)
	}
	for _, c := range []struct {
		name string
		e    Estimator
	}{{"gmm", g}, {"gmm3", truth(t)}, {"clipped gmm", Clipped{E: g, Min: 1e-3}}, {"clipped kde", Clipped{E: kde, Min: 1e-3}}, {"reference", star}} {
		rho, grad := make([]float64, 40), mat.NewDense(40, 2, nil)
		if err := DensityGrad(c.e, rho, grad, pts); err != nil {
			t.Fatal(err)
		}
		wr, wg := make([]float64, 40), mat.NewDense(40, 2, nil)
		if err := c.e.Density(wr, pts); err != nil {
			t.Fatal(err)
		}
		if err := c.e.Grad(wg, pts); err != nil {
			t.Fatal(err)
		}
		floored := 0
		for i := range rho {
			if rho[i] != wr[i] || grad.At(i, 0) != wg.At(i, 0) || grad.At(i, 1) != wg.At(i, 1) {
				t.Errorf("%s point %d: ρ %v ∇ρ %v, want %v %v", c.name, i, rho[i], grad.RawRowView(i), wr[i], wg.RawRowView(i))
			}
			if wg.At(i, 0) == 0 && wg.At(i, 1) == 0 {
				floored++
			}
		}
		if _, ok := c.e.(Clipped); ok && (floored == 0 || floored == 40) {
			t.Errorf("%s: %d of 40 points floored, the test needs some of each", c.name, floored)
		}
	}
	if err := DensityGrad(g, make([]float64, 3), mat.NewDense(40, 2, nil), pts); err == nil {
		t.Error("short rho accepted")
	}
	if err := DensityGrad(Clipped{E: g, Min: 1}, make([]float64, 40), mat.NewDense(40, 3, nil), pts); err == nil {
		t.Error("grad of the wrong width accepted")
	}
}
