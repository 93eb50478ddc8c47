package jkonet

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// simulateSrc runs the spec src (its parameters at their initial values)
// from a uniform start on [lo, hi]², with noise β.
func simulateSrc(t *testing.T, src string, n int, beta float64, seed uint64, lo, hi float64) *snapshot.Snapshots {
	t.Helper()
	m := model(t, src)
	f, err := evaluate.NewFlow(m, m.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(noisy{f, beta}, sim.Options{Particles: n, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: lo, Hi: hi}, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

func scaled(s *snapshot.Snapshots, c float64) *snapshot.Snapshots {
	out := &snapshot.Snapshots{Times: s.Times}
	for _, x := range s.X {
		y := mat.DenseCopyOf(x)
		y.Scale(c, y)
		out.X = append(out.X, y)
	}
	return out
}

// TestRidgeUnits: the default ridge does not depend on the units of the
// data. Before it was relative (0.01 on τθ in absolute units), b·Σx² with
// b = 4 simulated in a ±0.04 box fitted b = 2.48 ± 0.02, and styblinski
// data scaled by 0.1 fitted b = −2.6 for −8.
func TestRidgeUnits(t *testing.T) {
	const quad = "param b = 4\npotential V(x) = b*sum(x^2)\n"
	for _, beta := range []float64{0, 1e-6} {
		data := simulateSrc(t, quad, 1000, beta, 1, -0.04, 0.04)
		res, err := Fit(model(t, "param b\npotential V(x) = b*sum(x^2)\n"), data, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if d := math.Abs(res.Theta[0] - 4); d > math.Max(2*res.StdErr[0], 1e-9) {
			t.Errorf("β = %g: b = %.6g ± %.2g, want 4 within its standard errors", beta, res.Theta[0], res.StdErr[0])
		}
	}
	// styblinski_tang in units 10× smaller: V'(x') = 100a·Σx'⁴ + b·Σx'² + c/10·Σx'.
	data := scaled(simulate(t, "styblinski_tang", 600, 0, 1), 0.1)
	res, err := Fit(model(t, stSpec), data, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{50, -8, 0.25} {
		if got := res.Theta[i]; math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("scaled by 0.1: %s = %.9g, want %g", res.Names[i], got, want)
		}
	}
}

// TestRidgeWarns: a ridge that moves the solution by more than its
// standard errors says so, naming the parameters.
func TestRidgeWarns(t *testing.T) {
	data := simulate(t, "styblinski_tang", 600, 0.1, 1)
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0.01)
	res, err := Fit(model(t, stSpec), data, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "b by") {
		t.Errorf("warnings %q, want the ridge's shift of b", res.Warnings)
	}
	o.Ridge = RidgeAuto()
	res, err = Fit(model(t, stSpec), data, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, "ridge") {
			t.Errorf("auto ridge: warning %q", w)
		}
	}
}

// TestGaussNewton: an L-BFGS fit reports convergence, standard errors that
// agree with the closed form's on the same (reparametrised) model, and
// names the parameters of a direction the loss is flat along.
func TestGaussNewton(t *testing.T) {
	data := simulate(t, "styblinski_tang", 400, 0.1, 2)
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	lin, err := Fit(model(t, stSpec), data, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Method = MethodLBFGS
	nl, err := Fit(model(t, "param a = -1\nparam b, c\npotential V(x) = exp(a)*sum(x^4) + b*sum(x^2) + c*sum(x)\n"), data, o)
	if err != nil {
		t.Fatal(err)
	}
	// The one warning: the data's noise, which L-BFGS does not estimate
	// (the coupling's bias on the drift stays).
	if !nl.Converged || nl.Iterations == 0 || len(nl.Warnings) != 1 || !strings.Contains(nl.Warnings[0], "diffusion noise") {
		t.Errorf("lbfgs: converged %v after %d iterations (%s), warnings %q", nl.Converged, nl.Iterations, nl.Status, nl.Warnings)
	}
	for i := 1; i < 3; i++ {
		if r := nl.StdErr[i] / lin.StdErr[i]; math.Abs(r-1) > 0.02 {
			t.Errorf("%s: Gauss–Newton standard error %g, closed form %g", nl.Names[i], nl.StdErr[i], lin.StdErr[i])
		}
	}
	// Delta method: se(a) = se(eᵃ)/eᵃ.
	if r := nl.StdErr[0] * math.Exp(nl.Theta[0]) / lin.StdErr[0]; math.Abs(r-1) > 0.02 {
		t.Errorf("a: Gauss–Newton standard error %g, closed form gives %g", nl.StdErr[0], lin.StdErr[0]/math.Exp(nl.Theta[0]))
	}
	flat, err := Fit(model(t, "param a = 1\nparam e = 1\nparam b, c\npotential V(x) = a*e*sum(x^4) + b*sum(x^2) + c*sum(x)\n"), data, o)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(flat.Warnings, "\n")
	if !strings.Contains(joined, "flat") || !strings.Contains(joined, "a") || !strings.Contains(joined, "e") {
		t.Errorf("a·e model: warnings %q, want a flat direction naming a and e", flat.Warnings)
	}
}

// TestBootstrap: the bootstrap's spread matches the closed form's standard
// errors, and does not depend on the number of cores.
func TestBootstrap(t *testing.T) {
	data := simulate(t, "styblinski_tang", 600, 0.1, 4)
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	o.Bootstrap = 60
	m := model(t, stSpec)
	prev := runtime.GOMAXPROCS(1)
	one, err := Fit(m, data, o)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GOMAXPROCS(max(2, prev))
	many, err := Fit(m, data, o)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	for i := range one.Theta {
		if one.Bootstrap.StdErr[i] != many.Bootstrap.StdErr[i] || one.Bootstrap.Lo[i] != many.Bootstrap.Lo[i] {
			t.Errorf("%s: bootstrap differs with the cores: %v vs %v", one.Names[i], one.Bootstrap.StdErr[i], many.Bootstrap.StdErr[i])
		}
		if r := one.Bootstrap.StdErr[i] / one.StdErr[i]; r < 0.5 || r > 2 {
			t.Errorf("%s: bootstrap standard error %g, closed form %g", one.Names[i], one.Bootstrap.StdErr[i], one.StdErr[i])
		}
	}
	if one.Bootstrap.Replicates != 60 {
		t.Errorf("%d replicates", one.Bootstrap.Replicates)
	}
}
