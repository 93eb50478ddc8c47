package jkonet

import (
	"math"
	"slices"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// timeVarying simulates, without noise and with paired particles, the
// potential V(x, t) = (1 + 3t)·‖x‖²/2, whose pull triples over the run
// (t = 0, 0.1, …, 0.5).
func timeVarying(t *testing.T, n int) *snapshot.Snapshots {
	t.Helper()
	truth := model(t, "potential V(x, t) = (1 + 3*t)*norm2(x)/2\n")
	f, err := evaluate.NewFlow(truth, truth.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(f, sim.Options{Particles: n, Steps: 5, Dt: 0.1,
		Init: sim.Init{Kind: "uniform", Lo: -2, Hi: 2}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

// The loss gradient of time-conditioned terms (a network of [x, t], a
// polynomial of [x, t]) matches central finite differences, with the drift
// at x and at y.
func TestTimeConditionedLossGradient(t *testing.T) {
	data := timeVarying(t, 30)
	m := model(t, "param c[*]\npotential V(x, t) = mlp([x, t], 4) + dot(c, polynomials(concat(x, t), 2))\n")
	theta := m.InitTheta(2)
	for i := range theta {
		theta[i] += 0.1 * math.Sin(float64(i+1))
	}
	for _, at := range []compile.Scheme{compile.Explicit, compile.Implicit} {
		prep, err := Prepare(m, data, DefaultOptions(), at)
		if err != nil {
			t.Fatal(err)
		}
		grad := make([]float64, len(theta))
		lossGrad(m, prep, theta, grad, nil)
		for j := range theta {
			h := 1e-6
			tp, tm := slices.Clone(theta), slices.Clone(theta)
			tp[j] += h
			tm[j] -= h
			fd := (Loss(m, prep, tp) - Loss(m, prep, tm)) / (2 * h)
			if math.Abs(fd-grad[j]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("at %s: ∂L/∂θ%d = %g, finite differences %g", at, j, grad[j], fd)
			}
		}
	}
}

// On data whose potential changes with time, the closed form recovers it
// exactly from polynomials(x, 2) with coefficients affine in t (½x² +
// 1.5·t·x² per axis), and
// time-conditioned networks fitted by L-BFGS and by Adam reach a loss far
// below the same networks without t, which cannot follow the change.
func TestTimeConditionedFit(t *testing.T) {
	data := timeVarying(t, 100)
	o := DefaultOptions()
	o.Ridge = RidgeFixed(0)
	poly, err := Fit(model(t, "param c[*]\nparam e[*]\npotential V(x, t) = dot(c + t*e, polynomials(x, 2))\n"), data, o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"c[2]": 0.5, "c[4]": 0.5, "e[2]": 1.5, "e[4]": 1.5} // x0², x1², t·x0², t·x1²
	for i, v := range poly.Theta {
		w := want[poly.Names[i]]
		if math.Abs(v-w) > 1e-6 {
			t.Errorf("polynomial fit: %s = %g, want %g", poly.Names[i], v, w)
		}
	}
	if poly.Loss > 1e-12 {
		t.Errorf("polynomial fit: loss %g, want 0", poly.Loss)
	}

	for _, method := range []Method{MethodLBFGS, MethodAdam} {
		o := DefaultOptions()
		o.Method, o.Seed, o.MaxIter = method, 1, 150
		if method == MethodAdam {
			o.Epochs, o.LR, o.BatchSize = 300, 0.01, 100
		}
		loss := map[bool]float64{}
		for _, timed := range []bool{false, true} {
			src := "potential V(x, t) = mlp(x, 8) + 0*t\n"
			if timed {
				src = "potential V(x, t) = mlp([x, t], 8)\n"
			}
			res, err := Fit(model(t, src), data, o)
			if err != nil {
				t.Fatal(err)
			}
			loss[timed] = res.Loss
		}
		t.Logf("%s: loss without t %.3g, with t %.3g", method, loss[false], loss[true])
		if !(loss[true] < 0.2*loss[false]) {
			t.Errorf("%s: the time-conditioned network's loss %.3g is not far below the time-free one's %.3g", method, loss[true], loss[false])
		}
	}
}
