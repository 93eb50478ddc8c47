package eval

import "github.com/jko-org/jko/internal/ir"

// findOuterOutputs finds, when reducing, the outputs that are sums of
// outer products of varying vectors (a network's weight gradients): they
// are reduced by matrix products (Σ_q u_q v_qᵀ = Uᵀ V) and never formed
// per particle.
func (b *builder) findOuterOutputs() {
	if !b.reduce {
		return
	}
	for k, o := range b.p.outputs {
		if terms, ok := outerTerms(b.g, b.varying, o, 1, nil); ok && len(terms) > 0 {
			b.outerOf[k] = terms
		}
	}
}

// outerTerm is one ±u vᵀ of an output that is a sum of outer products.
type outerTerm struct {
	sign float64
	u, v ir.NodeID
}

// outerRef locates the vectors of an outerTerm: u (m per particle) and v
// (c per particle) at references u and v.
type outerRef struct {
	sign float64
	u, v int
	m, c int
}

// outerTerms decomposes id into a sum of ±outer(u, v) with u and v varying
// vectors, through add, sub and neg; ok is false when it is not one.
func outerTerms(g *ir.Graph, varying []bool, id ir.NodeID, sign float64, acc []outerTerm) ([]outerTerm, bool) {
	nd := g.Node(id)
	switch nd.Op {
	case ir.OpOuter:
		u, v := nd.Args[0], nd.Args[1]
		if !varying[u] || !varying[v] {
			return nil, false
		}
		return append(acc, outerTerm{sign, u, v}), true
	case ir.OpAdd, ir.OpSub:
		a, b := nd.Args[0], nd.Args[1]
		if g.Shape(a) != nd.Shape || g.Shape(b) != nd.Shape {
			return nil, false
		}
		acc, ok := outerTerms(g, varying, a, sign, acc)
		if !ok {
			return nil, false
		}
		if nd.Op == ir.OpSub {
			return outerTerms(g, varying, b, -sign, acc)
		}
		return outerTerms(g, varying, b, sign, acc)
	case ir.OpNeg:
		return outerTerms(g, varying, nd.Args[0], -sign, acc)
	}
	return nil, false
}
