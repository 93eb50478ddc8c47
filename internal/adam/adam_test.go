package adam

import (
	"math"
	"testing"
)

// The first step is lr·g/(|g| + ε) (the bias-corrected moments are g and
// g²); later steps follow the moments' recursions, written out here.
func TestStepAgainstRecursion(t *testing.T) {
	grads := [][]float64{{0.5, -2, 0, 1e-3}, {0.1, -1, 3, 1e-3}, {-0.4, 0, 3, -2e-3}}
	const lr = 0.01
	a := New(4)
	m, v := make([]float64, 4), make([]float64, 4)
	for k, g := range grads {
		got := a.Step(g, lr)
		for i, gi := range g {
			m[i] = 0.9*m[i] + 0.1*gi
			v[i] = 0.999*v[i] + 0.001*gi*gi
			mh, vh := m[i]/(1-math.Pow(0.9, float64(k+1))), v[i]/(1-math.Pow(0.999, float64(k+1)))
			want := lr * mh / (math.Sqrt(vh) + 1e-8)
			if math.Abs(got[i]-want) > 1e-15*math.Max(1, math.Abs(want)) {
				t.Errorf("step %d, parameter %d: %v, want %v", k+1, i, got[i], want)
			}
			if k == 0 && math.Abs(got[i]-lr*gi/(math.Abs(gi)+1e-8)) > 1e-15 {
				t.Errorf("first step of parameter %d: %v, want lr·g/(|g|+ε)", i, got[i])
			}
		}
	}
}

// Descend moves θ by exactly the steps Step returns, and Adam minimises a
// badly scaled quadratic.
func TestDescend(t *testing.T) {
	a, b := New(2), New(2)
	theta := []float64{3, -4}
	ref := []float64{3, -4}
	for k := 0; k < 2000; k++ {
		g := []float64{2 * theta[0], 200 * theta[1]} // f = θ0² + 100·θ1²
		gr := []float64{2 * ref[0], 200 * ref[1]}
		a.Descend(theta, g, 0.05)
		s := b.Step(gr, 0.05)
		ref[0] -= s[0]
		ref[1] -= s[1]
		if theta[0] != ref[0] || theta[1] != ref[1] {
			t.Fatalf("step %d: Descend %v, Step %v", k+1, theta, ref)
		}
	}
	if math.Abs(theta[0]) > 1e-2 || math.Abs(theta[1]) > 1e-2 {
		t.Errorf("θ = %v after 2000 steps, want near 0", theta)
	}
}
