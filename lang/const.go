package lang

// This file folds constant expressions, with the scalar functions the
// evaluator runs, and reports those that are not finite numbers.

import (
	"fmt"
	"math"
	"slices"

	"github.com/jko-org/jko/lang/scalar"
)

// folded is the memoized result of folding one expression.
type folded struct {
	v  []float64
	ok bool // the expression is a constant (and finite)
	// nonFinite marks a constant whose value is not finite; it was
	// reported where it first arose, and the expressions above it are not
	// folded (nor reported again).
	nonFinite bool
}

// evalConst evaluates an expression of literals, constants and pi (not d)
// into its values (row-major). ok is false when it depends on anything
// else or is not finite. Results are memoized, so folding every node of a
// tree costs time linear in its size. The scalar functions are those of
// package scalar, the ones the evaluator runs.
func (c *checker) evalConst(e Expr) ([]float64, bool) {
	if f, ok := c.folds[e]; ok {
		return f.v, f.ok
	}
	v, ok := c.fold(e)
	f := folded{v: v, ok: ok}
	if ok && !allFinite(v) {
		f = folded{nonFinite: true}
		if !c.childNonFinite(e) {
			c.reportNonFinite(e, v)
		}
	}
	if !ok && c.childNonFinite(e) {
		f.nonFinite = true
	}
	c.folds[e] = f
	return f.v, f.ok
}

// nonFinite reports whether e folds to a value that is not finite (an
// error already reported).
func (c *checker) nonFinite(e Expr) bool {
	c.evalConst(e)
	return c.folds[e].nonFinite
}

func (c *checker) childNonFinite(e Expr) bool {
	switch x := e.(type) {
	case *Unary:
		return c.folds[x.X].nonFinite
	case *Binary:
		return c.folds[x.X].nonFinite || c.folds[x.Y].nonFinite
	case *Call:
		for _, a := range x.Args {
			if c.folds[a].nonFinite {
				return true
			}
		}
	case *List:
		for _, a := range x.Elems {
			if c.folds[a].nonFinite {
				return true
			}
		}
	}
	return false
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// reportNonFinite says where a constant expression first stops being a
// finite number: 1/0, log(-1), exp(1000).
func (c *checker) reportNonFinite(e Expr, v []float64) {
	bad := 0.0
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			bad = x
			break
		}
	}
	what := fmt.Sprintf("%v", bad)
	if bad > 0 {
		what = "+Inf"
	}
	pos, hint := e.Pos(), ""
	switch x := e.(type) {
	case *Binary:
		pos = x.OpPos
		if y, ok := c.folds[x.Y]; ok && x.Op == '/' && slices.Contains(y.v, 0) {
			hint = "division by zero"
		} else if math.IsInf(bad, 0) {
			hint = "the result overflows float64"
		}
	case *Call:
		pos = x.Func.At
		switch {
		case math.IsNaN(bad) && len(x.Args) == 1:
			if a := c.folds[x.Args[0]].v; len(a) == 1 {
				hint = fmt.Sprintf("%s is not defined at %g", x.Func.Name, a[0])
			}
		case math.IsInf(bad, 0):
			hint = "the result overflows float64"
		}
	}
	text := FormatExpr(e)
	if r := []rune(text); len(r) > 40 {
		text = string(r[:37]) + "..."
	}
	c.errorf(pos, hint, "the constant %s is %s, not a finite number", text, what)
}

// fold computes the value of a constant expression, its operands folded
// through evalConst.
func (c *checker) fold(e Expr) ([]float64, bool) {
	switch x := e.(type) {
	case *Number:
		return []float64{x.Value}, true
	case *Ident:
		o := c.m.Uses[x]
		if o == nil {
			return nil, false
		}
		switch o.Kind {
		case ObjPi:
			return []float64{math.Pi}, true
		case ObjConst:
			if o.Const.Value == nil {
				return nil, false
			}
			return o.Const.Value, true
		}
		return nil, false
	case *Unary:
		v, ok := c.evalConst(x.X)
		if !ok {
			return nil, false
		}
		out := slices.Clone(v)
		if x.Op == '-' {
			for i := range out {
				out[i] = -out[i]
			}
		}
		return out, true
	case *Binary:
		a, ok1 := c.evalConst(x.X)
		b, ok2 := c.evalConst(x.Y)
		if !ok1 || !ok2 || (len(a) != len(b) && len(a) != 1 && len(b) != 1) {
			return nil, false
		}
		out := make([]float64, max(len(a), len(b)))
		for i := range out {
			u, v := a[min(i, len(a)-1)], b[min(i, len(b)-1)]
			switch x.Op {
			case '+':
				out[i] = u + v
			case '-':
				out[i] = u - v
			case '*':
				out[i] = u * v
			case '/':
				out[i] = u / v
			case '^':
				out[i] = scalar.PowC(u, v)
			}
		}
		return out, true
	case *List:
		var out []float64
		ok := true
		for _, el := range x.Elems {
			v, elOK := c.evalConst(el)
			ok = ok && elOK
			out = append(out, v...)
		}
		if !ok {
			return nil, false
		}
		return out, true
	case *Call:
		o := c.m.Uses[x.Func]
		if o == nil || o.Kind != ObjBuiltin {
			return nil, false
		}
		args := make([][]float64, len(x.Args))
		for i, a := range x.Args {
			v, ok := c.evalConst(a)
			if !ok {
				return nil, false
			}
			args[i] = v
		}
		switch b := o.Builtin; {
		case b.Value1 != nil && len(args) == 1:
			f := b.Value1
			out := make([]float64, len(args[0]))
			for i, v := range args[0] {
				out[i] = f(v)
			}
			return out, true
		case b.Value2 != nil && len(args) == 2:
			f := b.Value2
			a, b := args[0], args[1]
			if len(a) != len(b) && len(a) != 1 && len(b) != 1 {
				return nil, false
			}
			out := make([]float64, max(len(a), len(b)))
			for i := range out {
				out[i] = f(a[min(i, len(a)-1)], b[min(i, len(b)-1)])
			}
			return out, true
		}
	}
	return nil, false
}
