package jkonet

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"gonum.org/v1/gonum/mat"
)

// The zero Options and DefaultOptions agree on the ridge (chosen from the
// data), and RidgeFixed(0) is the exact least-squares solve: θ solving the
// normal equations AᵀWAθ = AᵀWb, here solved apart with gonum.
func TestRidgeZeroValueIsDefault(t *testing.T) {
	data := simulate(t, "styblinski_tang", 300, 0.5, 2) // noisy: the auto ridge is not 0
	m := model(t, stSpec)
	zero, err := Fit(m, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	def, err := Fit(m, data, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(zero.Theta, def.Theta) || zero.Ridge != def.Ridge {
		t.Errorf("Options{}: θ %v ridge %g; DefaultOptions: θ %v ridge %g", zero.Theta, zero.Ridge, def.Theta, def.Ridge)
	}
	if !(def.Ridge > 0) {
		t.Fatalf("auto ridge %g on noisy data, want > 0 (else the test cannot tell auto from exact)", def.Ridge)
	}

	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	exact, err := Fit(m, data, o)
	if err != nil {
		t.Fatal(err)
	}
	if exact.Ridge != 0 || exact.Scheme != compile.Explicit {
		t.Errorf("RidgeFixed(0): ridge %g %v, want 0 explicit", exact.Ridge, exact.Scheme)
	}
	prep, err := Prepare(m, data, o, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := NewAccumulator(m, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	for s := range prep.Steps {
		if err := acc.Add(m, &prep.Steps[s]); err != nil {
			t.Fatal(err)
		}
	}
	p := m.NumParams
	a := mat.NewSymDense(p, nil)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			a.SetSym(i, j, acc.Normal.AtA[i*p+j])
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(a) {
		t.Fatal("normal matrix not positive definite")
	}
	var want mat.VecDense
	if err := ch.SolveVecTo(&want, mat.NewVecDense(p, append([]float64(nil), acc.Normal.Atb...))); err != nil {
		t.Fatal(err)
	}
	moved := false
	for j := 0; j < p; j++ {
		if d := math.Abs(exact.Theta[j] - want.AtVec(j)); d > 1e-9*math.Abs(want.AtVec(j)) {
			t.Errorf("RidgeFixed(0): %s = %.12g, normal equations %.12g", exact.Names[j], exact.Theta[j], want.AtVec(j))
		}
		moved = moved || exact.Theta[j] != def.Theta[j]
	}
	if !moved {
		t.Errorf("the auto ridge %g left θ %v exactly at the exact solve", def.Ridge, def.Theta)
	}

	o.Ridge = RidgeFixed(-0.1)
	if _, err := Fit(m, data, o); err == nil || !strings.Contains(err.Error(), "ridge -0.1") {
		t.Errorf("RidgeFixed(-0.1): err %v, want one naming the ridge", err)
	}
}

func TestParseRidge(t *testing.T) {
	for _, tc := range []struct {
		in    string
		auto  bool
		r     float64
		valid bool
	}{
		{"auto", true, 0, true},
		{"0", false, 0, true},
		{"0.01", false, 0.01, true},
		{"1e-06", false, 1e-6, true},
		{"-1", false, 0, false},
		{"NaN", false, 0, false},
		{"+Inf", false, 0, false},
		{"", false, 0, false},
		{"Auto", false, 0, false},
	} {
		r, err := ParseRidge(tc.in)
		if (err == nil) != tc.valid {
			t.Errorf("ParseRidge(%q): err %v, want valid %v", tc.in, err, tc.valid)
			continue
		}
		if !tc.valid {
			continue
		}
		v, fixed := r.Fixed()
		if r.Auto() != tc.auto || fixed == tc.auto || v != tc.r || r.String() != tc.in {
			t.Errorf("ParseRidge(%q) = %v (auto %v, fixed %g %v)", tc.in, r, r.Auto(), v, fixed)
		}
		// Round trip through JSON, as a Beam pipeline's Config travels.
		type cfg struct{ Ridge Ridge }
		b, err := json.Marshal(cfg{r})
		if err != nil {
			t.Fatal(err)
		}
		var back cfg
		if err := json.Unmarshal(b, &back); err != nil || back.Ridge != r {
			t.Errorf("JSON %s: back %v, err %v; want %v", b, back.Ridge, err, r)
		}
	}
	if (Ridge{}) != RidgeAuto() || DefaultOptions().Ridge != (Options{}).Ridge {
		t.Error("the zero Ridge is not RidgeAuto")
	}
	if _, err := json.Marshal(struct{ R Ridge }{RidgeFixed(math.NaN())}); err == nil {
		t.Error("a NaN ridge marshalled")
	}
}
