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
	name := b.Name
	if len(call.Args) < b.MinArgs || (b.MaxArgs >= 0 && len(call.Args) > b.MaxArgs) {
		want := plural(b.MinArgs, "argument")
		if b.MaxArgs < 0 {
			want = "at least " + want
		}
		hint := ""
		if b.Kind == MLP {
			hint = "mlp(x, h1, h2, ...) takes the input and at least one hidden width"
		}
		c.errorf(call.Func.At, hint, "%s takes %s; got %d", name, want, len(call.Args))
		for _, a := range call.Args {
			c.expr(s, a)
		}
		return badShape
	}
	var args []Shape
	for i, a := range call.Args {
		if b.Kind == MLP && i > 0 {
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
	needVector := func(i int, role string) bool {
		if args[i].Rank != Vector {
			c.errorf(call.Args[i].Pos(), s.site, "%s needs a vector%s; got %s", name, role, args[i].rankName())
			return false
		}
		return true
	}
	needScalar := func(i int, role string) bool {
		if args[i].Rank != Scalar {
			c.errorf(call.Args[i].Pos(), s.site, "%s needs a scalar%s; got %s", name, role, args[i].rankName())
			return false
		}
		return true
	}
	switch b.Kind {
	case Elementwise1:
		return args[0]
	case Elementwise2:
		return c.broadcast(s, call.Func.At, "arguments of "+name, args[0], args[1])
	case Reduce:
		if !needVector(0, "") {
			return badShape
		}
		return ScalarShape
	case Dot:
		if !needVector(0, "") || !needVector(1, "") {
			return badShape
		}
		if !c.sameLen(s, call.Func.At, args[0].Len, args[1].Len, "the arguments of dot") {
			return badShape
		}
		return ScalarShape
	case Monomials:
		if !needVector(0, " as its first argument") {
			return badShape
		}
		k, ok := c.constInt(s, call.Args[1], "the degree of monomials")
		if !ok {
			return badShape
		}
		if k < 1 {
			c.errorf(call.Args[1].Pos(), "", "the degree of monomials must be at least 1; got %d", k)
			return badShape
		}
		return VectorShape(LenConst(k + 1).Pow(args[0].Len).Sub(LenConst(1)))
	case Polynomials:
		if !needVector(0, " as its first argument") {
			return badShape
		}
		k, ok := c.constInt(s, call.Args[1], "the degree of polynomials")
		if !ok {
			return badShape
		}
		if k < 1 {
			c.errorf(call.Args[1].Pos(), "", "the degree of polynomials must be at least 1; got %d", k)
			return badShape
		}
		return VectorShape(args[0].Len.Add(LenConst(k)).Binom(LenConst(k)).Sub(LenConst(1)))
	case Concat:
		for i, a := range args {
			if a.Rank == Matrix {
				c.errorf(call.Args[i].Pos(), s.site, "concat joins scalars and vectors; argument %d is a matrix", i+1)
				return badShape
			}
		}
		return concatShape(args)
	case Grid:
		if !needScalar(0, " lower end") || !needScalar(1, " upper end") {
			return badShape
		}
		n, ok := c.constInt(s, call.Args[2], "the number of grid points per axis")
		if !ok {
			return badShape
		}
		if n < 1 {
			c.errorf(call.Args[2].Pos(), "", "the number of grid points per axis must be at least 1; got %d", n)
			return badShape
		}
		return MatrixShape(LenConst(n).Pow(LenDim()), LenDim())
	case Bumps:
		if !needVector(0, " as its first argument") {
			return badShape
		}
		if args[1].Rank != Matrix {
			c.errorf(call.Args[1].Pos(), "give the centres as rows of a matrix, e.g. grid(-4, 4, 10)", "bumps needs a matrix of centres; got %s", args[1].rankName())
			return badShape
		}
		if !needScalar(2, " width") {
			return badShape
		}
		if !c.sameLen(s, call.Args[1].Pos(), args[0].Len, args[1].Cols, "the point and the centres") {
			return badShape
		}
		return VectorShape(args[1].Len)
	case MLP:
		var widths []int
		for _, a := range call.Args[1:] {
			n, ok := a.(*Number)
			c.record(s, a, ScalarShape)
			if !ok || n.Value != math.Trunc(n.Value) || n.Value < 1 || n.Value > 1<<20 {
				c.errorf(a.Pos(), "write the hidden widths as numbers: mlp(x, 64, 64)", "mlp widths must be positive integer literals")
				return badShape
			}
			widths = append(widths, int(n.Value))
		}
		in := LenConst(1)
		switch args[0].Rank {
		case Vector:
			in = args[0].Len
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
			if _, dup := c.blocks[bname]; !dup {
				c.blocks[bname] = blk
			}
		}
		return ScalarShape
	}
	return badShape
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
	inst := &Instance{Fn: fi, Call: call, Args: args, Shapes: map[Expr]Shape{}, Calls: map[*Call]*Instance{}}
	ns := &scope{
		args:      map[string]*Object{},
		argShapes: map[*Object]Shape{},
		shapes:    inst.Shapes,
		calls:     inst.Calls,
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
