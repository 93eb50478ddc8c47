package lang

// This file checks declarations: constants, parameters, terms, weights.

import (
	"fmt"
	"strings"
)

// maxInlined bounds the number of expressions that inlining user functions
// adds to one declaration. Each call copies the function's body, so a
// function calling another twice doubles at each level: 22 such levels
// made 4 million copies and 3.5 GB before this bound.
const maxInlined = 200_000

// inlineBudget counts the expressions checked inside function bodies for
// the declaration being checked.
type inlineBudget struct {
	n    int
	top  *Call // the call, in the declaration itself, being expanded
	over bool  // the bound was passed and reported
}

func (c *checker) checkDecls() {
	c.findRecursion()
	for _, ci := range c.m.Consts {
		c.inlined = inlineBudget{}
		c.checkConst(ci)
	}
	for _, d := range c.decls {
		if p, ok := d.(*Param); ok {
			c.inlined = inlineBudget{}
			c.checkParam(p)
		}
	}
	for _, t := range c.m.Terms {
		c.inlined = inlineBudget{}
		c.checkTerm(t)
	}
	// Function bodies never called are still resolved, so their
	// undefined names are reported.
	for _, fi := range c.m.Fns {
		if !fi.Called && !fi.recursive {
			s := c.newScope(nil)
			s.args = map[string]*Object{}
			for _, a := range fi.Args {
				s.args[a.Name] = a
			}
			s.resolveOnly = true
			c.resolveNames(s, fi.Decl.Body)
		}
	}
	for _, w := range c.m.Weights {
		c.checkWeights(w)
	}
	for _, p := range c.m.Params {
		if p.Shape.Rank == Vector && p.Shape.Len.Inferred() {
			c.errorf(p.Ident.At, fmt.Sprintf("use it where its length is implied, e.g. dot(%s, monomials(x, 2)), or give it one: param %s[10]", p.Name, p.Name),
				"cannot infer the length of %s[*]", p.Name)
		} else if !p.Used && p.Learnable {
			c.errorf(p.Ident.At, "a learnable parameter that no term uses makes the fit singular; remove it or use it",
				"parameter %s is declared but not used", p.Name)
		}
	}
}

func (c *checker) checkConst(ci *ConstInfo) {
	switch ci.state {
	case 2:
		return
	case 1:
		c.errorf(ci.Decl.Name.At, "", "constant %s is defined in terms of itself", ci.Name)
		ci.Shape = badShape
		ci.state = 2
		return
	}
	ci.state = 1
	s := c.newScope(nil)
	s.constOnly = "constant " + ci.Name
	sh := c.expr(s, ci.Decl.Value)
	if ci.state == 2 { // a cycle was found below
		return
	}
	ci.Shape = sh
	if v, ok := c.evalConst(ci.Decl.Value); ok {
		ci.Value = v
	}
	ci.state = 2
}

func (c *checker) checkParam(d *Param) {
	s := c.newScope(nil)
	var lower, upper []float64
	bound := func(e Expr, which string) []float64 {
		s.constOnly = which + " bound of " + d.Names[0].Name
		sh := c.expr(s, e)
		if sh.invalid() {
			return nil
		}
		if sh.Rank != Scalar {
			c.errorf(e.Pos(), "", "the %s bound of %s must be a scalar; got %s", which, d.Names[0].Name, sh.rankName())
			return nil
		}
		v, ok := c.evalConst(e)
		if !ok {
			if !c.nonFinite(e) {
				c.errorf(e.Pos(), "write a number or a constant", "the %s bound of %s must be a constant", which, d.Names[0].Name)
			}
			return nil
		}
		return v
	}
	if d.Lower != nil {
		lower = bound(d.Lower, "lower")
	}
	if d.Upper != nil {
		upper = bound(d.Upper, "upper")
	}
	if lower != nil && upper != nil && lower[0] > upper[0] {
		c.errorf(d.Lower.Pos(), "the lower bound comes first: in [lo, hi]", "empty range for %s: lower bound %g is above upper bound %g", d.Names[0].Name, lower[0], upper[0])
	}
	var length *Len
	if d.Length != nil {
		s.constOnly = "length of " + d.Names[0].Name
		c.expr(s, d.Length)
		if l, ok := c.toLen(s, d.Length, "the length of "+d.Names[0].Name); ok {
			if n, ok := l.Const(); ok && n < 1 {
				c.errorf(d.Length.Pos(), "", "the length of %s must be at least 1; got %d", d.Names[0].Name, n)
			}
			length = l
		}
	}
	var initShape Shape
	var init []float64
	if d.Init != nil {
		s.constOnly = "initial value of " + d.Names[0].Name
		initShape = c.expr(s, d.Init)
		if !initShape.invalid() {
			v, ok := c.evalConst(d.Init)
			if !ok && !c.nonFinite(d.Init) {
				c.errorf(d.Init.Pos(), "write numbers or constants", "the initial value of %s must be a constant", d.Names[0].Name)
			} else if ok {
				init = v
			}
		}
	}
	for _, id := range d.Names {
		p := c.params[id]
		switch {
		case d.Star:
			p.Shape = vectorShape(newVar(id.Name))
		case length != nil:
			p.Shape = vectorShape(length)
		}
		if lower != nil {
			p.Lower = lower[0]
		}
		if upper != nil {
			p.Upper = upper[0]
		}
		p.Learnable = !(lower != nil && upper != nil && lower[0] == upper[0])
		if init == nil {
			continue
		}
		switch {
		case initShape.Rank == Matrix:
			c.errorf(d.Init.Pos(), "", "the initial value of %s must be a scalar or a vector; got a matrix", id.Name)
			continue
		case initShape.Rank == Vector && p.Shape.Rank == Scalar:
			c.errorf(d.Init.Pos(), fmt.Sprintf("declare it as a vector: param %s[*]", id.Name), "%s is a scalar but its initial value is a vector", id.Name)
			continue
		case initShape.Rank == Vector:
			if unify(p.Shape.Len, initShape.Len) == cmpDiffer {
				c.errorf(d.Init.Pos(), "", "%s has length %s but its initial value has %s entries", id.Name, p.Shape.Len, initShape.Len)
				continue
			}
		}
		p.Init = init
		for _, v := range init {
			if v < p.Lower || v > p.Upper {
				c.errorf(d.Init.Pos(), "", "initial value %g of %s is outside its bounds [%g, %g]", v, id.Name, p.Lower, p.Upper)
				break
			}
		}
	}
}

func (c *checker) checkTerm(t *TermInfo) {
	d := t.Decl
	s := c.newScope(t)
	dim := vectorShape(lenDim())
	bad := false
	switch t.Kind {
	case Potential:
		if len(d.Args) < 1 || len(d.Args) > 2 {
			c.errorf(d.Name.At, "write potential V(x) or, time-dependent, potential V(x, t)", "potential %s takes (x) or (x, t); got %d arguments", t.Name, len(d.Args))
			bad = true
		}
	case Interaction:
		if len(d.Args) != 1 {
			c.errorf(d.Name.At, "interaction terms take one argument z = x − y: interaction U(z)", "interaction %s takes one argument; got %d", t.Name, len(d.Args))
			bad = true
		}
	case Internal:
		if len(d.Args) != 1 {
			c.errorf(d.Name.At, "internal energies take the density: internal f(rho)", "internal %s takes one argument (the density rho); got %d", t.Name, len(d.Args))
			bad = true
		}
	}
	for i, a := range t.Args {
		s.args[a.Name] = a
		switch {
		case t.Kind == Internal:
			s.argShapes[a] = scalarShape
		case i == 0:
			s.argShapes[a] = dim
		default:
			s.argShapes[a] = scalarShape
		}
	}
	sh := c.expr(s, d.Body)
	if bad || sh.invalid() || sh.Rank == Scalar {
		return
	}
	c.errorf(d.Body.Pos(), "reduce it to a scalar: sum(...) it, or use dot, norm2, mean",
		"%s %s must be a scalar; its body is %s", t.Kind, t.Name, sh)
}

func (c *checker) checkWeights(w *Weights) {
	term, _, _ := strings.Cut(w.Name, ".")
	b := c.blocks[w.Name]
	if b == nil {
		var names []string
		for n := range c.blocks {
			names = append(names, n)
		}
		hint := ""
		if s := closest(w.Name, names); s != "" {
			hint = "did you mean " + s + "?"
		} else if c.terms[term] == nil {
			hint = "there is no term " + term
		} else {
			hint = "term " + term + " has no such mlp(...) block"
		}
		c.errorf(w.NamePos, hint, "weights for unknown neural block %s", w.Name)
	} else if b.Weights != nil {
		c.errorf(w.NamePos, "", "weights for %s given twice; first at %s", w.Name, relPos(b.Weights.At, w.At))
	} else {
		b.Weights = w
	}
	s := c.newScope(nil)
	s.constOnly = "weights of " + w.Name
	sh := c.expr(s, w.Values)
	if sh.invalid() {
		return
	}
	if sh.Rank != Vector {
		c.errorf(w.Values.Pos(), "", "weights of %s must be a vector literal; got %s", w.Name, sh.rankName())
	} else if _, ok := c.evalConst(w.Values); !ok && !c.nonFinite(w.Values) {
		c.errorf(w.Values.Pos(), "", "weights of %s must be numbers", w.Name)
	}
}
