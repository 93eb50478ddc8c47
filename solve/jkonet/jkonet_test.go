package jkonet

import (
	"errors"
	"gonum.org/v1/gonum/mat"
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/linear"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// simulate runs a stdlib energy (plus noise β) and returns the snapshots.
func simulate(t *testing.T, name string, n int, beta float64, seed uint64) *snapshot.Snapshots {
	t.Helper()
	spec, err := compile.LoadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := evaluate.NewFlow(m, m.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(noisy{f, beta}, sim.Options{Particles: n, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

type noisy struct {
	*evaluate.Flow
	beta float64
}

func (n noisy) Beta() float64 { return n.beta }

func model(t *testing.T, src string) *compile.Model {
	t.Helper()
	spec, err := compile.LoadString("test.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const stSpec = `
param a, b, c
potential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)
`

// Exact recovery: on noise-free paired data the closed form returns the
// true coefficients of styblinski_tang (0.5, −8, 2.5).
func TestExactRecovery(t *testing.T) {
	data := simulate(t, "styblinski_tang", 600, 0, 1)
	m := model(t, stSpec)
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	res, err := Fit(m, data, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Method != "linear" || res.Scheme != compile.Explicit {
		t.Errorf("method %s %v, want linear explicit", res.Method, res.Scheme)
	}
	for i, want := range []float64{0.5, -8, 2.5} {
		if got := res.Theta[i]; math.Abs(got-want) > 1e-6*math.Abs(want) {
			t.Errorf("%s = %.12g, want %g", res.Names[i], got, want)
		}
	}
	if res.Linear.Rank != 3 || res.Loss > 1e-20 {
		t.Errorf("rank %d, loss %g", res.Linear.Rank, res.Loss)
	}
	// A small relative ridge biases the estimate, by a little (and says
	// so: on exact data any bias exceeds the standard errors).
	o.Ridge = RidgeFixed(1e-6)
	res, err = Fit(m, data, o)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Theta[1]+8) > 0.05 || len(res.Warnings) == 0 {
		t.Errorf("with ridge 1e-6: b = %g, warnings %q", res.Theta[1], res.Warnings)
	}
}

// With noise β = 0.1 the coefficients stay close and β is found; the spread
// of β̂ over seeds is wide (see the package notes), so the test checks the
// range, not 10%.
func TestNoisyRecovery(t *testing.T) {
	data := simulate(t, "styblinski_tang", 1000, 0.1, 3)
	m := model(t, stSpec+"param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n")
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	res, err := Fit(m, data, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{0.5, -8, 2.5} {
		if got := res.Theta[i]; math.Abs(got-want) > 0.03*math.Abs(want) {
			t.Errorf("%s = %.6g, want %g ± 3%%", res.Names[i], got, want)
		}
	}
	if b := res.Theta[3]; b < 0.03 || b > 0.2 {
		t.Errorf("β = %g, want about 0.1", b)
	}
	for _, se := range res.StdErr {
		if !(se > 0) || math.IsInf(se, 0) {
			t.Errorf("standard errors %v", res.StdErr)
		}
	}
}

// The drift at y (implicit) and the gradient-based methods agree with the
// closed form on a linear model.
func TestMethodsAgree(t *testing.T) {
	data := simulate(t, "styblinski_tang", 300, 0, 2)
	m := model(t, stSpec)
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	implicit := compile.Implicit
	o.Scheme = &implicit
	lin, err := Fit(m, data, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Method = MethodLBFGS
	lb, err := Fit(m, data, o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lin.Theta {
		if math.Abs(lin.Theta[i]-lb.Theta[i]) > 1e-4*math.Max(1, math.Abs(lin.Theta[i])) {
			t.Errorf("%s: linear %g, lbfgs %g", lin.Names[i], lin.Theta[i], lb.Theta[i])
		}
	}
	if math.Abs(lin.Loss-lb.Loss) > 1e-6*lin.Loss+1e-12 {
		t.Errorf("loss: linear %g, lbfgs %g", lin.Loss, lb.Loss)
	}
}

// The loss gradient used by L-BFGS and Adam matches finite differences.
func TestLossGradient(t *testing.T) {
	data := simulate(t, "wavy_plateau", 60, 0.1, 4)
	m := model(t, `
param a, s >= 0.1 = 1
param beta >= 0 = 0.05
potential V(x) = a*sum(x^4) + sum(cos(s*x))
interaction U(z) = exp(-s*norm2(z))
internal H(rho) = beta*rho*log(rho) + a*rho^2
`)
	o := DefaultOptions()
	prep, err := Prepare(m, data, o, compile.Implicit)
	if err != nil {
		t.Fatal(err)
	}
	theta := []float64{0.3, 1.2, 0.07}
	grad := make([]float64, len(theta))
	lossGrad(m, prep, theta, grad, nil)
	for j := range theta {
		h := 1e-6
		tp := append([]float64{}, theta...)
		tm := append([]float64{}, theta...)
		tp[j] += h
		tm[j] -= h
		fd := (Loss(m, prep, tp) - Loss(m, prep, tm)) / (2 * h)
		if math.Abs(fd-grad[j]) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("∂L/∂θ%d = %g, finite differences %g", j, grad[j], fd)
		}
	}
}

func TestBadInput(t *testing.T) {
	data := simulate(t, "styblinski_tang", 50, 0, 5)
	tests := []struct {
		name string
		spec string
		data *snapshot.Snapshots
		want string
	}{
		{"no parameters", "potential V(x) = sum(x^2)", data, "no learnable parameters"},
		{"one snapshot", stSpec, &snapshot.Snapshots{Times: data.Times[:1], X: data.X[:1]}, "at least 2"},
		{"singular", "param a, b\npotential V(x) = a*sum(x^2) + b*sum(x^2)", data, "a, b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			o.Ridge = RidgeFixed(0)
			_, err := Fit(model(t, tc.spec), tc.data, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	// Dimension mismatch.
	spec, _ := compile.LoadString("t.jko", stSpec)
	m3, _ := spec.Instantiate(3)
	if _, err := Fit(m3, data, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "d = 3") {
		t.Errorf("dimension mismatch: err = %v", err)
	}
	// The singular system names its parameters and wraps ErrSingular.
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	_, err := Fit(model(t, "param a, b\npotential V(x) = a*sum(x^2) + b*sum(x^2)"), data, o)
	if !errors.Is(err, linear.ErrSingular) {
		t.Errorf("err = %v, want ErrSingular", err)
	}
}

// A density that cannot be fitted names the snapshot it was fitted to:
// the source of the step for densities at x, the target for densities at y.
func TestDensityErrorNamesSnapshot(t *testing.T) {
	data := simulate(t, "styblinski_tang", 50, 0, 3)
	x := mat.DenseCopyOf(data.X[1])
	r, _ := x.Dims()
	for i := 0; i < r; i++ {
		x.SetRow(i, x.RawRowView(0)) // every point the same: no mixture fits
	}
	bad := &snapshot.Snapshots{Times: data.Times[:3], X: []*mat.Dense{data.X[0], x, data.X[2]}}
	m := model(t, "param a, b\npotential V(x) = a*sum(x^2)\ninternal H(rho) = b*rho*log(rho)")
	for _, at := range []string{"x", "y"} {
		o := DefaultOptions()
		o.DensityAt = at
		_, err := Fit(m, bad, o)
		if err == nil || !strings.Contains(err.Error(), "density of snapshot 1: density: every point of the data is the same") {
			t.Errorf("densities at %s: err = %v, want it to name snapshot 1", at, err)
		}
	}
}

// Adam stops with a clear error when the learning rate makes it diverge.
func TestAdamDiverges(t *testing.T) {
	data := simulate(t, "styblinski_tang", 100, 0, 6)
	// Any step of size 100 leaves the domain of sqrt(1 − a²).
	m := model(t, "param a\npotential V(x) = sqrt(1 - a^2)*sum(x^2) + a*sum(x)")
	o := DefaultOptions()
	o.Method = MethodAdam
	o.LR = 100
	o.Epochs = 20
	_, err := Fit(m, data, o)
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "epoch") {
		t.Fatalf("err = %v, want a divergence error naming the epoch", err)
	}
}

// A spec that declares step implicit is fitted with the drift at y, and on
// data from the implicit (JKO) step the closed form is exact again: the
// simulator's proximal solve and the fit's first-order condition agree.
func TestImplicitStepRecovery(t *testing.T) {
	truth := model(t, "potential V(x) = 0.5*sum(x^4) - 8*sum(x^2) + 2.5*sum(x)\n")
	f, err := evaluate.NewFlow(truth, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(f, sim.Options{Particles: 400, Steps: 5, Dt: 0.01, Scheme: compile.Implicit,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	data := &snapshot.Snapshots{Times: res.Times, X: res.X}
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	for _, tc := range []struct {
		spec, at string
		tol      float64
	}{
		{"step implicit\n" + stSpec, "y", 1e-10},
		{stSpec, "x", -1}, // Euler's condition on JKO data: off
	} {
		fit, err := Fit(model(t, tc.spec), data, o)
		if err != nil {
			t.Fatal(err)
		}
		if fit.Scheme.DriftAt() != tc.at {
			t.Errorf("drift at %s, want %s", fit.Scheme.DriftAt(), tc.at)
		}
		worst := 0.0
		for i, want := range []float64{0.5, -8, 2.5} {
			worst = math.Max(worst, math.Abs(fit.Theta[i]-want)/math.Abs(want))
		}
		t.Logf("drift at %s: relative error %.3g", tc.at, worst)
		if tc.tol > 0 && worst > tc.tol {
			t.Errorf("at %s: θ = %v, relative error %.3g > %g", tc.at, fit.Theta, worst, tc.tol)
		}
		if tc.tol < 0 && worst < 1e-3 {
			t.Errorf("at %s: θ = %v recovered to %.3g from implicit-step data", tc.at, fit.Theta, worst)
		}
	}
}
