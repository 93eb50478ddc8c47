package compile

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"sync"

	"github.com/jko-org/jko/internal/eval"
	"github.com/jko-org/jko/internal/ir"
	"github.com/jko-org/jko/internal/parallel"
)

// Gaussian bumps of z without the pair loop.
//
// A summand dot(w, bumps(z, C, s)) of the interaction energy, w a
// parameter block, contributes Σ_m w_m Σ_j g(x_i − y_j − c_m) to the sums
// over pairs, g(v) = exp(−‖v‖²/s): every quantity the solvers need (drift,
// features, VJPs, pair energies) is H(x_i − c_m) or ∇H(x_i − c_m) with
// H(t) = Σ_j g(t − y_j) the kernel summed over the cloud, which
// eval.GaussSum evaluates on a lattice to a stated tolerance per source
// (gaussTol) instead of over the N² pairs. splitGauss takes such summands
// out of the interaction aggregate when the model is compiled; the rest of
// U goes through the cubature or the pair loop as before. The self-pairs
// (x_i = y_j) are subtracted as g(−c_m) per copy, as the cubature does.

// gaussTol is the tolerance per source of the Gaussian sums (see
// eval.GaussSum): the measured error is 100–1000× smaller, far below what
// moves a fit (TestGaussBumpsMatchPairLoop). 0 sums over the pairs exactly.
var gaussTol = 1e-9

// gaussLattice forces the lattice whatever its cost (for tests).
var gaussLattice = false

// gaussTerm is a summand dot(w, bumps(z, C, s)) of the interaction energy.
type gaussTerm struct {
	block   int       // the Params index of w
	centres []float64 // C, M×d
	m       int
	s       float64
	sign    float64 // ±1: the summand's sign in U
	// grid is the centres as a tensor grid (bumps(z, grid(…), s)), for
	// the sums at every bump of a row at once; nil when they are not one.
	grid *eval.TensorShifts
}

// splitGauss moves the summands dot(w, bumps(z, C, s)) of the interaction
// energy, w a parameter block and C, s constants, out of its aggregate
// into m.gauss; the aggregate keeps the rest (0 when nothing is left,
// m.gaussOnly). Under PairLoop nothing is moved.
func (m *Model) splitGauss() {
	a := &m.agg[Interaction]
	if !a.present || PairLoop {
		return
	}
	g := m.g
	type summand struct {
		id   ir.NodeID
		sign float64
	}
	var summands []summand
	var collect func(id ir.NodeID, sign float64)
	collect = func(id ir.NodeID, sign float64) {
		nd := g.Node(id)
		switch {
		case nd.Op == ir.OpAdd && g.Shape(id).IsScalar():
			collect(nd.Args[0], sign)
			collect(nd.Args[1], sign)
		case nd.Op == ir.OpSub && g.Shape(id).IsScalar():
			collect(nd.Args[0], sign)
			collect(nd.Args[1], -sign)
		case nd.Op == ir.OpNeg && g.Shape(id).IsScalar():
			collect(nd.Args[0], -sign)
		default:
			summands = append(summands, summand{id, sign})
		}
	}
	collect(a.value, 1)
	var rest []ir.NodeID
	var terms []gaussTerm
	for _, sm := range summands {
		if t, ok := m.matchGaussTerm(sm.id); ok {
			t.sign = sm.sign
			t.grid = eval.NewTensorShifts(t.centres, t.m, m.Dim)
			terms = append(terms, t)
		} else if sm.sign < 0 {
			rest = append(rest, g.Neg(sm.id))
		} else {
			rest = append(rest, sm.id)
		}
	}
	if len(terms) == 0 {
		return
	}
	m.gauss = terms
	if len(rest) == 0 {
		m.gaussOnly = true
		a.value, a.grad = g.Scalar(0), g.Zeros(ir.Vector(m.Dim))
		return
	}
	v := rest[0]
	for _, r := range rest[1:] {
		v = g.Add(v, r)
	}
	a.value, a.grad = v, g.Grad(v, m.z)[0]
}

// matchGaussTerm recognises id = sum(mul(w, exp(neg(div(sqdist(C, z), S)))))
// (either order of the product) with w a parameter block, C a constant
// matrix and S a constant fill s > 0.
func (m *Model) matchGaussTerm(id ir.NodeID) (gaussTerm, bool) {
	g := m.g
	op := func(id ir.NodeID, o ir.Op) *ir.Node {
		if nd := g.Node(id); nd.Op == o {
			return nd
		}
		return nil
	}
	sum := op(id, ir.OpSum)
	if sum == nil {
		return gaussTerm{}, false
	}
	mul := op(sum.Args[0], ir.OpMul)
	if mul == nil {
		return gaussTerm{}, false
	}
	for _, w := range []int{0, 1} {
		wn, bn := mul.Args[w], mul.Args[1-w]
		if g.Op(wn) != ir.OpParam {
			continue
		}
		block := -1
		for i, nd := range m.nodes {
			if nd == wn {
				block = i
			}
		}
		e := op(bn, ir.OpExp)
		if block < 0 || e == nil {
			continue
		}
		ng := op(e.Args[0], ir.OpNeg)
		if ng == nil {
			continue
		}
		dv := op(ng.Args[0], ir.OpDiv)
		if dv == nil {
			continue
		}
		sq := op(dv.Args[0], ir.OpSqDist)
		sv := g.ConstValue(dv.Args[1])
		if sq == nil || len(sv) == 0 || sq.Args[1] != m.z {
			continue
		}
		s := sv[0]
		for _, v := range sv {
			if v != s {
				s = math.NaN()
			}
		}
		cv := g.ConstValue(sq.Args[0])
		if !(s > 0) || math.IsInf(s, 1) || cv == nil {
			continue
		}
		rows := g.Shape(sq.Args[0]).Rows
		if m.Params[block].Size != rows {
			continue
		}
		return gaussTerm{block: block, centres: cv, m: rows, s: s}, true
	}
	return gaussTerm{}, false
}

// gaussBlock is a block of rows [lo, hi) of x with, for one Gaussian term,
// val[(i−lo)·M + m] = Σ_{j: y_j ≠ x_i} g(x_i − y_j − c_m) and
// grad[((i−lo)·M + m)·d + k] its derivative in x_ik.
type gaussBlock struct {
	block, lo, hi int
	val, grad     []float64
}

// gaussRowBlock is the number of rows of a gaussBlock: fixed, so sums over
// blocks do not depend on the number of cores.
const gaussRowBlock = 64

// gaussEach calls f, on several goroutines, with every block of rows of x
// for Gaussian term t against the cloud ys; self[i] is the number of copies
// of x_i in ys. Only the values (wantGrad false) or only the gradients
// (wantVal false) may be asked for.
func (m *Model) gaussEach(t gaussTerm, x []float64, n int, ys []float64, ny int, self []int, wantVal, wantGrad bool, f func(b *gaussBlock)) {
	d, M := m.Dim, t.m
	targets := n * M
	if gaussLattice {
		targets = math.MaxInt32
	}
	gs := eval.NewGaussSum(ys, ny, d, t.s, gaussTol, targets)
	// g(−c_m) and ∇g(−c_m), the self-pair of each bump.
	g0 := make([]float64, M)
	dg0 := make([]float64, M*d)
	for c := range M {
		r2 := 0.0
		for k := range d {
			r2 += t.centres[c*d+k] * t.centres[c*d+k]
		}
		g0[c] = math.Exp(-r2 / t.s)
		for k := range d {
			dg0[c*d+k] = 2 / t.s * t.centres[c*d+k] * g0[c]
		}
	}
	nb := (n + gaussRowBlock - 1) / gaussRowBlock
	parallel.Claim(nb, func(next func() int) {
		rows := gaussRowBlock
		tg := make([]float64, rows*M*d)
		b := &gaussBlock{}
		if wantVal {
			b.val = make([]float64, rows*M)
		}
		if wantGrad {
			b.grad = make([]float64, rows*M*d)
		}
		for bi := next(); bi < nb; bi = next() {
			lo, hi := bi*rows, min(n, (bi+1)*rows)
			nt := (hi - lo) * M
			for i := lo; i < hi; i++ {
				for c := range M {
					q := ((i-lo)*M + c) * d
					for k := range d {
						tg[q+k] = x[i*d+k] - t.centres[c*d+k]
					}
				}
			}
			var val, grad []float64
			if wantVal {
				val = b.val[:nt]
			}
			if wantGrad {
				grad = b.grad[:nt*d]
			}
			gs.At(tg[:nt*d], nt, val, grad)
			for i := lo; i < hi; i++ {
				if self[i] == 0 {
					continue
				}
				sc := float64(self[i])
				q := (i - lo) * M
				for c := range M {
					if val != nil {
						val[q+c] -= sc * g0[c]
					}
					if grad != nil {
						for k := range d {
							grad[(q+c)*d+k] -= sc * dg0[c*d+k]
						}
					}
				}
			}
			b.block, b.lo, b.hi, b.val, b.grad = bi, lo, hi, val, grad
			f(b)
			if wantVal {
				b.val = b.val[:cap(b.val)]
			}
			if wantGrad {
				b.grad = b.grad[:cap(b.grad)]
			}
		}
	})
}

// gaussBlocks is the number of blocks gaussEach calls f with for n rows.
func gaussBlocks(n int) int { return (n + gaussRowBlock - 1) / gaussRowBlock }

// The sums ∇H(x_i − c_m) depend only on the row x_i and the cloud, and a
// fit asks for the same ones many times: the β estimator refits the drift
// to simulated steps from the same coupled particles against the same
// snapshots, and evaluates the drift there for every trial θ (which only
// weighs them). gaussMemo keeps, for the last clouds, each row's sums.

// gaussMemoClouds and gaussMemoFloats bound the memo: at most 8 clouds of
// 16 MB (10,000 rows of paper_linear's 100 bumps in 2-D each).
const (
	gaussMemoClouds = 8
	gaussMemoFloats = 1 << 21 // per cloud
)

// gaussMemo holds the clouds, most recent last.
type gaussMemo struct {
	mu     sync.Mutex
	clouds []*gaussCloud
}

// gaussCloud is one cloud's GaussSums (one per Gaussian term) and the rows
// evaluated against it: rows[key of x_i] is the offset of its sums in
// grads, width = Σ_t M_t·d entries (self-pairs left out).
type gaussCloud struct {
	ys       []float64
	tol      float64
	lattice  bool
	pairLoop bool
	sums     []*eval.GaussSum
	mu       sync.Mutex
	rows     map[string]int
	grads    []float64
	frows    map[string]int // the interaction features of rows (featureCols)
	feats    []float64
}

// rowKey is the bits of a row (−0 as 0).
func rowKey(p []float64) string {
	b := make([]byte, 8*len(p))
	for k, v := range p {
		binary.LittleEndian.PutUint64(b[8*k:], math.Float64bits(v+0))
	}
	return string(b)
}

// gaussWidth is the number of sums per row: Σ_t M_t·d.
func (m *Model) gaussWidth() int {
	w := 0
	for _, t := range m.gauss {
		w += t.m * m.Dim
	}
	return w
}

// gaussCloudOf returns the memo's entry for ys, made (and the oldest dropped) if
// needed.
func (m *Model) gaussCloudOf(ys []float64, ny int) *gaussCloud {
	ys = ys[:ny*m.Dim]
	mm := &m.gmemo
	mm.mu.Lock()
	defer mm.mu.Unlock()
	for i, c := range mm.clouds {
		if c.tol == gaussTol && c.lattice == gaussLattice && c.pairLoop == PairLoop && slices.Equal(c.ys, ys) {
			mm.clouds = append(append(mm.clouds[:i:i], mm.clouds[i+1:]...), c)
			return c
		}
	}
	c := &gaussCloud{ys: slices.Clone(ys), tol: gaussTol, lattice: gaussLattice, pairLoop: PairLoop, rows: map[string]int{}, frows: map[string]int{}}
	for _, t := range m.gauss {
		// The lattice's use is decided for a nominal ny·M targets, so the
		// sums of a row do not depend on how many rows were asked with it.
		targets := ny * t.m
		if gaussLattice {
			targets = math.MaxInt32
		}
		c.sums = append(c.sums, eval.NewGaussSum(c.ys, ny, m.Dim, t.s, gaussTol, targets))
	}
	mm.clouds = append(mm.clouds, c)
	for len(mm.clouds) > gaussMemoClouds {
		mm.clouds = mm.clouds[1:]
	}
	return c
}

// gaussGrads returns, for the n rows x against the cloud ys, every Gaussian
// term's sums Σ_{j: y_j ≠ x_i} ∇g(x_i − y_j − c_m): row i at
// out[i·width:], term by term, bump by bump, coordinate fastest.
func (m *Model) gaussGrads(x []float64, n int, ys []float64, ny int, self []int) []float64 {
	d, W := m.Dim, m.gaussWidth()
	c := m.gaussCloudOf(ys, ny)
	out := make([]float64, n*W)
	// The rows not in the memo (each once).
	var missing []int
	first := map[string]int{}
	dup := make([]int, n) // row i's sums are row dup[i]'s (−1: its own)
	c.mu.Lock()
	for i := range n {
		dup[i] = -1
		key := rowKey(x[i*d : (i+1)*d])
		if off, ok := c.rows[key]; ok {
			copy(out[i*W:(i+1)*W], c.grads[off:off+W])
			continue
		}
		if j, ok := first[key]; ok {
			dup[i] = j
			continue
		}
		first[key] = i
		missing = append(missing, i)
	}
	c.mu.Unlock()
	if len(missing) > 0 {
		m.gaussCompute(c, out, x, missing, self)
		c.mu.Lock()
		if room := gaussMemoFloats - len(c.grads); room > 0 {
			c.grads = slices.Grow(c.grads, min(room, len(missing)*W))
		}
		for _, i := range missing {
			key := rowKey(x[i*d : (i+1)*d])
			if _, ok := c.rows[key]; ok || len(c.grads)+W > gaussMemoFloats {
				continue
			}
			c.rows[key] = len(c.grads)
			c.grads = append(c.grads, out[i*W:(i+1)*W]...)
		}
		c.mu.Unlock()
	}
	for i, j := range dup {
		if j >= 0 {
			copy(out[i*W:(i+1)*W], out[j*W:(j+1)*W])
		}
	}
	return out
}

// gaussCompute writes the sums of the rows listed in rows into out (row i
// at out[i·width:]), in blocks of rows on several goroutines.
func (m *Model) gaussCompute(c *gaussCloud, out, x []float64, rows []int, self []int) {
	d, W := m.Dim, m.gaussWidth()
	// Neighbouring rows in the same block (the order only changes which
	// rows share a block, not any row's sums): a block's rows then read
	// the same part of the lattice for each bump.
	rows = spatialOrder(x, d, rows)
	nb := (len(rows) + gaussRowBlock - 1) / gaussRowBlock
	parallel.Claim(nb, func(next func() int) {
		var tg, gr, xb []float64
		var gb eval.GridBuf
		for bi := next(); bi < nb; bi = next() {
			blk := rows[bi*gaussRowBlock : min(len(rows), (bi+1)*gaussRowBlock)]
			off := 0
			for ti, t := range m.gauss {
				M := t.m
				nt := len(blk) * M
				gr = slices.Grow(gr[:0], nt*d)[:nt*d]
				if t.grid != nil {
					// The bumps on a grid: a row's targets share their
					// stencils axis by axis, and the block's rows are
					// summed bump by bump (the same sums, bit for bit).
					xb = xb[:0]
					for _, i := range blk {
						xb = append(xb, x[i*d:(i+1)*d]...)
					}
					c.sums[ti].GradMinusShiftsRows(xb, len(blk), t.grid, gr, &gb)
				} else {
					tg = slices.Grow(tg[:0], nt*d)[:nt*d]
					for r, i := range blk {
						for cm := range M {
							q := (r*M + cm) * d
							for k := range d {
								tg[q+k] = x[i*d+k] - t.centres[cm*d+k]
							}
						}
					}
					c.sums[ti].At(tg, nt, nil, gr)
				}
				for r, i := range blk {
					dst := out[i*W+off : i*W+off+M*d]
					copy(dst, gr[r*M*d:(r+1)*M*d])
					if sc := float64(self[i]); sc > 0 {
						// The self-pairs: ∇g(−c_m) = (2/s)·c_m·g(c_m) per copy.
						for cm := range M {
							cc := t.centres[cm*d : (cm+1)*d]
							r2 := 0.0
							for _, v := range cc {
								r2 += v * v
							}
							g0 := math.Exp(-r2 / t.s)
							for k := range d {
								dst[cm*d+k] -= sc * 2 / t.s * cc[k] * g0
							}
						}
					}
				}
				off += M * d
			}
		}
	})
}

// spatialOrder returns the rows (indices of points of x, n×d) sorted
// along a Morton (Z-order) curve over their bounding box, so that rows
// close in the order are close in space; in 1-D, and beyond 3-D, the rows
// as they are.
func spatialOrder(x []float64, d int, rows []int) []int {
	if d < 2 || d > 3 || len(rows) < 2 {
		return rows
	}
	lo, hi := make([]float64, d), make([]float64, d)
	for k := range d {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	for _, i := range rows {
		for k := range d {
			lo[k], hi[k] = math.Min(lo[k], x[i*d+k]), math.Max(hi[k], x[i*d+k])
		}
	}
	bits := 63 / d
	scale := float64(uint64(1)<<bits - 1)
	type keyed struct {
		key uint64
		row int
	}
	ks := make([]keyed, len(rows))
	for r, i := range rows {
		var key uint64
		for k := range d {
			u := 0.0
			if hi[k] > lo[k] {
				u = (x[i*d+k] - lo[k]) / (hi[k] - lo[k])
			}
			q := uint64(math.Min(math.Max(u, 0), 1) * scale)
			for b := range bits {
				key |= (q >> b & 1) << (b*d + k)
			}
		}
		ks[r] = keyed{key, i}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
	out := make([]int, len(rows))
	for r, k := range ks {
		out[r] = k.row
	}
	return out
}

// featureCols returns the entries of θ the interaction's features can be
// nonzero in: the blocks of its feature program and of its Gaussian terms.
func (m *Model) featureCols() []int {
	m.progs.colsOnce.Do(func() {
		in := make([]bool, m.NumParams)
		_, blocks := m.featProg(Interaction)
		for _, b := range blocks {
			for j := range m.Params[b].Size {
				in[m.Params[b].Offset+j] = true
			}
		}
		for _, t := range m.gauss {
			for j := range t.m {
				in[m.Params[t.block].Offset+j] = true
			}
		}
		for j, ok := range in {
			if ok {
				m.progs.cols = append(m.progs.cols, j)
			}
		}
	})
	return m.progs.cols
}

// rememberFeatures is InteractionFeatures through the memo: rows already
// evaluated against the cloud are copied, the others evaluated (each once)
// and remembered.
func (m *Model) rememberFeatures(F, c, x []float64, n int, ys []float64, ny int) {
	d, P := m.Dim, m.NumParams
	cols := m.featureCols()
	W := d*len(cols) + d // the features' entries in cols, then c
	cl := m.gaussCloudOf(ys, ny)
	var missing []int
	first := map[string]int{}
	dup := make([]int, n)
	put := func(i int, v []float64) {
		for k := range d {
			row := F[(i*d+k)*P:]
			for q, j := range cols {
				row[j] = v[k*len(cols)+q]
			}
			c[i*d+k] = v[d*len(cols)+k]
		}
	}
	cl.mu.Lock()
	for i := range n {
		dup[i] = -1
		key := rowKey(x[i*d : (i+1)*d])
		if off, ok := cl.frows[key]; ok {
			put(i, cl.feats[off:off+W])
			continue
		}
		if j, ok := first[key]; ok {
			dup[i] = j
			continue
		}
		first[key] = i
		missing = append(missing, i)
	}
	cl.mu.Unlock()
	if len(missing) > 0 {
		nm := len(missing)
		// Every row new and distinct (a fit's first pass): evaluated in
		// place; otherwise the missing rows apart, then put.
		whole := nm == n
		xm, Fm, cm := x, F, c
		if !whole {
			xm = make([]float64, nm*d)
			for r, i := range missing {
				copy(xm[r*d:(r+1)*d], x[i*d:(i+1)*d])
			}
			Fm, cm = make([]float64, nm*d*P), make([]float64, nm*d)
		}
		m.interactionFeatures(Fm, cm, xm, nm, ys, ny)
		v := make([]float64, W)
		cl.mu.Lock()
		// Room for the rows the memo will take, at once.
		if room := gaussMemoFloats - len(cl.feats); room > 0 {
			cl.feats = slices.Grow(cl.feats, min(room, nm*W))
		}
		for r, i := range missing {
			for k := range d {
				row := Fm[(r*d+k)*P:]
				for q, j := range cols {
					v[k*len(cols)+q] = row[j]
				}
				v[d*len(cols)+k] = cm[r*d+k]
			}
			if !whole {
				put(i, v)
			}
			key := rowKey(x[i*d : (i+1)*d])
			if _, ok := cl.frows[key]; !ok && len(cl.feats)+W <= gaussMemoFloats {
				cl.frows[key] = len(cl.feats)
				cl.feats = append(cl.feats, v...)
			}
		}
		cl.mu.Unlock()
	}
	for i, j := range dup {
		if j >= 0 {
			for k := range d {
				copy(F[(i*d+k)*P:(i*d+k+1)*P], F[(j*d+k)*P:(j*d+k+1)*P])
				c[i*d+k] = c[j*d+k]
			}
		}
	}
}

// gaussDrift adds the Gaussian terms' mean-field drift to dst (n×d): for
// row i, (Σ_m w_m ∇H(x_i − c_m) − self_i·Σ_m w_m ∇g(−c_m))/count_i.
//
// With θ known the sum over the bumps comes first: Σ_m w_m ∇H(x − c_m) =
// ∇G(x), G(x) = Σ_j Σ_m w_m g(x − (y_j + c_m)), one weighted Gauss sum over
// the ny·M shifted sources, so a row
// costs one lattice interpolation instead of M; the lattice covers the
// rows' box and the shifted sources within the kernel's reach of it. The lattice's error is
// tol per unit of Σ_j Σ_m |w_m| = ny·Σ_m |w_m| (see eval.GaussSum): the
// drift of a row errs by at most gaussTol·max|g′|·Σ_m |w_m|·ny/count_i,
// the same bound as the sums bump by bump (TestGaussDriftContracted). The
// sums do not go through the memo (they depend on θ), so a row's drift does
// not depend on what was asked before.
func (m *Model) gaussDrift(dst, x []float64, n int, ys []float64, ny int, self []int, theta []float64) {
	d := m.Dim
	if n == 0 {
		return
	}
	// The rows' box: the lattice covers it and the sources within reach.
	tlo, thi := slices.Clone(x[:d]), slices.Clone(x[:d])
	for i := range n {
		for k := range d {
			tlo[k], thi[k] = math.Min(tlo[k], x[i*d+k]), math.Max(thi[k], x[i*d+k])
		}
	}
	for _, t := range m.gauss {
		w := theta[m.Params[t.block].Offset:][:t.m]
		if !slices.ContainsFunc(w, func(v float64) bool { return v != 0 }) {
			continue
		}
		// Every bump, those with w_m = 0 too: the lattice depends on the
		// centres alone, so the sums are linear in w.
		K, cc, wc := t.m, t.centres, w
		targets := n
		if gaussLattice {
			targets = math.MaxInt32
		}
		gs := eval.NewShiftedGaussSum(ys, ny, cc, wc, K, d, t.s, gaussTol, targets, tlo, thi)
		// Σ_m w_m ∇g(−c_m) = Σ_m w_m (2/s)·c_m·g(c_m), the self-pairs.
		self0 := make([]float64, d)
		for c := range K {
			cm := cc[c*d : (c+1)*d]
			r2 := 0.0
			for _, v := range cm {
				r2 += v * v
			}
			g0 := wc[c] * math.Exp(-r2/t.s)
			for k := range d {
				self0[k] += 2 / t.s * cm[k] * g0
			}
		}
		nb := gaussBlocks(n)
		parallel.Claim(nb, func(next func() int) {
			gr := make([]float64, gaussRowBlock*d)
			for bi := next(); bi < nb; bi = next() {
				lo, hi := bi*gaussRowBlock, min(n, (bi+1)*gaussRowBlock)
				gs.At(x[lo*d:hi*d], hi-lo, nil, gr[:(hi-lo)*d])
				for i := lo; i < hi; i++ {
					c := ny - self[i]
					if c == 0 {
						continue
					}
					inv, sc := t.sign/float64(c), float64(self[i])
					for k := range d {
						dst[i*d+k] += (gr[(i-lo)*d+k] - sc*self0[k]) * inv
					}
				}
			}
		})
	}
}

// gaussDriftRemembered is gaussDrift through the memo: Σ_m w_m
// ∇H(x_i − c_m)/count_i from each row's sums bump by bump (gaussGrads).
func (m *Model) gaussDriftRemembered(dst, x []float64, n int, ys []float64, ny int, self []int, theta []float64) {
	d, W := m.Dim, m.gaussWidth()
	G := m.gaussGrads(x, n, ys, ny, self)
	for i := range n {
		c := ny - self[i]
		if c == 0 {
			continue
		}
		off := 0
		for _, t := range m.gauss {
			w := theta[m.Params[t.block].Offset:][:t.m]
			g := G[i*W+off:]
			inv := t.sign / float64(c)
			for k := range d {
				s := 0.0
				for mm, wm := range w {
					s += wm * g[mm*d+k]
				}
				dst[i*d+k] += s * inv
			}
			off += t.m * d
		}
	}
}

// gaussFeatures adds the Gaussian terms' features to F (n×d×P).
func (m *Model) gaussFeatures(F, x []float64, n int, ys []float64, ny int, self []int) {
	d, P, W := m.Dim, m.NumParams, m.gaussWidth()
	G := m.gaussGrads(x, n, ys, ny, self)
	for i := range n {
		c := ny - self[i]
		if c == 0 {
			continue
		}
		off := 0
		for _, t := range m.gauss {
			po := m.Params[t.block].Offset
			g := G[i*W+off:]
			inv := t.sign / float64(c)
			for k := range d {
				row := F[(i*d+k)*P+po:][:t.m]
				for mm := range row {
					row[mm] += g[mm*d+k] * inv
				}
			}
			off += t.m * d
		}
	}
}

// gaussVJP adds Σ_i seed_iᵀ ∇H(x_i − c_m)/count_i to dst[w_m].
func (m *Model) gaussVJP(dst, x, seed []float64, n int, ys []float64, ny int, self []int) {
	d, W := m.Dim, m.gaussWidth()
	G := m.gaussGrads(x, n, ys, ny, self)
	for i := range n {
		c := ny - self[i]
		if c == 0 {
			continue
		}
		off := 0
		for _, t := range m.gauss {
			acc := dst[m.Params[t.block].Offset:][:t.m]
			g := G[i*W+off:]
			inv := t.sign / float64(c)
			for mm := range acc {
				s := 0.0
				for k := range d {
					s += seed[i*d+k] * g[mm*d+k]
				}
				acc[mm] += s * inv
			}
			off += t.m * d
		}
	}
}

// gaussPairVJP adds Σ_i H(x_i − c_m) (self-pairs left out) to dst[w_m]
// and returns Σ_m θ_m of the same, the Gaussian terms' pair sum.
func (m *Model) gaussPairSums(dst, x []float64, n int, ys []float64, ny int, self []int, theta []float64) float64 {
	total := 0.0
	for _, t := range m.gauss {
		part := make([]float64, gaussBlocks(n)*t.m)
		m.gaussEach(t, x, n, ys, ny, self, true, false, func(b *gaussBlock) {
			acc := part[b.block*t.m:][:t.m]
			for i := b.lo; i < b.hi; i++ {
				v := b.val[(i-b.lo)*t.m:][:t.m]
				for mm := range acc {
					acc[mm] += v[mm]
				}
			}
		})
		sums := make([]float64, t.m)
		sumParts(sums, part)
		off := m.Params[t.block].Offset
		for mm, v := range sums {
			v *= t.sign
			if dst != nil {
				dst[off+mm] += v
			}
			if theta != nil {
				total += theta[off+mm] * v
			}
		}
	}
	return total
}

// sumParts adds the per-block partial sums (blocks of len(dst), in block
// order) into dst.
func sumParts(dst, part []float64) {
	for b := 0; b < len(part); b += len(dst) {
		for k := range dst {
			dst[k] += part[b+k]
		}
	}
}

// gaussValue adds Σ_m w_m g(z_i − c_m) of every Gaussian term to dst (n).
func (m *Model) gaussValue(dst, z []float64, n int, theta []float64) {
	d := m.Dim
	for _, t := range m.gauss {
		w := theta[m.Params[t.block].Offset:][:t.m]
		for i := range n {
			s := 0.0
			for c, wc := range w {
				r2 := 0.0
				for k := range d {
					v := z[i*d+k] - t.centres[c*d+k]
					r2 += v * v
				}
				s += wc * math.Exp(-r2/t.s)
			}
			dst[i] += t.sign * s
		}
	}
}
