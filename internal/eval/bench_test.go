package eval

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jko-org/jko/internal/ir"
	"github.com/jko-org/jko/internal/parallel"
)

const benchN = 1_000_000

func benchPoints(n int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 2*n)
	for i := range xs {
		xs[i] = 8*r.Float64() - 4
	}
	return xs
}

// styblinskiTang builds 0.5·Σ(v⁴ − 16v² + 5v).
func styblinskiTang(g *ir.Graph, x ir.NodeID) ir.NodeID {
	v4 := g.Pow(x, 4)
	v2 := g.Mul(g.Scalar(16), g.Pow(x, 2))
	return g.Mul(g.Scalar(0.5), g.Sum(g.Add(g.Sub(v4, v2), g.Mul(g.Scalar(5), x))))
}

// wavyPlateau builds Σ(cos(πv) + 0.5v⁴ − 3v² + 1).
func wavyPlateau(g *ir.Graph, x ir.NodeID) ir.NodeID {
	c := g.Cos(g.Mul(g.Scalar(math.Pi), x))
	p := g.Sub(g.Mul(g.Scalar(0.5), g.Pow(x, 4)), g.Mul(g.Scalar(3), g.Pow(x, 2)))
	return g.Sum(g.Add(g.Add(c, p), g.Scalar(1)))
}

// compiledRunner returns a function evaluating value and ∇ₓ over n points.
func compiledRunner(tb testing.TB, n int, build func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64)) func() {
	g := ir.New()
	x := g.Input("x", ir.Vector(2))
	y, shared := build(g, x)
	outs := []ir.NodeID{y, g.Grad(y, x)[0]}
	p := Compile(g, outs)
	xs := benchPoints(n)
	dst := [][]float64{make([]float64, n), make([]float64, 2*n)}
	in := Inputs{N: n, Varying: map[string][]float64{"x": xs}, Shared: shared}
	return func() {
		if err := p.Run(dst, in); err != nil {
			tb.Fatal(err)
		}
	}
}

// handRunner returns a function running a hand-written per-particle
// function over the same chunks, in parallel the same way.
func handRunner(n int, f func(val, grad, x []float64)) func() {
	xs := benchPoints(n)
	val, grad := make([]float64, n), make([]float64, 2*n)
	nc := (n + ChunkSize - 1) / ChunkSize
	return func() {
		parallel.Claim(nc, func(next func() int) {
			for c := next(); c < nc; c = next() {
				s := c * ChunkSize
				e := min(n, s+ChunkSize)
				f(val[s:e], grad[2*s:2*e], xs[2*s:2*e])
			}
		})
	}
}

func benchRun(b *testing.B, n int, run func()) {
	run()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/point")
}

func benchCompiled(b *testing.B, n int, build func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64)) {
	benchRun(b, n, compiledRunner(b, n, build))
}

func benchHand(b *testing.B, n int, f func(val, grad, x []float64)) {
	benchRun(b, n, handRunner(n, f))
}

func BenchmarkStyblinskiTang(b *testing.B) {
	b.Run("compiled", func(b *testing.B) {
		benchCompiled(b, benchN, func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64) {
			return styblinskiTang(g, x), nil
		})
	})
	b.Run("hand", func(b *testing.B) {
		benchHand(b, benchN, handStyblinskiTang)
	})
}

func handStyblinskiTang(val, grad, x []float64) {
	for i := range val {
		s := 0.0
		for j := range 2 {
			v := x[2*i+j]
			v2 := v * v
			s += v2*v2 - 16*v2 + 5*v
			grad[2*i+j] = 2*v2*v - 16*v + 2.5
		}
		val[i] = 0.5 * s
	}
}

func BenchmarkWavyPlateau(b *testing.B) {
	b.Run("compiled", func(b *testing.B) {
		benchCompiled(b, benchN, func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64) {
			return wavyPlateau(g, x), nil
		})
	})
	b.Run("hand", func(b *testing.B) {
		benchHand(b, benchN, handWavyPlateau)
	})
}

func handWavyPlateau(val, grad, x []float64) {
	for i := range val {
		s := 0.0
		for j := range 2 {
			v := x[2*i+j]
			v2 := v * v
			s += math.Cos(math.Pi*v) + 0.5*v2*v2 - 3*v2 + 1
			grad[2*i+j] = -math.Pi*math.Sin(math.Pi*v) + 2*v2*v - 6*v
		}
		val[i] = s
	}
}

const (
	mlpN = 100_000 // points for the 64×64 MLP (ns/point is the comparable figure)
	hid  = 64
)

func mlpParams() (W1, b1, W2, b2, w []float64, b float64) {
	g := ir.New()
	x := g.Input("x", ir.Vector(2))
	_, params := g.MLP(x, []int{hid, hid}, "V.mlp")
	v := g.InitMLP(params, rand.New(rand.NewPCG(3, 4)))
	return v[0], v[1], v[2], v[3], v[4], 0.1
}

func BenchmarkMLP64x64(b *testing.B) {
	W1, b1, W2, b2, w, bias := mlpParams()
	b.Run("compiled", func(b *testing.B) {
		benchCompiled(b, mlpN, func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64) {
			y, _ := g.MLP(x, []int{hid, hid}, "V.mlp")
			return y, map[string][]float64{"V.mlp.W1": W1, "V.mlp.b1": b1, "V.mlp.W2": W2, "V.mlp.b2": b2, "V.mlp.w": w, "V.mlp.b": {bias}}
		})
	})
	b.Run("hand", func(b *testing.B) {
		benchHand(b, mlpN, handMLP(W1, b1, W2, b2, w, bias))
	})
}

// handMLP is the hand-written value and gradient of the 64×64 MLP.
func handMLP(W1, b1, W2, b2, w []float64, bias float64) func(val, grad, x []float64) {
	return func(val, grad, x []float64) {
		var z1, h1, z2, d2, d1 [hid]float64
		for i := range val {
			x0, x1 := x[2*i], x[2*i+1]
			for k := range hid {
				z1[k] = W1[2*k]*x0 + W1[2*k+1]*x1 + b1[k]
				h1[k] = ir.Softplus(z1[k])
			}
			out := bias
			for k := range hid {
				s := b2[k]
				row := W2[k*hid : (k+1)*hid]
				for j, h := range h1 {
					s += row[j] * h
				}
				z2[k] = s
				out += w[k] * ir.Softplus(s)
				d2[k] = w[k] * ir.Sigmoid(s)
			}
			val[i] = out
			d1 = [hid]float64{}
			for k := range hid {
				row := W2[k*hid : (k+1)*hid]
				for j := range d1 {
					d1[j] += row[j] * d2[k]
				}
			}
			g0, g1 := 0.0, 0.0
			for k := range hid {
				dk := d1[k] * ir.Sigmoid(z1[k])
				g0 += W1[2*k] * dk
				g1 += W1[2*k+1] * dk
			}
			grad[2*i], grad[2*i+1] = g0, g1
		}
	}
}

func BenchmarkRatios(b *testing.B) {
	W1, b1, W2, b2, w, bias := mlpParams()
	cases := []struct {
		name     string
		n        int
		compiled func()
		hand     func()
	}{
		{"styblinski_tang", benchN, compiledRunner(b, benchN, func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64) {
			return styblinskiTang(g, x), nil
		}), handRunner(benchN, handStyblinskiTang)},
		{"wavy_plateau", benchN, compiledRunner(b, benchN, func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64) {
			return wavyPlateau(g, x), nil
		}), handRunner(benchN, handWavyPlateau)},
		{"mlp64x64", mlpN, compiledRunner(b, mlpN, func(g *ir.Graph, x ir.NodeID) (ir.NodeID, map[string][]float64) {
			y, _ := g.MLP(x, []int{hid, hid}, "V.mlp")
			return y, map[string][]float64{"V.mlp.W1": W1, "V.mlp.b1": b1, "V.mlp.W2": W2, "V.mlp.b2": b2, "V.mlp.w": w, "V.mlp.b": {bias}}
		}), handRunner(mlpN, handMLP(W1, b1, W2, b2, w, bias))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			best := [2]float64{math.Inf(1), math.Inf(1)}
			for b.Loop() {
				for k, f := range []func(){c.compiled, c.hand} {
					t0 := time.Now()
					f()
					best[k] = min(best[k], float64(time.Since(t0).Nanoseconds())/float64(c.n))
				}
			}
			b.ReportMetric(best[0], "compiled-ns/point")
			b.ReportMetric(best[1], "hand-ns/point")
			b.ReportMetric(best[0]/best[1], "ratio")
		})
	}
}
