package jkonet

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Batch is one mini-batch of a step: rows X of the first snapshot and rows
// Y of the second, coupled to each other only.
type Batch struct {
	X, Y []int
}

// Minibatches splits the n points of snapshot step and the m points of
// snapshot step+1 into the same number of random batches, about size
// points each (⌈max(n, m)/size⌉ batches; batch sizes differ by at most
// one). The split depends only on (n, m, size, seed, step), so a
// distributed fit that couples the batches on different machines gets the
// same pairs as one that couples them in turn.
func Minibatches(n, m, size int, seed uint64, step int) ([]Batch, error) {
	if n <= 0 || m <= 0 || size <= 0 {
		return nil, fmt.Errorf("jkonet: mini-batches of %d points from clouds of %d and %d: want positive sizes", size, n, m)
	}
	nb := (max(n, m) + size - 1) / size
	if nb > min(n, m) {
		nb = min(n, m) // every batch needs a point on both sides
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d696e69<<32|uint64(step)))
	px, py := rng.Perm(n), rng.Perm(m)
	out := make([]Batch, nb)
	for b := range out {
		out[b] = Batch{X: px[b*n/nb : (b+1)*n/nb], Y: py[b*m/nb : (b+1)*m/nb]}
	}
	return out, nil
}

// CoupleBatch returns the pairs of the exact optimal coupling (squared
// Euclidean cost) between the rows of one batch: xb holds the rows b.X of
// the first snapshot, yb the rows b.Y of the second, in that order, with
// their weights wab and wbb (nil: uniform). The pairs index the whole
// snapshots (through b). Each batch carries mass 1/batches, so the pairs
// of all the batches of a step together form a coupling of total mass 1
// (the mini-batch coupling: the average of the batches' exact couplings).
// Pairs below a tenth of the batch's uniform mass are dropped, as for a
// whole step. A batch only needs its own rows, so batches can be coupled
// on different machines.
func CoupleBatch(xb, yb *mat.Dense, wab, wbb []float64, b Batch, batches int) ([]Pair, error) {
	if r, _ := xb.Dims(); r != len(b.X) {
		return nil, fmt.Errorf("jkonet: batch of %d rows for %d indices", r, len(b.X))
	}
	if r, _ := yb.Dims(); r != len(b.Y) {
		return nil, fmt.Errorf("jkonet: batch of %d rows for %d indices", r, len(b.Y))
	}
	pairs, err := couple(xb, yb, wab, wbb, "exact")
	if err != nil {
		return nil, err
	}
	share := 1 / float64(batches)
	for i := range pairs {
		pairs[i] = Pair{I: b.X[pairs[i].I], J: b.Y[pairs[i].J], W: pairs[i].W * share}
	}
	return pairs, nil
}

func gatherRows(x *mat.Dense, idx []int) *mat.Dense {
	_, d := x.Dims()
	out := mat.NewDense(len(idx), d, nil)
	for r, i := range idx {
		out.SetRow(r, x.RawRowView(i))
	}
	return out
}

func gatherVec(w []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for r, i := range idx {
		out[r] = w[i]
	}
	return out
}

// ParseMinibatch reads the batch size of couplings "minibatch:B"; ok is
// false for other couplings.
func ParseMinibatch(spec string) (size int, ok bool, err error) {
	arg, found := strings.CutPrefix(spec, "minibatch:")
	if !found {
		return 0, false, nil
	}
	size, err = strconv.Atoi(arg)
	if err != nil || size < 2 {
		return 0, true, fmt.Errorf("couplings %q: want minibatch:B with a batch size B ≥ 2", spec)
	}
	return size, true, nil
}

// CoupleStep returns the pairs of the coupling between snapshot k (x,
// weights wa, nil for uniform) and snapshot k+1 (y, wb) that Prepare uses:
// exact, entropic ("sinkhorn:EPS") or mini-batch ("minibatch:B", batches
// drawn from seed and k), as spec says.
func CoupleStep(x, y *mat.Dense, wa, wb []float64, spec string, seed uint64, k int) ([]Pair, error) {
	size, ok, err := ParseMinibatch(spec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return couple(x, y, wa, wb, spec)
	}
	n, _ := x.Dims()
	m, _ := y.Dims()
	batches, err := Minibatches(n, m, size, seed, k)
	if err != nil {
		return nil, err
	}
	var pairs []Pair
	for _, b := range batches {
		var wab, wbb []float64
		if wa != nil {
			wab = gatherVec(wa, b.X)
		}
		if wb != nil {
			wbb = gatherVec(wb, b.Y)
		}
		p, err := CoupleBatch(gatherRows(x, b.X), gatherRows(y, b.Y), wab, wbb, b, len(batches))
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, p...)
	}
	return pairs, nil
}
