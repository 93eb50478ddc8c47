// Package gemm multiplies dense row-major matrices: the matrix–matrix
// products of jko's hot loops (a network layer over a chunk of particles,
// its transposed product and weight gradients in internal/eval; the
// block updates of the triangular factor in internal/linear) run through
// its one kernel, Gemm.
//
// A micro-kernel computes an mr×nr tile of the product in registers,
// summing over k in order with fused multiply–adds (AVX-512 or AVX2/FMA
// assembly where the CPU has it, plain Go otherwise; the two assembly
// kernels round alike). It reads op(A) in place through a row and a column
// stride (row-major A or its transpose alike) and op(B) in place when its rows
// are contiguous (B not transposed); a transposed B, and the partial tiles
// at the edges, are first packed into zero-padded panels. Every entry of C
// is summed over k sequentially whatever the shapes and tiling, so a
// product does not depend on where its rows fall in a chunk, nor on how
// a caller splits its rows among cores.
package gemm

import "sync"

const (
	mr = 8 // rows of a micro-tile
	nr = 8 // columns of a micro-tile
)

// tileKernel computes t[i·nr + j] = Σ_p a[i·rsA + p·csA]·b[p·ldb + j] for
// i < mr, j < nr, p < k in order (strides in elements) and stores t[i·nr +
// j] to c[i·ldc + j], or adds it there when add is set; a, b and c start at
// the tile's first row and column.
type tileKernel func(k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int, add bool)

// gemmScratch holds the packed operands of one product.
type gemmScratch struct {
	a, b []float64
	tile [mr * nr]float64
}

var gemmPool = sync.Pool{New: func() any { return new(gemmScratch) }}

// grow returns s resized to n entries, reallocating when too short.
func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major dense
// matrices: C is m×n, op(A) m×k and op(B) k×n, with op the transpose when
// tA (tB) is set; a, b and c are the underlying row-major data. With beta
// = 0, C is not read (it may hold anything).
func Gemm(tA, tB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	a, b, c = a[:m*k], b[:k*n], c[:m*n]
	s := gemmPool.Get().(*gemmScratch)
	kern := microKernel
	// op(A)[i, p] = a[i·rsA + p·csA].
	rsA, csA := k, 1
	if tA {
		rsA, csA = 1, m
	}
	np := (n + nr - 1) / nr
	// Panels of op(B): in place (rows of b) unless transposed or partial.
	var bp []float64
	if tB {
		s.b = grow(s.b, np*nr*k)
		packBT(s.b, b, n, k)
		bp = s.b
	} else if n%nr != 0 {
		s.b = grow(s.b, nr*k)
		packBEdge(s.b, b, n, k, (np-1)*nr)
	}
	edgeA := m % mr
	if edgeA != 0 {
		s.a = grow(s.a, mr*k)
		packA(s.a, tA, a, m, k, m-edgeA)
	}
	for jb := range np {
		j0 := jb * nr
		nj := min(nr, n-j0)
		var pb []float64
		ldb := nr
		switch {
		case tB:
			pb = bp[jb*nr*k : (jb+1)*nr*k]
		case nj < nr:
			pb = s.b[:nr*k]
		default:
			pb, ldb = b[j0:], n
		}
		for i0 := 0; i0 < m; i0 += mr {
			mi := min(mr, m-i0)
			pa, rs, cs := a[i0*rsA:], rsA, csA
			if mi < mr {
				pa, rs, cs = s.a, 1, mr
			}
			if mi == mr && nj == nr && alpha == 1 && (beta == 0 || beta == 1) {
				// A whole tile with nothing to scale: into C directly.
				kern(k, pa, rs, cs, pb, ldb, c[i0*n+j0:], n, beta == 1)
				continue
			}
			kern(k, pa, rs, cs, pb, ldb, s.tile[:], nr, false)
			for i := range mi {
				row := c[(i0+i)*n+j0 : (i0+i)*n+j0+nj]
				t := s.tile[i*nr : i*nr+nj]
				switch {
				case beta == 0 && alpha == 1:
					copy(row, t)
				case beta == 0:
					for j, v := range t {
						row[j] = alpha * v
					}
				case beta == 1:
					for j, v := range t {
						row[j] += alpha * v
					}
				default:
					for j, v := range t {
						row[j] = alpha*v + beta*row[j]
					}
				}
			}
		}
	}
	gemmPool.Put(s)
}

// packA lays the rows i0.. of op(A) (m×k, fewer than mr of them) out as
// one zero-padded panel: dst[p·mr + i] = op(A)[i0 + i, p].
func packA(dst []float64, tA bool, a []float64, m, k, i0 int) {
	clear(dst[:mr*k])
	for i := range m - i0 {
		for p := range k {
			if tA {
				dst[p*mr+i] = a[p*m+i0+i]
			} else {
				dst[p*mr+i] = a[(i0+i)*k+p]
			}
		}
	}
}

// packBT lays op(B) = bᵀ (b n×k row-major) out as panels of nr columns:
// panel jb holds, for each p in 0..k−1, the nr values op(B)[p, jb·nr + j]
// (zero past column n).
func packBT(dst []float64, b []float64, n, k int) {
	for jb := 0; jb*nr < n; jb++ {
		pan := dst[jb*nr*k : (jb+1)*nr*k]
		j0 := jb * nr
		nj := min(nr, n-j0)
		if nj < nr {
			clear(pan)
		}
		for j := range nj {
			col := b[(j0+j)*k : (j0+j+1)*k]
			for p, v := range col {
				pan[p*nr+j] = v
			}
		}
	}
}

// packBEdge lays the columns j0.. of b (k×n row-major, fewer than nr of
// them) out as one zero-padded panel: dst[p·nr + j] = b[p·n + j0 + j].
func packBEdge(dst []float64, b []float64, n, k, j0 int) {
	clear(dst[:nr*k])
	for p := range k {
		copy(dst[p*nr:p*nr+n-j0], b[p*n+j0:(p+1)*n])
	}
}

// kernelGo is the portable tileKernel: the tile in 4×4 blocks of
// sixteen scalar accumulators (registers), each summed over p in order.
func kernelGo(k int, a []float64, rsA, csA int, b []float64, ldb int, c []float64, ldc int, add bool) {
	for i0 := 0; i0 < mr; i0 += 4 {
		for j0 := 0; j0 < nr; j0 += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float64
			ai := i0 * rsA
			for p := range k {
				bp := (*[4]float64)(b[p*ldb+j0:])
				b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
				q := ai + p*csA
				a0, a1, a2, a3 := a[q], a[q+rsA], a[q+2*rsA], a[q+3*rsA]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
				c20 += a2 * b0
				c21 += a2 * b1
				c22 += a2 * b2
				c23 += a2 * b3
				c30 += a3 * b0
				c31 += a3 * b1
				c32 += a3 * b2
				c33 += a3 * b3
			}
			for i, r := range [4][4]float64{{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23}, {c30, c31, c32, c33}} {
				row := (*[4]float64)(c[(i0+i)*ldc+j0:])
				if add {
					for j, v := range r {
						row[j] += v
					}
				} else {
					*row = r
				}
			}
		}
	}
}
