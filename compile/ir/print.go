package ir

import (
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
// language form print as calls (step, sign, pad, stack, concat, matvec,
// mattvec, outer, sqdist).
func (g *Graph) String(id NodeID) string {
	var b strings.Builder
	g.print(&b, id)
	return b.String()
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

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
	case OpAdd, OpSub, OpMul, OpDiv:
		p := precAdd
		sym := " + "
		switch n.Op {
		case OpSub:
			sym = " - "
		case OpMul:
			p, sym = precMul, "*"
		case OpDiv:
			p, sym = precMul, "/"
		}
		g.operand(b, x[0], p)
		b.WriteString(sym)
		right := p + 1
		if n.Op == OpAdd || n.Op == OpMul {
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
		b.WriteString("pad(")
		g.print(b, x[0])
		b.WriteString(", " + strconv.Itoa(n.I) + ", " + strconv.Itoa(n.J) + ")")
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
