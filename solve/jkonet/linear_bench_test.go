package jkonet

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/jko-org/jko/compile"
)

// BenchmarkFitLinearSolve times the closed form's solve stage (the rows
// reduced and solved, with the ridge chosen from the data and every
// diagnostic; features excluded) on random pairs in 2-D: the demo's
// three-parameter potential with 5 steps of 1000 pairs, and
// stdlib/paper_linear_potential (124 parameters) with 5 steps of 2000
// pairs. The stage's wall time is reported as solve-ms/op, the CPU time
// of the whole fit (features included) as cpu-ms/op.
func BenchmarkFitLinearSolve(b *testing.B) {
	paper, err := os.ReadFile("../../stdlib/paper_linear_potential.jko")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, src string
		n         int
	}{
		{"demo", "param a, b, c\npotential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)\n", 1000},
		{"paper124", string(paper), 2000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			spec, err := compile.LoadString("b.jko", bc.src)
			if err != nil {
				b.Fatal(err)
			}
			m, err := spec.Instantiate(2)
			if err != nil {
				b.Fatal(err)
			}
			const d, steps = 2, 5
			r := rand.New(rand.NewPCG(1, 2))
			prep := &Prepared{Dim: d, EvalAt: "x"}
			for k := 0; k < steps; k++ {
				st := Step{K: k, Tau: 0.01, T: 0.01 * float64(k), N: bc.n, P: make([]float64, bc.n*d), Delta: make([]float64, bc.n*d), W: make([]float64, bc.n)}
				for i := range st.P {
					st.P[i] = 3 * r.NormFloat64()
					st.Delta[i] = 0.1 * r.NormFloat64()
				}
				st.X, st.Y = st.P, st.P
				for i := range st.W {
					st.W[i] = 1.0 / float64(bc.n)
				}
				prep.Steps = append(prep.Steps, st)
			}
			b.Logf("P = %d, rows = %d", m.NumParams, steps*bc.n*d)
			var solve time.Duration
			c0 := cpuTime()
			for b.Loop() {
				res, err := FitLinear(m, prep, Options{})
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range res.Times {
					if s.Name == "solve" {
						solve += s.Time
					}
				}
			}
			b.ReportMetric(float64(solve.Microseconds())/1e3/float64(b.N), "solve-ms/op")
			b.ReportMetric(float64((cpuTime()-c0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
		})
	}
}
