package evaluate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

func load(t *testing.T, src string, d int) *compile.Model {
	t.Helper()
	s, err := compile.LoadString("t.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The flow of V = a‖x‖²/2 with a mean-field attraction U = b‖z‖²/2 has
// drift −a x − b·N/(N−1)·(x − mean(x)): the mean field of particle i is
// (1/(N−1)) Σ_{j≠i} b(x_i − x_j), the particle itself left out.
func TestFlowDrift(t *testing.T) {
	m := load(t, "param a = 2\nparam b = 0.5\npotential V(x) = a*norm2(x)/2\ninteraction U(z) = b*norm2(z)/2\n", 2)
	f, err := NewFlow(m, m.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{1, 0, -1, 2, 3, 1}
	dst := make([]float64, 6)
	if err := f.Drift(dst, x, 3, 0); err != nil {
		t.Fatal(err)
	}
	mean := []float64{1, 1}
	for i := 0; i < 3; i++ {
		for k := 0; k < 2; k++ {
			want := -2*x[i*2+k] - 0.5*1.5*(x[i*2+k]-mean[k])
			if math.Abs(dst[i*2+k]-want) > 1e-12 {
				t.Errorf("drift[%d][%d] = %g, want %g", i, k, dst[i*2+k], want)
			}
		}
	}
	if f.Beta() != 0 {
		t.Errorf("β = %g without internal terms", f.Beta())
	}
}

func TestEntropyAndBadBeta(t *testing.T) {
	m := load(t, "param beta = 0.3\npotential V(x) = norm2(x)\ninternal H(rho) = beta*rho*log(rho)\n", 2)
	f, err := NewFlow(m, []float64{0.3})
	if err != nil || math.Abs(f.Beta()-0.3) > 1e-12 {
		t.Fatalf("β = %v, %v", f.Beta(), err)
	}
	if _, err := NewFlow(m, []float64{-0.1}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative β: err = %v", err)
	}
	if _, err := NewFlow(m, []float64{1, 2}); err == nil {
		t.Error("wrong θ length: want error")
	}
}

// Predicting noise-free data with the true model reproduces it exactly; a
// wrong model does not.
func TestOneStep(t *testing.T) {
	m := load(t, "param a = 1\npotential V(x) = a*sum(x^4)\n", 2)
	f, _ := NewFlow(m, m.InitTheta(0))
	res, err := sim.Run(f, sim.Options{Particles: 100, Steps: 3, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := &snapshot.Snapshots{Times: res.Times, X: res.X}
	rep, err := OneStep(f, s, 0, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.PerStep) != 3 || rep.Mean > 1e-12 {
		t.Errorf("true model: %+v", rep)
	}
	all, err := AllSteps(f, s, 0, compile.Explicit)
	if err != nil || all.Mean > 1e-12 {
		t.Errorf("all steps: %+v %v", all, err)
	}
	wrong, _ := NewFlow(m, []float64{2})
	rep, _ = OneStep(wrong, s, 0, compile.Explicit)
	if rep.Mean < 1e-3 {
		t.Errorf("a wrong model scores %g", rep.Mean)
	}
	// A cloud of the wrong dimension is an error.
	if _, err := Predict(f, mat.NewDense(3, 3, nil), 0, 0.01, 1, 0, compile.Explicit); err == nil {
		t.Error("dimension mismatch: want error")
	}
}

// A non-entropic internal energy moves particles apart (porous medium).
func TestPorousSpreads(t *testing.T) {
	m := load(t, "param kappa = 1\ninternal f(rho) = kappa*rho^2\n", 1)
	f, _ := NewFlow(m, m.InitTheta(0))
	x := []float64{-0.2, -0.1, 0, 0.1, 0.2}
	dst := make([]float64, 5)
	if err := f.Drift(dst, x, 5, 0); err != nil {
		t.Fatal(err)
	}
	if !(dst[0] < 0 && dst[4] > 0 && math.Abs(dst[2]) < 1e-9) {
		t.Errorf("porous drift %v does not push outward", dst)
	}
}

func TestSummarise(t *testing.T) {
	r := Summarise("m", []float64{1, 2, 3})
	if r.Mean != 2 || math.Abs(r.Std-math.Sqrt(2.0/3)) > 1e-15 {
		t.Errorf("%+v", r)
	}
}

func TestOneStepAll(t *testing.T) {
	m := load(t, "param a = 1\npotential V(x) = a*sum(x^4)\n", 2)
	f, _ := NewFlow(m, m.InitTheta(0))
	res, _ := sim.Run(f, sim.Options{Particles: 80, Steps: 2, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}, Seed: 1})
	s := &snapshot.Snapshots{Times: res.Times, X: res.X}
	d, err := OneStepAll(f, s, 0, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	if d.W1.Mean > 1e-12 || d.W2.Mean > 1e-12 || d.MMD.Mean > 1e-6 {
		t.Errorf("true model: %+v", d)
	}
	wrong, _ := NewFlow(m, []float64{3})
	d, _ = OneStepAll(wrong, s, 0, compile.Explicit)
	if !(d.W1.Mean > 1e-3 && d.W2.Mean >= d.W1.Mean && d.MMD.Mean > 0) {
		t.Errorf("wrong model: %+v (W2 ≥ W1 must hold)", d)
	}
}

// The implicit step of V = a‖x‖²/2 with U = b‖z‖²/2 has a closed form:
// the mean contracts by 1/(1 + a dt) and the deviations from it by
// 1/(1 + (a + b·N/(N−1)) dt). A step that cannot settle is an error.
func TestPredictImplicit(t *testing.T) {
	m := load(t, "param a = 2\nparam b = 0.5\npotential V(x) = a*norm2(x)/2\ninteraction U(z) = b*norm2(z)/2\n", 2)
	f, err := NewFlow(m, m.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(3, 2, []float64{1, 0, -1, 2, 3, 1})
	const dt = 0.3
	ys, err := Predict(f, x, 0, dt, 1, 0, compile.Implicit)
	if err != nil {
		t.Fatal(err)
	}
	y := ys[0]
	mean := []float64{1, 1}
	for i := 0; i < 3; i++ {
		for k := 0; k < 2; k++ {
			mk := mean[k] / (1 + 2*dt)
			want := mk + (x.At(i, k)-mean[k])/(1+(2+0.5*1.5)*dt)
			if math.Abs(y.At(i, k)-want) > 1e-9 {
				t.Errorf("y[%d][%d] = %.12g, want %.12g", i, k, y.At(i, k), want)
			}
		}
	}
	// V = −a‖x‖²/2 with a·dt > 1: the fixed point is repelling.
	bad := load(t, "param a = 2\npotential V(x) = -a*norm2(x)/2\n", 2)
	fb, _ := NewFlow(bad, bad.InitTheta(0))
	if _, err := Predict(fb, x, 0, 1, 1, 0, compile.Implicit); !errors.Is(err, sim.ErrImplicitNotConverged) {
		t.Errorf("repelling fixed point: err = %v", err)
	}
}

// wavyProx minimises cos(πy) + y⁴/2 − 3y² + (y − x)²/(2dt) over y, a
// strictly convex function for dt < 1/(π² + 6): the root of its derivative
// by bisection, an independent reference for the implicit step.
func wavyProx(x, dt float64) float64 {
	d := func(y float64) float64 {
		return -math.Pi*math.Sin(math.Pi*y) + 2*y*y*y - 6*y + (y-x)/dt
	}
	lo, hi := -10.0, 10.0
	for i := 0; i < 200; i++ {
		mid := (lo + hi) / 2
		if d(mid) > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
	return (lo + hi) / 2
}

// With dt = 0.05 the step's energy is strictly convex but dt·V″ reaches 4.5
// at the cloud's edge, where plain fixed-point iterations diverge: the
// implicit step must still be the proximal point, coordinate by coordinate.
func TestPredictImplicitStiff(t *testing.T) {
	m := load(t, "potential V(x) = sum(cos(pi*x) + 0.5*x^4 - 3*x^2 + 1)\n", 2)
	f, err := NewFlow(m, m.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	const n, dt = 41, 0.05
	x := mat.NewDense(n, 2, nil)
	for i := 0; i < n; i++ {
		x.Set(i, 0, -4+8*float64(i)/(n-1))
		x.Set(i, 1, 3.9-0.13*float64(i))
	}
	ys, err := Predict(f, x, 0, dt, 1, 0, compile.Implicit)
	if err != nil {
		t.Fatal(err)
	}
	y := ys[0]
	for i := 0; i < n; i++ {
		for k := 0; k < 2; k++ {
			if want := wavyProx(x.At(i, k), dt); math.Abs(y.At(i, k)-want) > 1e-9 {
				t.Errorf("y[%d][%d] = %.12g, want %.12g (from %g)", i, k, y.At(i, k), want, x.At(i, k))
			}
		}
	}
}

// A function library (no terms) has no dynamics: NewFlow refuses it
// (before: jko simulate stdlib/halves.jko simulated zero drift silently).
func TestFlowRefusesLibrary(t *testing.T) {
	s, err := compile.LoadFile("../../stdlib/halves.jko")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewFlow(m, m.InitTheta(1))
	if err == nil || !strings.Contains(err.Error(), "no terms") {
		t.Errorf("NewFlow of a function library: err %v, want one saying it has no terms", err)
	}
}

// OneStepW1, step by step in reverse order on fresh flows, gives OneStep's
// distances exactly, with noise (its seed per step) and both steps.
func TestOneStepW1MatchesOneStep(t *testing.T) {
	src := "param a = 1.5\nparam beta = 0.2\npotential V(x) = a*sum(x^4)\ninternal H(rho) = beta*rho*log(rho)\n"
	m := load(t, src, 2)
	truth, _ := NewFlow(m, m.InitTheta(0))
	res, err := sim.Run(truth, sim.Options{Particles: 60, Steps: 4, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	s := &snapshot.Snapshots{Times: res.Times, X: res.X}
	for _, step := range []compile.Scheme{compile.Explicit, compile.Implicit} {
		f, _ := NewFlow(m, []float64{1, 0.2})
		rep, err := OneStep(f, s, 7, step)
		if err != nil {
			t.Fatal(err)
		}
		for k := s.Len() - 2; k >= 0; k-- {
			g, _ := NewFlow(m, []float64{1, 0.2})
			w, err := OneStepW1(g, s.X[k], nil, s.Times[k], s.X[k+1], nil, s.Times[k+1], k, 7, step)
			if err != nil {
				t.Fatal(err)
			}
			if w != rep.PerStep[k] {
				t.Errorf("%v step %d: OneStepW1 %v, OneStep %v", step, k, w, rep.PerStep[k])
			}
		}
		if rep.Mean <= 0 {
			t.Errorf("%v: a wrong noisy model scores %g", step, rep.Mean)
		}
	}
	if _, err := OneStepW1(truth, s.X[0], nil, 0, s.X[1], nil, 0.01, -1, 0, compile.Explicit); err == nil {
		t.Error("k = -1: want an error")
	}
}
