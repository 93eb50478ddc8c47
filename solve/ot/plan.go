package ot

import (
	"errors"
	"fmt"
	"math"

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
	s := 0.0
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, inputErr("%s[%d] = %v is not finite", name, i, v)
		}
		if v < 0 {
			return nil, inputErr("%s[%d] = %v is negative", name, i, v)
		}
		s += v
	}
	if s <= 0 {
		return nil, inputErr("%s: total weight is zero", name)
	}
	for i, v := range w {
		out[i] = v / s
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
	xs, ys := rowsOf(x), rowsOf(y)
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
// simplex.
func Solve(a, b []float64, cost *mat.Dense) (*Plan, error) {
	if cost == nil || cost.IsEmpty() {
		return nil, inputErr("empty cost matrix")
	}
	n, m := cost.Dims()
	aa, err := normWeights("a", a, n)
	if err != nil {
		return nil, err
	}
	bb, err := normWeights("b", b, m)
	if err != nil {
		return nil, err
	}
	c, err := costOf(cost, n, m)
	if err != nil {
		return nil, err
	}
	return solveRaw(aa, bb, c, n, m, nil, nil, isUniform(a) && isUniform(b))
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
// uniform.
func Couple(x, y *mat.Dense, a, b []float64, cf CostFunc) (*Plan, error) {
	if cf != SqEuclidean && cf != Euclidean {
		return nil, inputErr("unknown cost function %d", int(cf))
	}
	n, m, _, err := checkClouds(x, y)
	if err != nil {
		return nil, err
	}
	aa, err := normWeights("a", a, n)
	if err != nil {
		return nil, err
	}
	bb, err := normWeights("b", b, m)
	if err != nil {
		return nil, err
	}
	c := costRaw(x, y, cf)
	uniform := isUniform(a) && isUniform(b)
	if uniform && n == m {
		return solveRaw(aa, bb, c, n, m, nil, nil, true)
	}
	ro, co := principalOrder(x, y)
	return solveRaw(aa, bb, c, n, m, ro, co, false)
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
