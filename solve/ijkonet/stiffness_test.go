package ijkonet

import (
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// Stiffness against closed-form Hessians: V = a‖x‖² has eigenvalue 2a
// everywhere; V = Σ x_j⁴ has 12 x_j², largest at the particle with the
// largest |x_j|; V = −a‖x‖² counts |λ|; no potential gives 0.
func TestStiffness(t *testing.T) {
	pts := mat.NewDense(3, 2, []float64{0.5, -1, 2, 0.1, -0.3, 0.7})
	s := &snapshot.Snapshots{Times: []float64{0, 0.05, 0.15}, X: []*mat.Dense{pts, pts, pts}}
	for _, c := range []struct {
		src          string
		tau, lambda  float64
		wantTauLamda float64
	}{
		{"param a = 1.5\npotential V(x) = a*norm2(x)\n", 0.1, 3, 0.3},
		{"param a = 1.5\npotential V(x) = -a*norm2(x)\n", 0.1, 3, 0.3},
		{"param a = 1\npotential V(x) = a*sum(x^4)\n", 0.1, 48, 4.8},
		{"param c = 1\ninteraction U(z) = c*norm2(z)\n", 0, 0, 0},
	} {
		m := model(t, c.src)
		tl, tau, lambda := Stiffness(m, s, m.InitTheta(0))
		if math.Abs(tl-c.wantTauLamda) > 1e-6*math.Max(1, c.wantTauLamda) || math.Abs(tau-c.tau) > 1e-12 || math.Abs(lambda-c.lambda) > 1e-5*math.Max(1, c.lambda) {
			t.Errorf("%q: τ·λ = %g (τ %g, λ %g), want %g (τ %g, λ %g)", c.src, tl, tau, lambda, c.wantTauLamda, c.tau, c.lambda)
		}
	}
}

// Fitted to Euler data of V = a‖x‖² (a = 1, curvature 2), iJKOnet warns
// at τ = 0.1 (τ·λ = 0.2; the closed form of the bias, â = a/(1 − 2aτ) =
// 1.25, is what it fits) and not at τ = 0.01 (τ·λ = 0.02).
func TestStiffnessWarning(t *testing.T) {
	truth := model(t, "param a = 1\npotential V(x) = a*norm2(x)\n")
	for _, c := range []struct {
		dt   float64
		warn bool
	}{{0.1, true}, {0.01, false}} {
		f, _ := evaluate.NewFlow(truth, truth.InitTheta(0))
		res, err := sim.Run(f, sim.Options{Particles: 400, Steps: 3, Dt: c.dt,
			Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
		fit, err := Fit(m, &snapshot.Snapshots{Times: res.Times, X: res.X}, Options{Epochs: 200, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := 1 / (1 - 2*c.dt)
		if math.Abs(fit.Theta[0]-want) > 0.03*want {
			t.Errorf("dt %g: a = %g, want the JKO step's %g", c.dt, fit.Theta[0], want)
		}
		var warned string
		for _, w := range fit.Warnings {
			if strings.HasPrefix(w, "τ·λ = ") {
				warned = w
			}
		}
		if (warned != "") != c.warn {
			t.Errorf("dt %g (a = %g): warning %q, want one: %v", c.dt, fit.Theta[0], warned, c.warn)
		}
		if c.warn && (!strings.Contains(warned, "--step explicit") || !strings.Contains(warned, "0.25")) {
			t.Errorf("dt %g: the warning should name τ·λ (0.25) and --step explicit: %q", c.dt, warned)
		}
		t.Logf("dt %g: a = %g, warnings %q", c.dt, fit.Theta[0], fit.Warnings)
	}
}

// The warning follows the median particle, not the stiffest: V = Σ x_j⁴
// (curvature 12 x_j²) with τ = 0.01 at five particles where τ·λ is
// 0.0012, 0.0048, 0.0108, 0.0192 and 1.08 (one stiff particle) does not
// warn, though τ·λmax ≥ 0.1; nor at 0.0108, 0.0432, 0.0972, 0.173, 9.72
// (the median just below 0.1); at 0.0108, 0.0432, 0.27, 0.27, 9.72 it
// does, naming the median's τ·λ and the largest.
func TestStiffnessWarningMedian(t *testing.T) {
	m := model(t, "param a = 1\npotential V(x) = a*sum(x^4)\n")
	for _, c := range []struct {
		xs   []float64
		warn bool
	}{
		{[]float64{0.1, 0.2, 0.3, 0.4, 3}, false},
		{[]float64{0.3, 0.6, 0.9, 1.2, 9}, false},
		{[]float64{0.3, 0.6, 1.5, 1.5, 9}, true},
	} {
		pts := mat.NewDense(len(c.xs), 2, nil)
		for i, x := range c.xs {
			pts.Set(i, 0, x)
		}
		s := &snapshot.Snapshots{Times: []float64{0, 0.01}, X: []*mat.Dense{pts, pts}}
		tl, _, _ := Stiffness(m, s, m.InitTheta(0))
		w := stiffnessWarning(m, s, m.InitTheta(0))
		if (w != "") != c.warn || tl < StiffnessThreshold {
			t.Errorf("particles at %v: τ·λmax %g, warning %q, want one: %v", c.xs, tl, w, c.warn)
		}
		if c.warn && !strings.HasPrefix(w, "τ·λ = 0.27 at the median particle, τ·λmax = 9.72") {
			t.Errorf("particles at %v: warning %q, want the median's 0.27 and the largest 9.72", c.xs, w)
		}
	}
}
