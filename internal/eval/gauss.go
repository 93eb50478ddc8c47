package eval

import (
	"math"
	"sort"

	"github.com/jko-org/jko/internal/ir"
)

// opGauss is the fused instruction exp(−sqdist(C, x)/s) of the evaluator
// (not an ir op) for a constant C whose rows are a tensor grid and a
// constant s: arg x (varying).
const opGauss ir.Op = 254

// gaussGrid describes an opGauss: the operand x, the values axes[k] of grid
// axis k (row m of C is the m-th point of their tensor product, the last
// axis fastest) and the width s.
type gaussGrid struct {
	x    ir.NodeID
	axes [][]float64
	s    float64
}

// matchGauss recognises id = exp(neg(div(sqdist(C, x), S))) with C a
// constant tensor grid (rows in lexicographic order, the first axis
// slowest, as grid() writes them), S a constant fill and the intermediate
// nodes used only here.
func matchGauss(g *ir.Graph, id ir.NodeID, varying []bool, uses map[ir.NodeID]int, outs []ir.NodeID, skip map[ir.NodeID]bool) *gaussGrid {
	e := g.Node(id)
	if e.Op != ir.OpExp {
		return nil
	}
	single := func(a ir.NodeID, op ir.Op) *ir.Node {
		n := g.Node(a)
		if n.Op != op || !varying[a] || uses[a] != 1 || skip[a] || isOutputNode(outs, a) {
			return nil
		}
		return n
	}
	ng := single(e.Args[0], ir.OpNeg)
	if ng == nil {
		return nil
	}
	dv := single(ng.Args[0], ir.OpDiv)
	if dv == nil {
		return nil
	}
	sq := single(dv.Args[0], ir.OpSqDist)
	if sq == nil {
		return nil
	}
	sv := g.ConstValue(dv.Args[1])
	if len(sv) == 0 || !isFill(sv) {
		return nil
	}
	c, x := sq.Args[0], sq.Args[1]
	cv := g.ConstValue(c)
	if cv == nil || !varying[x] || varying[c] {
		return nil
	}
	axes := tensorAxes(cv, g.Shape(c).Rows, g.Shape(c).Cols)
	if axes == nil {
		return nil
	}
	return &gaussGrid{x: x, axes: axes, s: sv[0]}
}

// tensorAxes returns the axis values of C (rows × d) when its rows are the
// tensor grid of them in lexicographic order, else nil.
func tensorAxes(c []float64, rows, d int) [][]float64 {
	axes := make([][]float64, d)
	count := 1
	for k := 0; k < d; k++ {
		seen := map[float64]bool{}
		for m := 0; m < rows; m++ {
			v := c[m*d+k]
			if !seen[v] {
				seen[v] = true
				axes[k] = append(axes[k], v)
			}
		}
		sort.Float64s(axes[k])
		count *= len(axes[k])
		if count > rows {
			return nil
		}
	}
	if count != rows {
		return nil
	}
	// Row m must be the m-th multi-index, the last axis fastest.
	idx := make([]int, d)
	for m := 0; m < rows; m++ {
		for k := 0; k < d; k++ {
			if c[m*d+k] != axes[k][idx[k]] {
				return nil
			}
		}
		for k := d - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < len(axes[k]) {
				break
			}
			idx[k] = 0
		}
	}
	return axes
}

// gaussExec computes out (n × Π|axes|) = Π_k exp(−(x_k − a)²/s) over the
// grid for n particles x (stride xs).
func gaussExec(gg *gaussGrid, out, x []float64, xs, n int) {
	d := len(gg.axes)
	tot := 0
	for _, a := range gg.axes {
		tot += len(a)
	}
	var stack [128]float64
	var fac []float64
	if tot > len(stack) {
		fac = make([]float64, tot)
	} else {
		fac = stack[:tot]
	}
	size := len(out) / max(n, 1)
	for q := range n {
		xq := x[q*xs : q*xs+d]
		off := 0
		for k, a := range gg.axes {
			for r, v := range a {
				t := xq[k] - v
				fac[off+r] = math.Exp(-(t * t) / gg.s)
			}
			off += len(a)
		}
		o := out[q*size : (q+1)*size]
		gaussProducts(o, fac, gg.axes)
	}
}

// gaussProducts writes the tensor products of the per-axis factors
// (concatenated in fac) into o, the last axis fastest.
func gaussProducts(o, fac []float64, axes [][]float64) {
	if len(axes) == 2 {
		a0, a1 := fac[:len(axes[0])], fac[len(axes[0]):]
		n1 := len(a1)
		for i, u := range a0 {
			row := o[i*n1 : (i+1)*n1]
			for j, v := range a1 {
				row[j] = u * v
			}
		}
		return
	}
	o[0] = 1
	size := 1
	off := 0
	for _, a := range axes {
		f := fac[off : off+len(a)]
		// Expand in place from the back: o[i*len(a)+r] = o[i]·f[r].
		for i := size - 1; i >= 0; i-- {
			u := o[i]
			for r := len(a) - 1; r >= 0; r-- {
				o[i*len(a)+r] = u * f[r]
			}
		}
		size *= len(a)
		off += len(a)
	}
}
