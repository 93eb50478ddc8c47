package evaluate

import (
	"math"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/sim"
)

// A Flow gives the implicit step its potential's exact derivatives: V and
// −drift from PotentialDerivatives match Potential and Drift, the Hessian
// matches differences of the drift, and a drift that is not −∇V alone
// (interaction terms) is declined.
func TestFlowPotentialDerivatives(t *testing.T) {
	var f sim.Dynamics = &Flow{}
	if _, ok := f.(sim.CurvatureDynamics); !ok {
		t.Fatal("Flow does not give the implicit step its curvature")
	}
	s, err := compile.LoadString("c.jko", "param a = 0.8\npotential V(x, t) = a*norm2(x)*(1 + t) + mlp(x, 6)\n")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := NewFlow(m, m.InitTheta(2), 0)
	if err != nil {
		t.Fatal(err)
	}
	const n, d, tm = 6, 2, 0.3
	x := make([]float64, n*d)
	for i := range x {
		x[i] = math.Cos(float64(4*i + 1))
	}
	v, g, h := make([]float64, n), make([]float64, n*d), make([]float64, n*d*d)
	if !fl.PotentialDerivatives(v, g, h, x, n, tm) {
		t.Fatal("a potential-only flow declined")
	}
	wantV, drift := make([]float64, n), make([]float64, n*d)
	fl.Potential(wantV, x, n, tm)
	if err := fl.Drift(drift, x, n, tm); err != nil {
		t.Fatal(err)
	}
	for i := range v {
		if v[i] != wantV[i] {
			t.Errorf("V[%d] = %v, want %v", i, v[i], wantV[i])
		}
	}
	for i := range g {
		if math.Abs(g[i]+drift[i]) > 1e-14 {
			t.Errorf("∇V[%d] = %v, −drift %v", i, g[i], -drift[i])
		}
	}
	const eps = 1e-6
	xp, dp := make([]float64, n*d), make([]float64, n*d)
	for j := 0; j < d; j++ {
		copy(xp, x)
		for i := 0; i < n; i++ {
			xp[i*d+j] += eps
		}
		if err := fl.Drift(dp, xp, n, tm); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			for l := 0; l < d; l++ {
				fd := -(dp[i*d+l] - drift[i*d+l]) / eps
				if got := h[i*d*d+l*d+j]; math.Abs(got-fd) > 1e-5 {
					t.Errorf("particle %d: H[%d][%d] = %v, differences %v", i, l, j, got, fd)
				}
			}
		}
	}
	si, err := compile.LoadString("i.jko", "potential V(x) = norm2(x)\ninteraction U(z) = norm2(z)\n")
	if err != nil {
		t.Fatal(err)
	}
	mi, err := si.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := NewFlow(mi, mi.InitTheta(0), 0)
	if err != nil {
		t.Fatal(err)
	}
	if fi.PotentialDerivatives(v, g, h, x, n, tm) {
		t.Error("a flow with interaction terms gave potential derivatives")
	}
}
