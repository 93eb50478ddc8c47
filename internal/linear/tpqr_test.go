package linear

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// geqrfStacked is the reference: LAPACK's general QR of [r; b], its R.
func geqrfStacked(r []float64, n int, b []float64, m int) []float64 {
	g := append(append([]float64(nil), r...), b...)
	ga := blas64.General{Rows: n + m, Cols: n, Stride: n, Data: g}
	tau := make([]float64, n)
	work := make([]float64, 1)
	lapack64.Geqrf(ga, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(ga, tau, work, len(work))
	out := make([]float64, n*n)
	for i := range n {
		for j := i; j < n; j++ {
			out[i*n+j] = g[i*n+j]
		}
	}
	return out
}

// updateRows is the update of r by the m×n block b given by rows (not
// changed), as QR.addBlock makes it: laid out by columns, then
// updateColumns.
func updateRows(q *tpqr, r []float64, n int, b []float64, m int) {
	bc := q.columns(n, m)
	for i := range m {
		for j, x := range b[i*n : (i+1)*n] {
			bc[j*m+i] = x
		}
	}
	q.updateColumns(r, n, m)
}

// The triangular update gives LAPACK's factor up to the signs of its rows,
// from a zero factor and from a factor with earlier rows, for panels that
// divide n or not, blocks shorter and longer than n, and a zero column.
func TestTriangularUpdateMatchesGeqrf(t *testing.T) {
	for _, tc := range []struct{ n, m, blocks int }{
		{1, 5, 1}, {3, 2, 3}, {5, 40, 2}, {33, 10, 4}, {64, 200, 2}, {70, 50, 3}, {100, 300, 2},
	} {
		t.Run(fmt.Sprintf("n=%d/m=%d", tc.n, tc.m), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.m)))
			n, m := tc.n, tc.m
			got := make([]float64, n*n)
			want := make([]float64, n*n)
			var q tpqr
			for range tc.blocks {
				b := make([]float64, m*n)
				for i := range b {
					b[i] = rng.NormFloat64() * math.Pow(10, float64(i%n%4))
				}
				if n > 2 {
					for i := range m {
						b[i*n+1] = 0 // a zero column: τ = 0 there
					}
				}
				want = geqrfStacked(want, n, b, m)
				updateRows(&q, got, n, b, m)
			}
			for i := range n {
				s := 1.0
				if (got[i*n+i] < 0) != (want[i*n+i] < 0) {
					s = -1
				}
				for j := range n {
					g, w := s*got[i*n+j], want[i*n+j]
					if j < i && g != 0 {
						t.Fatalf("R[%d][%d] = %g below the diagonal", i, j, g)
					}
					scale := math.Abs(want[j*n+j]) + math.Abs(w) + 1e-300
					if math.Abs(g-w) > 1e-12*scale*float64(n) {
						t.Errorf("R[%d][%d] = %.15g, LAPACK %.15g", i, j, g, w)
					}
				}
			}
		})
	}
}

// BenchmarkTriangularUpdate: one block of 4,096 rows under a factor of
// n = P + 1 columns, by the triangular update and by LAPACK's dgeqrf of
// the stacked matrix (the QR's path before).
func BenchmarkTriangularUpdate(b *testing.B) {
	for _, n := range []int{125, 250, 1326} {
		m := 4096
		rng := rand.New(rand.NewPCG(1, 2))
		blk := make([]float64, m*n)
		for i := range blk {
			blk[i] = rng.NormFloat64()
		}
		r0 := geqrfStacked(make([]float64, n*n), n, blk, m)
		flops := 2 * float64(m) * float64(n) * float64(n)
		b.Run(fmt.Sprintf("tpqr/n=%d", n), func(b *testing.B) {
			var q tpqr
			c0 := cpuTime()
			for b.Loop() {
				r := append([]float64(nil), r0...)
				updateRows(&q, r, n, blk, m)
			}
			cpu := (cpuTime() - c0).Seconds() / float64(b.N)
			b.ReportMetric(cpu*1e3, "cpu-ms/op")
			b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
		})
		b.Run(fmt.Sprintf("geqrf/n=%d", n), func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				geqrfStacked(r0, n, blk, m)
			}
			cpu := (cpuTime() - c0).Seconds() / float64(b.N)
			b.ReportMetric(cpu*1e3, "cpu-ms/op")
			b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
		})
	}
}
