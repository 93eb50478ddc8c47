package linear

import (
	"math"

	"github.com/jko-org/jko/internal/gemm"
	"github.com/jko-org/jko/internal/parallel"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// The update of a triangular factor by a block of new rows: the QR
// decomposition of the (n + m)×n matrix [R; B], R upper triangular, B
// dense (LAPACK's dtpqrt). Reflector j has the unit vector e_j as its part
// in R and a dense part v_j in B, so it changes row j of R only, and the
// work is 2·m·n² flops, against 2·(n + m)·n² for a general QR of the
// stacked matrix. Columns are taken a panel of tpPanel at a time: the
// panel's reflectors are made one by one on a contiguous copy of its
// columns, then applied to the columns right of it as two matrix products
// through the compact WY form I − V·T·Vᵀ (T upper triangular, LAPACK's
// dlarft), where the time of a large update goes.

// tpPanel is the number of columns factored together; tpChunk the fewest
// trailing columns a core updates.
const (
	tpPanel = 32
	tpChunk = 32
)

// tpPanelChunk is the fewest entries of the panel's columns (rows of the
// block times columns) a core takes within a panel: shorter work stays on
// one core, where starting goroutines would cost more than it saves.
const tpPanelChunk = 1 << 14

// tpqr holds the buffers of the update (columns, updateColumns).
type tpqr struct {
	bc, t, w, z []float64
}

// columns returns the buffer that holds a block of m rows by columns (row
// j is column j of the block), n·m entries, for updateColumns.
func (q *tpqr) columns(n, m int) []float64 {
	q.bc = grow(q.bc, n*m)
	return q.bc
}

// updateColumns overwrites r (n×n row-major, upper triangular) with the
// triangular factor R̃ of [r; B], for the m×n block B held by columns in
// the buffer columns returned (a panel's columns and the trailing
// columns are then contiguous rows): [r; B] = Q·[R̃; 0] for an orthogonal
// Q. The rows of R̃ may differ in sign from LAPACK's. The buffer is
// overwritten.
func (q *tpqr) updateColumns(r []float64, n, m int) {
	if m == 0 {
		return
	}
	bc := q.bc[:n*m]
	q.t = grow(q.t, tpPanel*tpPanel)
	q.z = grow(q.z, tpPanel)
	for j0 := 0; j0 < n; j0 += tpPanel {
		j1 := min(j0+tpPanel, n)
		kb := j1 - j0
		// The panel's reflectors, made in place: row c of v is the part in
		// b of reflector j0 + c.
		v := bc[j0*m : j1*m]
		t := q.t[:kb*kb]
		clear(t)
		for c := range kb {
			j := j0 + c
			x := v[c*m : (c+1)*m]
			alpha := r[j*n+j]
			xnorm := blas64.Nrm2(blas64.Vector{N: m, Inc: 1, Data: x})
			if xnorm == 0 {
				continue // H = I, τ = 0
			}
			beta := -math.Copysign(math.Hypot(alpha, xnorm), alpha)
			tau := (beta - alpha) / beta
			blas64.Scal(1/(alpha-beta), blas64.Vector{N: m, Inc: 1, Data: x})
			r[j*n+j] = beta
			// The reflector on the panel's later columns, and
			// T[0:c, c] = −τ·T[0:c, 0:c]·(V[:, 0:c]ᵀ v_c); T[c, c] = τ.
			// Each later column and each z_i is one product with x of
			// its own: split among the cores when long, the result does
			// not depend on their number.
			z := q.z[:c]
			later := kb - c - 1
			parallel.Chunks(later+c, max(1, tpPanelChunk/m), func(lo, hi int) {
				for u := lo; u < hi; u++ {
					if u >= later {
						i := u - later
						z[i] = -tau * blas64.Dot(blas64.Vector{N: m, Inc: 1, Data: v[i*m : (i+1)*m]}, blas64.Vector{N: m, Inc: 1, Data: x})
						continue
					}
					c2 := c + 1 + u
					y := v[c2*m : (c2+1)*m]
					k := j0 + c2
					w := r[j*n+k] + blas64.Dot(blas64.Vector{N: m, Inc: 1, Data: x}, blas64.Vector{N: m, Inc: 1, Data: y})
					r[j*n+k] -= tau * w
					blas64.Axpy(-tau*w, blas64.Vector{N: m, Inc: 1, Data: x}, blas64.Vector{N: m, Inc: 1, Data: y})
				}
			})
			for i := range c {
				var s float64
				for l := i; l < c; l++ {
					s += t[i*kb+l] * z[l]
				}
				t[i*kb+c] = s
			}
			t[c*kb+c] = tau
		}
		ktr := n - j1
		if ktr == 0 {
			continue
		}
		// The trailing columns: C = [Rtop; Btr] with Rtop = r[j0:j1, j1:n]
		// and Btr = b[:, j1:n], whose transpose is bc's rows j1..n. Qᵀ·C =
		// C − V·(Tᵀ·(Rtop + Vᵀ·Btr)), computed transposed: Wᵀ = (Rtopᵀ +
		// Btrᵀ·V)·T, Rtop −= W, Btrᵀ −= Wᵀ·Vᵀ.
		btr := bc[j1*m : n*m]
		q.w = grow(q.w, ktr*kb)
		wt := q.w
		for c := range kb {
			for k, x := range r[(j0+c)*n+j1 : (j0+c)*n+n] {
				wt[k*kb+c] = x
			}
		}
		tri := blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: kb, Stride: kb, Data: t}
		// Each trailing column is updated on its own: split among the
		// cores, the result does not depend on their number.
		parallel.Chunks(ktr, tpChunk, func(lo, hi int) {
			w := wt[lo*kb : hi*kb]
			gemm.Gemm(false, true, hi-lo, kb, m, 1, btr[lo*m:hi*m], v, 1, w)
			blas64.Trmm(blas.Right, blas.NoTrans, 1, tri, blas64.General{Rows: hi - lo, Cols: kb, Stride: kb, Data: w})
			for c := range kb {
				row := r[(j0+c)*n+j1+lo : (j0+c)*n+j1+hi]
				for k := range row {
					row[k] -= w[k*kb+c]
				}
			}
			// Btrᵀ −= Wᵀ·Vᵀ as Btrᵀ += (−Wᵀ)·Vᵀ: the same sums, negated
			// exactly, and a product the kernel adds into C in place
			// (with a factor −1 every tile went through a buffer).
			for k := range w {
				w[k] = -w[k]
			}
			gemm.Gemm(false, false, hi-lo, m, kb, 1, w, v, 1, btr[lo*m:hi*m])
		})
	}
}

// grow returns s resized to n entries, reallocating when too short.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}
