package ir

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// MLP builds a multilayer perceptron with softplus activations on vector x:
// h_1 = softplus(W1 x + b1), …, h_L = softplus(WL h_{L−1} + bL) for the
// hidden widths, and the scalar output w·h_L + b. Its parameter blocks,
// returned in that order, are named prefix+".W1", prefix+".b1", …,
// prefix+".w" and prefix+".b".
func (g *Graph) MLP(x NodeID, widths []int, prefix string) (out NodeID, params []NodeID) {
	h := x
	n := g.mustVector("MLP", x)
	for l, w := range widths {
		s := strconv.Itoa(l + 1)
		W := g.Param(prefix+".W"+s, Matrix(w, n))
		b := g.Param(prefix+".b"+s, Vector(w))
		params = append(params, W, b)
		h = g.Softplus(g.Add(g.MatVec(W, h), b))
		n = w
	}
	w := g.Param(prefix+".w", Vector(n))
	b := g.Param(prefix+".b", Scalar)
	params = append(params, w, b)
	return g.Add(g.Dot(w, h), b), params
}

// InitMLP returns initial values for the parameter blocks of an MLP (as
// returned by MLP): Glorot-uniform weights, U(−l, l) with
// l = √(6/(fan_in+fan_out)), drawn from rng in block order and row-major,
// and zero biases. The result is deterministic for a given rng state.
func (g *Graph) InitMLP(params []NodeID, rng *rand.Rand) [][]float64 {
	out := make([][]float64, len(params))
	for i, p := range params {
		n := &g.nodes[p]
		v := make([]float64, n.Shape.Size())
		var fanIn, fanOut int
		switch {
		case n.Shape.Rank == 2:
			fanIn, fanOut = n.Shape.Cols, n.Shape.Rows
		case strings.HasSuffix(n.Name, ".w"):
			fanIn, fanOut = n.Shape.Rows, 1
		}
		if fanIn > 0 {
			l := math.Sqrt(6 / float64(fanIn+fanOut))
			for j := range v {
				v[j] = l * (2*rng.Float64() - 1)
			}
		}
		out[i] = v
	}
	return out
}
