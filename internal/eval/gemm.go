package eval

import "sync"

// The matrix–matrix products of the batched lowering (a network layer over
// a chunk, its transposed product, the weight gradients Uᵀ diag(w) V) run
// through one kernel of this package: op(A) is packed into panels of mr
// rows and op(B) into panels of nr columns, each laid out along k, and a
// micro-kernel computes each mr×nr tile of the product in registers,
// summing over k in order with fused multiply–adds (AVX2/FMA assembly
// where the CPU has it, plain Go otherwise). Every entry of C is summed
// over k sequentially whatever the shapes and tiling, so a product does not
// depend on where its rows fall in a chunk.
const (
	mr = 4 // rows of a micro-tile
	nr = 8 // columns of a micro-tile
)

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

// gemm computes C = alpha·op(A)·op(B) + beta·C for row-major dense
// matrices: C is m×n, op(A) m×k and op(B) k×n, with op the transpose when
// tA (tB) is set; a, b and c are the underlying row-major data. With beta
// = 0, C is not read (it may hold anything).
func gemm(tA, tB bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	s := gemmPool.Get().(*gemmScratch)
	mp, np := (m+mr-1)/mr, (n+nr-1)/nr
	s.a = grow(s.a, mp*mr*k)
	s.b = grow(s.b, np*nr*k)
	packA(s.a, tA, a, m, k)
	packB(s.b, tB, b, n, k)
	kern := microKernel
	for jb := range np {
		j0 := jb * nr
		nj := min(nr, n-j0)
		bp := s.b[jb*nr*k : (jb+1)*nr*k]
		for ib := range mp {
			i0 := ib * mr
			mi := min(mr, m-i0)
			kern(k, s.a[ib*mr*k:(ib+1)*mr*k], bp, &s.tile)
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

// packA lays op(A) (m×k) out as panels of mr rows: panel ib holds, for
// each p in 0..k−1, the mr values op(A)[ib·mr + i, p] (zero past row m).
func packA(dst []float64, tA bool, a []float64, m, k int) {
	for ib := 0; ib*mr < m; ib++ {
		pan := dst[ib*mr*k : (ib+1)*mr*k]
		i0 := ib * mr
		mi := min(mr, m-i0)
		if mi < mr {
			clear(pan)
		}
		for i := range mi {
			if tA { // op(A)[r, p] = a[p*m + r]
				for p := range k {
					pan[p*mr+i] = a[p*m+i0+i]
				}
			} else {
				row := a[(i0+i)*k : (i0+i+1)*k]
				for p, v := range row {
					pan[p*mr+i] = v
				}
			}
		}
	}
}

// packB lays op(B) (k×n) out as panels of nr columns: panel jb holds, for
// each p in 0..k−1, the nr values op(B)[p, jb·nr + j] (zero past column n).
func packB(dst []float64, tB bool, b []float64, n, k int) {
	for jb := 0; jb*nr < n; jb++ {
		pan := dst[jb*nr*k : (jb+1)*nr*k]
		j0 := jb * nr
		nj := min(nr, n-j0)
		if nj < nr {
			clear(pan)
		}
		if tB { // op(B)[p, c] = b[c*k + p]
			for j := range nj {
				col := b[(j0+j)*k : (j0+j+1)*k]
				for p, v := range col {
					pan[p*nr+j] = v
				}
			}
			continue
		}
		for p := range k {
			copy(pan[p*nr:p*nr+nj], b[p*n+j0:p*n+j0+nj])
		}
	}
}

// kernelGo is the portable micro-kernel: tile = A·B for a packed panel a
// (k×mr) and b (k×nr), each entry summed over p in order.
func kernelGo(k int, a, b []float64, tile *[mr * nr]float64) {
	var acc [mr * nr]float64
	a, b = a[:k*mr], b[:k*nr]
	for p := range k {
		bp := (*[nr]float64)(b[p*nr:])
		ap := (*[mr]float64)(a[p*mr:])
		for i, ai := range ap {
			r := (*[nr]float64)(acc[i*nr:])
			for j, bj := range bp {
				r[j] += ai * bj
			}
		}
	}
	*tile = acc
}
