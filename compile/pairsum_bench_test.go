package compile

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkPaperLinearInteraction times the interaction features and drift
// of the full paper_linear model (24 monomials and 100 bumps of z) for n
// points against a cloud of 2n, the sizes of the 4.3 benchmark's steps.
func BenchmarkPaperLinearInteraction(b *testing.B) {
	s, err := LoadFile("paper_linear")
	if err != nil {
		b.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		b.Fatal(err)
	}
	const n, ny, d = 250, 500, 2
	r := rand.New(rand.NewPCG(1, 1))
	ys := make([]float64, ny*d)
	for i := range ys {
		ys[i] = 8*r.Float64() - 4
	}
	x := ys[:n*d]
	P := m.NumParams
	F, c := make([]float64, n*d*P), make([]float64, n*d)
	theta := m.InitTheta(0)
	g := make([]float64, n*d)
	b.Run("features", func(b *testing.B) {
		for b.Loop() {
			m.InteractionFeatures(F, c, x, n, ys, ny)
		}
	})
	b.Run("drift", func(b *testing.B) {
		for b.Loop() {
			m.InteractionGrad(g, x, n, ys, ny, theta)
		}
	})
}
