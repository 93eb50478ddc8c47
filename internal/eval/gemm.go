package eval

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// gemmTile bounds the tiles of C handed to gonum's Dgemm: a tile of at most
// 64×64 runs serially in the calling goroutine (the evaluator already runs
// one goroutine per core) without allocating, and tiling C does not change
// the order in which any entry of C is summed.
const gemmTile = 64

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major dense
// matrices: C is m×n, op(A) m×k and op(B) k×n, with op the transpose when
// tA (tB) is set; a, b and c are the underlying row-major data.
func gemm(tA, tB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) {
	ta, tb := blas.NoTrans, blas.NoTrans
	lda, ldb := k, n
	if tA {
		ta, lda = blas.Trans, m
	}
	if tB {
		tb, ldb = blas.Trans, k
	}
	for i0 := 0; i0 < m; i0 += gemmTile {
		mi := min(gemmTile, m-i0)
		var as []float64
		if tA {
			as = a[i0:]
		} else {
			as = a[i0*lda:]
		}
		for j0 := 0; j0 < n; j0 += gemmTile {
			nj := min(gemmTile, n-j0)
			var bs []float64
			if tB {
				bs = b[j0*ldb:]
			} else {
				bs = b[j0:]
			}
			rowsA, colsA := mi, k
			if tA {
				rowsA, colsA = k, mi
			}
			rowsB, colsB := k, nj
			if tB {
				rowsB, colsB = nj, k
			}
			blas64.Gemm(ta, tb, alpha,
				blas64.General{Rows: rowsA, Cols: colsA, Stride: lda, Data: as[:(rowsA-1)*lda+colsA]},
				blas64.General{Rows: rowsB, Cols: colsB, Stride: ldb, Data: bs[:(rowsB-1)*ldb+colsB]},
				beta, blas64.General{Rows: mi, Cols: nj, Stride: n, Data: c[i0*n+j0 : (i0+mi-1)*n+j0+nj]})
		}
	}
}
