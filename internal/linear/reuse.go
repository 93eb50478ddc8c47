package linear

import (
	"errors"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// Reuse: a sequence of problems that share their left-hand side AᵀWA and
// differ in the targets (the β estimator's calibration refits: the same
// source particles' features in every refit, only the simulated targets
// change) needs one decomposition, not one per problem.
// Normal.FactorReusing takes the decomposition of an earlier Factored
// whose sums had the same AᵀWA, bit for bit, and computes only the parts
// that depend on the targets; and the decomposition of a block of free
// unknowns (Fix, and SolveBox's working sets) is computed once per block
// and shared by every problem of the sequence. Each answer is the same,
// bit for bit, as the one computed afresh.

// shared is what the problems factored from one decomposition have in
// common: the AᵀWA it was factored from (nil when it came from rows), and
// the decompositions of the free blocks computed so far, keyed by the set
// of fixed unknowns.
type shared struct {
	ata    []float64
	mu     sync.Mutex
	blocks map[string]*freeBlock
}

// freeBlock is the part of Fix's result that does not depend on the
// targets or on the values the fixed unknowns are held at: the free
// unknowns, their columns of R and of the scaled AᵀWA, and the singular
// value decomposition of those columns (u the left singular vectors).
type freeBlock struct {
	free, live []int
	scale      []float64
	r          *mat.Dense
	gs         []float64
	sigma      []float64
	v, u       *mat.Dense
	sh         *shared
}

func newShared(ata []float64) *shared {
	return &shared{ata: ata, blocks: map[string]*freeBlock{}}
}

// sameBits reports whether a and b hold the same float64 values bit for
// bit (so −0 and 0 differ, and a NaN equals itself).
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i, v := range a {
		if math.Float64bits(v) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// FactorReusing is Factor, reusing prev's decomposition when prev was
// factored (by Factor or FactorReusing) from sums with the same AᵀWA, bit
// for bit: only the parts that depend on AᵀWb and bᵀWb are computed,
// O(P²) instead of an O(P³) eigendecomposition, and the free blocks'
// decompositions prev's solves made are shared. The result is the same,
// bit for bit, as Factor's. With prev nil or from a different AᵀWA it is
// Factor.
func (n *Normal) FactorReusing(prev *Factored) (*Factored, error) {
	if prev == nil || prev.sh == nil || prev.sh.ata == nil || prev.p != n.P || !sameBits(prev.sh.ata, n.AtA) {
		return n.Factor()
	}
	if n.Rows == 0 {
		return nil, errors.New("linear: no data rows")
	}
	for _, v := range append([]float64{n.Btb}, n.Atb...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, errors.New("linear: the features or targets contain NaN or Inf")
		}
	}
	p := n.P
	f := &Factored{p: p, btb: n.Btb, bsum: n.Bsum, w: n.W, rows: n.Rows,
		scale: prev.scale, live: prev.live, gs: prev.gs, r: prev.r, sigma: prev.sigma, v: prev.v, u: prev.u, sh: prev.sh}
	f.h = make([]float64, p)
	for i := range f.h {
		f.h[i] = n.Atb[i] * f.scale[i]
	}
	f.c = make([]float64, p)
	q := len(f.live)
	if q == 0 {
		f.tail = math.Max(n.Btb, 0)
		f.rtail = f.tail
		return f, nil
	}
	f.targets(n.Atb)
	return f, nil
}

// targets sets c = Σ⁺Vᵀh (h the scaled AᵀWb) and the tail of a
// factorisation of the sums: the part of Factor that depends on the
// targets, in the same order of operations.
func (f *Factored) targets(atb []float64) {
	q := len(f.live)
	f.ct = make([]float64, q)
	cc := 0.0
	for k := 0; k < q; k++ {
		s := f.sigma[k]
		vh := 0.0
		for a1, i := range f.live {
			vh += f.v.At(a1, k) * atb[i] * f.scale[i]
		}
		if s > 0 {
			f.ct[k] = vh / s
		}
		cc += f.ct[k] * f.ct[k]
		f.c[k] = f.ct[k]
	}
	f.tail = math.Max(f.btb-cc, 0)
	f.rtail = f.tail
}

// block returns the decomposition of the free unknowns' columns (those
// not fixed), computed on the first call for a set of fixed unknowns and
// shared afterwards by every problem with f's decomposition.
func (f *Factored) block(isFixed []bool) (*freeBlock, error) {
	key := make([]byte, len(isFixed))
	for j, v := range isFixed {
		if v {
			key[j] = 1
		}
	}
	if f.sh == nil {
		f.sh = newShared(nil)
	}
	f.sh.mu.Lock()
	defer f.sh.mu.Unlock()
	if b, ok := f.sh.blocks[string(key)]; ok {
		return b, nil
	}
	p := f.p
	isLive := make([]bool, p)
	for _, i := range f.live {
		isLive[i] = true
	}
	b := &freeBlock{sh: newShared(nil)}
	for j := 0; j < p; j++ {
		if !isFixed[j] {
			if isLive[j] {
				b.live = append(b.live, len(b.free))
			}
			b.free = append(b.free, j)
			b.scale = append(b.scale, f.scale[j])
		}
	}
	q := len(b.free)
	if q > 0 {
		if f.gs != nil {
			b.gs = make([]float64, q*q)
			for fi, i := range b.free {
				for fj, j := range b.free {
					b.gs[fi*q+fj] = f.gs[i*p+j]
				}
			}
		}
		k, _ := f.r.Dims()
		b.r = mat.NewDense(k, q, nil)
		for fi, j := range b.free {
			for row := 0; row < k; row++ {
				b.r.Set(row, fi, f.r.At(row, j))
			}
		}
		zero := true // every fixed column zero on the data
		for j, fx := range isFixed {
			zero = zero && !(fx && isLive[j])
		}
		if zero {
			if err := f.vectors(); err != nil {
				return nil, err
			}
		}
		if zero && f.u != nil {
			// The block is r's live columns, all of them: its
			// decomposition is f's own.
			b.sigma, b.v, b.u = f.sigma, f.v, f.u
		} else if err := b.decompose(); err != nil {
			return nil, err
		}
	}
	f.sh.blocks[string(key)] = b
	return b, nil
}

// identity returns the k×q matrix with ones on its diagonal.
func identity(k, q int) *mat.Dense {
	m := mat.NewDense(max(k, 1), max(q, 1), nil)
	for i := range min(k, q) {
		m.Set(i, i, 1)
	}
	return m
}

// decompose computes the singular value decomposition of the block's
// live columns of r.
func (b *freeBlock) decompose() error {
	q := len(b.live)
	k, _ := b.r.Dims()
	if q == 0 {
		b.v = mat.NewDense(1, 1, nil)
		return nil
	}
	sub := mat.NewDense(k, q, nil)
	for a, i := range b.live {
		for row := 0; row < k; row++ {
			sub.Set(row, a, b.r.At(row, i))
		}
	}
	var svd mat.SVD
	if !svd.Factorize(sub, mat.SVDThin) {
		return errors.New("linear: singular value decomposition failed")
	}
	b.sigma = svd.Values(nil)
	b.u = new(mat.Dense)
	svd.UTo(b.u)
	b.v = new(mat.Dense)
	svd.VTo(b.v)
	return nil
}

// project sets ct = Uᵀc and rtail, the tail plus the part of c outside
// U's range (the target-dependent part of decompose).
func (f *Factored) project(u *mat.Dense) {
	if len(f.live) == 0 {
		f.sigma, f.ct = nil, nil
		f.rtail = f.tail + sumSq(f.c)
		return
	}
	k, _ := f.r.Dims()
	nv := len(f.sigma)
	f.ct = make([]float64, nv)
	out := append([]float64(nil), f.c...)
	for j := 0; j < nv; j++ {
		s := 0.0
		for row := 0; row < k; row++ {
			s += u.At(row, j) * f.c[row]
		}
		f.ct[j] = s
		for row := 0; row < k; row++ {
			out[row] -= u.At(row, j) * s
		}
	}
	f.rtail = f.tail + sumSq(out)
}
