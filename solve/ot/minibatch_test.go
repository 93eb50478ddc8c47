package ot

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMiniBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	x, y := randCloud(r, 512, 2), randCloud(r, 512, 2)
	exact, err := W2Squared(x, y, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One batch holding everything is the exact coupling.
	p, err := MiniBatch(x, y, nil, nil, SqEuclidean, MiniBatchOptions{Batch: 512})
	if err != nil {
		t.Fatal(err)
	}
	if relErr(p.Cost, exact) > 1e-14 {
		t.Errorf("single batch cost %v, exact %v", p.Cost, exact)
	}
	// Smaller batches: exact marginals (uniform, divisible), cost above
	// the exact one, bias shrinking with the batch size.
	prev := math.Inf(1)
	for _, b := range []int{16, 64, 256} {
		p, err := MiniBatch(x, y, nil, nil, SqEuclidean, MiniBatchOptions{Batch: b, Repeats: 4, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		ga, gb := p.Marginals()
		for i := range ga {
			if math.Abs(ga[i]-1.0/512) > 1e-15 || math.Abs(gb[i]-1.0/512) > 1e-15 {
				t.Fatalf("batch %d: marginals %v, %v at %d", b, ga[i], gb[i], i)
			}
		}
		if !(p.Cost > exact && p.Cost < prev) {
			t.Errorf("batch %d: cost %v, exact %v, previous batch size %v", b, p.Cost, exact, prev)
		}
		prev = p.Cost
		q, _ := MiniBatch(x, y, nil, nil, SqEuclidean, MiniBatchOptions{Batch: b, Repeats: 4, Seed: 3})
		if !slices.Equal(p.Pairs, q.Pairs) {
			t.Errorf("batch %d: not deterministic", b)
		}
	}
	for _, o := range []MiniBatchOptions{{Batch: 1}, {Batch: 8, Repeats: -1}} {
		if _, err := MiniBatch(x, y, nil, nil, SqEuclidean, o); !errors.Is(err, ErrInput) {
			t.Errorf("%+v: error %v", o, err)
		}
	}
}
