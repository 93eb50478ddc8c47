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
	theta := benchTheta(m)
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

// BenchmarkPolynomialInteraction20k times the features and the drift of a
// polynomial interaction (c₁‖z‖²/2 − c₂‖z‖⁴/4, through the cubature) for a
// snapshot of 20,000 particles against itself, one step of a fit with
// N = 20,000 per snapshot.
func BenchmarkPolynomialInteraction20k(b *testing.B) {
	s, err := LoadString("agg.jko", "param k, c1, c2\npotential V(x) = k*norm2(x)/2\ninteraction U(z) = c1*norm2(z)/2 - c2*norm2(z)^2/4\n")
	if err != nil {
		b.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		b.Fatal(err)
	}
	const n, d = 20000, 2
	r := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = 2 * r.NormFloat64()
	}
	P := m.NumParams
	F, c := make([]float64, n*d*P), make([]float64, n*d)
	g := make([]float64, n*d)
	theta := []float64{0.5, 1, 0.3}
	b.Run("features", func(b *testing.B) {
		for b.Loop() {
			m.InteractionFeatures(F, c, x, n, x, n)
		}
	})
	b.Run("drift", func(b *testing.B) {
		for b.Loop() {
			m.InteractionGrad(g, x, n, x, n, theta)
		}
	})
}

// BenchmarkPaperLinearInteraction2000 is BenchmarkPaperLinearInteraction at
// the sizes of the 4.3 benchmark's steps: 1,000 coupled points against the
// snapshot of 2,000, each iteration with a new snapshot (the sums of rows
// already evaluated against a snapshot are remembered: "again" measures
// that).
func BenchmarkPaperLinearInteraction2000(b *testing.B) {
	s, err := LoadFile("paper_linear")
	if err != nil {
		b.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		b.Fatal(err)
	}
	const n, ny, d = 1000, 2000, 2
	r := rand.New(rand.NewPCG(1, 1))
	cloud := func() []float64 {
		ys := make([]float64, ny*d)
		for i := range ys {
			ys[i] = 8*r.Float64() - 4
		}
		return ys
	}
	P := m.NumParams
	F, c := make([]float64, n*d*P), make([]float64, n*d)
	theta := benchTheta(m)
	g := make([]float64, n*d)
	b.Run("features", func(b *testing.B) {
		for b.Loop() {
			ys := cloud()
			m.InteractionFeatures(F, c, ys, n, ys, ny)
		}
	})
	b.Run("drift", func(b *testing.B) {
		for b.Loop() {
			ys := cloud()
			m.InteractionGrad(g, ys, n, ys, ny, theta)
		}
	})
	// The same model with every interaction sum over the pairs.
	PairLoop = true
	ml, err := s.Instantiate(2)
	PairLoop = false
	if err != nil {
		b.Fatal(err)
	}
	b.Run("features pair loop", func(b *testing.B) {
		PairLoop = true
		defer func() { PairLoop = false }()
		for b.Loop() {
			ys := cloud()
			ml.InteractionFeatures(F, c, ys, n, ys, ny)
		}
	})
	ys := cloud()
	m.InteractionFeatures(F, c, ys, n, ys, ny)
	b.Run("features again", func(b *testing.B) {
		for b.Loop() {
			m.InteractionFeatures(F, c, ys, n, ys, ny)
		}
	})
	b.Run("drift again", func(b *testing.B) {
		for b.Loop() {
			m.InteractionGrad(g, ys, n, ys, ny, theta)
		}
	})
}

// BenchmarkPaperLinearInteraction20k times the full paper_linear model's
// interaction features and drift for 10,000 coupled points against a
// snapshot of 20,000 (one step of a fit with N = 20,000 per snapshot).
func BenchmarkPaperLinearInteraction20k(b *testing.B) {
	s, err := LoadFile("paper_linear")
	if err != nil {
		b.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		b.Fatal(err)
	}
	const n, ny, d = 10000, 20000, 2
	r := rand.New(rand.NewPCG(1, 1))
	P := m.NumParams
	F, c := make([]float64, n*d*P), make([]float64, n*d)
	theta := benchTheta(m)
	g := make([]float64, n*d)
	cloud := func() []float64 {
		ys := make([]float64, ny*d)
		for i := range ys {
			ys[i] = 8*r.Float64() - 4
		}
		return ys
	}
	b.Run("features", func(b *testing.B) {
		for b.Loop() {
			ys := cloud()
			m.InteractionFeatures(F, c, ys, n, ys, ny)
		}
	})
	b.Run("drift", func(b *testing.B) {
		for b.Loop() {
			ys := cloud()
			m.InteractionGrad(g, ys, n, ys, ny, theta)
		}
	})
}

// benchTheta is a θ with every entry nonzero (InitTheta leaves plain
// parameters at 0, and a drift of zero weights is no work).
func benchTheta(m *Model) []float64 {
	r := rand.New(rand.NewPCG(2, 2))
	theta := m.InitTheta(0)
	for i := range theta {
		theta[i] = 0.1 * r.NormFloat64()
	}
	return theta
}
