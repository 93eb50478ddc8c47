package jkonet

import (
	"fmt"

	"github.com/jko-org/jko/solve/ot"
	"gonum.org/v1/gonum/mat"
)

// Couple returns the pairs of the coupling c between snapshot k (x,
// weights wa, nil for uniform) and snapshot k+1 (y, wb) that Prepare
// uses, without the pairs of mass below 1/(10·max(n, m)).
func Couple(x, y *mat.Dense, wa, wb []float64, c Couplings) ([]Pair, error) {
	return couple(x, y, wa, wb, c)
}

// Batch is one mini-batch of a step: rows X of the first snapshot and rows
// Y of the second, coupled to each other only.
type Batch struct {
	X, Y []int
}

// Minibatches returns the batches of the mini-batch coupling MiniBatch(size) between n and m points: those ot.MiniBatch couples, so a
// distributed fit that couples the batches on different machines
// (CoupleBatch) gets the pairs Prepare gets.
func Minibatches(n, m, size int) ([]Batch, error) {
	bx, by, err := ot.MiniBatches(n, m, ot.MiniBatchOptions{Batch: size})
	if err != nil {
		return nil, err
	}
	out := make([]Batch, len(bx))
	for k := range bx {
		out[k] = Batch{X: bx[k], Y: by[k]}
	}
	return out, nil
}

// BatchMass is the share of the first snapshot's weight (wa, nil for
// uniform, over n points) in the rows idx: the mass a batch carries.
func BatchMass(wa []float64, n int, idx []int) float64 {
	if wa == nil {
		return float64(len(idx)) / float64(n)
	}
	total, part := 0.0, 0.0
	for _, w := range wa {
		total += w
	}
	for _, i := range idx {
		part += wa[i]
	}
	return part / total
}

// CoupleBatch returns the pairs of one batch of a mini-batch coupling, as
// ot.MiniBatch and Prepare have them: xb holds the rows b.X of the first
// snapshot, yb the rows b.Y of the second, in that order, with their
// weights wab and wbb (nil: uniform); the batch's exact coupling carries
// mass (BatchMass), and pairs of mass at most 1/(10·max(n, m)) (n and m
// the whole snapshots' sizes) are dropped. The pairs index the whole
// snapshots (through b). A batch needs only its own rows, so batches can
// be coupled on different machines.
func CoupleBatch(xb, yb *mat.Dense, wab, wbb []float64, b Batch, mass float64, n, m int) ([]Pair, error) {
	if r, _ := xb.Dims(); r != len(b.X) {
		return nil, fmt.Errorf("jkonet: batch of %d rows for %d indices", r, len(b.X))
	}
	if r, _ := yb.Dims(); r != len(b.Y) {
		return nil, fmt.Errorf("jkonet: batch of %d rows for %d indices", r, len(b.Y))
	}
	plan, err := ot.Couple(xb, yb, wab, wbb, ot.SqEuclidean)
	if err != nil {
		return nil, err
	}
	thr := 1 / (10 * float64(max(n, m)))
	pairs := make([]Pair, 0, len(plan.Pairs))
	for _, q := range plan.Pairs {
		if w := q.Mass * mass; w > thr {
			pairs = append(pairs, Pair{I: b.X[q.I], J: b.Y[q.J], Mass: w})
		}
	}
	return pairs, nil
}
