package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jko-org/jko/internal/ir"
)

// The batched lowering of a network (products with a uniform matrix as
// matrix–matrix products over a chunk, reductions of outer products as
// Uᵀ diag(w) V) agrees with the graph's own per-particle evaluation, for
// values, the drift ∇ₓV and the parameter gradient of seed·∇ₓV (what a
// JKOnet* step computes), to 1e-12 relative.
func TestBatchedNetworkMatchesGraph(t *testing.T) {
	g := ir.New()
	x := g.Input("x", ir.Vector(5))
	v, params := g.MLP(x, []int{64, 48}, "V.mlp")
	drift := g.Grad(v, x)[0]
	seed := g.Input("seed", ir.Vector(5))
	vjp := g.GradDot(drift, seed, params...)
	init := g.InitMLP(params, rand.New(rand.NewPCG(1, 1)))
	shared := map[string][]float64{}
	env := map[string][]float64{}
	r := rand.New(rand.NewPCG(3, 3))
	for i, pr := range params {
		for e := range init[i] {
			init[i][e] += 0.1 * r.NormFloat64() // non-zero biases too
		}
		shared[g.Node(pr).Name] = init[i]
		env[g.Node(pr).Name] = init[i]
	}
	close := func(got, want, scale float64) bool {
		return math.Abs(got-want) <= 1e-12*(math.Abs(want)+scale)
	}
	for _, n := range []int{3, 256, 700} {
		xs, ss, wt := make([]float64, 5*n), make([]float64, 5*n), make([]float64, n)
		for i := range xs {
			xs[i], ss[i] = r.NormFloat64(), r.NormFloat64()
		}
		for i := range wt {
			wt[i] = r.Float64()
		}
		// Values and drift, particle by particle.
		run := Compile(g, []ir.NodeID{v, drift})
		dst := [][]float64{make([]float64, n), make([]float64, 5*n)}
		if err := run.Run(dst, Inputs{N: n, Varying: map[string][]float64{"x": xs}, Shared: shared}); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			env["x"] = xs[5*i : 5*i+5]
			want := g.EvalMany([]ir.NodeID{v, drift}, env)
			for k := range dst {
				s := len(want[k])
				for e, w := range want[k] {
					if got := dst[k][i*s+e]; !close(got, w, 1e-3) {
						t.Fatalf("n=%d output %d particle %d [%d] = %.17g, want %.17g", n, k, i, e, got, w)
					}
				}
			}
		}
		// The weighted reduction of the parameter gradient.
		red := Compile(g, vjp)
		sums := make([][]float64, len(vjp))
		for k, o := range vjp {
			sums[k] = make([]float64, g.Shape(o).Size())
		}
		if err := red.Reduce(sums, Inputs{N: n, Varying: map[string][]float64{"x": xs, "seed": ss}, Shared: shared}, wt); err != nil {
			t.Fatal(err)
		}
		want := make([][]float64, len(vjp))
		scale := make([]float64, len(vjp))
		for k, o := range vjp {
			want[k] = make([]float64, g.Shape(o).Size())
		}
		for i := range n {
			env["x"], env["seed"] = xs[5*i:5*i+5], ss[5*i:5*i+5]
			for k, row := range g.EvalMany(vjp, env) {
				for e, val := range row {
					want[k][e] += wt[i] * val
					scale[k] += math.Abs(wt[i] * val)
				}
			}
		}
		for k := range vjp {
			for e, w := range want[k] {
				if !close(sums[k][e], w, scale[k]/float64(len(want[k]))) {
					t.Fatalf("n=%d gradient %s[%d] = %.17g, want %.17g", n, g.Node(params[k]).Name, e, sums[k][e], w)
				}
			}
		}
		// The weight gradients were reduced as matrix products.
		pl, err := red.plan(&Inputs{Varying: map[string][]float64{"x": nil, "seed": nil}}, true)
		if err != nil {
			t.Fatal(err)
		}
		fused := 0
		for _, o := range pl.outer {
			if len(o) > 0 {
				fused++
			}
		}
		if fused != 2 {
			t.Errorf("%d outputs reduced as matrix products, want 2 (W1, W2)", fused)
		}
	}
}
