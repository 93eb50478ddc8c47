package linear

import (
	"errors"
	"fmt"
	"math"

	"github.com/jko-org/jko/internal/parallel"

	"gonum.org/v1/gonum/mat"
)

// QR accumulates the rows of a weighted least-squares problem in P
// unknowns as the triangular factor of their QR decomposition: the rows
// √w·[a | b] are stacked under the current (P+1)×(P+1) factor and
// re-triangularised by Householder reflections that keep the factor's
// structure (LAPACK's dtpqrt; tpqr.go), a block of rows at a time.
// It is the path for rows held in memory: the solve never forms AᵀWA, so
// it keeps the digits the normal equations (Normal) lose to the squared
// condition number. Memory is O(P·(P + block)) whatever the number of
// rows; time O(rows·P²): 2·rows·P² flops, twice those of Normal's
// rank-k update, mostly in matrix products (internal/gemm) on all cores.
// The zero value is not usable; call NewQR.
type QR struct {
	p int
	// r is the (P+1)×(P+1) upper triangle [R c; 0 ρ], row-major: the
	// rows so far are Q·[R c; 0 ρ] for an orthogonal Q.
	r       []float64
	btb     float64
	bsum, w float64
	rows    int
	// tp re-triangularises the factor under a block of rows; sw holds a
	// block's √w.
	tp tpqr
	sw []float64
	// badWeight is the first weight that is negative, infinite or NaN,
	// reported by Factor when hasBad.
	badWeight float64
	hasBad    bool
}

// qrBlock is the number of rows re-triangularised at once.
const qrBlock = 4096

// NewQR returns an empty factor for p unknowns.
func NewQR(p int) *QR {
	if p <= 0 {
		panic("linear: NewQR needs p > 0")
	}
	return &QR{p: p, r: make([]float64, (p+1)*(p+1))}
}

// AddRows adds m rows: a is m×P row-major, b and w have m entries (w ≥ 0).
func (q *QR) AddRows(a, b, w []float64) {
	p := q.p
	m := len(b)
	if len(a) != m*p || len(w) != m {
		panic(fmt.Sprintf("linear: AddRows with %d entries, %d targets, %d weights for %d unknowns", len(a), m, len(w), p))
	}
	for lo := 0; lo < m; lo += qrBlock {
		hi := min(lo+qrBlock, m)
		q.addBlock(a[lo*p:hi*p], b[lo:hi], w[lo:hi])
	}
}

func (q *QR) addBlock(a, b, w []float64) {
	p, m := q.p, len(b)
	n := p + 1
	// The block √w·[a | b] by columns, then the update of [R c; 0 ρ] by it.
	g := q.tp.columns(n, m)
	q.sw = grow(q.sw, m)
	sw := q.sw
	for i := 0; i < m; i++ {
		if !(w[i] >= 0) || math.IsInf(w[i], 1) {
			if !q.hasBad {
				q.badWeight, q.hasBad = w[i], true
			}
		}
		sw[i] = math.Sqrt(w[i])
		g[p*m+i] = sw[i] * b[i]
		q.btb += w[i] * b[i] * b[i]
		q.bsum += w[i] * b[i]
		q.w += w[i]
	}
	// The transpose by tiles of rows and columns (each read and written
	// while in cache), the columns split among the cores.
	const tile = 32
	parallel.Chunks(p, tile, func(j0, j1 int) {
		for i0 := 0; i0 < m; i0 += tile {
			i1 := min(i0+tile, m)
			for jt := j0; jt < j1; jt += tile {
				jt1 := min(jt+tile, j1)
				for j := jt; j < jt1; j++ {
					col := g[j*m : (j+1)*m]
					for i := i0; i < i1; i++ {
						col[i] = sw[i] * a[i*p+j]
					}
				}
			}
		}
	})
	q.rows += m
	q.tp.updateColumns(q.r, n, m)
}

// Gram returns AᵀWA of the rows added so far (P×P, row-major, both
// triangles) from their triangular factor, RᵀR: O(P³) instead of the
// O(rows·P²) of forming it from the rows, for a caller that needs the
// normal matrix of the same rows (equal to Normal's sums to rounding).
func (q *QR) Gram() []float64 {
	p, n := q.p, q.p+1
	g := make([]float64, p*p)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			s := 0.0
			for k := 0; k <= i; k++ {
				s += q.r[k*n+i] * q.r[k*n+j]
			}
			g[i*p+j], g[j*p+i] = s, s
		}
	}
	return g
}

// Factor returns the factored problem: the rows' triangular factor and
// the singular value decomposition of its P×P part, from which Solve,
// SolveBox and AutoRidge all work.
func (q *QR) Factor() (*Factored, error) {
	p, n := q.p, q.p+1
	if q.rows == 0 {
		return nil, errors.New("linear: no data rows")
	}
	if q.hasBad {
		return nil, fmt.Errorf("linear: a row has weight %v: weights must be finite and ≥ 0", q.badWeight)
	}
	for _, v := range q.r {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("linear: the features or targets contain NaN or Inf")
		}
	}
	r := mat.NewDense(p, p, nil)
	c := make([]float64, p)
	d := make([]float64, p)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			v := q.r[i*n+j]
			r.Set(i, j, v)
			d[j] += v * v
		}
		c[i] = q.r[i*n+p]
	}
	rho := q.r[p*n+p]
	f := &Factored{p: p, c: c, tail: rho * rho, btb: q.btb, bsum: q.bsum, w: q.w, rows: q.rows}
	f.setScale(d)
	for j := 0; j < p; j++ {
		for i := 0; i <= j; i++ {
			r.Set(i, j, r.At(i, j)*f.scale[j])
		}
	}
	f.r = r
	f.sh = newShared(nil)
	if err := f.decompose(); err != nil {
		return nil, err
	}
	return f, nil
}
