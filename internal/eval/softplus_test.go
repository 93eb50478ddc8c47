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
