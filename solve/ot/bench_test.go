package ot

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func uniformCloud(r *rand.Rand, n, d int) *mat.Dense {
	m := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			m.Set(i, k, 8*r.Float64()-4)
		}
	}
	return m
}

func benchAssign(b *testing.B, n int) {
	r := rand.New(rand.NewPCG(7, uint64(n)))
	x, y := uniformCloud(r, n, 2), uniformCloud(r, n, 2)
	cost, _ := CostMatrix(x, y, SqEuclidean)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Assign(cost); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssign1000 solves a 1000×1000 2-D squared-Euclidean assignment.
func BenchmarkAssign1000(b *testing.B) { benchAssign(b, 1000) }

// BenchmarkAssign2000 solves a 2000×2000 2-D squared-Euclidean assignment.
func BenchmarkAssign2000(b *testing.B) { benchAssign(b, 2000) }

func randWeights(r *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = r.Float64()
	}
	return w
}

// BenchmarkSimplex1000x800 solves a 1000×800 2-D problem with random
// general marginals (identity order, as from a bare cost matrix).
func BenchmarkSimplex1000x800(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 9))
	x, y := uniformCloud(r, 1000, 2), uniformCloud(r, 800, 2)
	a, w := randWeights(r, 1000), randWeights(r, 800)
	cost, _ := CostMatrix(x, y, SqEuclidean)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NetworkSimplex(a, w, cost, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimplex1000x800Sorted is the same with the principal-axis start.
func BenchmarkSimplex1000x800Sorted(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 9))
	x, y := uniformCloud(r, 1000, 2), uniformCloud(r, 800, 2)
	a, w := randWeights(r, 1000), randWeights(r, 800)
	cost, _ := CostMatrix(x, y, SqEuclidean)
	ro, co := principalOrder(x, y)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := NetworkSimplex(a, w, cost, ro, co); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCoupleSparse2500x2000(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x, y := uniformCloud(r, 2500, 5), uniformCloud(r, 2000, 5)
	for b.Loop() {
		if _, err := Couple(x, y, nil, nil, SqEuclidean); err != nil {
			b.Fatal(err)
		}
	}
}
