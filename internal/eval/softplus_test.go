package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jko-org/jko/internal/ir"
)

// The evaluator's softplus agrees with ir.Softplus to a few ulps over the
// whole range, including the tails and the special values.
func TestSoftplusMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 1e-17, -1e-17, 36, -36, 37, -37, 700, -700, 745, -745, 800, -800,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
	for range 100000 {
		xs = append(xs, r.NormFloat64()*math.Pow(10, 4*r.Float64()-2))
	}
	for _, x := range xs {
		got, want := softplus(x), ir.Softplus(x)
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Abs(got-want) > 4e-16*math.Abs(want)) {
			t.Fatalf("softplus(%v) = %.17g, want %.17g", x, got, want)
		}
	}
}

// Softplus and sigmoid of one value run as one instruction (one
// exponential for both): the softplus equals the evaluator's own softplus
// and the sigmoid ir.Sigmoid, bit for bit, whatever order the graph has
// them in.
func TestSoftSigPairMatches(t *testing.T) {
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 36, -36, 745, -745, 800, -800,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
	r := rand.New(rand.NewPCG(5, 5))
	for range 3000 {
		xs = append(xs, r.NormFloat64()*math.Pow(10, 4*r.Float64()-2))
	}
	for _, sigFirst := range []bool{false, true} {
		g := ir.New()
		x := g.Input("x", ir.Scalar)
		z := g.Mul(x, g.Scalar(1))
		var sp, sg ir.NodeID
		if sigFirst {
			sg = g.Sigmoid(z)
			sp = g.Softplus(z)
		} else {
			sp = g.Softplus(z)
			sg = g.Sigmoid(z)
		}
		// Something between and after, so both stay live across other code.
		out := g.Add(g.Mul(sp, sg), g.Exp(z))
		prog := Compile(g, []ir.NodeID{sg, out, sp})
		n := len(xs)
		dst := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
		if err := prog.Run(dst, Inputs{N: n, Varying: map[string][]float64{"x": xs}}); err != nil {
			t.Fatal(err)
		}
		pl, err := prog.plan(&Inputs{Varying: map[string][]float64{"x": nil}}, false)
		if err != nil {
			t.Fatal(err)
		}
		paired := 0
		for _, in := range pl.code {
			if in.op == opSoftSig {
				paired++
			}
		}
		if paired != 1 {
			t.Fatalf("sigmoid first %v: %d paired instructions, want 1", sigFirst, paired)
		}
		same := func(a, b float64) bool { return a == b && math.Signbit(a) == math.Signbit(b) || a != a && b != b }
		for i, v := range xs {
			wsp, wsg := softplus(v), ir.Sigmoid(v)
			wout := wsp*wsg + math.Exp(v)
			if !same(dst[2][i], wsp) || !same(dst[0][i], wsg) || !same(dst[1][i], wout) {
				t.Fatalf("sigmoid first %v, x = %v: softplus %.17g sigmoid %.17g out %.17g, want %.17g %.17g %.17g",
					sigFirst, v, dst[2][i], dst[0][i], dst[1][i], wsp, wsg, wout)
			}
		}
	}
}
