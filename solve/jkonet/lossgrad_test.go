package jkonet

import (
	"math"
	"testing"
)

// The one-pass loss of a potential alone (the pairs of all steps in one
// batch, each with its step's τ and time) equals the general two-pass one
// (drift, then the seeded vector–Jacobian product, step by step), on all
// pairs and on mini-batches drawn across the steps, for a potential with
// and without t.
func TestLossGradPotentialMatchesSeeded(t *testing.T) {
	data := simulate(t, "wavy_plateau", 80, 0.1, 4)
	for _, src := range []string{
		"potential V(x) = mlp(x, 16, 8)\n",
		"param a = 0.5\npotential V(x, t) = mlp([x, t], 6) + a*t*sum(x^2)\n",
	} {
		m := model(t, src)
		theta := m.InitTheta(3)
		for i := range theta {
			theta[i] += 0.05 * math.Cos(float64(i))
		}
		prep, err := Prepare(m, data, DefaultOptions(), "x")
		if err != nil {
			t.Fatal(err)
		}
		var batch [][]int
		for s, st := range prep.Steps {
			var rows []int
			for i := s % 3; i < st.N; i += 3 {
				rows = append(rows, i)
			}
			batch = append(batch, rows)
		}
		buf := new(batchBuffers) // reused: the batch after all pairs
		for _, idx := range [][][]int{nil, batch} {
			g1, g2 := make([]float64, m.NumParams), make([]float64, m.NumParams)
			l1 := lossGradPotential(m, prep, theta, g1, idx, buf)
			l2 := lossGradSeeded(m, prep, theta, g2, idx)
			if math.Abs(l1-l2) > 1e-12*math.Abs(l2) {
				t.Fatalf("%q batch %v: loss %.17g, two-pass %.17g", src, idx != nil, l1, l2)
			}
			scale := 0.0
			for _, v := range g2 {
				scale = math.Max(scale, math.Abs(v))
			}
			for j := range g1 {
				if math.Abs(g1[j]-g2[j]) > 1e-11*scale {
					t.Fatalf("%q batch %v: ∂L/∂θ%d = %.17g, two-pass %.17g", src, idx != nil, j, g1[j], g2[j])
				}
			}
		}
	}
}
