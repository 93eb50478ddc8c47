package compile

import (
	"sync"
	"testing"
)

// TestModelConcurrent calls every evaluator of one Model from several
// goroutines at once, each evaluator's first use among them. Before a Model
// was immutable, the lazily built programs added derivative nodes to the
// shared graph while others read it: `go test -race` failed here (and in
// iJKOnet's TestRecoverEntropy, which steps in parallel). The results must
// also equal those of a model used from one goroutine.
func TestModelConcurrent(t *testing.T) {
	const src = `
param a, b
param beta >= 0
param w[2]
potential V(x) = a*sum(x^4) + b*sum(x^2) + dot(w, x)
interaction U(z) = a*sum(z^2)
internal f(rho) = beta*rho*log(rho)
`
	build := func() *Model {
		spec, err := LoadString("c.jko", src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := spec.Instantiate(2)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	theta := []float64{0.5, -1, 0.1, 0.3, -0.2}
	x := []float64{0.1, 0.2, -0.3, 0.4, 1.5, -0.7}
	rho := []float64{0.2, 0.5, 1.1}
	seed := []float64{1, -1, 0.5, 2, -0.3, 0.7}
	const n = 3
	run := func(m *Model) [][]float64 {
		out := make([][]float64, 9)
		jobs := []func(){
			func() { out[0] = make([]float64, n*2); m.PotentialGrad(out[0], x, n, 0, theta) },
			func() { out[1] = make([]float64, n); m.InternalCoef(out[1], rho, n, theta) },
			func() { out[2] = make([]float64, 5); m.PotentialVJP(out[2], x, seed, n, 0, theta) },
			func() { out[3] = make([]float64, 5); m.InternalVJP(out[3], rho, seed[:n], n, theta) },
			func() { out[4] = make([]float64, 5); m.EntropyVJP(out[4], theta) },
			func() { out[5] = make([]float64, 5); m.PotentialValueVJP(out[5], x, n, 0, theta, nil) },
			func() {
				out[6] = make([]float64, n*2*5)
				m.PotentialFeatures(out[6], make([]float64, n*2), x, n, 0)
			},
			func() { out[7] = make([]float64, n); m.PotentialValue(out[7], x, n, 0, theta) },
			func() { out[8] = make([]float64, 5); m.InteractionPairVJP(out[8], x, n, x, n, theta) },
		}
		var wg sync.WaitGroup
		for _, j := range jobs {
			wg.Add(1)
			go func() { defer wg.Done(); j() }()
		}
		wg.Wait()
		return out
	}
	serial := func(m *Model) [][]float64 {
		// The same calls one after the other.
		out := make([][]float64, 9)
		out[0] = make([]float64, n*2)
		m.PotentialGrad(out[0], x, n, 0, theta)
		out[1] = make([]float64, n)
		m.InternalCoef(out[1], rho, n, theta)
		out[2] = make([]float64, 5)
		m.PotentialVJP(out[2], x, seed, n, 0, theta)
		out[3] = make([]float64, 5)
		m.InternalVJP(out[3], rho, seed[:n], n, theta)
		out[4] = make([]float64, 5)
		m.EntropyVJP(out[4], theta)
		out[5] = make([]float64, 5)
		m.PotentialValueVJP(out[5], x, n, 0, theta, nil)
		out[6] = make([]float64, n*2*5)
		m.PotentialFeatures(out[6], make([]float64, n*2), x, n, 0)
		out[7] = make([]float64, n)
		m.PotentialValue(out[7], x, n, 0, theta)
		out[8] = make([]float64, 5)
		m.InteractionPairVJP(out[8], x, n, x, n, theta)
		return out
	}
	want := serial(build())
	for trial := 0; trial < 4; trial++ {
		got := run(build())
		for i := range want {
			for j := range want[i] {
				if got[i][j] != want[i][j] {
					t.Fatalf("trial %d, evaluator %d, entry %d: %v concurrently, %v serially", trial, i, j, got[i][j], want[i][j])
				}
			}
		}
	}
}
