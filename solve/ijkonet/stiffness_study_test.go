package ijkonet

import (
	"os"
	"sort"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"github.com/jko-org/jko/stdlib"
)

// quantiles logs the median, 90th, 95th and 99th percentiles and the
// largest of the particles' τ·λ.
func quantiles(t *testing.T, name string, ps []stiff) {
	v := make([]float64, len(ps))
	for i, p := range ps {
		v[i] = p.tauLambda
	}
	sort.Float64s(v)
	q := func(f float64) float64 { return v[int(f*float64(len(v)-1))] }
	t.Logf("%s: n %d median %.3g q90 %.3g q95 %.3g q99 %.3g max %.3g", name, len(v), q(0.5), q(0.9), q(0.95), q(0.99), v[len(v)-1])
}

// TestStiffnessOfNeuralFits measures τ·λ over the particles (median,
// percentiles, largest) of the true potentials on unpaired Euler data
// (1,000 particles, five steps of 0.01 from uniform on [−4, 4]²) and of
// mlp(x, 64, 64) fitted to them with the defaults (V = ‖x‖² and
// styblinski_tang): why the warning follows the median particle
// (JKO_LONG=1, about 3 minutes of CPU).
func TestStiffnessOfNeuralFits(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 measures the stiffness of neural fits")
	}
	for _, tn := range []string{"quadratic", "styblinski_tang", "wavy_plateau", "oakley_ohagan", "flowers"} {
		src := "param a = 1\npotential V(x) = a*norm2(x)\n"
		if tn != "quadratic" {
			b, _ := stdlib.Source(tn)
			src = string(b)
		}
		truth := model(t, src)
		f, _ := evaluate.NewFlow(truth, truth.InitTheta(0))
		res, _ := sim.Run(f, sim.Options{Particles: 1000, Steps: 5, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 1, Unpaired: true})
		s := &snapshot.Snapshots{Times: res.Times, X: res.X}
		quantiles(t, tn+" truth", stiffnessAt(truth, s, truth.InitTheta(0)))
		if tn != "quadratic" && tn != "styblinski_tang" {
			continue
		}
		m := model(t, "potential V(x) = mlp(x, 64, 64)\n")
		fit, err := Fit(m, s, Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		quantiles(t, tn+" mlp fit", stiffnessAt(m, s, fit.Theta))
	}
}
