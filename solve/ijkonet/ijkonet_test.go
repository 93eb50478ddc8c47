package ijkonet

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/compile/eval"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

func model(t *testing.T, src string) *compile.Model {
	t.Helper()
	s, err := compile.LoadString("t.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// data simulates V(x) = a‖x‖² (a = 1) on unpaired snapshots.
func data(t *testing.T, n int, unpaired bool) *snapshot.Snapshots {
	t.Helper()
	truth := model(t, "param a = 1\npotential V(x) = a*norm2(x)\n")
	f, _ := evaluate.NewFlow(truth, truth.InitTheta(0), 0)
	res, err := sim.Run(f, sim.Options{Particles: n, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 1, Unpaired: unpaired})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

// The check: a within 5% on 2,000 unpaired particles (about a
// minute; run with JKO_LONG=1).
func TestRecoverQuadratic(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("long: set JKO_LONG=1")
	}
	s := data(t, 2000, true)
	m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
	res, err := Fit(m, s, Options{Epochs: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a = %g, gap curve ends %v", res.Theta[0], res.LossCurve[len(res.LossCurve)-3:])
	if math.Abs(res.Theta[0]-1) > 0.05 {
		t.Errorf("a = %g, want 1 ± 5%%", res.Theta[0])
	}
}

// A small version of the same check for the default test run.
func TestRecoverQuadraticSmall(t *testing.T) {
	s := data(t, 400, true)
	m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
	res, err := Fit(m, s, Options{Epochs: 150, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.Theta[0]-1) > 0.1 {
		t.Errorf("a = %g, want 1 ± 10%%", res.Theta[0])
	}
}

// The gradients of the adversarial objective, with respect to the map's
// weights and to θ, match central finite differences on a tiny problem.
func TestObjectiveGradients(t *testing.T) {
	m := model(t, "param a = 0.7\nparam b = 0.2\npotential V(x) = a*norm2(x) + b*sum(sin(x))\n")
	theta := []float64{0.7, 0.2}
	s := data(t, 12, true)
	x, y := s.X[0].RawMatrix().Data, s.X[1].RawMatrix().Data
	const n, d, tau = 12, 2, 0.01
	tr := newTransport(d, []int{4}, rand.New(rand.NewPCG(3, 3)))
	// Make the map visibly non-identity.
	for _, v := range tr.vals {
		for j := range v {
			v[j] *= 10
		}
	}
	objective := func() float64 { // −E V(T x) − E‖∇φ‖²/2τ
		D := make([]float64, n*d)
		if err := tr.displacement(D, x, n); err != nil {
			t.Fatal(err)
		}
		Tx := make([]float64, n*d)
		for i := range Tx {
			Tx[i] = x[i] + D[i]
		}
		return -meanV(m, Tx, n, 0, theta) - sqMean(D, n)/(2*tau)
	}
	// Analytic gradient through the VJP program, as ascend computes it.
	D := make([]float64, n*d)
	tr.displacement(D, x, n)
	Tx := make([]float64, n*d)
	for i := range Tx {
		Tx[i] = x[i] + D[i]
	}
	g := make([]float64, n*d)
	m.PotentialGrad(g, Tx, n, 0, theta)
	seed := make([]float64, n*d)
	for i := range seed {
		seed[i] = -(g[i] + D[i]/tau) / n
	}
	outs := make([][]float64, len(tr.vals))
	for i, v := range tr.vals {
		outs[i] = make([]float64, len(v))
	}
	if err := tr.vjp.Reduce(outs, eval.Inputs{N: n, Varying: map[string][]float64{"x": x, "seed": seed}, Shared: tr.shared()}, nil); err != nil {
		t.Fatal(err)
	}
	for b, v := range tr.vals {
		for _, j := range []int{0, len(v) - 1} {
			h := 1e-6
			old := v[j]
			v[j] = old + h
			fp := objective()
			v[j] = old - h
			fm := objective()
			v[j] = old
			fd := (fp - fm) / (2 * h)
			if math.Abs(fd-outs[b][j]) > 1e-5*math.Max(1, math.Abs(fd)) {
				t.Errorf("map %s[%d]: gradient %g, finite differences %g", tr.names[b], j, outs[b][j], fd)
			}
		}
	}
	// θ: d/dθ [E_y V − E V(T x)].
	gap := func(th []float64) float64 { return meanV(m, y, n, 0, th) - meanV(m, Tx, n, 0, th) }
	ga, gb := make([]float64, 2), make([]float64, 2)
	m.PotentialValueVJP(ga, y, n, 0, theta, nil)
	m.PotentialValueVJP(gb, Tx, n, 0, theta, nil)
	for j := range theta {
		h := 1e-6
		tp := append([]float64{}, theta...)
		tm := append([]float64{}, theta...)
		tp[j] += h
		tm[j] -= h
		fd := (gap(tp) - gap(tm)) / (2 * h)
		if an := (ga[j] - gb[j]) / n; math.Abs(fd-an) > 1e-6*math.Max(1, math.Abs(fd)) {
			t.Errorf("θ%d: gradient %g, finite differences %g", j, an, fd)
		}
	}
}

// Interaction and internal energies are refused with a clear message.
func TestUnsupportedTerms(t *testing.T) {
	s := data(t, 20, true)
	m := model(t, "param a, beta >= 0\npotential V(x) = a*norm2(x)\ninternal H(rho) = beta*rho*log(rho)\n")
	if _, err := Fit(m, s, Options{Epochs: 1}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("err = %v", err)
	}
}
