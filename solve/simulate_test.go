package solve

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/sim"
	"gonum.org/v1/gonum/mat"
)

func fittedOf(t *testing.T, src string, dim int) *Fitted {
	t.Helper()
	sp, err := compile.LoadString("t.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := sp.Instantiate(dim)
	if err != nil {
		t.Fatal(err)
	}
	return &Fitted{Model: m, Theta: m.InitTheta(0)}
}

// SetParams sets scalars and vectors by name (one value for all entries,
// or one per entry) and refuses unknown names, wrong counts and values
// outside the bounds, leaving θ as it was.
func TestSetParams(t *testing.T) {
	const src = "param a = 1\nparam b >= 0 = 2\nparam w[d] = 0\npotential V(x) = a*sum(x^2) + b*sum(x) + dot(w, x)\n"
	tests := []struct {
		vals map[string][]float64
		want []float64 // a, b, w1, w2, w3
		err  string
	}{
		{map[string][]float64{"a": {3}}, []float64{3, 2, 0, 0, 0}, ""},
		{map[string][]float64{"w": {5}, "b": {0}}, []float64{1, 0, 5, 5, 5}, ""},
		{map[string][]float64{"w": {1, 2, 3}}, []float64{1, 2, 1, 2, 3}, ""},
		{map[string][]float64{"w": {1, 2}}, nil, "w: 2 values for a parameter of size 3"},
		{map[string][]float64{"b": {-1}}, nil, "b: -1 is outside the bounds [0, +Inf]"},
		{map[string][]float64{"a": {math.NaN()}}, nil, "outside the bounds"},
		{map[string][]float64{"a": {2}, "zz": {1}}, nil, "the spec has no learnable parameter zz"},
	}
	for _, tc := range tests {
		f := fittedOf(t, src, 3)
		before := slices.Clone(f.Theta)
		err := f.SetParams(tc.vals)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err = %v, want %q", tc.vals, err, tc.err)
			}
			if !slices.Equal(f.Theta, before) {
				t.Errorf("%v: θ changed to %v on error", tc.vals, f.Theta)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.vals, err)
		}
		if !slices.Equal(f.Theta, tc.want) {
			t.Errorf("%v: θ = %v, want %v", tc.vals, f.Theta, tc.want)
		}
	}
}

// SimulateWith: extra diffusion shows as displacement variance 2βτ per
// coordinate (no drift here); the step forced explicit on a spec that
// declares it implicit gives Euler's x − τ∇V(x) exactly (seen without
// noise), and implicit the JKO step; bad settings are errors.
func TestSimulateWith(t *testing.T) {
	o := sim.Options{Particles: 4000, Steps: 1, Dt: 0.1, Init: sim.Init{Kind: "gaussian", Mean: 0, Std: 1}, Seed: 3}
	flat := fittedOf(t, "param a = 0\npotential V(x) = a*sum(x^2)\n", 2)
	s, err := flat.SimulateWith(o, SimulateOptions{Beta: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	var d mat.Dense
	d.Sub(s.X[1], s.X[0])
	n, dim := d.Dims()
	v := 0.0
	for i := 0; i < n; i++ {
		for k := 0; k < dim; k++ {
			v += d.At(i, k) * d.At(i, k)
		}
	}
	v /= float64(n * dim)
	// 2βτ = 0.1, estimated from 8000 values: relative SE √(2/8000) = 1.6%.
	if math.Abs(v/0.1-1) > 0.06 {
		t.Errorf("displacement variance %.4g with β = 0.5, τ = 0.1: want 0.1", v)
	}

	// V = a|x|²: Euler gives x(1 − 2aτ), the implicit step x/(1 + 2aτ).
	trap := fittedOf(t, "param a = 2\npotential V(x) = a*sum(x^2)\nstep implicit\n", 2)
	for _, tc := range []struct {
		step   string
		factor float64
	}{{"explicit", 1 - 2*2*0.1}, {"implicit", 1 / (1 + 2*2*0.1)}, {"", 1 / (1 + 2*2*0.1)}} {
		s, err := trap.SimulateWith(o, SimulateOptions{Step: tc.step})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if got, want := s.X[1].At(i, 0), tc.factor*s.X[0].At(i, 0); math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("step %q: %.10g, want %.10g", tc.step, got, want)
			}
		}
	}
	for _, tc := range []struct {
		so   SimulateOptions
		o    sim.Options
		want string
	}{
		{SimulateOptions{Beta: -1}, o, "extra diffusion"},
		{SimulateOptions{Beta: math.Inf(1)}, o, "extra diffusion"},
		{SimulateOptions{Step: "sideways"}, o, "sideways"},
		{SimulateOptions{Step: "explicit"}, sim.Options{Particles: 10, Steps: 1, Dt: 0.1, Init: o.Init, Implicit: true}, "forced explicit and implicit"},
	} {
		if _, err := trap.SimulateWith(tc.o, tc.so); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.so, err, tc.want)
		}
	}
}
