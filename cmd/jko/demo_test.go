package main

import (
	"io"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"gonum.org/v1/gonum/mat"
)

// The demo's data are the truth's Euler–Maruyama run with the extra
// noise β, split in halves: the same bytes as running its flow, plus β,
// through sim.Run directly.
func TestDemoSimulation(t *testing.T) {
	for _, beta := range []float64{0, 0.5} {
		c := demoCmd{Out: t.TempDir(), Particles: 60, Beta: beta, Seed: 3}
		truth, train, test, err := c.simulate(io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := compile.LoadFile("styblinski_tang")
		if err != nil {
			t.Fatal(err)
		}
		m, err := spec.Instantiate(2)
		if err != nil {
			t.Fatal(err)
		}
		flow, err := evaluate.NewFlow(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, err := sim.Run(withNoise{flow, beta}, sim.Options{Particles: 60, Steps: 5, Dt: 0.01,
			Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if truth.Dim != 2 || len(train.X) != 6 || len(test.X) != 6 {
			t.Fatalf("β %g: dim %d, %d and %d snapshots", beta, truth.Dim, len(train.X), len(test.X))
		}
		for k, x := range res.X {
			n, _ := x.Dims()
			nTr, _ := train.X[k].Dims()
			nTe, _ := test.X[k].Dims()
			if nTr+nTe != n || train.Times[k] != res.Times[k] {
				t.Fatalf("β %g, snapshot %d: %d + %d particles of %d, time %g want %g", beta, k, nTr, nTe, n, train.Times[k], res.Times[k])
			}
			// Every particle of the halves is a row of the direct run.
			rows := map[[2]float64]bool{}
			for i := 0; i < n; i++ {
				rows[[2]float64{x.At(i, 0), x.At(i, 1)}] = true
			}
			for _, h := range []*mat.Dense{train.X[k], test.X[k]} {
				m, _ := h.Dims()
				for i := 0; i < m; i++ {
					if !rows[[2]float64{h.At(i, 0), h.At(i, 1)}] {
						t.Fatalf("β %g, snapshot %d: particle %v not in the direct run", beta, k, h.RawRowView(i))
					}
				}
			}
		}
	}
}
