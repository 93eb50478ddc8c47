package linear

import (
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

// svdProject computes the singular values σ (decreasing) and right
// singular vectors V (q×q) of a (k×q, k ≥ q, row-major, overwritten), and
// Uᵀc for its left singular vectors U without forming U; rest is the
// squared norm of the part of c outside U's range. c has k entries and is
// not changed. It reduces a to bidiagonal form (Dgebrd), applies the
// left reflections to c (Dormbr), forms the right ones (Dorgbr) and
// diagonalises the bidiagonal matrix carrying c along (Dbdsqr). ok is
// false when the iteration does not converge.
func svdProject(a []float64, k, q int, c []float64) (sigma []float64, v *mat.Dense, ct []float64, rest float64, ok bool) {
	var impl gonum.Implementation
	d := make([]float64, q)
	e := make([]float64, max(q-1, 1))
	tauQ := make([]float64, q)
	tauP := make([]float64, q)
	work := make([]float64, 1)
	impl.Dgebrd(k, q, a, q, d, e, tauQ, tauP, work, -1)
	work = make([]float64, max(int(work[0]), 1))
	impl.Dgebrd(k, q, a, q, d, e, tauQ, tauP, work, len(work))

	qc := append([]float64(nil), c...)
	impl.Dormbr(lapack.ApplyQ, blas.Left, blas.Trans, k, 1, q, a, q, tauQ, qc, 1, work[:1], -1)
	if n := int(work[0]); n > len(work) {
		work = make([]float64, n)
	}
	impl.Dormbr(lapack.ApplyQ, blas.Left, blas.Trans, k, 1, q, a, q, tauQ, qc, 1, work, len(work))
	for _, x := range qc[q:] {
		rest += x * x
	}

	// Pᵀ in a's first q rows.
	impl.Dorgbr(lapack.GeneratePT, q, q, k, a, q, tauP, work[:1], -1)
	if n := int(work[0]); n > len(work) {
		work = make([]float64, n)
	}
	impl.Dorgbr(lapack.GeneratePT, q, q, k, a, q, tauP, work, len(work))

	ct = qc[:q:q]
	bw := make([]float64, 4*q)
	if !impl.Dbdsqr(blas.Upper, q, q, 0, 1, d, e, a, q, nil, 1, ct, 1, bw) {
		return nil, nil, nil, 0, false
	}
	vt := mat.NewDense(q, q, a[:q*q])
	v = mat.DenseCopyOf(vt.T())
	return d, v, ct, rest, true
}
