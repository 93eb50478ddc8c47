package eval

import (
	"fmt"
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

// naiveGemm is the reference product: each entry summed over p in order,
// with fused multiply–adds when fma is set (as the assembly kernel does).
func naiveGemm(tA, tB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64, fma bool) {
	for i := range m {
		for j := range n {
			s := 0.0
			for p := range k {
				x, y := a[i*k+p], b[p*n+j]
				if tA {
					x = a[p*m+i]
				}
				if tB {
					y = b[j*k+p]
				}
				if fma {
					s = math.FMA(x, y, s)
				} else {
					s += x * y
				}
			}
			if beta == 0 {
				c[i*n+j] = alpha * s
			} else {
				c[i*n+j] = alpha*s + beta*c[i*n+j]
			}
		}
	}
}

// The packed product agrees with the naive one for every transposition
// and shapes with partial tiles: bit for bit with fused multiply–adds when
// the assembly kernel runs, to rounding with the portable kernel.
func TestGemmMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	type kernel struct {
		name  string
		kern  tileKernel
		exact bool
	}
	kernels := []kernel{{"go", kernelGo, false}}
	if hasFMA() {
		kernels = append(kernels, kernel{"avx2", kernelFMA, true})
	}
	if hasAVX512() {
		kernels = append(kernels, kernel{"avx512", kernelAVX512, true})
	}
	defer func(k tileKernel) { microKernel = k }(microKernel)
	for _, kn := range kernels {
		microKernel = kn.kern
		for _, sh := range [][3]int{{1, 1, 1}, {4, 8, 1}, {5, 9, 3}, {64, 64, 64}, {33, 5, 64}, {64, 5, 33}, {7, 64, 5}, {3, 2, 0}, {8, 16, 7}, {12, 21, 9}, {16, 8, 64}, {17, 3, 2}} {
			m, n, k := sh[0], sh[1], sh[2]
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, ab := range [][2]float64{{1, 0}, {1, 1}, {-1, 1}, {0.5, 2}} {
						a, b := make([]float64, m*k), make([]float64, k*n)
						c0 := make([]float64, m*n)
						for i := range a {
							a[i] = r.NormFloat64()
						}
						for i := range b {
							b[i] = r.NormFloat64()
						}
						for i := range c0 {
							c0[i] = r.NormFloat64()
						}
						got, want := append([]float64(nil), c0...), append([]float64(nil), c0...)
						if ab[1] == 0 {
							for i := range got {
								got[i] = math.NaN() // not read when beta = 0
							}
						}
						gemm(tA, tB, m, n, k, ab[0], a, b, ab[1], got)
						naiveGemm(tA, tB, m, n, k, ab[0], a, b, ab[1], want, kn.exact)
						for i := range want {
							ok := got[i] == want[i]
							if !kn.exact {
								ok = math.Abs(got[i]-want[i]) <= 1e-13*float64(k+1)*(1+math.Abs(want[i]))
							}
							if !ok {
								t.Fatalf("%s %dx%dx%d tA=%v tB=%v α=%g β=%g: c[%d] = %.17g, want %.17g",
									kn.name, m, n, k, tA, tB, ab[0], ab[1], i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

func BenchmarkGemm(b *testing.B) {
	kernels := map[string]tileKernel{"go": kernelGo}
	if hasFMA() {
		kernels["avx2"] = kernelFMA
	}
	if hasAVX512() {
		kernels["avx512"] = kernelAVX512
	}
	defer func(k tileKernel) { microKernel = k }(microKernel)
	for _, sh := range [][3]int{{64, 64, 64}, {64, 5, 64}, {64, 64, 5}} {
		m, n, k := sh[0], sh[1], sh[2]
		x, y, c := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
		for i := range x {
			x[i] = float64(i%7) - 3
		}
		for i := range y {
			y[i] = float64(i%5) - 2
		}
		for _, name := range []string{"go", "avx2", "avx512"} {
			kern, ok := kernels[name]
			if !ok {
				continue
			}
			microKernel = kern
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, name), func(b *testing.B) {
				for b.Loop() {
					gemm(false, false, m, n, k, 1, x, y, 0, c)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
