package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jko-org/jko/internal/ir"
)

// Gaussian bumps on a tensor grid of centres (the paper's bumps(z,
// grid(lo, hi, n), s)), computed as products of per-axis factors, agree
// with the graph's evaluation to the rounding of the exponent (relative
// (10 + |log v|)·1e-15), with their gradients; a
// matrix of centres that is not a grid keeps the plain instructions.
func TestGaussGridMatchesGraph(t *testing.T) {
	for _, tc := range []struct {
		name  string
		d     int
		c     []float64
		fused bool
	}{
		{"2-D grid", 2, gridOf([]float64{-4, -1, 0.5, 4}, []float64{-2, 0, 3}), true},
		{"3-D grid", 3, gridOf([]float64{-1, 1}, []float64{0, 2, 5}, []float64{-3, 3}), true},
		{"scattered", 2, []float64{0, 0, 1, 2, -1, 3}, false},
	} {
		g := ir.New()
		x := g.Input("x", ir.Vector(tc.d))
		rows := len(tc.c) / tc.d
		C := g.Const(ir.Matrix(rows, tc.d), tc.c)
		b := g.Exp(g.Neg(g.Div(g.SqDist(C, x), g.Fill(ir.Vector(rows), 0.7))))
		w := g.Param("w", ir.Vector(rows))
		u := g.Dot(w, b)
		outs := []ir.NodeID{u, g.Grad(u, x)[0], g.Grad(g.Index(g.Grad(u, x)[0], 0), w)[0]}
		// The size of the gradient's terms, Σ_m |w_m| b_m 2‖x − c_m‖/s: the
		// scale of its rounding error.
		mag := g.Mul(g.Scalar(2/0.7), g.Dot(g.Abs(w), g.Mul(b, g.Sqrt(g.SqDist(C, x)))))
		p := Compile(g, outs)
		r := rand.New(rand.NewPCG(9, 9))
		wv := make([]float64, rows)
		for i := range wv {
			wv[i] = r.NormFloat64()
		}
		const n = 300
		xs := make([]float64, n*tc.d)
		for i := range xs {
			xs[i] = 3 * r.NormFloat64()
		}
		dst := make([][]float64, len(outs))
		for k, o := range outs {
			dst[k] = make([]float64, n*g.Shape(o).Size())
		}
		shared := map[string][]float64{"w": wv}
		if err := p.Run(dst, Inputs{N: n, Varying: map[string][]float64{"x": xs}, Shared: shared}); err != nil {
			t.Fatal(err)
		}
		env := map[string][]float64{"w": wv}
		for i := range n {
			env["x"] = xs[i*tc.d : (i+1)*tc.d]
			scale := g.Eval(mag, env)[0]
			for k, want := range g.EvalMany(outs, env) {
				s := len(want)
				for e, v := range want {
					// exp(a)·exp(b) and exp(a + b) differ by the rounding
					// of the argument: relative (|a + b| + a few)·ε.
					tol := 1e-15 * (10 + math.Abs(math.Log(math.Abs(v)))) * math.Abs(v)
					if k == 1 {
						tol = 1e-13 * scale
					}
					if got := dst[k][i*s+e]; math.Abs(got-v) > tol+1e-300 {
						t.Fatalf("%s: output %d particle %d [%d] = %.17g, want %.17g", tc.name, k, i, e, got, v)
					}
				}
			}
		}
		pl, _ := p.plan(&Inputs{Varying: map[string][]float64{"x": nil}}, false)
		fused := false
		for _, in := range pl.code {
			fused = fused || in.op == opGauss
		}
		if fused != tc.fused {
			t.Errorf("%s: fused %v, want %v", tc.name, fused, tc.fused)
		}
	}
}

// gridOf lists the tensor grid of the axes, the last axis fastest.
func gridOf(axes ...[]float64) []float64 {
	pts := [][]float64{{}}
	for _, a := range axes {
		var next [][]float64
		for _, p := range pts {
			for _, v := range a {
				next = append(next, append(append([]float64(nil), p...), v))
			}
		}
		pts = next
	}
	var out []float64
	for _, p := range pts {
		out = append(out, p...)
	}
	return out
}
