package compile

import (
	"github.com/jko-org/jko/internal/parallel"
	"math"

	"github.com/jko-org/jko/internal/eval"
	"github.com/jko-org/jko/internal/ir"
)

// Sums over pairs without the pair loop.
//
// An interaction program F(z) (a drift, its features, a gradient with
// respect to θ) summed over a population, Σ_j F(x_i − y_j), costs N² pair
// evaluations. When F is a polynomial in z whose degree in coordinate k is
// at most p_k, the sum is exact on far fewer points: y ↦ F(x − y) is then a
// polynomial of the same degrees in y, and the tensor grid of Chebyshev
// points q_r (p_k + 1 per axis, spanning the cloud) with the weights
// w_r = Σ_j L_r(y_j) (L_r the tensor Lagrange polynomials of the grid)
// reproduces Σ_j P(y_j) for every such P. So Σ_j F(x_i − y_j) =
// Σ_r w_r F(x_i − q_r): N·Π(p_k+1) evaluations, for any x, exact up to
// rounding (the Lebesgue constant of Chebyshev points is small, so the
// rounding error stays within a few ulps of Σ_j |F(x_i − y_j)|). The self-pair
// z = 0, left out of the mean field, is subtracted as F(0) per copy of x_i
// in the cloud.

// polyDegrees returns the degree in each coordinate of the interaction
// variable z of the outputs, as a polynomial in z (inputs other than z, the
// seeds of a VJP, are constant across the pairs of one particle). ok is false
// when some output is not a polynomial in z.
func polyDegrees(g *ir.Graph, outputs []ir.NodeID, z ir.NodeID, d int) (deg []int, ok bool) {
	reach := g.Reachable(outputs...)
	type info struct {
		deg  []int // nil: degree 0 in every coordinate
		poly bool
	}
	inf := make([]info, g.Len())
	add := func(a, b []int) []int {
		if a == nil {
			return b
		}
		if b == nil {
			return a
		}
		out := make([]int, d)
		for k := range out {
			out[k] = a[k] + b[k]
		}
		return out
	}
	maxd := func(a, b []int) []int {
		if a == nil {
			return b
		}
		if b == nil {
			return a
		}
		out := make([]int, d)
		for k := range out {
			out[k] = max(a[k], b[k])
		}
		return out
	}
	scale := func(a []int, p int) []int {
		if a == nil {
			return nil
		}
		out := make([]int, d)
		for k := range out {
			out[k] = a[k] * p
		}
		return out
	}
	for id, r := range reach {
		if !r {
			continue
		}
		nd := g.Node(ir.NodeID(id))
		poly := true
		constant := true
		for _, a := range nd.Args {
			poly = poly && inf[a].poly
			constant = constant && inf[a].poly && inf[a].deg == nil
		}
		var dg []int
		switch nd.Op {
		case ir.OpConst, ir.OpParam:
		case ir.OpInput:
			if ir.NodeID(id) == z {
				dg = make([]int, d)
				for k := range dg {
					dg[k] = 1
				}
			}
		case ir.OpIndex:
			a := nd.Args[0]
			if a == z {
				dg = make([]int, d)
				dg[nd.I] = 1
			} else {
				dg = inf[a].deg
			}
		case ir.OpSlice:
			a := nd.Args[0]
			if a == z {
				dg = make([]int, d)
				for k := nd.I; k < nd.J; k++ {
					dg[k] = 1
				}
			} else {
				dg = inf[a].deg
			}
		case ir.OpAdd, ir.OpSub, ir.OpNeg, ir.OpSum, ir.OpPad, ir.OpStack, ir.OpConcat, ir.OpBroadcast:
			for _, a := range nd.Args {
				dg = maxd(dg, inf[a].deg)
			}
		case ir.OpMul, ir.OpOuter, ir.OpMatVec, ir.OpMatTVec:
			dg = add(inf[nd.Args[0]].deg, inf[nd.Args[1]].deg)
		case ir.OpDiv:
			dg = inf[nd.Args[0]].deg
			poly = poly && inf[nd.Args[1]].deg == nil
		case ir.OpPow:
			p := nd.P
			switch {
			case constant:
			case p >= 0 && p == math.Trunc(p) && p <= 64:
				dg = scale(inf[nd.Args[0]].deg, int(p))
			default:
				poly = false
			}
		case ir.OpProd:
			dg = scale(inf[nd.Args[0]].deg, g.Shape(nd.Args[0]).Size())
		case ir.OpSqDist:
			dg = scale(maxd(inf[nd.Args[0]].deg, inf[nd.Args[1]].deg), 2)
		default:
			poly = constant // any function of constants is a constant
		}
		inf[id] = info{deg: dg, poly: poly}
	}
	deg = make([]int, d)
	for _, o := range outputs {
		if !inf[o].poly {
			return nil, false
		}
		deg = maxd(deg, inf[o].deg)
	}
	return deg, true
}

// cubature is a weighted point set standing for a cloud in sums of
// polynomials of bounded degree (see polyDegrees).
type cubature struct {
	pts []float64 // M×d
	w   []float64 // M
	m   int
}

// size returns the number of points of the tensor grid for the degrees.
func gridSize(deg []int) int {
	m := 1
	for _, p := range deg {
		m *= p + 1
		if m > 1<<20 {
			return m
		}
	}
	return m
}

// newCubature returns the Chebyshev tensor grid spanning the ny points ys
// (ny×d), deg[k] + 1 points on axis k, with the weights w_r = Σ_j L_r(y_j).
func newCubature(ys []float64, ny, d int, deg []int) *cubature {
	lo, hi := make([]float64, d), make([]float64, d)
	for k := range lo {
		lo[k], hi[k] = math.Inf(1), math.Inf(-1)
	}
	for j := 0; j < ny; j++ {
		for k := 0; k < d; k++ {
			v := ys[j*d+k]
			lo[k], hi[k] = math.Min(lo[k], v), math.Max(hi[k], v)
		}
	}
	// Axis k: nodes c_k + h_k·cos(π(r + ½)/(p_k + 1)), and the Lagrange
	// values ℓ_r(y_jk) of every point (ny × (p_k + 1)).
	nodes := make([][]float64, d)
	lag := make([][]float64, d)
	for k := 0; k < d; k++ {
		c, h := (lo[k]+hi[k])/2, (hi[k]-lo[k])/2
		if !(h > 0) {
			h = math.Max(1, math.Abs(c))
		}
		n := deg[k] + 1
		u := make([]float64, n)
		nodes[k] = make([]float64, n)
		for r := range u {
			u[r] = math.Cos(math.Pi * (float64(r) + 0.5) / float64(n))
			nodes[k][r] = c + h*u[r]
		}
		l := make([]float64, ny*n)
		for j := 0; j < ny; j++ {
			t := (ys[j*d+k] - c) / h
			for r := range n {
				v := 1.0
				for s := range n {
					if s != r {
						v *= (t - u[s]) / (u[r] - u[s])
					}
				}
				l[j*n+r] = v
			}
		}
		lag[k] = l
	}
	m := gridSize(deg)
	cb := &cubature{pts: make([]float64, m*d), w: make([]float64, m), m: m}
	idx := make([]int, d)
	for r := 0; r < m; r++ {
		for k := 0; k < d; k++ {
			cb.pts[r*d+k] = nodes[k][idx[k]]
		}
		s := 0.0
		for j := 0; j < ny; j++ {
			v := 1.0
			for k := 0; k < d; k++ {
				v *= lag[k][j*(deg[k]+1)+idx[k]]
			}
			s += v
		}
		cb.w[r] = s
		// Next multi-index, the last axis fastest.
		for k := d - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] <= deg[k] {
				break
			}
			idx[k] = 0
		}
	}
	return cb
}

// selfCounts returns, for each of the n points x, the number of points of
// ys that coincide with it (the pairs with z = 0).
func selfCounts(x []float64, n int, ys []float64, ny, d int) []int {
	seen := make(map[string]int, ny)
	for j := 0; j < ny; j++ {
		seen[rowKey(ys[j*d:(j+1)*d])]++
	}
	c := make([]int, n)
	for i := range c {
		c[i] = seen[rowKey(x[i*d:(i+1)*d])]
	}
	return c
}

// polyInfo caches polyDegrees of a program's outputs.
type polyInfo struct {
	deg []int
	ok  bool
}

// pairDegrees returns the degrees of prog's outputs in z (see polyDegrees),
// computed once per program.
func (m *Model) pairDegrees(prog *eval.Program) ([]int, bool) {
	m.progs.polyMu.Lock()
	defer m.progs.polyMu.Unlock()
	if m.progs.poly == nil {
		m.progs.poly = map[*eval.Program]polyInfo{}
	}
	if pi, ok := m.progs.poly[prog]; ok {
		return pi.deg, pi.ok
	}
	g := prog.Graph() // derivative programs live in a clone of m.g
	z := g.Lookup("z")
	var pi polyInfo
	if z != ir.None {
		pi.deg, pi.ok = polyDegrees(g, prog.Outputs(), z, m.Dim)
	}
	m.progs.poly[prog] = pi
	return pi.deg, pi.ok
}

// population is what a sum over the pairs of rows x_i and a cloud ys runs
// over: the cloud itself (the pair loop, self-pairs skipped) or, for a
// program polynomial in z, a cubature of the cloud; count[i] is the number
// of pairs of row i in the mean (ny minus the copies of x_i in the cloud).
type population struct {
	ys    []float64
	ny    int
	cub   *cubature // nil: the pair loop
	self  []int     // copies of x_i in ys (cubature only; subtracted as F(0))
	count []int
}

// PairLoop forces the pair loop for every interaction sum (for tests and
// benchmarks of the exact sums against the cubature).
var PairLoop = false

// population picks how prog is summed over ys for the n rows x.
func (m *Model) population(prog *eval.Program, x []float64, n int, ys []float64, ny int) *population {
	d := m.Dim
	p := &population{ys: ys, ny: ny}
	self := selfCounts(x, n, ys, ny, d)
	p.count = make([]int, n)
	for i, c := range self {
		p.count[i] = ny - c
	}
	if deg, ok := m.pairDegrees(prog); ok && !PairLoop && 2*gridSize(deg) <= ny {
		p.cub = newCubature(ys, ny, d, deg)
		p.self = self
	}
	return p
}

// selfTotal returns Σ_i scale_i·self_i (0 without a cubature); scale nil
// counts 1.
func (p *population) selfTotal(scale func(i int) float64) float64 {
	s := 0.0
	for i, c := range p.self {
		if c > 0 {
			if scale == nil {
				s += float64(c)
			} else {
				s += float64(c) * scale(i)
			}
		}
	}
	return s
}

// forPairs calls f with blocks of rows of x and their pairs: the
// differences z = x_i − y_j to the cloud with z = 0 left out, or
// z = x_i − q_r to the cubature's points with weights w_r (p.wt).
func (m *Model) forPopPairs(pop *population, x []float64, n int, f func(p *pairs)) {
	if pop.cub == nil {
		m.forPairs(x, n, pop.ys, pop.ny, f)
		return
	}
	d := m.Dim
	cb := pop.cub
	rows := max(1, pairBlock/cb.m)
	buf := make([]float64, min(rows, n)*cb.m*d)
	wt := make([]float64, min(rows, n)*cb.m)
	p := &pairs{off: make([]int, 0, rows+1)}
	for i0 := 0; i0 < n; i0 += rows {
		i1 := min(n, i0+rows)
		cb.pairsOf(p, x, i0, i1, d, buf, wt)
		f(p)
	}
}

// pairsOf sets p to rows [i0, i1) of x and their pairs with the
// cubature's points, z = x_i − q_r with weights w_r, row after row, in
// the buffers buf (cb.m·d per row) and wt (cb.m per row).
func (cb *cubature) pairsOf(p *pairs, x []float64, i0, i1, d int, buf, wt []float64) {
	p.i0, p.i1 = i0, i1
	p.off = append(p.off[:0], 0)
	q := 0
	for i := i0; i < i1; i++ {
		xi := x[i*d : (i+1)*d]
		for r := 0; r < cb.m; r++ {
			for k := 0; k < d; k++ {
				buf[q*d+k] = xi[k] - cb.pts[r*d+k]
			}
			wt[q] = cb.w[r]
			q++
		}
		p.off = append(p.off, q)
	}
	p.z, p.wt = buf[:q*d], wt[:q]
}

// cubatureRows is the number of rows a goroutine of forCubatureRows takes
// at once.
const cubatureRows = 32

// forCubatureRows is forPopPairs over a cubature (pop.cub not nil) for a
// callback that writes only its own rows' outputs: the blocks of rows run
// on several goroutines, each calling its own callback from newF. A row's
// pairs are the same as forPopPairs gives it, in the same order, so what a
// callback computes per row does not depend on the blocks or the cores.
func (m *Model) forCubatureRows(pop *population, x []float64, n int, newF func() func(p *pairs)) {
	d := m.Dim
	cb := pop.cub
	nb := (n + cubatureRows - 1) / cubatureRows
	parallel.Claim(nb, func(next func() int) {
		f := newF()
		buf := make([]float64, cubatureRows*cb.m*d)
		wt := make([]float64, cubatureRows*cb.m)
		p := &pairs{off: make([]int, 0, cubatureRows+1)}
		for bi := next(); bi < nb; bi = next() {
			i0, i1 := bi*cubatureRows, min(n, (bi+1)*cubatureRows)
			cb.pairsOf(p, x, i0, i1, d, buf, wt)
			f(p)
		}
	})
}

// zeroAtZeroParams reports whether every output of prog is identically 0
// when every parameter is 0 (a drift linear in its parameters with no
// fixed part), so its parameter-free part needs no evaluation.
func (m *Model) zeroAtZeroParams(prog *eval.Program) bool {
	g := prog.Graph()
	outs := prog.Outputs()
	reach := g.Reachable(outs...)
	zero := make([]bool, g.Len())
	for id, r := range reach {
		if !r {
			continue
		}
		nd := g.Node(ir.NodeID(id))
		all, any := true, false
		for _, a := range nd.Args {
			all = all && zero[a]
			any = any || zero[a]
		}
		switch nd.Op {
		case ir.OpParam:
			zero[id] = true
		case ir.OpConst:
			zero[id] = g.IsZero(ir.NodeID(id))
		case ir.OpMul, ir.OpOuter, ir.OpMatVec, ir.OpMatTVec, ir.OpProd:
			zero[id] = any
		case ir.OpDiv:
			zero[id] = zero[nd.Args[0]]
		case ir.OpPow:
			zero[id] = all && nd.P > 0
		case ir.OpAdd, ir.OpSub, ir.OpNeg, ir.OpSum, ir.OpIndex, ir.OpSlice, ir.OpPad,
			ir.OpStack, ir.OpConcat, ir.OpBroadcast:
			zero[id] = all
		}
	}
	for _, o := range outs {
		if !zero[o] {
			return false
		}
	}
	return true
}
