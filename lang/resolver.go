package lang

// This file holds the checker's state, the loading of imports through
// the Importer, and the resolution of declared names.

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

type checker struct {
	m       *Model
	errs    ErrorList
	imp     Importer
	loading []string
	loaded  map[string]bool
	decls   []Decl
	globals map[string]*Object
	terms   map[string]*TermInfo
	params  map[*Ident]*ParamInfo
	fns     map[*Fn]*FnInfo
	blocks  map[string]*MLPInfo
	folds   map[Expr]folded
	inlined inlineBudget
}

func (c *checker) errorf(pos Pos, hint, format string, args ...any) {
	c.errs.Add(pos, fmt.Sprintf(format, args...), hint)
}

func check(f *File, imp Importer, library bool) (*Model, error) {
	c := &checker{
		m: &Model{
			Uses:   map[*Ident]*Object{},
			Shapes: map[Expr]Shape{},
			Calls:  map[*Call]*Instance{},
		},
		imp:     imp,
		loaded:  map[string]bool{f.Filename: true},
		loading: []string{f.Filename},
		globals: map[string]*Object{},
		terms:   map[string]*TermInfo{},
		params:  map[*Ident]*ParamInfo{},
		fns:     map[*Fn]*FnInfo{},
		blocks:  map[string]*MLPInfo{},
		folds:   map[Expr]folded{},
	}
	c.load(f)
	c.declare()
	c.checkDecls()
	// A file of functions (such as stdlib/halves.jko) is a library: it
	// checks without terms, as CheckLibrary does.
	if len(c.m.Terms) == 0 && !library && len(c.m.Fns) == 0 && !c.hasErrorsIn(f.Filename) {
		c.errorf(Pos{Filename: f.Filename, Line: 1, Column: 1}, "declare one, e.g. potential V(x) = a*sum(x^2)",
			"a spec needs at least one potential, interaction or internal term")
	}
	c.errs.Sort()
	return c.m, c.errs.Err()
}

func (c *checker) hasErrorsIn(name string) bool {
	for _, e := range c.errs {
		if e.Pos.Filename == name {
			return true
		}
	}
	return false
}

// load adds the declarations of f, and of its imports in place of each
// import declaration.
func (c *checker) load(f *File) {
	c.m.Files = append(c.m.Files, f)
	for _, d := range f.Decls {
		im, ok := d.(*Import)
		if !ok {
			c.decls = append(c.decls, d)
			continue
		}
		if c.imp == nil {
			c.errorf(im.PathPos, "", "cannot import %q: no importer", im.Path)
			continue
		}
		name, src, err := c.imp.Import(im.Path)
		if err != nil {
			hint, why := importFailure(im.Path, err)
			c.errorf(im.PathPos, hint, "cannot import %q: %v", im.Path, why)
			continue
		}
		if i := slices.Index(c.loading, name); i >= 0 {
			cycle := append(slices.Clone(c.loading[i:]), name)
			c.errorf(im.PathPos, "", "import cycle: %s", strings.Join(cycle, " → "))
			continue
		}
		if c.loaded[name] {
			continue
		}
		c.loaded[name] = true
		sub, err := ParseFile(name, src)
		if err != nil {
			var el ErrorList
			if errors.As(err, &el) {
				c.errs = append(c.errs, el...)
			}
			continue
		}
		c.loading = append(c.loading, name)
		c.load(sub)
		c.loading = c.loading[:len(c.loading)-1]
	}
}

func (c *checker) declareName(id *Ident, obj *Object) bool {
	if why := reserved(id.Name); why != "" {
		c.errorf(id.At, "choose another name", "cannot declare %s: %s", id.Name, why)
		return false
	}
	if prev, ok := c.globals[id.Name]; ok {
		c.errorf(id.At, "rename one of them", "%s redeclared; first declared at %s", id.Name, relPos(prev.Pos, id.At))
		return false
	}
	c.globals[id.Name] = obj
	c.m.Uses[id] = obj
	return true
}

// relPos renders p as line:col, with the file name when it differs from
// that of the reference position.
func relPos(p, ref Pos) string {
	if p.Filename != ref.Filename {
		return p.String()
	}
	return lineCol(p)
}

func (c *checker) declare() {
	for _, d := range c.decls {
		switch d := d.(type) {
		case *Const:
			ci := &ConstInfo{Name: d.Name.Name, Decl: d}
			ci.obj = &Object{Kind: ObjConst, Name: ci.Name, Pos: d.Name.At, Const: ci}
			c.m.Consts = append(c.m.Consts, ci)
			c.declareName(d.Name, ci.obj)
		case *Param:
			for _, id := range d.Names {
				pi := &ParamInfo{Name: id.Name, Ident: id, Decl: d, Lower: math.Inf(-1), Upper: math.Inf(1), Learnable: true}
				c.params[id] = pi
				c.m.Params = append(c.m.Params, pi)
				if !c.declareName(id, &Object{Kind: ObjParam, Name: id.Name, Pos: id.At, Param: pi}) {
					pi.Used = true // reported already; do not also call it unused
				}
			}
		case *Fn:
			fi := &FnInfo{Name: d.Name.Name, Decl: d}
			c.fns[d] = fi
			c.m.Fns = append(c.m.Fns, fi)
			c.declareName(d.Name, &Object{Kind: ObjFn, Name: fi.Name, Pos: d.Name.At, Fn: fi})
			fi.Args = c.declareArgs(d, d.Params)
		case *Term:
			ti := &TermInfo{Decl: d, Kind: d.Kind, Name: d.Name.Name}
			if prev, ok := c.terms[ti.Name]; ok {
				c.errorf(d.Name.At, "give each term its own name", "term %s redeclared; first declared at %s", ti.Name, relPos(prev.Decl.Name.At, d.Name.At))
			} else {
				c.terms[ti.Name] = ti
			}
			c.m.Terms = append(c.m.Terms, ti)
			ti.Args = c.declareArgs(d, d.Args)
		case *Weights:
			c.m.Weights = append(c.m.Weights, d)
		case *Step:
			switch {
			case d.Kind != "explicit" && d.Kind != "implicit":
				c.errorf(d.KindPos, "write step explicit (Euler: x + τ·drift(x)) or step implicit (the JKO step: y = x + τ·drift(y))", "unknown step %s", d.Kind)
			case c.m.Step != nil:
				c.errorf(d.At, "keep one step declaration", "step given twice; first at %s", relPos(c.m.Step.At, d.At))
			default:
				c.m.Step = d
			}
		}
	}
}

func (c *checker) declareArgs(owner Decl, ids []*Ident) []*Object {
	var objs []*Object
	seen := map[string]*Ident{}
	for i, id := range ids {
		obj := &Object{Kind: ObjArg, Name: id.Name, Pos: id.At, Owner: owner, Index: i}
		if why := reserved(id.Name); why != "" {
			c.errorf(id.At, "choose another name", "cannot use %s as an argument name: %s", id.Name, why)
		} else if prev, ok := seen[id.Name]; ok {
			c.errorf(id.At, "", "duplicate argument %s; first at %s", id.Name, lineCol(prev.At))
		}
		seen[id.Name] = id
		c.m.Uses[id] = obj
		objs = append(objs, obj)
	}
	return objs
}

// findRecursion marks functions that call themselves, directly or not.
func (c *checker) findRecursion() {
	calls := map[*FnInfo][]*FnInfo{}
	for _, fi := range c.m.Fns {
		local := map[string]bool{}
		for _, a := range fi.Args {
			local[a.Name] = true
		}
		Walk(fi.Decl.Body, func(e Expr) bool {
			if call, ok := e.(*Call); ok && !local[call.Func.Name] {
				if o := c.globals[call.Func.Name]; o != nil && o.Kind == ObjFn {
					calls[fi] = append(calls[fi], o.Fn)
				}
			}
			return true
		})
	}
	state := map[*FnInfo]int{}
	var stack []*FnInfo
	var visit func(f *FnInfo)
	visit = func(f *FnInfo) {
		state[f] = 1
		stack = append(stack, f)
		for _, g := range calls[f] {
			switch state[g] {
			case 0:
				visit(g)
			case 1:
				i := slices.Index(stack, g)
				var names []string
				for _, h := range stack[i:] {
					names = append(names, h.Name)
					h.recursive = true
				}
				names = append(names, g.Name)
				c.errorf(g.Decl.Name.At, "functions are inlined, so they cannot recurse", "recursive function: %s", strings.Join(names, " → "))
			}
		}
		stack = stack[:len(stack)-1]
		state[f] = 2
	}
	for _, f := range c.m.Fns {
		if state[f] == 0 {
			visit(f)
		}
	}
}

// resolveNames only resolves the names of e (for function bodies never
// called); shapes are not computed.
func (c *checker) resolveNames(s *scope, e Expr) {
	Walk(e, func(x Expr) bool {
		switch x := x.(type) {
		case *Ident:
			c.ident(s, x)
		case *Call:
			c.callee(s, x)
			for _, a := range x.Args {
				c.resolveNames(s, a)
			}
			return false
		}
		return true
	})
}

func (c *checker) undefined(s *scope, id *Ident, fn bool) {
	var cands []string
	for n, o := range c.globals {
		if fn == (o.Kind == ObjFn) {
			cands = append(cands, n)
		}
	}
	for n := range s.args {
		if !fn {
			cands = append(cands, n)
		}
	}
	if fn {
		cands = append(cands, BuiltinNames()...)
	} else {
		cands = append(cands, "d", "pi")
	}
	hint := ""
	if m := closest(id.Name, cands); m != "" {
		hint = "did you mean " + m + "?"
	} else if !fn {
		hint = "declare it: param " + id.Name + " (learnable) or const " + id.Name + " = ..."
	}
	what := "name"
	if fn {
		what = "function"
	}
	c.errorf(id.At, hint, "undefined %s %s", what, id.Name)
}

// ident resolves a name used as a value and returns its shape.
func (c *checker) ident(s *scope, id *Ident) Shape {
	o := c.lookup(s, id.Name)
	if o == nil {
		c.undefined(s, id, false)
		return badShape
	}
	c.m.Uses[id] = o
	switch o.Kind {
	case ObjParam:
		if s.constOnly != "" {
			c.errorf(id.At, "use a number or a const", "the %s cannot depend on parameter %s", s.constOnly, id.Name)
			return badShape
		}
		if s.term != nil && !s.resolveOnly {
			o.Param.Used = true
			if !slices.Contains(s.term.Params, o.Param) {
				s.term.Params = append(s.term.Params, o.Param)
			}
		}
		return o.Param.Shape
	case ObjConst:
		if o.Const.state == 0 {
			c.checkConst(o.Const)
		} else if o.Const.state == 1 {
			c.errorf(o.Const.Decl.Name.At, "", "constant %s is defined in terms of itself", o.Name)
			o.Const.state = 2
			o.Const.Shape = badShape
			return badShape
		}
		return o.Const.Shape
	case ObjFn:
		c.errorf(id.At, fmt.Sprintf("call it: %s(...)", id.Name), "%s is a function, not a value", id.Name)
		return badShape
	case ObjBuiltin:
		c.errorf(id.At, fmt.Sprintf("call it: %s(...)", id.Name), "%s is a built-in function, not a value", id.Name)
		return badShape
	case ObjArg:
		if s.resolveOnly {
			return badShape
		}
		return s.argShapes[o]
	}
	return scalarShape // d, pi
}

// callee resolves the function of a call.
func (c *checker) callee(s *scope, call *Call) *Object {
	id := call.Func
	o := c.lookup(s, id.Name)
	if o == nil {
		c.undefined(s, id, true)
		return nil
	}
	c.m.Uses[id] = o
	if o.Kind != ObjFn && o.Kind != ObjBuiltin {
		if o.Param != nil {
			o.Param.Used = true
		}
		c.errorf(id.At, "", "%s is not a function", id.Name)
		return nil
	}
	return o
}
