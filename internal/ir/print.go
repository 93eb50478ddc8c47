package ir

import (
	"sort"
	"strconv"
	"strings"
)

// Precedence levels of the printer (those of the language).
const (
	precAdd  = 1
	precMul  = 2
	precNeg  = 3
	precPow  = 4
	precAtom = 5
)

// String formats node id as an infix expression in the syntax of the
// language, with minimal parentheses: for example "2*x[0]^3 - 16*x[0] + 2.5".
// Shared subexpressions are printed in full wherever they occur; a
// broadcast scalar prints as the scalar; the internal ops without a
// language form print as calls (concat, outer, sqdist), but
// for matrix products, printed W·v and Wᵀ·v, and padded vectors, printed
// as lists with their zeros. A product prints its constant factors
// multiplied into one leading number and its parameters next ("x*2*k*0.5"
// prints "k*x"), and
// numbers print with at most 12 significant digits, -0 as 0.
func (g *Graph) String(id NodeID) string {
	var b strings.Builder
	g.print(&b, id)
	return b.String()
}

func formatFloat(v float64) string {
	if v == 0 {
		return "0" // and not -0
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if len(s) > 13 {
		s = strconv.FormatFloat(v, 'g', 12, 64) // 0.0025000000000000005 → 0.0025
	}
	return s
}

// isParam reports whether id is a parameter, or one broadcast.
func (g *Graph) isParam(id NodeID) bool {
	n := &g.nodes[id]
	if n.Op == OpBroadcast {
		n = &g.nodes[n.Args[0]]
	}
	return n.Op == OpParam
}

// factors appends the factors of the product chain at id (through Mul
// nodes and broadcasts of them) to out, and multiplies the constant
// scalar factors into c.
func (g *Graph) factors(id NodeID, out []NodeID, c *float64) []NodeID {
	n := &g.nodes[id]
	switch {
	case n.Op == OpMul:
		out = g.factors(n.Args[0], out, c)
		return g.factors(n.Args[1], out, c)
	case n.Op == OpBroadcast && (g.nodes[n.Args[0]].Op == OpMul || g.nodes[n.Args[0]].Op == OpConst):
		return g.factors(n.Args[0], out, c)
	case n.Op == OpConst && len(n.Value) > 0 && (n.Shape.IsScalar() || g.isFill(id, n.Value[0])):
		*c *= n.Value[0]
		return out
	}
	return append(out, id)
}

func (g *Graph) prec(id NodeID) int {
	n := &g.nodes[id]
	switch n.Op {
	case OpAdd, OpSub:
		return precAdd
	case OpMul, OpDiv:
		return precMul
	case OpNeg:
		return precNeg
	case OpPow, OpPowE:
		return precPow
	case OpConst:
		if n.Value[0] < 0 && (n.Shape.IsScalar() || g.isFill(id, n.Value[0])) {
			return precNeg
		}
	case OpBroadcast:
		return g.prec(n.Args[0])
	}
	return precAtom
}

func (g *Graph) operand(b *strings.Builder, id NodeID, min int) {
	if g.prec(id) < min {
		b.WriteByte('(')
		g.print(b, id)
		b.WriteByte(')')
		return
	}
	g.print(b, id)
}

func (g *Graph) call(b *strings.Builder, name string, args ...NodeID) {
	b.WriteString(name)
	b.WriteByte('(')
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		g.print(b, a)
	}
	b.WriteByte(')')
}

func (g *Graph) print(b *strings.Builder, id NodeID) {
	n := &g.nodes[id]
	x := n.Args
	if n.Op.IsBinary() || n.Op.IsUnary() {
		// Broadcasting is implicit in the language: a constant operand
		// with equal entries prints as its scalar.
		defer func(saved bool) { g.scalarFill = saved }(g.scalarFill)
		g.scalarFill = true
	} else if n.Op != OpConst {
		defer func(saved bool) { g.scalarFill = saved }(g.scalarFill)
		g.scalarFill = false
	}
	switch n.Op {
	case OpConst:
		if g.scalarFill && len(n.Value) > 0 && g.isFill(id, n.Value[0]) {
			b.WriteString(formatFloat(n.Value[0]))
			return
		}
		writeConst(b, n)
	case OpInput, OpParam:
		b.WriteString(n.Name)
	case OpMul:
		c := 1.0
		fs := g.factors(id, nil, &c)
		// Parameters first, as one writes coefficients: 2*b*x, not 2*x*b.
		sort.SliceStable(fs, func(i, j int) bool {
			return g.isParam(fs[i]) && !g.isParam(fs[j])
		})
		if len(fs) == 0 {
			b.WriteString(formatFloat(c))
			return
		}
		switch {
		case c == -1:
			b.WriteByte('-')
		case c != 1:
			b.WriteString(formatFloat(c))
			b.WriteByte('*')
		}
		for i, f := range fs {
			if i > 0 {
				b.WriteByte('*')
			}
			var fb strings.Builder
			g.operand(&fb, f, precMul)
			if t := fb.String(); (i > 0 || c != 1) && strings.HasPrefix(t, "-") {
				b.WriteString("(" + t + ")") // 2*z*(-exp(…)), not 2*z*-exp(…)
			} else {
				b.WriteString(t)
			}
		}
	case OpMatVec, OpMatTVec:
		g.operand(b, x[0], precAtom)
		if n.Op == OpMatTVec {
			b.WriteString("ᵀ")
		}
		b.WriteString("·")
		g.operand(b, x[1], precAtom)
	case OpAdd, OpSub, OpDiv:
		p := precAdd
		sym := " + "
		switch n.Op {
		case OpSub:
			sym = " - "
		case OpDiv:
			p, sym = precMul, "/"
		}
		g.operand(b, x[0], p)
		b.WriteString(sym)
		right := p + 1
		if n.Op == OpAdd {
			right = p
		}
		if g.prec(x[1]) == precNeg {
			right = precAtom
		}
		g.operand(b, x[1], right)
	case OpNeg:
		b.WriteByte('-')
		min := precNeg
		if g.prec(x[0]) == precNeg {
			min = precAtom
		}
		g.operand(b, x[0], min)
	case OpPow:
		g.operand(b, x[0], precAtom)
		b.WriteByte('^')
		if n.P < 0 {
			b.WriteString("(" + formatFloat(n.P) + ")")
		} else {
			b.WriteString(formatFloat(n.P))
		}
	case OpPowE:
		g.operand(b, x[0], precAtom)
		b.WriteByte('^')
		g.operand(b, x[1], precPow)
	case OpIndex:
		g.operand(b, x[0], precAtom)
		b.WriteString("[" + strconv.Itoa(n.I) + "]")
	case OpSlice:
		g.operand(b, x[0], precAtom)
		b.WriteString("[" + strconv.Itoa(n.I) + ":" + strconv.Itoa(n.J) + "]")
	case OpBroadcast:
		g.print(b, x[0])
	case OpPad:
		// The vector with its zeros: [0, 6*x[1]] rather than pad(…).
		b.WriteByte('[')
		for range n.I {
			b.WriteString("0, ")
		}
		if a := &g.nodes[x[0]]; a.Op == OpStack {
			for i, e := range a.Args {
				if i > 0 {
					b.WriteString(", ")
				}
				g.print(b, e)
			}
		} else {
			g.print(b, x[0])
		}
		for range n.J - n.I - g.nodes[x[0]].Shape.Size() {
			b.WriteString(", 0")
		}
		b.WriteByte(']')
	case OpStack:
		b.WriteByte('[')
		for i, a := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			g.print(b, a)
		}
		b.WriteByte(']')
	default:
		g.call(b, n.Op.String(), x...)
	}
}

// constPrintMax is the number of entries above which a constant prints as
// its shape (a grid of bump centres would otherwise fill the screen).
const constPrintMax = 16

func writeConst(b *strings.Builder, n *Node) {
	if n.Shape.Size() > constPrintMax {
		b.WriteString("const" + n.Shape.String()[strings.IndexByte(n.Shape.String(), '['):])
		return
	}
	switch n.Shape.Rank {
	case 0:
		b.WriteString(formatFloat(n.Value[0]))
	case 1:
		writeRow(b, n.Value)
	default:
		b.WriteByte('[')
		for i := 0; i < n.Shape.Rows; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRow(b, n.Value[i*n.Shape.Cols:(i+1)*n.Shape.Cols])
		}
		b.WriteByte(']')
	}
}

func writeRow(b *strings.Builder, v []float64) {
	b.WriteByte('[')
	for i, x := range v {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(formatFloat(x))
	}
	b.WriteByte(']')
}
