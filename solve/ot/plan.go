package ot

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/jko-org/jko/internal/parallel"
	"gonum.org/v1/gonum/mat"
)

// Pair is one entry of a sparse transport plan: mass Mass moves from
// source point I to target point J.
type Pair struct {
	I, J int
	Mass float64
}

// Plan is a sparse transport plan between N sources and M targets.
type Plan struct {
	N, M  int
	Pairs []Pair  // entries with positive mass, sorted by (I, J)
	Cost  float64 // Σ Mass·cost(I, J)
	// U and V are dual potentials certifying optimality over all pairs
	// (U[i] + V[j] ≤ cost(i, j), equality on Pairs, Σ a·U + Σ b·V = Cost),
	// set by CoupleWith's sparse solver and nil otherwise.
	U, V []float64
}

// Marginals returns the row and column sums of the plan.
func (p *Plan) Marginals() (a, b []float64) {
	a = make([]float64, p.N)
	b = make([]float64, p.M)
	for _, q := range p.Pairs {
		a[q.I] += q.Mass
		b[q.J] += q.Mass
	}
	return a, b
}

// CostFunc selects the ground cost between two points.
type CostFunc int

const (
	// SqEuclidean is ‖x − y‖².
	SqEuclidean CostFunc = iota
	// Euclidean is ‖x − y‖.
	Euclidean
)

// String names the cost function.
func (c CostFunc) String() string {
	switch c {
	case SqEuclidean:
		return "sqeuclidean"
	case Euclidean:
		return "euclidean"
	}
	return fmt.Sprintf("CostFunc(%d)", int(c))
}

// ErrInput is wrapped by every error caused by invalid input.
var ErrInput = errors.New("ot: invalid input")

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInput}, args...)...)
}

// normMarginals validates both marginals of an n×m problem (normWeights
// on a and on b).
func normMarginals(a, b []float64, n, m int) (aa, bb []float64, err error) {
	if aa, err = normWeights("a", a, n); err != nil {
		return nil, nil, err
	}
	if bb, err = normWeights("b", b, m); err != nil {
		return nil, nil, err
	}
	return aa, bb, nil
}

// normWeights validates w (nil means uniform over n points) and returns a
// copy normalised to total mass 1.
func normWeights(name string, w []float64, n int) ([]float64, error) {
	if n == 0 {
		return nil, inputErr("%s: empty measure", name)
	}
	out := make([]float64, n)
	if w == nil {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out, nil
	}
	if len(w) != n {
		return nil, inputErr("%s: %d weights for %d points", name, len(w), n)
	}
	mx := 0.0
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, inputErr("%s[%d] = %v is not finite", name, i, v)
		}
		if v < 0 {
			return nil, inputErr("%s[%d] = %v is negative", name, i, v)
		}
		mx = math.Max(mx, v)
	}
	if mx == 0 {
		return nil, inputErr("%s: total weight is zero", name)
	}
	// Divide by the largest weight first: the sum cannot overflow.
	s := 0.0
	for _, v := range w {
		s += v / mx
	}
	for i, v := range w {
		out[i] = v / mx / s
	}
	return out, nil
}

// isUniform reports whether w is nil or has all entries equal.
func isUniform(w []float64) bool {
	for _, v := range w {
		if v != w[0] {
			return false
		}
	}
	return true
}

func checkClouds(x, y *mat.Dense) (n, m, d int, err error) {
	if x == nil || y == nil {
		return 0, 0, 0, inputErr("nil point cloud")
	}
	if x.IsEmpty() || y.IsEmpty() {
		return 0, 0, 0, inputErr("empty point cloud")
	}
	n, d = x.Dims()
	m, d2 := y.Dims()
	if d != d2 {
		return 0, 0, 0, inputErr("dimension mismatch: %d-D and %d-D points", d, d2)
	}
	for _, c := range []*mat.Dense{x, y} {
		r, cc := c.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < cc; j++ {
				if v := c.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
					return 0, 0, 0, inputErr("point %d coordinate %d is %v", i, j, v)
				}
			}
		}
	}
	return n, m, d, nil
}

// rowsOf returns the points of c as one contiguous row-major slice.
func rowsOf(c *mat.Dense) []float64 {
	r, d := c.Dims()
	raw := c.RawMatrix()
	if raw.Stride == d {
		return raw.Data[:r*d]
	}
	out := make([]float64, r*d)
	for i := 0; i < r; i++ {
		copy(out[i*d:(i+1)*d], raw.Data[i*raw.Stride:i*raw.Stride+d])
	}
	return out
}

// costRaw returns the n×m cost matrix between the points as a row-major
// slice, computed from coordinate differences (no cancellation).
func costRaw(x, y *mat.Dense, cf CostFunc) []float64 {
	n, d := x.Dims()
	m, _ := y.Dims()
	return costRawScaled(rowsOf(x), rowsOf(y), n, m, d, cf)
}

// costRawScaled is costRaw on row-major points.
func costRawScaled(xs, ys []float64, n, m, d int, cf CostFunc) []float64 {
	c := make([]float64, n*m)
	parallel.Chunks(n, 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi := xs[i*d : (i+1)*d]
			row := c[i*m : (i+1)*m]
			for j := range row {
				yj := ys[j*d : (j+1)*d]
				s := 0.0
				for k, v := range xi {
					t := v - yj[k]
					s += t * t
				}
				if cf == Euclidean {
					s = math.Sqrt(s)
				}
				row[j] = s
			}
		}
	})
	return c
}

// CostMatrix returns the n×m matrix of cf between the rows of x and y.
func CostMatrix(x, y *mat.Dense, cf CostFunc) (*mat.Dense, error) {
	if cf != SqEuclidean && cf != Euclidean {
		return nil, inputErr("unknown cost function %d", int(cf))
	}
	n, m, _, err := checkClouds(x, y)
	if err != nil {
		return nil, err
	}
	return mat.NewDense(n, m, costRaw(x, y, cf)), nil
}

// costOf validates a cost matrix and returns its row-major data.
func costOf(cost *mat.Dense, n, m int) ([]float64, error) {
	if cost == nil || cost.IsEmpty() {
		return nil, inputErr("empty cost matrix")
	}
	r, c := cost.Dims()
	if r != n || c != m {
		return nil, inputErr("cost matrix is %d×%d, weights are %d and %d", r, c, n, m)
	}
	raw := cost.RawMatrix()
	var data []float64
	if raw.Stride == m {
		data = raw.Data[:n*m]
	} else {
		data = make([]float64, n*m)
		for i := 0; i < n; i++ {
			copy(data[i*m:(i+1)*m], raw.Data[i*raw.Stride:i*raw.Stride+m])
		}
	}
	for k, v := range data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, inputErr("cost[%d][%d] = %v is not finite", k/m, k%m, v)
		}
	}
	return data, nil
}

// Solve returns an optimal transport plan between weights a (n) and b (m)
// for the n×m cost matrix. Nil weights mean uniform; weights are
// normalised to total mass 1 and may contain zeros. Equal counts with
// uniform weights use the assignment solver, anything else the network
// simplex. Cost: the n×m matrix is the caller's (O(n·m) memory, 10⁸
// bytes at n = m = 3,500); the assignment is O(n³) in the worst case.
// Point clouds beyond a few thousand points belong to CoupleWith.
func Solve(a, b []float64, cost *mat.Dense) (*Plan, error) {
	if cost == nil || cost.IsEmpty() {
		return nil, inputErr("empty cost matrix")
	}
	n, m := cost.Dims()
	aa, bb, err := normMarginals(a, b, n, m)
	if err != nil {
		return nil, err
	}
	c, err := costOf(cost, n, m)
	if err != nil {
		return nil, err
	}
	c, e := unitCosts(c)
	p, err := solveRaw(aa, bb, c, n, m, nil, nil, isUniform(a) && isUniform(b))
	if err != nil {
		return nil, err
	}
	return p, p.unscale(e)
}

// unitCosts returns the costs multiplied by 2^−e so that the largest is
// in [0.5, 1) (a copy, exact in floating point) when they are far from
// unit scale: huge costs would overflow the simplex potentials (sums of
// costs), tiny ones underflow.
func unitCosts(c []float64) ([]float64, int) {
	mx := 0.0
	for _, v := range c {
		mx = math.Max(mx, math.Abs(v))
	}
	if mx == 0 || (mx < 0x1p200 && mx > 0x1p-200) {
		return c, 0
	}
	_, e := math.Frexp(mx)
	out := make([]float64, len(c))
	for k, v := range c {
		out[k] = math.Ldexp(v, -e)
	}
	return out, e
}

// unscale multiplies the plan's cost by 2^e, reporting an overflow.
func (p *Plan) unscale(e int) error {
	p.Cost = math.Ldexp(p.Cost, e)
	if math.IsInf(p.Cost, 0) {
		return inputErr("the optimal cost overflows float64")
	}
	return nil
}

// solveRaw dispatches between the exact solvers on validated input.
func solveRaw(a, b, c []float64, n, m int, rowOrder, colOrder []int, uniform bool) (*Plan, error) {
	if uniform && n == m {
		rowsol, _ := assignRaw(c, n)
		p := &Plan{N: n, M: n, Pairs: make([]Pair, n)}
		w := 1 / float64(n)
		for i, j := range rowsol {
			p.Pairs[i] = Pair{I: i, J: j, Mass: w}
			p.Cost += c[i*n+j]
		}
		p.Cost *= w
		return p, nil
	}
	return networkSimplex(a, b, c, n, m, rowOrder, colOrder)
}

// Couple returns an optimal plan between the weighted point clouds x (n×d,
// weights a) and y (m×d, weights b) for the cost cf; nil weights are
// uniform. It is CoupleWith with the default options.
func Couple(x, y *mat.Dense, a, b []float64, cf CostFunc) (*Plan, error) {
	return CoupleWith(x, y, a, b, cf, Options{})
}

// CoupleWith returns an optimal plan between the weighted point clouds x
// (n×d, weights a) and y (m×d, weights b) for the cost cf; nil weights are
// uniform. The solver stores the n×m cost matrix only for small
// problems in five dimensions and more (useDense: at most 6 million pairs,
// 48 MB, unequal or weighted clouds); otherwise memory grows as (n + m)·k.
// The plan carries dual potentials U, V that certify its
// optimality over all pairs (U[i] + V[j] ≤ cost(i, j), with equality on
// the plan's pairs).
//
// Coordinates are rescaled by a power of two before the solve (exact in
// floating point), so clouds far from unit scale lose no precision; a
// distance that does not fit in a float64 is reported as an error.
//
// Cost: memory O((n + m)·(d + k)) for the clouds, their k-d trees and the
// candidate graph (k nearest neighbours per point, plus the pairs the
// coarse solves and the pricing add), O(n·m) only under useDense's bound;
// time has no useful
// worst-case bound (the pricing pass is a k-d tree query per row, the
// solve a shortest-path or simplex method on the graph); BENCHMARKS.md
// measures it (its "couplings" stage).
func CoupleWith(x, y *mat.Dense, a, b []float64, cf CostFunc, opt Options) (*Plan, error) {
	if cf != SqEuclidean && cf != Euclidean {
		return nil, inputErr("unknown cost function %d", int(cf))
	}
	n, m, d, err := checkClouds(x, y)
	if err != nil {
		return nil, err
	}
	aa, bb, err := normMarginals(a, b, n, m)
	if err != nil {
		return nil, err
	}
	xs, ys, e := scaledPoints(x, y)
	// unscale maps a cost or potential of the scaled problem back.
	unscale := func(v float64) float64 {
		if cf == SqEuclidean {
			return math.Ldexp(v, 2*e)
		}
		return math.Ldexp(v, e)
	}
	overflow := func() error {
		return fmt.Errorf("%w: the %s distance between these clouds overflows float64 (coordinates up to %g)",
			ErrInput, cf, math.Ldexp(1, e))
	}
	// The points of positive mass.
	var rows, cols []int
	for i, v := range aa {
		if v > 0 {
			rows = append(rows, i)
		}
	}
	for j, v := range bb {
		if v > 0 {
			cols = append(cols, j)
		}
	}
	pr := &sparseProblem{nn: len(rows), mm: len(cols), d: d, cf: cf,
		xs: gatherRows(xs, rows, d), ys: gatherRows(ys, cols, d),
		a: ra0(aa, rows), b: ra0(bb, cols)}
	solve := solveSparse
	if isUniform(a) && isUniform(b) && n == m {
		solve = solveSparseAssign
		if len(opt.Prices) == m {
			pr.prices = make([]float64, len(cols))
			for t, j := range cols {
				// Prices are costs: scaled as unscale's inverse.
				if cf == SqEuclidean {
					pr.prices[t] = math.Ldexp(opt.Prices[j], -2*e)
				} else {
					pr.prices[t] = math.Ldexp(opt.Prices[j], -e)
				}
			}
		}
	}
	res, err := solve(pr, opt)
	if err != nil {
		return nil, err
	}
	p := &Plan{N: n, M: m, Pairs: res.pairs, U: make([]float64, n), V: make([]float64, m)}
	for k := range p.Pairs {
		q := &p.Pairs[k]
		p.Cost += q.Mass * pr.cost(q.I, q.J)
		q.I, q.J = rows[q.I], cols[q.J]
	}
	// Potentials; those of massless points are the tightest feasible ones.
	for s, i := range rows {
		p.U[i] = res.u[s]
	}
	for t, j := range cols {
		p.V[j] = res.v[t]
	}
	if len(rows) < n {
		if res.kdY == nil {
			res.kdY = newKDTree(pr.ys, pr.mm, d, cf)
		}
		res.kdY.setOffsets(res.v)
		var qs kdQuery
		for i, w := range aa {
			if w == 0 {
				p.U[i] = res.kdY.search(xs[i*d:(i+1)*d], math.Inf(1), 1, true, &qs)[0].Val
			}
		}
	}
	if len(cols) < m {
		if res.kdX == nil {
			res.kdX = newKDTree(pr.xs, pr.nn, d, cf)
		}
		res.kdX.setOffsets(res.u)
		var qs kdQuery
		for j, w := range bb {
			if w == 0 {
				p.V[j] = res.kdX.search(ys[j*d:(j+1)*d], math.Inf(1), 1, true, &qs)[0].Val
			}
		}
	}
	if p.Cost = unscale(p.Cost); math.IsInf(p.Cost, 0) {
		return nil, overflow()
	}
	for k := range p.U {
		p.U[k] = unscale(p.U[k])
	}
	for k := range p.V {
		p.V[k] = unscale(p.V[k])
	}
	return p, nil
}

// scaledPoints returns the points of x and y (row-major) multiplied by
// 2^−e, where 2^e bounds their largest coordinate: every squared distance
// of the scaled points is then at most 4·d.
func scaledPoints(x, y *mat.Dense) (xs, ys []float64, e int) {
	xs, ys = slices.Clone(rowsOf(x)), slices.Clone(rowsOf(y))
	mx := 0.0
	for _, ps := range [][]float64{xs, ys} {
		for _, v := range ps {
			mx = math.Max(mx, math.Abs(v))
		}
	}
	if mx == 0 {
		return xs, ys, 0
	}
	_, e = math.Frexp(mx) // mx = f·2^e with f in [0.5, 1)
	for _, ps := range [][]float64{xs, ys} {
		for k, v := range ps {
			ps[k] = math.Ldexp(v, -e)
		}
	}
	return xs, ys, e
}

// gatherRows returns the rows idx of the row-major d-column points ps.
func gatherRows(ps []float64, idx []int, d int) []float64 {
	out := make([]float64, len(idx)*d)
	for k, i := range idx {
		copy(out[k*d:(k+1)*d], ps[i*d:(i+1)*d])
	}
	return out
}

// W2Squared returns the exact squared 2-Wasserstein distance between the
// weighted point clouds (nil weights are uniform).
func W2Squared(x, y *mat.Dense, a, b []float64) (float64, error) {
	p, err := Couple(x, y, a, b, SqEuclidean)
	if err != nil {
		return 0, err
	}
	return p.Cost, nil
}

// W1 returns the exact 1-Wasserstein (earth mover's) distance with
// Euclidean ground cost between the weighted point clouds.
func W1(x, y *mat.Dense, a, b []float64) (float64, error) {
	p, err := Couple(x, y, a, b, Euclidean)
	if err != nil {
		return 0, err
	}
	return p.Cost, nil
}
