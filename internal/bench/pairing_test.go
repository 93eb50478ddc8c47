package bench

import (
	"math"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// On bohachevsky the exact form fails with the optimal coupling but is
// exact with the true pairing of particles: the coupling, not the model,
// limits the fit (dt·∇²V ≈ 6 there, so one explicit step is not a monotone
// map and optimal transport cannot recover the pairs).
func TestCouplingNotModel(t *testing.T) {
	const name, n = "bohachevsky", 400
	ts, _ := compile.LoadString("truth.jko", potentialTruth(name))
	tm, _ := ts.Instantiate(2)
	tf, _ := evaluate.NewFlow(tm, nil)
	res, err := sim.Run(tf, sim.Options{Particles: n, Steps: 2, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := compile.LoadString("exact.jko", exactForm(name))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ms.Instantiate(2)
	truth := exactForms[name].Truth
	coefErr := func(theta []float64) float64 {
		e := 0.0
		for i, w := range truth {
			e = math.Max(e, math.Abs(theta[i]-w)/math.Max(math.Abs(w), 1))
		}
		return e
	}
	o := jkonet.DefaultOptions()
	o.Ridge = jkonet.RidgeFixed(0)

	// The true pairing: particle i of snapshot k becomes particle i of k+1.
	ident := &jkonet.Prepared{Dim: 2, Scheme: compile.Explicit}
	for k := 0; k+1 < len(res.X); k++ {
		x, y := res.X[k].RawMatrix().Data, res.X[k+1].RawMatrix().Data
		st := jkonet.Transition{K: k, Tau: 0.01, T: res.Times[k], N: n, P: x, X: x, Y: y, Cloud: x, NC: n}
		for i := range x {
			st.Delta = append(st.Delta, y[i]-x[i])
		}
		for i := 0; i < n; i++ {
			st.W = append(st.W, 1/float64(n))
		}
		ident.Steps = append(ident.Steps, st)
	}
	paired, err := jkonet.FitLinear(m, ident, o)
	if err != nil {
		t.Fatal(err)
	}
	if e := coefErr(paired.Theta); e > 1e-9 {
		t.Errorf("true pairing: coefficient error %g, want exact", e)
	}
	prep, err := jkonet.Prepare(m, &snapshot.Snapshots{Times: res.Times, X: res.X}, o, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	coupled, err := jkonet.FitLinear(m, prep, o)
	if err != nil {
		t.Fatal(err)
	}
	if e := coefErr(coupled.Theta); e < 0.1 {
		t.Errorf("optimal coupling: coefficient error %g; expected the coupling to break the fit", e)
	}
}
