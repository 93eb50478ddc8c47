package lang

// This file checks calls of built-in and user functions.

import (
	"fmt"
	"math"
	"slices"
)

func plural(n int, w string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, w)
	}
	return fmt.Sprintf("%d %ss", n, w)
}

func (c *checker) call(s *scope, call *Call) Shape {
	o := c.callee(s, call)
	if o == nil {
		for _, a := range call.Args {
			c.expr(s, a)
		}
		return badShape
	}
	if o.Kind == ObjFn {
		return c.callFn(s, call, o.Fn)
	}
	b := o.Builtin
	if len(call.Args) < b.MinArgs || (b.MaxArgs >= 0 && len(call.Args) > b.MaxArgs) {
		want := plural(b.MinArgs, "argument")
		if b.MaxArgs < 0 {
			want = "at least " + want
		}
		c.errorf(call.Func.At, b.arityHint, "%s takes %s; got %d", b.Name, want, len(call.Args))
		for _, a := range call.Args {
			c.expr(s, a)
		}
		return badShape
	}
	var args []Shape
	for i, a := range call.Args {
		if b.firstArgOnly && i > 0 {
			continue
		}
		args = append(args, c.expr(s, a))
		if args[i].invalid() {
			for _, a := range call.Args[i+1:] {
				c.expr(s, a)
			}
			return badShape
		}
	}
	return b.shape(builtinCall{c: c, s: s, call: call, b: b, args: args})
}

// builtinCall is a call of a built-in function being checked: what a
// shape rule of the table (builtins.go) needs.
type builtinCall struct {
	c    *checker
	s    *scope
	call *Call
	b    *Builtin
	args []Shape // the shapes of the arguments (only the first for mlp)
}

func (bc builtinCall) needVector(i int, role string) bool {
	if bc.args[i].Rank != Vector {
		bc.c.errorf(bc.call.Args[i].Pos(), bc.s.site, "%s needs a vector%s; got %s", bc.b.Name, role, bc.args[i].rankName())
		return false
	}
	return true
}

func (bc builtinCall) needScalar(i int, role string) bool {
	if bc.args[i].Rank != Scalar {
		bc.c.errorf(bc.call.Args[i].Pos(), bc.s.site, "%s needs a scalar%s; got %s", bc.b.Name, role, bc.args[i].rankName())
		return false
	}
	return true
}

// degree is the constant degree k ≥ 1 of monomials(x, k) or
// polynomials(x, k).
func (bc builtinCall) degree() (int, bool) {
	what := "the degree of " + bc.b.Name
	k, ok := bc.c.constInt(bc.s, bc.call.Args[1], what)
	if ok && k < 1 {
		bc.c.errorf(bc.call.Args[1].Pos(), "", "%s must be at least 1; got %d", what, k)
		return 0, false
	}
	return k, ok
}

// The shape rules of the built-ins, by kind.

func shapeSame(bc builtinCall) Shape { return bc.args[0] }

func shapeBroadcast(bc builtinCall) Shape {
	return bc.c.broadcast(bc.s, bc.call.Func.At, "arguments of "+bc.b.Name, bc.args[0], bc.args[1])
}

func shapeReduce(bc builtinCall) Shape {
	if !bc.needVector(0, "") {
		return badShape
	}
	return scalarShape
}

func shapeDot(bc builtinCall) Shape {
	if !bc.needVector(0, "") || !bc.needVector(1, "") {
		return badShape
	}
	if !bc.c.sameLen(bc.s, bc.call.Func.At, bc.args[0].Len, bc.args[1].Len, "the arguments of dot") {
		return badShape
	}
	return scalarShape
}

func shapeMonomials(bc builtinCall) Shape {
	if !bc.needVector(0, " as its first argument") {
		return badShape
	}
	k, ok := bc.degree()
	if !ok {
		return badShape
	}
	return vectorShape(lenConst(k + 1).Pow(bc.args[0].Len).Sub(lenConst(1)))
}

func shapePolynomials(bc builtinCall) Shape {
	if !bc.needVector(0, " as its first argument") {
		return badShape
	}
	k, ok := bc.degree()
	if !ok {
		return badShape
	}
	return vectorShape(bc.args[0].Len.Add(lenConst(k)).Binom(lenConst(k)).Sub(lenConst(1)))
}

func shapeConcat(bc builtinCall) Shape {
	for i, a := range bc.args {
		if a.Rank == Matrix {
			bc.c.errorf(bc.call.Args[i].Pos(), bc.s.site, "concat joins scalars and vectors; argument %d is a matrix", i+1)
			return badShape
		}
	}
	return concatShape(bc.args)
}

func shapeGrid(bc builtinCall) Shape {
	if !bc.needScalar(0, " lower end") || !bc.needScalar(1, " upper end") {
		return badShape
	}
	n, ok := bc.c.constInt(bc.s, bc.call.Args[2], "the number of grid points per axis")
	if !ok {
		return badShape
	}
	if n < 1 {
		bc.c.errorf(bc.call.Args[2].Pos(), "", "the number of grid points per axis must be at least 1; got %d", n)
		return badShape
	}
	return matrixShape(lenConst(n).Pow(lenDim()), lenDim())
}

func shapeBumps(bc builtinCall) Shape {
	args, call := bc.args, bc.call
	if !bc.needVector(0, " as its first argument") {
		return badShape
	}
	if args[1].Rank != Matrix {
		bc.c.errorf(call.Args[1].Pos(), "give the centres as rows of a matrix, e.g. grid(-4, 4, 10)", "bumps needs a matrix of centres; got %s", args[1].rankName())
		return badShape
	}
	if !bc.needScalar(2, " width") {
		return badShape
	}
	if !bc.c.sameLen(bc.s, call.Args[1].Pos(), args[0].Len, args[1].Cols, "the point and the centres") {
		return badShape
	}
	return vectorShape(args[1].Len)
}

// shapeMLP checks a neural block and registers it with its term.
func shapeMLP(bc builtinCall) Shape {
	c, s, call := bc.c, bc.s, bc.call
	var widths []int
	for _, a := range call.Args[1:] {
		n, ok := a.(*Number)
		c.record(s, a, scalarShape)
		if !ok || n.Value != math.Trunc(n.Value) || n.Value < 1 || n.Value > 1<<20 {
			c.errorf(a.Pos(), "write the hidden widths as numbers: mlp(x, 64, 64)", "mlp widths must be positive integer literals")
			return badShape
		}
		widths = append(widths, int(n.Value))
	}
	in := lenConst(1)
	switch bc.args[0].Rank {
	case Vector:
		in = bc.args[0].Len
	case Matrix:
		c.errorf(call.Args[0].Pos(), s.site, "mlp needs a scalar or a vector input; got a matrix")
		return badShape
	}
	if s.term == nil {
		c.errorf(call.Func.At, "", "mlp can only be used in a term (its weights belong to the term)")
		return badShape
	}
	if !s.resolveOnly {
		t := s.term
		bname := t.Name + ".mlp"
		if len(t.Blocks) > 0 {
			bname = fmt.Sprintf("%s.mlp%d", t.Name, len(t.Blocks)+1)
		}
		blk := &MLPInfo{Name: bname, Term: t, Call: call, In: in, Widths: widths}
		t.Blocks = append(t.Blocks, blk)
		if s.blocks != nil {
			s.blocks[call] = blk
		}
		if _, dup := c.blocks[bname]; !dup {
			c.blocks[bname] = blk
		}
	}
	return scalarShape
}

func (c *checker) callFn(s *scope, call *Call, fi *FnInfo) Shape {
	var args []Shape
	bad := false
	for _, a := range call.Args {
		sh := c.expr(s, a)
		bad = bad || sh.invalid()
		args = append(args, sh)
	}
	if len(call.Args) != len(fi.Args) {
		c.errorf(call.Func.At, fmt.Sprintf("%s is declared at %s", fi.Name, relPos(fi.Decl.Name.At, call.Func.At)),
			"%s takes %s; got %d", fi.Name, plural(len(fi.Args), "argument"), len(call.Args))
		return badShape
	}
	if bad || fi.recursive || slices.Contains(s.fnStack, fi) {
		return badShape
	}
	fi.Called = true
	if len(s.fnStack) == 0 {
		c.inlined.top = call
	}
	inst := &Instance{Fn: fi, Call: call, Args: args, Shapes: map[Expr]Shape{}, Calls: map[*Call]*Instance{}, Blocks: map[*Call]*MLPInfo{}}
	ns := &scope{
		args:      map[string]*Object{},
		argShapes: map[*Object]Shape{},
		shapes:    inst.Shapes,
		calls:     inst.Calls,
		blocks:    inst.Blocks,
		term:      s.term,
		fnStack:   append(slices.Clone(s.fnStack), fi),
		constOnly: s.constOnly,
		site:      s.site,
	}
	if ns.site == "" {
		ns.site = fmt.Sprintf("in %s called at %s", fi.Name, relPos(call.Func.At, fi.Decl.At))
	}
	for i, a := range fi.Args {
		ns.args[a.Name] = a
		ns.argShapes[a] = args[i]
	}
	inst.Result = c.expr(ns, fi.Decl.Body)
	if !s.resolveOnly {
		s.calls[call] = inst
	}
	return inst.Result
}
