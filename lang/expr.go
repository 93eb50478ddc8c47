package lang

// This file gives expressions their shapes.

import (
	"fmt"
	"math"
	"strings"
)

// scope is the context in which an expression is checked.
type scope struct {
	args        map[string]*Object
	argShapes   map[*Object]Shape
	shapes      map[Expr]Shape
	calls       map[*Call]*Instance
	blocks      map[*Call]*MLPInfo // inside a function body: Instance.Blocks
	term        *TermInfo
	fnStack     []*FnInfo
	site        string // "in f called at 3:5", for hints inside a function body
	constOnly   string // non-empty: no parameters or arguments allowed; what the expression is
	resolveOnly bool
}

func (c *checker) newScope(t *TermInfo) *scope {
	return &scope{args: map[string]*Object{}, argShapes: map[*Object]Shape{}, shapes: c.m.Shapes, calls: c.m.Calls, term: t}
}

// badShape is the shape of an expression that has an error (already
// reported): expressions above it are not checked further.
var badShape = Shape{Rank: invalidRank}

func (c *checker) record(s *scope, e Expr, sh Shape) Shape {
	if !s.resolveOnly {
		s.shapes[e] = sh
	}
	return sh
}

// expr checks e and returns its shape (badShape after an error).
func (c *checker) expr(s *scope, e Expr) Shape {
	if len(s.fnStack) > 0 && !s.resolveOnly {
		if c.inlined.over {
			return badShape
		}
		if c.inlined.n++; c.inlined.n > maxInlined {
			c.inlined.over = true
			top := c.inlined.top
			c.errorf(top.Func.At, "functions are inlined: each call copies the body, so a function calling another twice doubles it",
				"calling %s here inlines more than %d expressions", top.Func.Name, maxInlined)
			return badShape
		}
	}
	switch x := e.(type) {
	case *Number:
		return c.record(s, e, scalarShape)
	case *Ident:
		return c.record(s, e, c.ident(s, x))
	case *Unary:
		return c.record(s, e, c.folding(e, c.expr(s, x.X)))
	case *Binary:
		a, b := c.expr(s, x.X), c.expr(s, x.Y)
		return c.record(s, e, c.folding(e, c.broadcast(s, x.OpPos, "operands of '"+string(x.Op)+"'", a, b)))
	case *Call:
		return c.record(s, e, c.folding(e, c.call(s, x)))
	case *Index:
		xs := c.expr(s, x.X)
		c.expr(s, x.Index)
		if xs.invalid() {
			return c.record(s, e, badShape)
		}
		if xs.Rank != Vector {
			c.errorf(x.Lbrack, "index and slice work on vectors", "cannot index %s", xs.rankName())
			return c.record(s, e, badShape)
		}
		if i, ok := c.toLen(s, x.Index, "an index"); ok {
			n := xs.Len
			c.requireRange(s, x.Index.Pos(), func(d int) (bool, string) {
				iv, e1 := i.Eval(d)
				nv, e2 := n.Eval(d)
				if e1 != nil || e2 != nil {
					return true, ""
				}
				return iv >= 0 && iv < nv, fmt.Sprintf("index %d out of range for a vector of length %d", iv, nv)
			})
		}
		return c.record(s, e, scalarShape)
	case *Slice:
		xs := c.expr(s, x.X)
		if x.Lo != nil {
			c.expr(s, x.Lo)
		}
		if x.Hi != nil {
			c.expr(s, x.Hi)
		}
		if xs.invalid() {
			return c.record(s, e, badShape)
		}
		if xs.Rank != Vector {
			c.errorf(x.Lbrack, "index and slice work on vectors", "cannot slice %s", xs.rankName())
			return c.record(s, e, badShape)
		}
		lo, hi, ok := lenConst(0), xs.Len, true
		if x.Lo != nil {
			lo, ok = c.toLen(s, x.Lo, "a slice bound")
		}
		if x.Hi != nil {
			var ok2 bool
			hi, ok2 = c.toLen(s, x.Hi, "a slice bound")
			ok = ok && ok2
		}
		if !ok {
			return c.record(s, e, badShape)
		}
		n := xs.Len
		c.requireRange(s, x.Lbrack, func(d int) (bool, string) {
			l, e1 := lo.Eval(d)
			h, e2 := hi.Eval(d)
			nv, e3 := n.Eval(d)
			if e1 != nil || e2 != nil || e3 != nil {
				return true, ""
			}
			return 0 <= l && l <= h && h <= nv, fmt.Sprintf("slice [%d:%d] out of range for a vector of length %d", l, h, nv)
		})
		return c.record(s, e, vectorShape(hi.Sub(lo)))
	case *List:
		return c.record(s, e, c.list(s, x))
	}
	c.errorf(e.Pos(), "", "unknown expression %T", e)
	return badShape
}

// folding folds e when it is a well-shaped constant expression, so that
// one that is not a finite number (1/0, log(-1)) is reported where it
// arises; it returns sh.
func (c *checker) folding(e Expr, sh Shape) Shape {
	if !sh.invalid() {
		c.evalConst(e)
	}
	return sh
}

// requireRange checks cond at the probe dimensions: an error if it never
// holds, a constraint for CheckDim if it holds only for some d.
func (c *checker) requireRange(s *scope, pos Pos, cond func(d int) (bool, string)) {
	good, badMsg := 0, ""
	for _, d := range probeDims {
		if ok, msg := cond(d); ok {
			good++
		} else if badMsg == "" {
			badMsg = msg
		}
	}
	switch {
	case good == len(probeDims):
	case good == 0 && !strings.Contains(badMsg, "(d"):
		c.errorf(pos, s.site, "%s", badMsg)
	default:
		c.m.constraints = append(c.m.constraints, constraint{pos: pos, check: func(d int) string {
			if ok, msg := cond(d); !ok {
				return msg
			}
			return ""
		}})
	}
}

// sameLen requires two lengths to be equal; what describes them.
func (c *checker) sameLen(s *scope, pos Pos, a, b *Len, what string) bool {
	switch unify(a, b) {
	case cmpDiffer:
		c.errorf(pos, s.site, "%s have different lengths: %s and %s", what, a, b)
		return false
	case cmpUnknown:
		c.m.constraints = append(c.m.constraints, constraint{pos: pos, check: func(d int) string {
			x, e1 := a.Eval(d)
			y, e2 := b.Eval(d)
			if e1 != nil {
				return e1.Error()
			}
			if e2 != nil {
				return e2.Error()
			}
			if x != y {
				return fmt.Sprintf("%s have different lengths: %d and %d", what, x, y)
			}
			return ""
		}})
	}
	return true
}

func (c *checker) broadcast(s *scope, pos Pos, what string, a, b Shape) Shape {
	switch {
	case a.invalid() || b.invalid():
		return badShape
	case a.Rank == Scalar:
		return b
	case b.Rank == Scalar:
		return a
	case a.Rank != b.Rank:
		c.errorf(pos, s.site, "cannot combine %s and %s", a.rankName(), b.rankName())
		return badShape
	}
	if !c.sameLen(s, pos, a.Len, b.Len, what) {
		return badShape
	}
	if a.Rank == Matrix && !c.sameLen(s, pos, a.Cols, b.Cols, what+" (columns)") {
		return badShape
	}
	return a
}

// list gives the shape of a literal: scalars and vectors concatenate into
// one vector ([x, t] is x with t appended); a literal of vectors only is a
// matrix whose rows they are ([[1, 2], [3, 4]]).
func (c *checker) list(s *scope, l *List) Shape {
	if len(l.Elems) == 0 {
		c.errorf(l.Lbrack, "", "empty vector literal")
		return badShape
	}
	shapes := make([]Shape, len(l.Elems))
	anyScalar := false
	for i, el := range l.Elems {
		sh := c.expr(s, el)
		if sh.invalid() {
			return badShape
		}
		if sh.Rank == Matrix {
			c.errorf(el.Pos(), "a literal holds scalars and vectors; [[1, 2], [3, 4]] is a matrix", "element %d of the literal is a matrix", i+1)
			return badShape
		}
		anyScalar = anyScalar || sh.Rank == Scalar
		shapes[i] = sh
	}
	if anyScalar {
		return concatShape(shapes)
	}
	first := shapes[0]
	for i, sh := range shapes[1:] {
		if unify(first.Len, sh.Len) != cmpEqual {
			c.errorf(l.Elems[i+1].Pos(), "every row of a matrix needs the same length", "row %d has length %s but row 1 has length %s", i+2, sh.Len, first.Len)
			return badShape
		}
	}
	return matrixShape(lenConst(len(l.Elems)), first.Len)
}

// concatShape is the shape of scalars and vectors joined end to end: the
// vectors' lengths, then the number of scalars ("d + 1" for [x, t]).
func concatShape(shapes []Shape) Shape {
	n, scalars := lenConst(0), 0
	for _, sh := range shapes {
		if sh.Rank == Scalar {
			scalars++
		} else {
			n = n.Add(sh.Len)
		}
	}
	return vectorShape(n.Add(lenConst(scalars)))
}

// toLen converts an integer expression (literals, constants, d, + - * ^,
// floor/ceil of a quotient) into a Len. what names the expression for
// messages ("an index").
func (c *checker) toLen(s *scope, e Expr, what string) (*Len, bool) {
	fail := func(hint string) (*Len, bool) {
		c.errorf(e.Pos(), hint, "%s must be an integer expression of literals, constants and d", what)
		return nil, false
	}
	switch x := e.(type) {
	case *Number:
		if x.Value != math.Trunc(x.Value) || math.Abs(x.Value) > maxLen {
			c.errorf(x.At, "", "%s must be an integer; got %s", what, x.Text)
			return nil, false
		}
		return lenConst(int(x.Value)), true
	case *Ident:
		o := c.m.Uses[x]
		if o == nil {
			return nil, false // already reported
		}
		switch o.Kind {
		case ObjDim:
			return lenDim(), true
		case ObjConst:
			if o.Const.Shape.Rank != Scalar {
				return nil, false
			}
			return c.toLen(s, o.Const.Decl.Value, what)
		}
		return fail("parameters and arguments are not allowed here")
	case *Unary:
		l, ok := c.toLen(s, x.X, what)
		if !ok {
			return nil, false
		}
		if x.Op == '-' {
			return lenConst(0).Sub(l), true
		}
		return l, true
	case *Binary:
		if x.Op == '/' {
			return fail("round the quotient: floor(d/2) or ceil(d/2)")
		}
		a, ok1 := c.toLen(s, x.X, what)
		b, ok2 := c.toLen(s, x.Y, what)
		if !ok1 || !ok2 {
			return nil, false
		}
		switch x.Op {
		case '+':
			return a.Add(b), true
		case '-':
			return a.Sub(b), true
		case '*':
			return a.Mul(b), true
		}
		return a.Pow(b), true
	case *Call:
		if (x.Func.Name == "floor" || x.Func.Name == "ceil") && len(x.Args) == 1 && c.m.Uses[x.Func] != nil && c.m.Uses[x.Func].Kind == ObjBuiltin {
			if q, ok := x.Args[0].(*Binary); ok && q.Op == '/' {
				a, ok1 := c.toLen(s, q.X, what)
				b, ok2 := c.toLen(s, q.Y, what)
				if !ok1 || !ok2 {
					return nil, false
				}
				if n, ok := b.Const(); ok && n == 0 {
					c.errorf(q.Y.Pos(), "", "division by zero")
					return nil, false
				}
				if x.Func.Name == "floor" {
					return a.FloorDiv(b), true
				}
				return a.CeilDiv(b), true
			}
			return c.toLen(s, x.Args[0], what)
		}
	}
	return fail("")
}

// constInt evaluates an integer argument that must not depend on d.
func (c *checker) constInt(s *scope, e Expr, what string) (int, bool) {
	l, ok := c.toLen(s, e, what)
	if !ok {
		return 0, false
	}
	n, ok := l.Const()
	if !ok {
		c.errorf(e.Pos(), "", "%s must not depend on d", what)
	}
	return n, ok
}
