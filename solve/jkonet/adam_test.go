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
