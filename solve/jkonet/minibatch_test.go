package jkonet

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestCoupleMiniBatch: the minibatch:B coupling keeps the pairs of exact
// plans between batches; bad sizes are errors.
func TestCoupleMiniBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := mat.NewDense(200, 2, nil), mat.NewDense(200, 2, nil)
	for i := 0; i < 200; i++ {
		for k := 0; k < 2; k++ {
			x.Set(i, k, r.NormFloat64())
			y.Set(i, k, x.At(i, k)+0.01)
		}
	}
	pairs, err := couple(x, y, nil, nil, MiniBatch(50))
	if err != nil {
		t.Fatal(err)
	}
	// Four batches of 50 particles: a permutation within each batch.
	if len(pairs) != 200 {
		t.Errorf("%d pairs, want 200", len(pairs))
	}
	for _, c := range []Couplings{MiniBatch(1), MiniBatch(0), MiniBatch(-3)} {
		if _, err := couple(x, y, nil, nil, c); err == nil {
			t.Errorf("%v: no error", c)
		}
	}
}
