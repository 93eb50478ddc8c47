package linear

import (
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// svdKeepU is the largest number of live columns whose decomposition keeps
// the left singular vectors U (for Fix and FactorReusing to project new
// targets without a new decomposition). Above it U is not formed: the
// rotations of the bidiagonal QR iteration applied to U cost as much as
// the rest of the decomposition (a P = 1,325 fit spent 92 of its 134
// CPU-seconds in them), and only Uᵀc is needed. A variable for tests.
var svdKeepU = 512

// bidiag is the first stage of the singular value decomposition of a k×q
// matrix A (k ≥ q): A = Q·B·Pᵀ with B upper bidiagonal (LAPACK's dgebrd),
// kept so that the singular values and Uᵀc come first, from B alone
// (B's QR iteration carrying Qᵀc, O(q²)), and the singular vectors later,
// only when they are asked for: forming V and U and rotating them costs
// most of a decomposition (4/3·q³ flops for the reduction against about
// 12·q³ for the vectors), and a bounded fit whose bounds bind needs only
// the values of the whole problem (the data-chosen ridge) and the vectors
// of its free block. Both stages run the same iteration on the same B, so
// the singular values and Uᵀc of vectors are those of values, bit for bit
// (TestBidiagStages).
type bidiag struct {
	k, q       int
	a          []float64 // Dgebrd's reflectors, k×q row-major
	d, e       []float64 // B's diagonal and superdiagonal
	tauQ, tauP []float64
}

// newBidiag reduces a (k×q row-major, k ≥ q ≥ 1; kept and overwritten) to
// bidiagonal form.
func newBidiag(a []float64, k, q int) *bidiag {
	var impl gonum.Implementation
	b := &bidiag{k: k, q: q, a: a, d: make([]float64, q), e: make([]float64, max(q-1, 1)),
		tauQ: make([]float64, q), tauP: make([]float64, q)}
	work := make([]float64, 1)
	impl.Dgebrd(k, q, a, q, b.d, b.e, b.tauQ, b.tauP, work, -1)
	work = make([]float64, max(int(work[0]), 1))
	impl.Dgebrd(k, q, a, q, b.d, b.e, b.tauQ, b.tauP, work, len(work))
	return b
}

// project returns Qᵀc (k entries; c is not changed).
func (b *bidiag) project(c []float64) []float64 {
	var impl gonum.Implementation
	k, q := b.k, b.q
	qc := slices.Clone(c)
	work := make([]float64, 1)
	impl.Dormbr(lapack.ApplyQ, blas.Left, blas.Trans, k, 1, q, b.a, q, b.tauQ, qc, 1, work, -1)
	work = make([]float64, max(int(work[0]), 1))
	impl.Dormbr(lapack.ApplyQ, blas.Left, blas.Trans, k, 1, q, b.a, q, b.tauQ, qc, 1, work, len(work))
	return qc
}

// values returns the singular values σ (decreasing), Uᵀc for the left
// singular vectors U, and the squared norm of the part of c (k entries,
// not changed) outside U's range, without forming U or V. ok is false
// when the iteration does not converge.
func (b *bidiag) values(c []float64) (sigma, ct []float64, rest float64, ok bool) {
	var impl gonum.Implementation
	q := b.q
	qc := b.project(c)
	for _, x := range qc[q:] {
		rest += x * x
	}
	sigma, e := slices.Clone(b.d), slices.Clone(b.e)
	ct = qc[:q:q]
	ok = impl.Dbdsqr(blas.Upper, q, 0, 0, 1, sigma, e, nil, 1, nil, 1, ct, 1, make([]float64, 4*q))
	return sigma, ct, rest, ok
}

// vectors returns what values does, and the right singular vectors V
// (q×q) and, when wantU, the left ones U (k×q).
func (b *bidiag) vectors(c []float64, wantU bool) (sigma, ct []float64, rest float64, v, u *mat.Dense, ok bool) {
	var impl gonum.Implementation
	k, q := b.k, b.q
	qc := b.project(c)
	for _, x := range qc[q:] {
		rest += x * x
	}
	// Pᵀ in the first q rows of a copy of the reflectors; Q in another.
	pt := slices.Clone(b.a)
	work := make([]float64, 1)
	impl.Dorgbr(lapack.GeneratePT, q, q, k, pt, q, b.tauP, work, -1)
	work = make([]float64, max(int(work[0]), 1))
	impl.Dorgbr(lapack.GeneratePT, q, q, k, pt, q, b.tauP, work, len(work))
	nru := 0
	var uq []float64
	if wantU {
		uq = slices.Clone(b.a)
		impl.Dorgbr(lapack.GenerateQ, k, q, q, uq, q, b.tauQ, work[:1], -1)
		if n := int(work[0]); n > len(work) {
			work = make([]float64, n)
		}
		impl.Dorgbr(lapack.GenerateQ, k, q, q, uq, q, b.tauQ, work, len(work))
		nru = k
	}
	sigma, e := slices.Clone(b.d), slices.Clone(b.e)
	ct = qc[:q:q]
	if !impl.Dbdsqr(blas.Upper, q, q, nru, 1, sigma, e, pt, q, uq, q, ct, 1, make([]float64, 4*q)) {
		return nil, nil, 0, nil, nil, false
	}
	vt := mat.NewDense(q, q, pt[:q*q])
	v = mat.DenseCopyOf(vt.T())
	if wantU {
		u = mat.NewDense(k, q, uq)
	}
	return sigma, ct, rest, v, u, true
}

// svdProject computes the singular values σ (decreasing) and right
// singular vectors V (q×q) of a (k×q, k ≥ q, row-major, overwritten), and
// Uᵀc for its left singular vectors U without forming U; rest is the
// squared norm of the part of c outside U's range. c has k entries and is
// not changed. ok is false when the iteration does not converge.
func svdProject(a []float64, k, q int, c []float64) (sigma []float64, v *mat.Dense, ct []float64, rest float64, ok bool) {
	sigma, ct, rest, v, _, ok = newBidiag(a, k, q).vectors(c, false)
	return sigma, v, ct, rest, ok
}
