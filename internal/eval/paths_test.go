package eval

import (
	"github.com/jko-org/jko/internal/gemm"
	"math"
	"testing"

	"github.com/jko-org/jko/internal/ir"
)

// A 64×64 network's value and gradient in x come out the same on every
// code path the machine can run: the portable Go micro-kernel with scalar
// activations (what a CPU without AVX2 runs), the AVX2 kernels and the
// AVX-512 ones, each checked against the hand-written network; the two
// assembly paths agree bit for bit. On a machine with AVX-512 this runs
// the paths of machines without it, too.
func TestMLPOnEveryPath(t *testing.T) {
	W1, b1, W2, b2, w, bias := mlpParams()
	const n = 300 // several chunks, partial tiles
	type path struct {
		name      string
		vec, wide bool
	}
	paths := []path{{"go", false, false}}
	if gemm.HasFMA() {
		paths = append(paths, path{"avx2", true, false})
	}
	if gemm.HasAVX512() {
		paths = append(paths, path{"avx512", true, true})
	}
	defer func(v, w bool) { vectorActivations, wideActivations = v, w }(vectorActivations, wideActivations)
	g := ir.New()
	x := g.Input("x", ir.Vector(2))
	y, _ := g.MLP(x, []int{hid, hid}, "V.mlp")
	prog := Compile(g, []ir.NodeID{y, g.Grad(y, x)[0]})
	xs := benchPoints(n)
	shared := map[string][]float64{"V.mlp.W1": W1, "V.mlp.b1": b1, "V.mlp.W2": W2, "V.mlp.b2": b2, "V.mlp.w": w, "V.mlp.b": {bias}}
	wantV, wantG := make([]float64, n), make([]float64, 2*n)
	handMLP(W1, b1, W2, b2, w, bias)(wantV, wantG, xs)
	var prev []float64
	for _, p := range paths {
		restore := gemm.Use(p.name)
		vectorActivations, wideActivations = p.vec, p.wide
		val, grad := make([]float64, n), make([]float64, 2*n)
		if err := prog.Run([][]float64{val, grad}, Inputs{N: n, Varying: map[string][]float64{"x": xs}, Shared: shared}); err != nil {
			t.Fatal(err)
		}
		got := append(val, grad...)
		want := append(wantV, wantG...)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
				t.Fatalf("%s: entry %d = %.17g, hand-written %.17g", p.name, i, got[i], want[i])
			}
		}
		if p.name == "avx512" && prev != nil {
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(prev[i]) {
					t.Fatalf("avx512: entry %d = %.17g, avx2 %.17g", i, got[i], prev[i])
				}
			}
		}
		prev = got
		restore()
	}
}
