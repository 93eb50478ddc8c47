package compile

import (
	"fmt"
	"math"
	"sync"

	"github.com/jko-org/jko/internal/eval"
	"github.com/jko-org/jko/internal/ir"
	"gonum.org/v1/gonum/floats"
)

// programs are the compiled evaluators, built on first use, each under its
// own sync.Once. A program that needs new nodes (derivatives) builds them
// in a private clone of the model's graph: the graph never changes after
// compilation, so programs built on different goroutines never race.
type programs struct {
	once         [3]sync.Once
	grad         [3]*eval.Program // Σ∇V, Σ∇U, Σf″
	featOnce     [3]sync.Once
	feat         [3]*eval.Program // ∂(drift component)/∂θ per block
	featBlocks   [3][]int         // the Params blocks each feature program covers
	vjpOnce      [3]sync.Once
	vjp          [3]*eval.Program
	vjpBlocks    [3][]int
	valOnce      [3]sync.Once
	valVJPOnce   [3]sync.Once
	valVJP       [3]*eval.Program // ∂(value)/∂θ per block
	valVJPBlocks [3][]int
	val          [3]*eval.Program
	polyMu       sync.Mutex
	poly         map[*eval.Program]polyInfo // degrees in z of interaction programs
	lsqOnce      sync.Once
	lsq          *eval.Program // Σ w‖τ∇V + c‖² and its gradient per block
	lsqBlocks    []int
	featSplit    sync.Once
	featPoly     *eval.Program // the interaction features polynomial in z
	featOther    *eval.Program // the others
	featPolyIdx  []int         // output indices (component·blocks + block) of featPoly
	featOtherIdx []int
	colsOnce     sync.Once
	cols         []int // the entries of θ the interaction features can be nonzero in
}

// shared binds θ (by block name) and t.
func (m *Model) shared(theta []float64, t float64) map[string][]float64 {
	if len(theta) != m.NumParams {
		panic(fmt.Sprintf("compile: θ has %d entries, the model %d", len(theta), m.NumParams))
	}
	sh := make(map[string][]float64, len(m.Params)+1)
	for _, p := range m.Params {
		sh[p.Name] = theta[p.Offset : p.Offset+p.Size]
	}
	sh["t"] = []float64{t}
	return sh
}

func (m *Model) input(k TermKind) string {
	switch k {
	case Potential:
		return "x"
	case Interaction:
		return "z"
	}
	return "rho"
}

func (m *Model) gradProg(k TermKind) *eval.Program {
	m.progs.once[k].Do(func() {
		m.progs.grad[k] = eval.Compile(m.g, []ir.NodeID{m.agg[k].grad})
	})
	return m.progs.grad[k]
}

func must(err error) {
	if err != nil {
		panic("compile: " + err.Error())
	}
}

func checkLen(name string, v []float64, want int) {
	if len(v) < want {
		panic(fmt.Sprintf("compile: %s has %d entries, need %d", name, len(v), want))
	}
}

// PotentialGrad writes Σ ∇ₓV(x_i, t) for the n points x (n×d) into dst
// (n×d).
func (m *Model) PotentialGrad(dst, x []float64, n int, t float64, theta []float64) {
	d := m.Dim
	checkLen("dst", dst, n*d)
	checkLen("x", x, n*d)
	if !m.Has(Potential) {
		clear(dst[:n*d])
		return
	}
	must(m.gradProg(Potential).Run([][]float64{dst[:n*d]}, eval.Inputs{N: n,
		Varying: map[string][]float64{"x": x[:n*d]}, Shared: m.shared(theta, t)}))
}

// pairBlock is the number of pairs evaluated at once by the interaction
// evaluators (bounds their memory).
const pairBlock = 1 << 14

// pairs is a block of rows [i0, i1) of x with their differences
// z = x_i − y_j to the population, self-pairs (z = 0 exactly) left out:
// row i's differences are z[off[i−i0]·d : off[i−i0+1]·d].
type pairs struct {
	i0, i1 int
	z      []float64
	off    []int
	wt     []float64 // pair weights (nil: 1 each)
}

// forPairs calls f with blocks of rows of x and their differences to the
// population ys. A pair with z = 0 (a particle and itself) is left out: the
// mean field of particle i is (1/(N−1)) Σ_{j≠i} ∇U(x_i − y_j), which is
// what the particles feel and is defined for kernels singular at 0.
func (m *Model) forPairs(x []float64, n int, ys []float64, ny int, f func(p *pairs)) {
	d := m.Dim
	rows := max(1, pairBlock/ny)
	buf := make([]float64, min(rows, n)*ny*d)
	p := &pairs{off: make([]int, 0, rows+1)}
	for i0 := 0; i0 < n; i0 += rows {
		i1 := min(n, i0+rows)
		p.i0, p.i1 = i0, i1
		p.off = append(p.off[:0], 0)
		q := 0
		for i := i0; i < i1; i++ {
			xi := x[i*d : (i+1)*d]
			for j := 0; j < ny; j++ {
				yj := ys[j*d : (j+1)*d]
				zero := true
				for k := 0; k < d; k++ {
					v := xi[k] - yj[k]
					buf[q+k] = v
					zero = zero && v == 0
				}
				if !zero {
					q += d
				}
			}
			p.off = append(p.off, q/d)
		}
		p.z = buf[:q]
		f(p)
	}
}

// InteractionGrad writes the mean-field drift of the population ys (ny×d)
// at the n points x into dst (n×d): the mean of Σ∇U(x_i − y_j) over the
// y_j ≠ x_i, (1/(ny−1)) Σ_{j≠i} when x_i is one of the ys. A drift
// polynomial in z is summed exactly over a cubature of the cloud (see
// pairsum.go), summands dot(w, bumps(z, C, s)) of U on a lattice (see
// gausssum.go), anything else over the pairs.
//
// Cost: the pair loop evaluates ∇U n·ny times (quadratic in the
// population: 10⁴ particles against themselves are 10⁸ evaluations), in
// blocks of 2¹⁴ pairs, so its memory stays O(n·d + 2¹⁴·d) whatever n·ny. A
// drift polynomial of degree p_k in coordinate k, on a cloud of at least
// twice the grid's Π(p_k + 1) points, costs O(ny·Π(p_k + 1)) for the
// cubature's weights and n·Π(p_k + 1) evaluations: linear in the
// population. The other interaction sums (InteractionFeatures, P values
// per pair; InteractionVJP; InteractionPairSum and InteractionPairVJP)
// cost the same number of pair or grid evaluations.
//
// The Gaussian bumps' drift is summed over the bumps first, one lattice
// per call (see gaussDrift): the cheapest for rows asked once.
// InteractionGradRemembered is the same drift for rows the caller asks
// again with other θ.
func (m *Model) InteractionGrad(dst, x []float64, n int, ys []float64, ny int, theta []float64) {
	m.interactionGrad(dst, x, n, ys, ny, theta, false)
}

// InteractionGradRemembered is InteractionGrad (equal to the lattice's
// tolerance) with the Gaussian bumps' sums of each row remembered per
// cloud, bump by bump, and re-weighed by θ (see gaussMemo): for fits,
// which ask for the drift at the same rows for many θ. A row's values do
// not depend on what was asked before.
func (m *Model) InteractionGradRemembered(dst, x []float64, n int, ys []float64, ny int, theta []float64) {
	m.interactionGrad(dst, x, n, ys, ny, theta, true)
}

func (m *Model) interactionGrad(dst, x []float64, n int, ys []float64, ny int, theta []float64, remembered bool) {
	d := m.Dim
	checkLen("dst", dst, n*d)
	checkLen("x", x, n*d)
	checkLen("ys", ys, ny*d)
	clear(dst[:n*d])
	if !m.Has(Interaction) || ny == 0 {
		return
	}
	if len(m.gauss) > 0 {
		// After the rest, which scales its own sums by 1/count.
		if remembered {
			defer m.gaussDriftRemembered(dst, x, n, ys, ny, selfCounts(x, n, ys, ny, d), theta)
		} else {
			defer m.gaussDrift(dst, x, n, ys, ny, selfCounts(x, n, ys, ny, d), theta)
		}
		if m.gaussOnly {
			return
		}
	}
	prog := m.gradProg(Interaction)
	sh := m.shared(theta, 0)
	pop := m.population(prog, x, n, ys, ny)
	var f0 []float64
	if pop.cub != nil {
		f0 = make([]float64, d)
		must(prog.Run([][]float64{f0}, eval.Inputs{N: 1, Varying: map[string][]float64{"z": make([]float64, d)}, Shared: sh}))
	}
	var out []float64
	m.forPopPairs(pop, x, n, func(p *pairs) {
		np := len(p.z) / d
		if cap(out) < np*d {
			out = make([]float64, np*d)
		}
		out = out[:np*d]
		must(prog.Run([][]float64{out}, eval.Inputs{N: np, Varying: map[string][]float64{"z": p.z}, Shared: sh}))
		for i := p.i0; i < p.i1; i++ {
			row := dst[i*d : (i+1)*d]
			if pop.count[i] == 0 {
				continue
			}
			for q := p.off[i-p.i0]; q < p.off[i-p.i0+1]; q++ {
				w := 1.0
				if p.wt != nil {
					w = p.wt[q]
				}
				for k := 0; k < d; k++ {
					row[k] += w * out[q*d+k]
				}
			}
			if pop.cub != nil && pop.self[i] > 0 {
				for k := range row {
					row[k] -= float64(pop.self[i]) * f0[k]
				}
			}
			inv := 1 / float64(pop.count[i])
			for k := range row {
				row[k] *= inv
			}
		}
	})
}

// InternalCoef writes Σ f″(ρ_i) into dst (n).
func (m *Model) InternalCoef(dst, rho []float64, n int, theta []float64) {
	checkLen("dst", dst, n)
	checkLen("rho", rho, n)
	if !m.Has(Internal) {
		clear(dst[:n])
		return
	}
	must(m.gradProg(Internal).Run([][]float64{dst[:n]}, eval.Inputs{N: n,
		Varying: map[string][]float64{"rho": rho[:n]}, Shared: m.shared(theta, 0)}))
}

// Entropy reports whether the internal energy is an entropy, Σf″(ρ)·ρ = β
// constant in ρ (f = β ρ log ρ up to terms affine in ρ), and returns β. A
// model without internal terms is an entropy with β = 0.
func (m *Model) Entropy(theta []float64) (beta float64, ok bool) {
	if !m.Has(Internal) {
		return 0, true
	}
	rho := []float64{1e-4, 1e-2, 0.3, 1, 7, 1e3}
	c := make([]float64, len(rho))
	m.InternalCoef(c, rho, len(rho), theta)
	beta = c[0] * rho[0]
	for i := range rho {
		v := c[i] * rho[i]
		if math.IsNaN(v) || math.Abs(v-beta) > 1e-9*math.Max(1, math.Abs(beta)) {
			return 0, false
		}
	}
	return beta, true
}

// blocksOf returns the parameter blocks (indices into Params, and their
// nodes) that node y depends on.
func (m *Model) blocksOf(y ir.NodeID) (blocks []int, nodes []ir.NodeID) {
	reach := map[ir.NodeID]bool{}
	for _, id := range m.g.Reach(y) {
		reach[id] = true
	}
	for i, nd := range m.nodes {
		if reach[nd] {
			blocks = append(blocks, i)
			nodes = append(nodes, nd)
		}
	}
	return blocks, nodes
}

// featProg builds, for kind k, the derivatives of every drift component
// with respect to every parameter block the kind depends on.
func (m *Model) featProg(k TermKind) (*eval.Program, []int) {
	m.progs.featOnce[k].Do(func() {
		g := m.g.Clone()
		a := m.agg[k]
		blocks, nodes := m.blocksOf(a.grad)
		var outs []ir.NodeID
		comps := m.Dim
		if k == Internal {
			comps = 1
		}
		for c := 0; c < comps; c++ {
			y := a.grad
			if k != Internal {
				y = g.Index(a.grad, c)
			}
			if len(nodes) > 0 {
				outs = append(outs, g.Grad(y, nodes...)...)
			}
		}
		if len(outs) == 0 {
			outs = []ir.NodeID{g.Scalar(0)}
		}
		m.progs.feat[k] = eval.Compile(g, outs)
		m.progs.featBlocks[k] = blocks
	})
	return m.progs.feat[k], m.progs.featBlocks[k]
}

// features evaluates the linear features of kind k at n points of input in
// (x, z or ρ): F is n×comps×P, c is n×comps with comps = d (or 1 for
// internal), such that the kind's drift is F·θ + c. The model must be
// linear.
func (m *Model) features(k TermKind, F, c, in []float64, n int, t float64) {
	d, P := m.Dim, m.NumParams
	comps := d
	if k == Internal {
		comps = 1
	}
	prog, blocks := m.featProg(k)
	zero := make([]float64, P)
	sh := m.shared(zero, t)
	name := m.input(k)
	// The parameter-free part: the drift at θ = 0 (none when every
	// output vanishes with the parameters, as in a linear model: the
	// drift's program would evaluate every feature to multiply it by 0).
	if gp := m.gradProg(k); m.zeroAtZeroParams(gp) {
		clear(c[:n*comps])
	} else {
		must(gp.Run([][]float64{c[:n*comps]}, eval.Inputs{N: n, Varying: map[string][]float64{name: in}, Shared: sh}))
	}
	if len(blocks) == 0 {
		return
	}
	outs := make([][]float64, comps*len(blocks))
	for ci := 0; ci < comps; ci++ {
		for bi, b := range blocks {
			outs[ci*len(blocks)+bi] = make([]float64, n*m.Params[b].Size)
		}
	}
	must(prog.Run(outs, eval.Inputs{N: n, Varying: map[string][]float64{name: in}, Shared: sh}))
	for ci := 0; ci < comps; ci++ {
		for bi, b := range blocks {
			p := m.Params[b]
			o := outs[ci*len(blocks)+bi]
			for i := 0; i < n; i++ {
				copy(F[(i*comps+ci)*P+p.Offset:(i*comps+ci)*P+p.Offset+p.Size], o[i*p.Size:(i+1)*p.Size])
			}
		}
	}
}

// PotentialFeatures writes the linear features of the potential drift at
// the n points x: F (n×d×P) and c (n×d) such that Σ∇V(x_i) = F_i θ + c_i.
func (m *Model) PotentialFeatures(F, c, x []float64, n int, t float64) {
	checkLen("F", F, n*m.Dim*m.NumParams)
	clear(F[:n*m.Dim*m.NumParams])
	if !m.Has(Potential) {
		clear(c[:n*m.Dim])
		return
	}
	m.features(Potential, F, c, x[:n*m.Dim], n, t)
}

// InteractionFeatures writes the linear features of the mean-field drift
// (the mean of Σ∇U(x_i − y_j) over the y_j ≠ x_i, see InteractionGrad): F
// (n×d×P) and c (n×d). Features polynomial in z are summed exactly over a
// cubature of the cloud, those of Gaussian bumps on a lattice, the others
// over the pairs. The features of a row against a cloud are remembered (see gaussMemo): a fit asks for the
// same rows again when it refits.
func (m *Model) InteractionFeatures(F, c, x []float64, n int, ys []float64, ny int) {
	d, P := m.Dim, m.NumParams
	checkLen("F", F, n*d*P)
	clear(F[:n*d*P])
	clear(c[:n*d])
	if !m.Has(Interaction) {
		return
	}
	m.rememberFeatures(F, c, x, n, ys, ny)
}

// interactionFeatures is InteractionFeatures without the memo, into F and
// c cleared.
func (m *Model) interactionFeatures(F, c, x []float64, n int, ys []float64, ny int) {
	d, P := m.Dim, m.NumParams
	if len(m.gauss) > 0 {
		m.gaussFeatures(F, x, n, ys, ny, selfCounts(x, n, ys, ny, d))
		if m.gaussOnly {
			return
		}
	}
	zero := make([]float64, P)
	if !m.zeroAtZeroParams(m.gradProg(Interaction)) {
		m.InteractionGrad(c, x, n, ys, ny, zero)
	}
	_, blocks := m.featProg(Interaction)
	if len(blocks) == 0 {
		return
	}
	sh := m.shared(zero, 0)
	split := m.interactionFeatSplit()
	for _, part := range split {
		if part.prog == nil {
			continue
		}
		// Row by row: the features of x_i are the sums over the population
		// of the pair features, reduced by the evaluator without
		// materialising them.
		newOuts := func() [][]float64 {
			outs := make([][]float64, len(part.idx))
			for o, oi := range part.idx {
				outs[o] = make([]float64, m.Params[blocks[oi%len(blocks)]].Size)
			}
			return outs
		}
		pop := m.population(part.prog, x, n, ys, ny)
		var f0 [][]float64
		if pop.cub != nil {
			f0 = newOuts()
			must(part.prog.Reduce(f0, eval.Inputs{N: 1, Varying: map[string][]float64{"z": make([]float64, d)}, Shared: sh}, nil))
		}
		rows := func(outs [][]float64) func(p *pairs) {
			return func(p *pairs) { m.interactionFeatureRows(F, p, pop, part, blocks, outs, f0, sh) }
		}
		if pop.cub != nil && cubatureByRun {
			// A row's sum over the cubature is a few dozen pairs, less
			// than one evaluator chunk: the pairs of a block of rows are
			// evaluated together (Run) and summed row by row, and the
			// rows, not the pairs, are shared among the cores.
			m.forCubatureRows(pop, x, n, func() func(p *pairs) {
				var run [][]float64
				return func(p *pairs) { run = m.cubatureFeatureRows(F, p, pop, part, blocks, run, f0, sh) }
			})
		} else {
			m.forPopPairs(pop, x, n, rows(newOuts()))
		}
	}
}

// interactionFeatureRows adds to F the features of the rows of p: each
// row's sum over its pairs of part's outputs (reduced into outs), over the
// row's pair count, less the self-pairs' share f0 on a cubature.
func (m *Model) interactionFeatureRows(F []float64, p *pairs, pop *population, part featPart, blocks []int, outs, f0 [][]float64, sh map[string][]float64) {
	d, P := m.Dim, m.NumParams
	for i := p.i0; i < p.i1; i++ {
		a, b := p.off[i-p.i0], p.off[i-p.i0+1]
		if pop.count[i] == 0 || a == b {
			continue
		}
		var wt []float64
		if p.wt != nil {
			wt = p.wt[a:b]
		}
		must(part.prog.Reduce(outs, eval.Inputs{N: b - a, Varying: map[string][]float64{"z": p.z[a*d : b*d]}, Shared: sh}, wt))
		inv := 1 / float64(pop.count[i])
		for o, oi := range part.idx {
			ci, bi := oi/len(blocks), oi%len(blocks)
			pb := m.Params[blocks[bi]]
			row := F[(i*d+ci)*P+pb.Offset : (i*d+ci)*P+pb.Offset+pb.Size]
			floats.AddScaled(row, inv, outs[o])
			if pop.cub != nil && pop.self[i] > 0 {
				floats.AddScaled(row, -float64(pop.self[i])*inv, f0[o])
			}
		}
	}
}

// cubatureByRun evaluates the features over a cubature a block of rows'
// pairs at once (cubatureFeatureRows); false (for tests) reduces each
// row's pairs on their own (interactionFeatureRows), as before.
var cubatureByRun = true

// cubatureFeatureRows is interactionFeatureRows over a cubature: part's
// outputs at every pair of the block at once (Run, into run, grown as
// needed and returned), then each row's weighted sum over its pairs in
// the order Reduce sums them (pairs in order from 0, a row's pairs being
// one evaluator chunk), so the features are Reduce's row by row, bit for
// bit (TestCubatureFeaturesRowByRow).
func (m *Model) cubatureFeatureRows(F []float64, p *pairs, pop *population, part featPart, blocks []int, run, f0 [][]float64, sh map[string][]float64) [][]float64 {
	d, P := m.Dim, m.NumParams
	np := p.off[len(p.off)-1]
	if run == nil {
		run = make([][]float64, len(part.idx))
	}
	for o, oi := range part.idx {
		size := m.Params[blocks[oi%len(blocks)]].Size
		if cap(run[o]) < np*size {
			run[o] = make([]float64, np*size)
		}
		run[o] = run[o][:np*size]
	}
	must(part.prog.Run(run, eval.Inputs{N: np, Varying: map[string][]float64{"z": p.z[:np*d]}, Shared: sh}))
	var acc []float64
	for i := p.i0; i < p.i1; i++ {
		a, b := p.off[i-p.i0], p.off[i-p.i0+1]
		if pop.count[i] == 0 || a == b {
			continue
		}
		inv := 1 / float64(pop.count[i])
		for o, oi := range part.idx {
			ci, bi := oi/len(blocks), oi%len(blocks)
			pb := m.Params[blocks[bi]]
			size := pb.Size
			acc = append(acc[:0], make([]float64, size)...)
			for q := a; q < b; q++ {
				c := p.wt[q]
				for e, v := range run[o][q*size : (q+1)*size] {
					acc[e] += c * v
				}
			}
			row := F[(i*d+ci)*P+pb.Offset : (i*d+ci)*P+pb.Offset+size]
			floats.AddScaled(row, inv, acc)
			if pop.self[i] > 0 {
				floats.AddScaled(row, -float64(pop.self[i])*inv, f0[o])
			}
		}
	}
	return run
}

// featPart is a subset of the outputs of the interaction feature program,
// compiled on its own: idx[o] = component·len(blocks) + block.
type featPart struct {
	prog *eval.Program
	idx  []int
}

// interactionFeatSplit splits the interaction features into those
// polynomial in z and the others, so the first can be summed over a
// cubature even when the second cannot (the paper's monomials next to its
// Gaussian bumps).
func (m *Model) interactionFeatSplit() [2]featPart {
	m.progs.featSplit.Do(func() {
		all, _ := m.featProg(Interaction)
		outs := all.Outputs()
		g := all.Graph() // a clone of m.g with the derivatives
		z := g.Lookup("z")
		var poly, other []ir.NodeID
		for i, o := range outs {
			if _, ok := polyDegrees(g, []ir.NodeID{o}, z, m.Dim); ok && z != ir.None {
				poly = append(poly, o)
				m.progs.featPolyIdx = append(m.progs.featPolyIdx, i)
			} else {
				other = append(other, o)
				m.progs.featOtherIdx = append(m.progs.featOtherIdx, i)
			}
		}
		if len(poly) > 0 {
			m.progs.featPoly = eval.Compile(g, poly)
		}
		if len(other) > 0 {
			m.progs.featOther = eval.Compile(g, other)
		}
	})
	return [2]featPart{{m.progs.featPoly, m.progs.featPolyIdx}, {m.progs.featOther, m.progs.featOtherIdx}}
}

// InternalFeatures writes the linear features of Σf″: F (n×P) and c (n)
// such that Σf″(ρ_i) = F_i θ + c_i.
func (m *Model) InternalFeatures(F, c, rho []float64, n int) {
	checkLen("F", F, n*m.NumParams)
	clear(F[:n*m.NumParams])
	if !m.Has(Internal) {
		clear(c[:n])
		return
	}
	m.features(Internal, F, c, rho[:n], n, 0)
}

// vjpProg builds Σ_c seed_c ∂(drift_c)/∂θ for kind k.
func (m *Model) vjpProg(k TermKind) (*eval.Program, []int) {
	m.progs.vjpOnce[k].Do(func() {
		g := m.g.Clone()
		a := m.agg[k]
		blocks, nodes := m.blocksOf(a.grad)
		var outs []ir.NodeID
		if len(nodes) > 0 {
			if k == Internal {
				s := g.Input("seed_s", ir.Scalar)
				outs = g.Grad(g.Mul(s, a.grad), nodes...)
			} else {
				s := g.Input("seed", ir.Vector(m.Dim))
				outs = g.GradDot(a.grad, s, nodes...)
			}
		} else {
			outs = []ir.NodeID{g.Scalar(0)}
		}
		m.progs.vjp[k] = eval.Compile(g, outs)
		m.progs.vjpBlocks[k] = blocks
	})
	return m.progs.vjp[k], m.progs.vjpBlocks[k]
}

// reduceInto runs a VJP program's reduction and scatters the block sums
// into dst (θ layout), adding scale × the result.
func (m *Model) reduceInto(dst []float64, k TermKind, in eval.Inputs, weights []float64, scale float64) {
	prog, blocks := m.vjpProg(k)
	if len(blocks) == 0 {
		return
	}
	outs := make([][]float64, len(blocks))
	for bi, b := range blocks {
		outs[bi] = make([]float64, m.Params[b].Size)
	}
	must(prog.Reduce(outs, in, weights))
	for bi, b := range blocks {
		p := m.Params[b]
		floats.AddScaled(dst[p.Offset:p.Offset+p.Size], scale, outs[bi])
	}
}

// PotentialVJP writes Σ_i seed_iᵀ ∂(Σ∇V(x_i, t))/∂θ into dst (P).
func (m *Model) PotentialVJP(dst, x, seed []float64, n int, t float64, theta []float64) {
	clear(dst[:m.NumParams])
	if !m.Has(Potential) {
		return
	}
	d := m.Dim
	m.reduceInto(dst, Potential, eval.Inputs{N: n,
		Varying: map[string][]float64{"x": x[:n*d], "seed": seed[:n*d]}, Shared: m.shared(theta, t)}, nil, 1)
}

// InteractionVJP writes Σ_i seed_iᵀ ∂/∂θ of the mean-field drift at x_i
// (see InteractionGrad) into dst (P).
func (m *Model) InteractionVJP(dst, x, seed []float64, n int, ys []float64, ny int, theta []float64) {
	clear(dst[:m.NumParams])
	if !m.Has(Interaction) {
		return
	}
	d := m.Dim
	if len(m.gauss) > 0 {
		m.gaussVJP(dst, x, seed, n, ys, ny, selfCounts(x, n, ys, ny, d))
		if m.gaussOnly {
			return
		}
	}
	sh := m.shared(theta, 0)
	prog, _ := m.vjpProg(Interaction)
	pop := m.population(prog, x, n, ys, ny)
	var seeds []float64
	m.forPopPairs(pop, x, n, func(p *pairs) {
		seeds = seeds[:0]
		for i := p.i0; i < p.i1; i++ {
			c := pop.count[i]
			inv := 0.0
			if c > 0 {
				inv = 1 / float64(c)
			}
			for q := p.off[i-p.i0]; q < p.off[i-p.i0+1]; q++ {
				for k := 0; k < d; k++ {
					seeds = append(seeds, seed[i*d+k]*inv)
				}
			}
		}
		if len(seeds) == 0 {
			return
		}
		m.reduceInto(dst, Interaction, eval.Inputs{N: len(p.z) / d,
			Varying: map[string][]float64{"z": p.z, "seed": seeds}, Shared: sh}, p.wt, 1)
	})
	if pop.cub != nil {
		// The self-pairs: Σ_i self_i seed_i/count_i · ∂F(0), F linear in
		// the seed.
		s0 := make([]float64, d)
		for i, c := range pop.self {
			if c > 0 && pop.count[i] > 0 {
				for k := range s0 {
					s0[k] += float64(c) / float64(pop.count[i]) * seed[i*d+k]
				}
			}
		}
		m.reduceInto(dst, Interaction, eval.Inputs{N: 1,
			Varying: map[string][]float64{"z": make([]float64, d), "seed": s0}, Shared: sh}, nil, -1)
	}
}

// InternalVJP writes Σ_i seed_i ∂(Σf″(ρ_i))/∂θ into dst (P).
func (m *Model) InternalVJP(dst, rho, seed []float64, n int, theta []float64) {
	clear(dst[:m.NumParams])
	if !m.Has(Internal) {
		return
	}
	m.reduceInto(dst, Internal, eval.Inputs{N: n,
		Varying: map[string][]float64{"rho": rho[:n], "seed_s": seed[:n]}, Shared: m.shared(theta, 0)}, nil, 1)
}

func (m *Model) valueProg(k TermKind) *eval.Program {
	m.progs.valOnce[k].Do(func() {
		m.progs.val[k] = eval.Compile(m.g, []ir.NodeID{m.agg[k].value})
	})
	return m.progs.val[k]
}

// PotentialValue writes Σ V(x_i, t) for the n points x (n×d) into dst (n).
func (m *Model) PotentialValue(dst, x []float64, n int, t float64, theta []float64) {
	checkLen("dst", dst, n)
	checkLen("x", x, n*m.Dim)
	if !m.Has(Potential) {
		clear(dst[:n])
		return
	}
	must(m.valueProg(Potential).Run([][]float64{dst[:n]}, eval.Inputs{N: n,
		Varying: map[string][]float64{"x": x[:n*m.Dim]}, Shared: m.shared(theta, t)}))
}

// InteractionValue writes Σ U(z_i) for the n points z (n×d) into dst (n).
func (m *Model) InteractionValue(dst, z []float64, n int, theta []float64) {
	checkLen("dst", dst, n)
	checkLen("z", z, n*m.Dim)
	if !m.Has(Interaction) {
		clear(dst[:n])
		return
	}
	must(m.valueProg(Interaction).Run([][]float64{dst[:n]}, eval.Inputs{N: n,
		Varying: map[string][]float64{"z": z[:n*m.Dim]}, Shared: m.shared(theta, 0)}))
	m.gaussValue(dst, z, n, theta)
}

// InternalValue writes Σ f(ρ_i) into dst (n).
func (m *Model) InternalValue(dst, rho []float64, n int, theta []float64) {
	checkLen("dst", dst, n)
	if !m.Has(Internal) {
		clear(dst[:n])
		return
	}
	must(m.valueProg(Internal).Run([][]float64{dst[:n]}, eval.Inputs{N: n,
		Varying: map[string][]float64{"rho": rho[:n]}, Shared: m.shared(theta, 0)}))
}

// valueVJPProg returns the program of ∂(value of kind k)/∂θ per block and
// the blocks.
func (m *Model) valueVJPProg(k TermKind) (*eval.Program, []int) {
	m.progs.valVJPOnce[k].Do(func() {
		g := m.g.Clone()
		blocks, nodes := m.blocksOf(m.agg[k].value)
		outs := []ir.NodeID{g.Scalar(0)}
		if len(nodes) > 0 {
			outs = g.Grad(m.agg[k].value, nodes...)
		}
		if k == Potential {
			// The value too, summed with the same weights: its forward
			// pass is the gradient's.
			outs = append(outs, m.agg[k].value)
		}
		m.progs.valVJP[k] = eval.Compile(g, outs)
		m.progs.valVJPBlocks[k] = blocks
	})
	return m.progs.valVJP[k], m.progs.valVJPBlocks[k]
}

// valueVJP reduces Σ_i w_i ∂(value of kind k)/∂θ over the inputs into dst
// (θ layout), adding scale × the result. For potentials it returns
// Σ_i w_i V(x_i) (else 0).
func (m *Model) valueVJP(dst []float64, k TermKind, in eval.Inputs, weights []float64, scale float64) float64 {
	prog, blocks := m.valueVJPProg(k)
	if len(blocks) == 0 && k != Potential {
		return 0
	}
	outs := make([][]float64, len(prog.Outputs()))
	for bi, b := range blocks {
		outs[bi] = make([]float64, m.Params[b].Size)
	}
	if len(blocks) == 0 {
		outs[0] = make([]float64, 1) // the placeholder 0
	}
	value := 0.0
	if k == Potential {
		outs[len(outs)-1] = []float64{0}
	}
	must(prog.Reduce(outs, in, weights))
	for bi, b := range blocks {
		p := m.Params[b]
		floats.AddScaled(dst[p.Offset:p.Offset+p.Size], scale, outs[bi])
	}
	if k == Potential {
		value = outs[len(outs)-1][0]
	}
	return value
}

// PotentialValueVJP writes Σ_i w_i ∂(ΣV)(x_i, t)/∂θ into dst (P) and
// returns Σ_i w_i ΣV(x_i, t), from one pass; nil weights count every
// point once. (The energy-gradient of iJKOnet.)
func (m *Model) PotentialValueVJP(dst, x []float64, n int, t float64, theta, weights []float64) float64 {
	clear(dst[:m.NumParams])
	if !m.Has(Potential) {
		return 0
	}
	checkLen("x", x, n*m.Dim)
	return m.valueVJP(dst, Potential, eval.Inputs{N: n, Varying: map[string][]float64{"x": x[:n*m.Dim]}, Shared: m.shared(theta, t)}, weights, 1)
}

// InteractionPairSum returns Σ_i Σ_j ΣU(x_i − y_j) over the n points x and
// the ny points ys (n×d and ny×d), the pairs with x_i = y_j left out. With
// ys = x (distinct points) it is n(n−1) times the mean interaction of the
// empirical measure over distinct pairs.
func (m *Model) InteractionPairSum(x []float64, n int, ys []float64, ny int, theta []float64) float64 {
	d := m.Dim
	checkLen("x", x, n*d)
	checkLen("ys", ys, ny*d)
	if !m.Has(Interaction) || n == 0 || ny == 0 {
		return 0
	}
	sum := 0.0
	if len(m.gauss) > 0 {
		sum = m.gaussPairSums(nil, x, n, ys, ny, selfCounts(x, n, ys, ny, d), theta)
		if m.gaussOnly {
			return sum
		}
	}
	prog := m.valueProg(Interaction)
	sh := m.shared(theta, 0)
	pop := m.population(prog, x, n, ys, ny)
	var out []float64
	m.forPopPairs(pop, x, n, func(p *pairs) {
		np := len(p.z) / d
		if np == 0 {
			return
		}
		if cap(out) < np {
			out = make([]float64, np)
		}
		out = out[:np]
		must(prog.Run([][]float64{out}, eval.Inputs{N: np, Varying: map[string][]float64{"z": p.z}, Shared: sh}))
		for q, v := range out {
			if p.wt != nil {
				v *= p.wt[q]
			}
			sum += v
		}
	})
	if pop.cub != nil {
		if s := pop.selfTotal(nil); s > 0 {
			u0 := make([]float64, 1)
			must(prog.Run([][]float64{u0}, eval.Inputs{N: 1, Varying: map[string][]float64{"z": make([]float64, d)}, Shared: sh}))
			sum -= s * u0[0]
		}
	}
	return sum
}

// InteractionPairVJP writes Σ_i Σ_j ∂(ΣU)(x_i − y_j)/∂θ into dst (P), the
// pairs with x_i = y_j left out: the θ-gradient of InteractionPairSum.
func (m *Model) InteractionPairVJP(dst, x []float64, n int, ys []float64, ny int, theta []float64) {
	clear(dst[:m.NumParams])
	d := m.Dim
	checkLen("x", x, n*d)
	checkLen("ys", ys, ny*d)
	if !m.Has(Interaction) || n == 0 || ny == 0 {
		return
	}
	if len(m.gauss) > 0 {
		m.gaussPairSums(dst, x, n, ys, ny, selfCounts(x, n, ys, ny, d), nil)
		if m.gaussOnly {
			return
		}
	}
	sh := m.shared(theta, 0)
	prog, _ := m.valueVJPProg(Interaction)
	pop := m.population(prog, x, n, ys, ny)
	m.forPopPairs(pop, x, n, func(p *pairs) {
		if len(p.z) == 0 {
			return
		}
		m.valueVJP(dst, Interaction, eval.Inputs{N: len(p.z) / d, Varying: map[string][]float64{"z": p.z}, Shared: sh}, p.wt, 1)
	})
	if pop.cub != nil {
		if s := pop.selfTotal(nil); s > 0 {
			m.valueVJP(dst, Interaction, eval.Inputs{N: 1, Varying: map[string][]float64{"z": make([]float64, d)}, Shared: sh}, nil, -s)
		}
	}
}

// EntropyVJP writes ∂β/∂θ into dst (P) for an internal energy that is an
// entropy, f = βρ log ρ (see Entropy): β = Σf″(1).
func (m *Model) EntropyVJP(dst, theta []float64) {
	m.InternalVJP(dst, []float64{1}, []float64{1}, 1, theta)
}

// lsqProg builds w‖τ·∇ₓV + c‖² (w and τ varying scalars, c a varying
// vector) and its gradient per parameter block.
func (m *Model) lsqProg() (*eval.Program, []int) {
	m.progs.lsqOnce.Do(func() {
		g := m.g.Clone()
		a := m.agg[Potential]
		blocks, nodes := m.blocksOf(a.grad)
		tau := g.Input(lsqTau, ir.Scalar)
		c := g.Input(lsqOffset, ir.Vector(m.Dim))
		w := g.Input(lsqWeight, ir.Scalar)
		r := g.Add(g.Mul(g.Broadcast(tau, ir.Vector(m.Dim)), a.grad), c)
		// The weight inside the graph: the reverse pass carries it, so the
		// weight gradients reduce without weighting the particles' rows.
		loss := g.Mul(w, g.Dot(r, r))
		outs := []ir.NodeID{loss}
		if len(nodes) > 0 {
			outs = append(outs, g.Grad(loss, nodes...)...)
		}
		m.progs.lsq = eval.Compile(g, outs)
		m.progs.lsqBlocks = blocks
	})
	return m.progs.lsq, m.progs.lsqBlocks
}

// The varying inputs of the least-squares program (names no model input
// or parameter can have).
const (
	lsqTau    = "#tau"
	lsqOffset = "#c"
	lsqWeight = "#w"
)

// PotentialLSQ returns Σ_i w_i ‖τ_i·Σ∇ₓV(x_i, t_i) + c_i‖² over the n
// points x (n×d), with step lengths tau (n), offsets c (n×d), weights w
// (n, nil: 1 each) and times ts (n, nil: t = 0 for all), and writes its
// gradient in θ into grad (P). It is the JKOnet* loss of a potential
// (c = y − x) and its gradient in one pass over the points: the forward
// pass, the backward pass for ∇ₓV and the reverse pass through both, where
// PotentialGrad and PotentialVJP take two. Points of different times go in
// one batch.
func (m *Model) PotentialLSQ(grad, x, tau, c, w, ts []float64, n int, theta []float64) float64 {
	d := m.Dim
	checkLen("grad", grad, m.NumParams)
	checkLen("x", x, n*d)
	checkLen("tau", tau, n)
	checkLen("c", c, n*d)
	clear(grad[:m.NumParams])
	if n == 0 {
		return 0
	}
	if w == nil {
		w = make([]float64, n)
		for i := range w {
			w[i] = 1
		}
	}
	checkLen("w", w, n)
	if !m.Has(Potential) {
		// ∇V = 0: the loss is Σ w‖c‖², constant in θ.
		s := 0.0
		for i := range n {
			s += w[i] * floats.Dot(c[i*d:(i+1)*d], c[i*d:(i+1)*d])
		}
		return s
	}
	prog, blocks := m.lsqProg()
	outs := make([][]float64, 1+len(blocks))
	outs[0] = make([]float64, 1)
	for bi, b := range blocks {
		outs[1+bi] = grad[m.Params[b].Offset : m.Params[b].Offset+m.Params[b].Size]
	}
	vary := map[string][]float64{"x": x[:n*d], lsqTau: tau[:n], lsqOffset: c[:n*d], lsqWeight: w[:n]}
	if ts != nil {
		checkLen("ts", ts, n)
		vary["t"] = ts[:n]
	}
	must(prog.Reduce(outs, eval.Inputs{N: n, Varying: vary, Shared: m.shared(theta, 0)}, nil))
	return outs[0][0]
}
