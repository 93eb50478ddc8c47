package ir

// Affine reports whether y is affine in the given parameter blocks (other
// params count as constants). The analysis tracks the polynomial degree in
// those blocks: sums and structural ops take the maximum degree of their
// operands, products (Mul, MatVec, MatTVec, Outer) add degrees, a quotient
// needs a parameter-free denominator, Pow needs a parameter-free base (or
// exponent 1), and every other nonlinear function needs parameter-free
// arguments. When y is not affine, culprit is the smallest subexpression
// where the nonlinearity arises (the first in topological order), whose
// Pos locates it in the source; otherwise culprit is None.
func (g *Graph) Affine(y NodeID, params []NodeID) (ok bool, culprit NodeID) {
	sub := g.Reach(y) // linear in the term, not in the graph
	deg := make(map[NodeID]int8, len(sub))
	isParam := map[NodeID]bool{}
	for _, p := range params {
		isParam[p] = true
	}
	for _, id := range sub {
		n := &g.nodes[id]
		var d, maxd, sum int8
		for _, a := range n.Args {
			maxd = max(maxd, deg[a])
			sum += deg[a]
		}
		switch n.Op {
		case OpConst, OpInput:
			d = 0
		case OpParam:
			if isParam[id] {
				d = 1
			}
		case OpAdd, OpSub, OpNeg, OpSum, OpIndex, OpSlice, OpPad, OpStack,
			OpConcat, OpBroadcast:
			d = maxd
		case OpMul, OpMatVec, OpMatTVec, OpOuter:
			d = sum
		case OpDiv:
			d = deg[n.Args[0]]
			if deg[n.Args[1]] > 0 {
				d = 2
			}
		case OpProd:
			d = maxd
			if maxd > 0 && g.Shape(n.Args[0]).Rows > 1 {
				d = 2
			}
		case OpPow:
			d = maxd
			if maxd > 0 && n.P != 1 {
				d = 2
			}
		default: // nonlinear functions
			if maxd > 0 {
				d = 2
			}
		}
		if d > 1 {
			return false, id
		}
		deg[id] = d
	}
	return true, None
}
