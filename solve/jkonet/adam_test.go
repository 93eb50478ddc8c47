package jkonet

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"testing"
)

// thetaDigest is a digest of θ's bits, to compare fits bit for bit.
func thetaDigest(theta []float64) string {
	h := sha256.New()
	var b [8]byte
	for _, v := range theta {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:8])
}

// An Adam fit of a network (mini-batches spanning several steps and
// several chunks of the evaluator, a bounded parameter beside it) gives
// the same θ bit for bit on one core and on two.
func TestAdamIndependentOfCores(t *testing.T) {
	data := simulate(t, "styblinski_tang", 300, 0, 5)
	m := model(t, "param a >= 0.5 <= 2 = 1\npotential V(x) = mlp(x, 16, 16) + a*sum(x^2)\n")
	o := DefaultOptions()
	o.Method = MethodAdam
	o.Epochs = 4
	o.BatchSize = 200
	o.LR = 0.05
	fit := func(procs int) []float64 {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		res, err := Fit(m, data, o)
		if err != nil {
			t.Fatal(err)
		}
		return res.Theta
	}
	one, two := fit(1), fit(2)
	t.Logf("θ digest %s", thetaDigest(one))
	for j := range one {
		if math.Float64bits(one[j]) != math.Float64bits(two[j]) {
			t.Fatalf("θ[%d] = %v on one core, %v on two", j, one[j], two[j])
		}
	}
	// The bound holds.
	found := false
	for j, n := range m.ParamNames() {
		if n == "a" {
			found = true
			if one[j] < 0.5 || one[j] > 2 {
				t.Errorf("a = %v, outside [0.5, 2]", one[j])
			}
		}
	}
	if !found {
		t.Error("no parameter a in θ")
	}
}

// clipFinite rejects a gradient with a NaN or an infinity, and otherwise
// scales it down to norm c when it is longer, an overflowing sum of
// squares of finite entries included.
func TestClipFinite(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, tc := range []struct {
		g, want []float64
		ok      bool
	}{
		{[]float64{3, 4}, []float64{0.6, 0.8}, true},       // norm 5 → 1
		{[]float64{0.3, -0.4}, []float64{0.3, -0.4}, true}, // inside
		{[]float64{1e200, -1e200}, []float64{0, 0}, true},  // Σg² overflows: c/∞ = 0
		{[]float64{1, nan}, nil, false},
		{[]float64{-inf, 1}, nil, false},
		{[]float64{1e200, inf}, nil, false},
		{nil, nil, true},
	} {
		g := append([]float64(nil), tc.g...)
		if ok := clipFinite(g, 1); ok != tc.ok {
			t.Errorf("clipFinite(%v) = %v, want %v", tc.g, ok, tc.ok)
			continue
		}
		for i := range tc.want {
			if math.Abs(g[i]-tc.want[i]) > 1e-15 {
				t.Errorf("clipFinite(%v): %v, want %v", tc.g, g, tc.want)
				break
			}
		}
	}
}

// projectSome on the bounded parameters equals project on all of them,
// bit for bit, NaN and −0 included.
func TestProjectSome(t *testing.T) {
	inf := math.Inf(1)
	lo := []float64{-inf, 0, -inf, -1, -inf, 2}
	hi := []float64{inf, inf, 3, 1, inf, 2}
	js := boundedParams(lo, hi)
	if fmt.Sprint(js) != "[1 2 3 5]" {
		t.Fatalf("bounded parameters %v, want [1 2 3 5]", js)
	}
	for _, theta := range [][]float64{
		{math.NaN(), -1, 5, 0.5, math.Copysign(0, -1), 0},
		{-inf, 7, -7, -3, inf, 2},
		{1e300, math.Copysign(0, -1), 3, 1, -1e-300, math.NaN()},
	} {
		a, b := append([]float64(nil), theta...), append([]float64(nil), theta...)
		project(a, lo, hi)
		projectSome(b, lo, hi, js)
		for j := range a {
			if math.Float64bits(a[j]) != math.Float64bits(b[j]) {
				t.Errorf("θ = %v: projectSome gives %v at %d, project %v", theta, b[j], j, a[j])
			}
		}
	}
}
