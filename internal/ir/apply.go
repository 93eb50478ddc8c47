package ir

import "fmt"

// Apply computes the value of node n (of graph g) from the values of its
// operands, each a row-major slice of its operand's size. It is the
// reference semantics of every operation, used for constant folding and by
// Eval.
func (g *Graph) Apply(n *Node, args [][]float64) []float64 {
	out := make([]float64, n.Shape.Size())
	switch {
	case n.Op == OpConst:
		copy(out, n.Value)
	case n.Op.IsUnary():
		for i, x := range args[0] {
			out[i] = Unary(n.Op, n.P, x)
		}
	case n.Op.IsBinary():
		for i := range out {
			out[i] = Binary(n.Op, args[0][i], args[1][i])
		}
	default:
		switch n.Op {
		case OpSum:
			s := 0.0
			for _, x := range args[0] {
				s += x
			}
			out[0] = s
		case OpProd:
			p := 1.0
			for _, x := range args[0] {
				p *= x
			}
			out[0] = p
		case OpIndex:
			out[0] = args[0][n.I]
		case OpSlice:
			copy(out, args[0][n.I:n.J])
		case OpPad:
			copy(out[n.I:], args[0])
		case OpStack:
			for i, a := range args {
				out[i] = a[0]
			}
		case OpConcat:
			k := 0
			for _, a := range args {
				k += copy(out[k:], a)
			}
		case OpBroadcast:
			for i := range out {
				out[i] = args[0][0]
			}
		case OpMatVec:
			w, v := args[0], args[1]
			c := len(v)
			for i := range out {
				s := 0.0
				for j, vj := range v {
					s += w[i*c+j] * vj
				}
				out[i] = s
			}
		case OpMatTVec:
			w, u := args[0], args[1]
			c := len(out)
			for j := range out {
				s := 0.0
				for i, ui := range u {
					s += w[i*c+j] * ui
				}
				out[j] = s
			}
		case OpOuter:
			u, v := args[0], args[1]
			for i, ui := range u {
				for j, vj := range v {
					out[i*len(v)+j] = ui * vj
				}
			}
		case OpSqDist:
			c, x := args[0], args[1]
			for i := range out {
				s := 0.0
				for j, xj := range x {
					d := xj - c[i*len(x)+j]
					s += d * d
				}
				out[i] = s
			}
		default:
			panic("ir: Apply: unexpected op " + n.Op.String())
		}
	}
	return out
}

// Eval evaluates node id recursively for the given values of inputs and
// params (by name, row-major). It is the slow reference evaluator for
// tests and constant folding; a missing or mis-sized binding panics.
func (g *Graph) Eval(id NodeID, env map[string][]float64) []float64 {
	memo := map[NodeID][]float64{}
	return g.eval(id, env, memo)
}

// EvalMany evaluates several nodes sharing one memo table.
func (g *Graph) EvalMany(ids []NodeID, env map[string][]float64) [][]float64 {
	memo := map[NodeID][]float64{}
	out := make([][]float64, len(ids))
	for i, id := range ids {
		out[i] = g.eval(id, env, memo)
	}
	return out
}

func (g *Graph) eval(id NodeID, env map[string][]float64, memo map[NodeID][]float64) []float64 {
	if v, ok := memo[id]; ok {
		return v
	}
	n := &g.nodes[id]
	var v []float64
	if n.Op == OpInput || n.Op == OpParam {
		b, ok := env[n.Name]
		if !ok || len(b) != n.Shape.Size() {
			panic(fmt.Sprintf("ir: Eval: %s %q needs %d values, have %d", n.Op, n.Name, n.Shape.Size(), len(b)))
		}
		v = b
	} else {
		args := make([][]float64, len(n.Args))
		for i, a := range n.Args {
			args[i] = g.eval(a, env, memo)
		}
		v = g.Apply(n, args)
	}
	memo[id] = v
	return v
}
