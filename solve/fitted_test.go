package solve_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/sim"
	"gonum.org/v1/gonum/mat"
)

// TestPredict rolls V(x) = ½|x|² forward with each step, against the
// closed forms: Euler's x_k = (1 − τ)^k x_0, the JKO step's x_k =
// x_0/(1 + τ)^k; Predict and PredictPoints agree.
func TestPredict(t *testing.T) {
	for _, tc := range []struct {
		name, step string
		factor     float64 // per step, τ = 0.1
	}{
		{"explicit", "", 0.9},
		{"implicit", "step implicit\n", 1 / 1.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := compile.LoadString("m.jko", tc.step+"param a = 0.5\npotential V(x) = a*norm2(x)\n")
			if err != nil {
				t.Fatal(err)
			}
			fit, err := solve.FromSpec(spec, 2)
			if err != nil {
				t.Fatal(err)
			}
			x0 := [][]float64{{1, 0}, {0, 2}, {-3, 0.5}}
			out, err := fit.Predict(mat.NewDense(3, 2, []float64{1, 0, 0, 2, -3, 0.5}), 0, 0.1, 4, 0)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := fit.PredictPoints(x0, 0, 0.1, 4, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 4 || len(rows) != 4 {
				t.Fatalf("%d and %d clouds for 4 steps", len(out), len(rows))
			}
			for k, c := range out {
				f := math.Pow(tc.factor, float64(k+1))
				for i, p := range x0 {
					for j, v := range p {
						if got := c.At(i, j); math.Abs(got-f*v) > 1e-9 {
							t.Errorf("step %d particle %d coordinate %d: %.12g, want %.12g", k+1, i, j, got, f*v)
						}
						if rows[k][i][j] != c.At(i, j) {
							t.Errorf("step %d: PredictPoints %v, Predict %v", k+1, rows[k][i][j], c.At(i, j))
						}
					}
				}
			}
		})
	}
}

// TestSpecRoundTrip: the fitted spec written to a file and read back with
// Load gives the same parameters and the same step.
func TestSpecRoundTrip(t *testing.T) {
	truth, err := compile.LoadString("truth.jko", "potential V(x) = 0.5*sum(x^4) - 2*sum(x^2)\n")
	if err != nil {
		t.Fatal(err)
	}
	data, err := solve.Simulate(truth, 2, sim.Options{Particles: 200, Steps: 3, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := compile.LoadString("m.jko", "param a, b\npotential V(x) = a*sum(x^4) + b*sum(x^2)\n")
	if err != nil {
		t.Fatal(err)
	}
	// The default ridge is chosen from the data: 0 on noise-free data.
	fit, err := solve.Fit(spec, data, solve.Options{})
	if err != nil {
		t.Fatal(err)
	}
	text, err := fit.Spec()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fitted.jko")
	if err := os.WriteFile(path, text, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := solve.Load(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		want, _ := fit.Param(name)
		got, err := back.Param(name)
		if err != nil {
			t.Fatal(err)
		}
		// The spec prints every value so that it reads back exactly.
		if got != want {
			t.Errorf("%s = %v read back, %v fitted", name, got, want)
		}
	}
	if back.Step() != fit.Step() {
		t.Errorf("step %v read back, %v fitted", back.Step(), fit.Step())
	}
	if a, _ := fit.Param("a"); math.Abs(a-0.5) > 1e-8 {
		t.Errorf("a = %v, want 0.5 (noise-free data)", a)
	}
	// A spec whose data cannot be read is an error, not a panic.
	if _, err := solve.Load(filepath.Join(t.TempDir(), "missing.jko"), 2); err == nil {
		t.Error("Load of a missing file: no error")
	}
}
