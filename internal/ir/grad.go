package ir

import "fmt"

// Grad returns the gradient of the scalar node y with respect to each of
// the nodes wrt (usually inputs or params, of any shape), by reverse-mode
// differentiation as a graph transform. The results are simplified nodes of
// the same graph with the shapes of the wrt nodes (a zero constant where y
// does not depend on it), so Grad can be applied to them again.
//
// Subgradients: d|x| = sign(x) (0 at 0), relu′(0) = 0, the derivatives of
// sign, step, floor and ceil are 0, and min/max pass the gradient to their
// first argument on ties.
func (g *Graph) Grad(y NodeID, wrt ...NodeID) []NodeID {
	if !g.Shape(y).IsScalar() {
		panic(fmt.Sprintf("ir: Grad of %v", g.Shape(y)))
	}
	// Work on the subgraph y depends on (in topological order), so a
	// gradient costs time linear in it, not in the whole graph.
	sub := g.Reach(y)
	at := make(map[NodeID]int, len(sub))
	for i, id := range sub {
		at[id] = i
	}
	dep := make([]bool, len(sub))
	for _, w := range wrt {
		if i, ok := at[w]; ok {
			dep[i] = true
		}
	}
	for i, id := range sub {
		if dep[i] {
			continue
		}
		for _, a := range g.nodes[id].Args {
			if dep[at[a]] {
				dep[i] = true
				break
			}
		}
	}
	adj := map[NodeID]NodeID{}
	if dep[len(sub)-1] {
		adj[y] = g.Scalar(1)
	}
	saved := g.pos
	for i := len(sub) - 1; i >= 0; i-- {
		id := sub[i]
		a, ok := adj[id]
		if !ok || len(g.nodes[id].Args) == 0 {
			continue
		}
		g.pos = g.nodes[id].Pos
		g.backprop(id, a, func(k int) bool { return dep[at[g.nodes[id].Args[k]]] }, func(k int, c NodeID) {
			arg := g.nodes[id].Args[k]
			if prev, ok := adj[arg]; ok {
				adj[arg] = g.Add(prev, c)
			} else {
				adj[arg] = c
			}
		})
	}
	g.pos = saved
	out := make([]NodeID, len(wrt))
	for i, w := range wrt {
		if a, ok := adj[w]; ok {
			out[i] = a
		} else {
			out[i] = g.Zeros(g.Shape(w))
		}
	}
	return out
}

// GradDot returns the gradients of dot(seed, y) for a vector (or matrix)
// node y and a seed of the same shape: the vector–Jacobian product
// seedᵀ ∂y/∂w for each w.
func (g *Graph) GradDot(y, seed NodeID, wrt ...NodeID) []NodeID {
	if g.Shape(y) != g.Shape(seed) {
		panic(fmt.Sprintf("ir: GradDot of %v with seed %v", g.Shape(y), g.Shape(seed)))
	}
	return g.Grad(g.Sum(g.Mul(seed, y)), wrt...)
}

// backprop emits the contribution of the adjoint a of node id to each
// operand i for which need(i) holds.
func (g *Graph) backprop(id, a NodeID, need func(int) bool, emit func(int, NodeID)) {
	n := g.nodes[id] // copy: the slice may grow
	x := n.Args
	two := g.Scalar(2)
	switch n.Op {
	case OpAdd:
		for i := range 2 {
			if need(i) {
				emit(i, a)
			}
		}
	case OpSub:
		if need(0) {
			emit(0, a)
		}
		if need(1) {
			emit(1, g.Neg(a))
		}
	case OpMul:
		if need(0) {
			emit(0, g.Mul(a, x[1]))
		}
		if need(1) {
			emit(1, g.Mul(a, x[0]))
		}
	case OpDiv:
		if need(0) {
			emit(0, g.Div(a, x[1]))
		}
		if need(1) {
			emit(1, g.Neg(g.Div(g.Mul(a, id), x[1])))
		}
	case OpPowE:
		if need(0) {
			e := g.Sub(x[1], g.Scalar(1))
			emit(0, g.Mul(a, g.Mul(x[1], g.PowE(x[0], e))))
		}
		if need(1) {
			emit(1, g.Mul(g.Mul(a, id), g.Log(x[0])))
		}
	case OpAtan2:
		r := g.Add(g.Pow(x[0], 2), g.Pow(x[1], 2))
		if need(0) {
			emit(0, g.Div(g.Mul(a, x[1]), r))
		}
		if need(1) {
			emit(1, g.Neg(g.Div(g.Mul(a, x[0]), r)))
		}
	case OpMin, OpMax:
		// s = 1 where the second argument is strictly selected.
		var s NodeID
		if n.Op == OpMin {
			s = g.Step(g.Sub(x[0], x[1]))
		} else {
			s = g.Step(g.Sub(x[1], x[0]))
		}
		if need(0) {
			emit(0, g.Mul(a, g.Sub(g.Scalar(1), s)))
		}
		if need(1) {
			emit(1, g.Mul(a, s))
		}
	case OpNeg:
		emit(0, g.Neg(a))
	case OpPow:
		// (a·p)·x^(p−1): a constant adjoint folds with p.
		emit(0, g.Mul(g.Mul(a, g.Scalar(n.P)), g.Pow(x[0], n.P-1)))
	case OpExp:
		emit(0, g.Mul(a, id))
	case OpLog:
		emit(0, g.Div(a, x[0]))
	case OpSqrt:
		emit(0, g.Div(a, g.Mul(two, id)))
	case OpAbs:
		emit(0, g.Mul(a, g.Sign(x[0])))
	case OpSin:
		emit(0, g.Mul(a, g.Cos(x[0])))
	case OpCos:
		emit(0, g.Neg(g.Mul(a, g.Sin(x[0]))))
	case OpTan:
		emit(0, g.Mul(a, g.Add(g.Scalar(1), g.Pow(id, 2))))
	case OpTanh:
		emit(0, g.Mul(a, g.Sub(g.Scalar(1), g.Pow(id, 2))))
	case OpSigmoid:
		emit(0, g.Mul(a, g.Mul(id, g.Sub(g.Scalar(1), id))))
	case OpSoftplus:
		emit(0, g.Mul(a, g.Sigmoid(x[0])))
	case OpRelu:
		emit(0, g.Mul(a, g.Step(x[0])))
	case OpSign, OpStep, OpFloor, OpCeil:
		// derivative 0
	case OpSum:
		emit(0, g.Broadcast(a, g.Shape(x[0])))
	case OpProd:
		k := g.Shape(x[0]).Rows
		parts := make([]NodeID, k)
		for i := range k {
			p := g.Scalar(1)
			for j := range k {
				if j != i {
					p = g.Mul(p, g.Index(x[0], j))
				}
			}
			parts[i] = g.Mul(a, p)
		}
		emit(0, g.Stack(parts...))
	case OpIndex:
		emit(0, g.Pad(g.Stack(a), n.I, g.Shape(x[0]).Rows))
	case OpSlice:
		emit(0, g.Pad(a, n.I, g.Shape(x[0]).Rows))
	case OpPad:
		emit(0, g.Slice(a, n.I, n.I+g.Shape(x[0]).Rows))
	case OpStack:
		for i := range x {
			if need(i) {
				emit(i, g.Index(a, i))
			}
		}
	case OpConcat:
		off := 0
		for i, v := range x {
			k := g.Shape(v).Rows
			if need(i) {
				emit(i, g.Slice(a, off, off+k))
			}
			off += k
		}
	case OpBroadcast:
		emit(0, g.Sum(a))
	case OpMatVec:
		if need(0) {
			emit(0, g.Outer(a, x[1]))
		}
		if need(1) {
			emit(1, g.MatTVec(x[0], a))
		}
	case OpMatTVec:
		if need(0) {
			emit(0, g.Outer(x[1], a))
		}
		if need(1) {
			emit(1, g.MatVec(x[0], a))
		}
	case OpOuter:
		if need(0) {
			emit(0, g.MatVec(a, x[1]))
		}
		if need(1) {
			emit(1, g.MatTVec(a, x[0]))
		}
	case OpSqDist:
		if need(0) {
			m, k := g.Shape(x[0]).Rows, g.Shape(x[0]).Cols
			_ = m
			ones := g.Fill(Vector(k), 1)
			emit(0, g.Mul(two, g.Sub(g.Mul(g.Outer(a, ones), x[0]), g.Outer(a, x[1]))))
		}
		if need(1) {
			emit(1, g.Mul(two, g.Sub(g.Mul(g.Sum(a), x[1]), g.MatTVec(x[0], a))))
		}
	default:
		panic("ir: Grad: unexpected op " + n.Op.String())
	}
}
