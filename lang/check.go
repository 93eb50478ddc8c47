package lang

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jko-org/jko/stdlib"
)

// Importer finds the source of an imported spec.
type Importer interface {
	// Import returns the file name (used in positions and to recognize a
	// file imported twice) and the contents of the spec at path.
	Import(path string) (filename string, src []byte, err error)
}

type stdImporter struct{ dir string }

// StdImporter resolves a bare name ("halves") to the standard library
// (package stdlib; the file name is "stdlib/NAME.jko") and a path ending in
// ".jko" to a file relative to dir.
func StdImporter(dir string) Importer { return stdImporter{dir} }

// ErrNotFound is returned (wrapped) by StdImporter for an unknown name.
var ErrNotFound = errors.New("not found")

func (s stdImporter) Import(path string) (string, []byte, error) {
	if strings.HasSuffix(path, ".jko") {
		name := path
		if !filepath.IsAbs(name) {
			name = filepath.Join(s.dir, path)
		}
		b, err := ReadSpecFile(name)
		return name, b, err
	}
	b, ok := stdlib.Source(path)
	if !ok {
		return "", nil, fmt.Errorf("%w: no spec %q in the standard library", ErrNotFound, path)
	}
	return "stdlib/" + path + ".jko", b, nil
}

// ObjKind says what a name refers to.
type ObjKind int

// The kinds of objects.
const (
	ObjParam   ObjKind = iota // a learnable parameter (Object.Param)
	ObjConst                  // a named constant (Object.Const)
	ObjFn                     // a user function (Object.Fn)
	ObjArg                    // an argument of a term or function (Object.Owner, Object.Index)
	ObjBuiltin                // a built-in function (Object.Builtin)
	ObjDim                    // d, the dimension of x
	ObjPi                     // pi
)

// Object is what an identifier refers to.
type Object struct {
	Kind    ObjKind
	Name    string
	Pos     Pos // where it is declared (zero for built-ins, d and pi)
	Param   *ParamInfo
	Const   *ConstInfo
	Fn      *FnInfo
	Builtin *Builtin
	Owner   Decl // ObjArg: the *Term or *Fn declaring the argument
	Index   int  // ObjArg: position in the argument list
}

// ParamInfo is a checked parameter (one per declared name).
type ParamInfo struct {
	Name  string
	Ident *Ident
	Decl  *Param
	// Shape is ScalarShape or a vector; the vector length of a [*]
	// parameter is the length its use implied.
	Shape Shape
	// Lower and Upper are the bounds (-Inf and +Inf when absent).
	Lower, Upper float64
	// Init holds the initial value: nil for zeros, one number for every
	// entry, or one per entry.
	Init []float64
	// Learnable is false only for a parameter pinned by equal bounds.
	Learnable bool
	// Used is true when some term uses the parameter.
	Used bool
}

// ConstInfo is a checked constant.
type ConstInfo struct {
	Name  string
	Decl  *Const
	Shape Shape
	// Value is the value (row-major for a matrix), nil when it depends on d.
	Value []float64
	state int // 0 unchecked, 1 checking, 2 done
	obj   *Object
}

// FnInfo is a checked user function.
type FnInfo struct {
	Name      string
	Decl      *Fn
	Args      []*Object
	Called    bool
	recursive bool
}

// MLPInfo is one neural block: a call of mlp in a term body (or in a
// function the term calls).
type MLPInfo struct {
	Name    string // "V.mlp", "V.mlp2", ...
	Term    *TermInfo
	Call    *Call
	In      *Len // input length
	Widths  []int
	Weights *Weights // the fitted weights, if the spec has them
}

// NumWeights returns the number of weights of the block for input length
// in: a dense network in → h1 → … → hk → 1 with biases.
func (b *MLPInfo) NumWeights(in int) int {
	n, prev := 0, in
	for _, h := range append(slices.Clone(b.Widths), 1) {
		n += (prev + 1) * h
		prev = h
	}
	return n
}

// TermInfo is a checked term.
type TermInfo struct {
	Decl   *Term
	Kind   TermKind
	Name   string
	Args   []*Object
	Params []*ParamInfo // parameters the term uses, in order of first use
	Blocks []*MLPInfo
}

// Instance is a user function checked for the shapes of one call.
type Instance struct {
	Fn     *FnInfo
	Call   *Call
	Args   []Shape
	Result Shape
	// Shapes and Calls are, for the function body at this call, the shape
	// of every expression and the instance of every user-function call.
	Shapes map[Expr]Shape
	Calls  map[*Call]*Instance
}

// Model is a checked program: the spec and its imports merged, every name
// resolved and every expression given a shape.
//
// To walk a term body: Uses[ident] says what each name is (a Call's Func
// ident resolves to an ObjBuiltin or ObjFn); Shapes[e] gives the shape of
// e; Calls[call] gives, for a user-function call, the Instance holding the
// shapes inside the function body for that call (and, recursively, its own
// Calls).
type Model struct {
	Files   []*File
	Terms   []*TermInfo
	Params  []*ParamInfo
	Consts  []*ConstInfo
	Fns     []*FnInfo
	Weights []*Weights
	// Step is the model's step declaration, nil when it has none.
	Step   *Step
	Uses   map[*Ident]*Object
	Shapes map[Expr]Shape
	Calls  map[*Call]*Instance

	constraints []constraint
}

// constraint is a condition that depends on d, verified by Instantiate.
type constraint struct {
	pos   Pos
	check func(d int) string // "" when satisfied
}

// Param returns the parameter called name, or nil.
func (m *Model) Param(name string) *ParamInfo {
	for _, p := range m.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Instantiate verifies, for a concrete dimension d, every condition the
// checker could not decide without it (lengths that depend on d, index
// ranges) and that every parameter length is known and positive.
func (m *Model) Instantiate(d int) error {
	var errs ErrorList
	if d < 1 {
		errs.Add(Pos{}, fmt.Sprintf("dimension d = %d; it must be at least 1", d), "")
		return errs
	}
	for _, c := range m.constraints {
		if msg := c.check(d); msg != "" {
			errs.Add(c.pos, msg+fmt.Sprintf(" (d = %d)", d), "")
		}
	}
	for _, p := range m.Params {
		if p.Shape.Rank == Vector {
			n, err := p.Shape.Len.Eval(d)
			if err != nil {
				errs.Add(p.Ident.At, fmt.Sprintf("length of %s: %v (d = %d)", p.Name, err, d), "")
			} else if n < 1 {
				errs.Add(p.Ident.At, fmt.Sprintf("length of %s is %d (d = %d)", p.Name, n, d), "")
			} else if len(p.Init) > 1 && len(p.Init) != n {
				errs.Add(p.Ident.At, fmt.Sprintf("%s has length %d but %d initial values (d = %d)", p.Name, n, len(p.Init), d), "")
			}
		}
	}
	errs.Sort()
	return errs.Err()
}

// Summary describes the model for `jko check`: one line per term (with
// the parameters it uses) and per parameter (shape, bounds, initial value).
func (m *Model) Summary() string {
	var b strings.Builder
	for _, t := range m.Terms {
		var args, ps []string
		for _, a := range t.Args {
			args = append(args, a.Name)
		}
		for _, p := range t.Params {
			ps = append(ps, p.Name)
		}
		fmt.Fprintf(&b, "%s %s(%s)", t.Kind, t.Name, strings.Join(args, ", "))
		if len(ps) > 0 {
			fmt.Fprintf(&b, " uses %s", strings.Join(ps, ", "))
		}
		for _, bl := range t.Blocks {
			fmt.Fprintf(&b, "; %s widths %v", bl.Name, bl.Widths)
		}
		b.WriteByte('\n')
	}
	for _, p := range m.Params {
		fmt.Fprintf(&b, "param %s %s", p.Name, p.Shape)
		if !math.IsInf(p.Lower, -1) || !math.IsInf(p.Upper, 1) {
			fmt.Fprintf(&b, " in [%g, %g]", p.Lower, p.Upper)
		}
		if p.Init != nil {
			if len(p.Init) == 1 {
				fmt.Fprintf(&b, " init %g", p.Init[0])
			} else {
				fmt.Fprintf(&b, " init %v", p.Init)
			}
		}
		if !p.Learnable {
			b.WriteString(" fixed")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ---- the checker ----------------------------------------------------------

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
}

func (c *checker) errorf(pos Pos, hint, format string, args ...any) {
	c.errs.Add(pos, fmt.Sprintf(format, args...), hint)
}

// Check resolves and checks a parsed spec with its imports. The error,
// if any, is an ErrorList holding every problem found, sorted by position;
// the Model is returned even then, for tools that want partial results.
func Check(f *File, imp Importer) (*Model, error) {
	return check(f, imp, false)
}

// CheckLibrary is Check for a spec meant only to be imported (such as
// stdlib/halves.jko): it may declare no term.
func CheckLibrary(f *File, imp Importer) (*Model, error) {
	return check(f, imp, true)
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
	}
	c.load(f)
	c.declare()
	c.checkDecls()
	if len(c.m.Terms) == 0 && !library && !c.hasErrorsIn(f.Filename) {
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
			hint := ""
			if errors.Is(err, ErrNotFound) {
				if s := closest(im.Path, stdlib.Names()); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				} else {
					hint = "`jko stdlib` lists the standard library"
				}
			}
			c.errorf(im.PathPos, hint, "cannot import %q: %v", im.Path, unwrapPath(err))
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

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// reserved reports why name cannot be declared, or "".
func reserved(name string) string {
	switch {
	case name == "d":
		return "d is the dimension of x"
	case name == "pi":
		return "pi is a constant of the language"
	case builtins[name] != nil:
		return name + " is a built-in function"
	}
	return ""
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

func (c *checker) checkDecls() {
	c.findRecursion()
	for _, ci := range c.m.Consts {
		c.checkConst(ci)
	}
	for _, d := range c.decls {
		if p, ok := d.(*Param); ok {
			c.checkParam(p)
		}
	}
	for _, t := range c.m.Terms {
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

// scope is the context in which an expression is checked.
type scope struct {
	args        map[string]*Object
	argShapes   map[*Object]Shape
	shapes      map[Expr]Shape
	calls       map[*Call]*Instance
	term        *TermInfo
	fnStack     []*FnInfo
	site        string // "in f called at 3:5", for hints inside a function body
	constOnly   string // non-empty: no parameters or arguments allowed; what the expression is
	resolveOnly bool
}

func (c *checker) newScope(t *TermInfo) *scope {
	return &scope{args: map[string]*Object{}, argShapes: map[*Object]Shape{}, shapes: c.m.Shapes, calls: c.m.Calls, term: t}
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
		if sh.Rank == Rank(-1) {
			return nil
		}
		if sh.Rank != Scalar {
			c.errorf(e.Pos(), "", "the %s bound of %s must be a scalar; got %s", which, d.Names[0].Name, sh.rankName())
			return nil
		}
		v, ok := c.evalConst(e)
		if !ok {
			c.errorf(e.Pos(), "write a number or a constant", "the %s bound of %s must be a constant", which, d.Names[0].Name)
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
		if initShape.Rank != Rank(-1) {
			v, ok := c.evalConst(d.Init)
			if !ok {
				c.errorf(d.Init.Pos(), "write numbers or constants", "the initial value of %s must be a constant", d.Names[0].Name)
			} else {
				init = v
			}
		}
	}
	for _, id := range d.Names {
		p := c.params[id]
		switch {
		case d.Star:
			p.Shape = VectorShape(newVar(id.Name))
		case length != nil:
			p.Shape = VectorShape(length)
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
	dim := VectorShape(LenDim())
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
			s.argShapes[a] = ScalarShape
		case i == 0:
			s.argShapes[a] = dim
		default:
			s.argShapes[a] = ScalarShape
		}
	}
	sh := c.expr(s, d.Body)
	if bad || sh.Rank == Rank(-1) || sh.Rank == Scalar {
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
	if sh.Rank == Rank(-1) {
		return
	}
	if sh.Rank != Vector {
		c.errorf(w.Values.Pos(), "", "weights of %s must be a vector literal; got %s", w.Name, sh.rankName())
	} else if _, ok := c.evalConst(w.Values); !ok {
		c.errorf(w.Values.Pos(), "", "weights of %s must be numbers", w.Name)
	}
}

var badShape = Shape{Rank: -1}

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

// lookup finds what name refers to in s.
func (c *checker) lookup(s *scope, name string) *Object {
	if o, ok := s.args[name]; ok {
		return o
	}
	if o, ok := c.globals[name]; ok {
		return o
	}
	switch name {
	case "d":
		return dimObj
	case "pi":
		return piObj
	}
	if b := builtins[name]; b != nil {
		return &Object{Kind: ObjBuiltin, Name: name, Builtin: b}
	}
	return nil
}

var (
	dimObj = &Object{Kind: ObjDim, Name: "d"}
	piObj  = &Object{Kind: ObjPi, Name: "pi"}
)

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
	return ScalarShape // d, pi
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

func (c *checker) record(s *scope, e Expr, sh Shape) Shape {
	if !s.resolveOnly {
		s.shapes[e] = sh
	}
	return sh
}

// expr checks e and returns its shape (badShape after an error).
func (c *checker) expr(s *scope, e Expr) Shape {
	switch x := e.(type) {
	case *Number:
		return c.record(s, e, ScalarShape)
	case *Ident:
		return c.record(s, e, c.ident(s, x))
	case *Unary:
		return c.record(s, e, c.expr(s, x.X))
	case *Binary:
		a, b := c.expr(s, x.X), c.expr(s, x.Y)
		return c.record(s, e, c.broadcast(s, x.OpPos, "operands of '"+string(x.Op)+"'", a, b))
	case *Call:
		return c.record(s, e, c.call(s, x))
	case *Index:
		xs := c.expr(s, x.X)
		c.expr(s, x.Index)
		if xs.Rank == Rank(-1) {
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
		return c.record(s, e, ScalarShape)
	case *Slice:
		xs := c.expr(s, x.X)
		if x.Lo != nil {
			c.expr(s, x.Lo)
		}
		if x.Hi != nil {
			c.expr(s, x.Hi)
		}
		if xs.Rank == Rank(-1) {
			return c.record(s, e, badShape)
		}
		if xs.Rank != Vector {
			c.errorf(x.Lbrack, "index and slice work on vectors", "cannot slice %s", xs.rankName())
			return c.record(s, e, badShape)
		}
		lo, hi, ok := LenConst(0), xs.Len, true
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
		return c.record(s, e, VectorShape(hi.Sub(lo)))
	case *List:
		return c.record(s, e, c.list(s, x))
	}
	c.errorf(e.Pos(), "", "unknown expression %T", e)
	return badShape
}

// requireRange checks cond at the probe dimensions: an error if it never
// holds, a constraint for Instantiate if it holds only for some d.
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
	case a.Rank == Rank(-1) || b.Rank == Rank(-1):
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
		if sh.Rank == Rank(-1) {
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
	return MatrixShape(LenConst(len(l.Elems)), first.Len)
}

// concatShape is the shape of scalars and vectors joined end to end: the
// vectors' lengths, then the number of scalars ("d + 1" for [x, t]).
func concatShape(shapes []Shape) Shape {
	n, scalars := LenConst(0), 0
	for _, sh := range shapes {
		if sh.Rank == Scalar {
			scalars++
		} else {
			n = n.Add(sh.Len)
		}
	}
	return VectorShape(n.Add(LenConst(scalars)))
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
		return LenConst(int(x.Value)), true
	case *Ident:
		o := c.m.Uses[x]
		if o == nil {
			return nil, false // already reported
		}
		switch o.Kind {
		case ObjDim:
			return LenDim(), true
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
			return LenConst(0).Sub(l), true
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
		if args[i].Rank == Rank(-1) {
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
		bad = bad || sh.Rank == Rank(-1)
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

// evalConst evaluates an expression of literals, constants and pi (not d)
// into its values (row-major). ok is false when it depends on anything else.
func (c *checker) evalConst(e Expr) ([]float64, bool) {
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
				out[i] = math.Pow(u, v)
			}
		}
		return out, true
	case *List:
		var out []float64
		for _, el := range x.Elems {
			v, ok := c.evalConst(el)
			if !ok {
				return nil, false
			}
			out = append(out, v...)
		}
		return out, true
	case *Call:
		o := c.m.Uses[x.Func]
		if o == nil || o.Kind != ObjBuiltin || o.Builtin.Kind != Elementwise1 || len(x.Args) != 1 {
			return nil, false
		}
		v, ok := c.evalConst(x.Args[0])
		if !ok {
			return nil, false
		}
		f := elementwise[o.Name]
		out := make([]float64, len(v))
		for i := range v {
			out[i] = f(v[i])
		}
		return out, true
	}
	return nil, false
}

var elementwise = map[string]func(float64) float64{
	"exp": math.Exp, "log": math.Log, "sqrt": math.Sqrt, "abs": math.Abs,
	"sin": math.Sin, "cos": math.Cos, "tan": math.Tan, "tanh": math.Tanh,
	"sigmoid":  func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
	"softplus": func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) },
	"relu":     func(x float64) float64 { return math.Max(x, 0) },
	"floor":    math.Floor, "ceil": math.Ceil,
}
