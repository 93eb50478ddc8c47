package ijkonet

import (
	"math"
	"runtime"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// quadratic simulates V(x) = a‖x‖² (a = 1) on n unpaired particles with
// the noise of seed.
func quadratic(t *testing.T, n int, seed uint64) *snapshot.Snapshots {
	t.Helper()
	truth := model(t, "param a = 1\npotential V(x) = a*norm2(x)\n")
	f, _ := evaluate.NewFlow(truth, truth.InitTheta(0))
	res, err := sim.Run(f, sim.Options{Particles: n, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: seed, Unpaired: true})
	if err != nil {
		t.Fatal(err)
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}
}

// The bootstrap's standard error is the spread of â over independent
// datasets (8 simulations against 12 half-samples of one: their ratio
// within [0.4, 2.5], about 2.5 standard errors of the ratio of two
// 8-to-12-sample spreads), its interval contains â, and it is the same
// on one core as on several.
func TestBootstrap(t *testing.T) {
	m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
	o := Options{Epochs: 200, Seed: 3}
	const n = 300
	var as []float64
	for seed := uint64(10); seed < 18; seed++ {
		res, err := Fit(m, quadratic(t, n, seed), o)
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, res.Theta[0])
	}
	mean, ss := 0.0, 0.0
	for _, a := range as {
		mean += a / float64(len(as))
	}
	for _, a := range as {
		ss += (a - mean) * (a - mean)
	}
	spread := math.Sqrt(ss / float64(len(as)-1))
	data := quadratic(t, n, 10)
	bs, err := Bootstrap(m, data, o, 12)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("â over 8 datasets: mean %.4f, sd %.4f; bootstrap of one: se %.4f [%.4f, %.4f], %d replicates", mean, spread, bs.StdErr[0], bs.Lo[0], bs.Hi[0], bs.Replicates)
	if r := bs.StdErr[0] / spread; !(r > 0.4 && r < 2.5) {
		t.Errorf("bootstrap standard error %.4g against a spread over datasets of %.4g (ratio %.2f)", bs.StdErr[0], spread, r)
	}
	if bs.Replicates != 12 || bs.Failed != 0 {
		t.Errorf("%d replicates, %d failed", bs.Replicates, bs.Failed)
	}
	if !(bs.Lo[0] <= as[0] && as[0] <= bs.Hi[0]) {
		t.Errorf("the interval [%g, %g] does not contain â = %g", bs.Lo[0], bs.Hi[0], as[0])
	}
	prev := runtime.GOMAXPROCS(1)
	one, err := Bootstrap(m, data, Options{Epochs: 5, Seed: 3}, 3)
	runtime.GOMAXPROCS(4)
	four, err2 := Bootstrap(m, data, Options{Epochs: 5, Seed: 3}, 3)
	runtime.GOMAXPROCS(prev)
	if err != nil || err2 != nil {
		t.Fatal(err, err2)
	}
	if one.StdErr[0] != four.StdErr[0] || one.Lo[0] != four.Lo[0] {
		t.Errorf("one core: se %v, four: %v", one.StdErr[0], four.StdErr[0])
	}
	if _, err := Bootstrap(m, data, o, 1); err == nil {
		t.Error("a bootstrap of 1 replicate ran")
	}
}
