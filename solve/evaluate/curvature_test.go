package evaluate

import (
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/sim"
	"gonum.org/v1/gonum/mat"
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
	fl, err := NewFlow(m, m.InitTheta(2))
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
	fi, err := NewFlow(mi, mi.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	if fi.PotentialDerivatives(v, g, h, x, n, tm) {
		t.Error("a flow with interaction terms gave potential derivatives")
	}
}

// noCurvature hides a Flow's potential derivatives, so the implicit step
// falls back on finite differences of the drift.
type noCurvature struct{ f *Flow }

func (c noCurvature) Dim() int      { return c.f.Dim() }
func (c noCurvature) Beta() float64 { return c.f.Beta() }
func (c noCurvature) Drift(dst, x []float64, n int, t float64) error {
	return c.f.Drift(dst, x, n, t)
}
func (c noCurvature) Potential(dst, x []float64, n int, t float64) bool {
	return c.f.Potential(dst, x, n, t)
}

// BenchmarkImplicitStepMLP times one implicit step of 2,000 particles
// under mlp(x, 64, 64) (θ at its initial values, scaled up so that the
// step is curved: τ·λmax ≈ 0.4), with the exact Hessian and with forward
// differences, and reports the largest distance between the two answers.
func BenchmarkImplicitStepMLP(b *testing.B) {
	s, err := compile.LoadString("b.jko", "potential V(x) = mlp(x, 64, 64)\n")
	if err != nil {
		b.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		b.Fatal(err)
	}
	theta := m.InitTheta(0)
	for i := range theta {
		theta[i] *= 3
	}
	fl, err := NewFlow(m, theta)
	if err != nil {
		b.Fatal(err)
	}
	const n, dt = 2000, 0.01
	x := mat.NewDense(n, 2, nil)
	for i := range n {
		x.Set(i, 0, 4*math.Sin(float64(7*i+3)))
		x.Set(i, 1, 4*math.Cos(float64(5*i+1)))
	}
	ys := map[string][]float64{}
	for _, c := range []struct {
		name string
		f    sim.Dynamics
	}{{"exact", fl}, {"differences", noCurvature{fl}}} {
		b.Run(c.name, func(b *testing.B) {
			var y []float64
			c0 := cpuTime()
			for b.Loop() {
				out, err := Predict(c.f, x, 0, dt, 1, 0, compile.Implicit)
				if err != nil {
					b.Fatal(err)
				}
				y = out[len(out)-1].RawMatrix().Data
			}
			b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
			ys[c.name] = y
		})
	}
	if a, d := ys["exact"], ys["differences"]; a != nil && d != nil {
		worst := 0.0
		for i := range a {
			worst = math.Max(worst, math.Abs(a[i]-d[i]))
		}
		b.Logf("largest |y_exact − y_differences| = %.3g", worst)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
