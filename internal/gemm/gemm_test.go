package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

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
	for _, name := range Kernels() {
		restore := Use(name)
		exact := name != "go"
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
						Gemm(tA, tB, m, n, k, ab[0], a, b, ab[1], got)
						naiveGemm(tA, tB, m, n, k, ab[0], a, b, ab[1], want, exact)
						for i := range want {
							ok := got[i] == want[i]
							if !exact {
								ok = math.Abs(got[i]-want[i]) <= 1e-13*float64(k+1)*(1+math.Abs(want[i]))
							}
							if !ok {
								t.Fatalf("%s %dx%dx%d tA=%v tB=%v α=%g β=%g: c[%d] = %.17g, want %.17g",
									name, m, n, k, tA, tB, ab[0], ab[1], i, got[i], want[i])
							}
						}
					}
				}
			}
		}
		restore()
	}
}

// BenchmarkGemm times each kernel the machine runs on small products.
func BenchmarkGemm(b *testing.B) {
	for _, sh := range [][3]int{{64, 64, 64}, {64, 5, 64}, {64, 64, 5}} {
		m, n, k := sh[0], sh[1], sh[2]
		x, y, c := make([]float64, m*k), make([]float64, k*n), make([]float64, m*n)
		for i := range x {
			x[i] = float64(i%7) - 3
		}
		for i := range y {
			y[i] = float64(i%5) - 2
		}
		for _, name := range Kernels() {
			restore := Use(name)
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, name), func(b *testing.B) {
				for b.Loop() {
					Gemm(false, false, m, n, k, 1, x, y, 0, c)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			restore()
		}
	}
}
