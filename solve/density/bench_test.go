package density

import (
	"testing"

	"gonum.org/v1/gonum/mat"
)

func benchData(b *testing.B, n int) *mat.Dense {
	return truth(b).Sample(n, 1)
}

func BenchmarkFitGMM20000(b *testing.B) {
	x := benchData(b, 20000)
	for b.Loop() {
		if _, err := FitGMM(x, GMMOptions{Components: 10, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScoreGMM20000(b *testing.B) {
	x := benchData(b, 20000)
	g, _ := FitGMM(x, GMMOptions{Components: 10, Seed: 1})
	dst := mat.NewDense(20000, 2, nil)
	for b.Loop() {
		g.Score(dst, x)
	}
}

func BenchmarkEntropyKL20000(b *testing.B) {
	x := benchData(b, 20000)
	for b.Loop() {
		if _, err := EntropyKL(x, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKDEScore1000(b *testing.B) {
	x := benchData(b, 1000)
	k, _ := FitKDE(x, KDEOptions{})
	dst := mat.NewDense(1000, 2, nil)
	for b.Loop() {
		k.Score(dst, x)
	}
}

func BenchmarkFitGMM2000(b *testing.B) {
	x := benchData(b, 2000)
	for b.Loop() {
		if _, err := FitGMM(x, GMMOptions{Components: 10, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJKOnetStarDensity2000 is one step of the densities stage: the
// reference recipe fitted to a snapshot, then ρ and ∇ρ at its points.
func BenchmarkJKOnetStarDensity2000(b *testing.B) {
	x := benchData(b, 2000)
	rho, grad := make([]float64, 2000), mat.NewDense(2000, 2, nil)
	for b.Loop() {
		e, err := JKOnetStarDensity(x, 1)
		if err != nil {
			b.Fatal(err)
		}
		e.Density(rho, x)
		e.Grad(grad, x)
	}
}
