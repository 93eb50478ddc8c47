package compile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/jko-org/jko/internal/ir"
	"github.com/jko-org/jko/lang"
)

// Term is one energy term of a Model.
type Term struct {
	Kind TermKind
	Name string
	Pos  lang.Pos
	// TimeDependent is set for potentials V(x, t).
	TimeDependent bool
	// Params lists the indices (into Model.Params) of the blocks the term
	// depends on.
	Params []int
	// Linear reports whether the term is affine in its parameters; if not,
	// NonlinearAt says where and why.
	Linear      bool
	NonlinearAt *lang.Error

	// The term's nodes in the model's graph: its energy V(x[, t]), U(z)
	// or f(ρ); grad, ∇ₓV or ∇_zU (vector[d]) or, for an internal energy,
	// f″(ρ); deriv, f′(ρ) for an internal energy (ir.None otherwise).
	// Model.TermText and Model.EvalTerm read them.
	value, grad, deriv ir.NodeID
}

// lowering state for one instantiation.
type lowerer struct {
	spec  *Spec
	m     *Model
	g     *ir.Graph
	d     int
	env   map[*lang.Object]ir.NodeID
	term  *lang.TermInfo
	block map[*lang.Call]*lang.MLPInfo // the term body's own mlp calls
	// inst is the instance of the function body being inlined (nil in
	// the term body): its Calls and Blocks resolve the calls inside it.
	inst  *lang.Instance
	errs  lang.ErrorList
	depth int

	params map[*lang.ParamInfo]ir.NodeID
}

// errLower aborts the lowering of one term after an error was recorded.
type errLower struct{}

func (l *lowerer) fail(pos lang.Pos, format string, args ...any) {
	l.errs.Add(pos, fmt.Sprintf(format, args...), "")
	panic(errLower{})
}

func irPos(p lang.Pos) ir.Pos { return ir.Pos{Filename: p.Filename, Line: p.Line, Col: p.Column} }

// Instantiate lowers the spec at dimension d into a Model.
func (s *Spec) Instantiate(d int) (*Model, error) {
	if d < 1 {
		return nil, fmt.Errorf("compile: dimension must be at least 1, got %d", d)
	}
	if err := s.Model.CheckDim(d); err != nil {
		return nil, wrap(err, s.Sources)
	}
	g := ir.New()
	m := &Model{Spec: s, Dim: d, g: g}
	if st := s.Model.Step; st != nil {
		m.Step = st.Kind
	}
	l := &lowerer{spec: s, m: m, g: g, d: d, env: map[*lang.Object]ir.NodeID{}}
	m.x = g.Input("x", ir.Vector(d))
	m.z = g.Input("z", ir.Vector(d))
	m.t = g.Input("t", ir.Scalar)
	m.rho = g.Input("rho", ir.Scalar)

	// Declared parameters.
	paramNode := map[*lang.ParamInfo]ir.NodeID{}
	for _, p := range s.Model.Params {
		shape := ir.Scalar
		var dims []int
		if p.Shape.Rank == lang.Vector {
			n, err := p.Shape.Len.Eval(d)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("compile: parameter %s: length %s at d = %d: %v", p.Name, p.Shape.Len, d, err)
			}
			shape, dims = ir.Vector(n), []int{n}
		}
		init := make([]float64, shape.Size())
		switch len(p.Init) {
		case 0:
		case 1:
			for i := range init {
				init[i] = p.Init[0]
			}
		default:
			if len(p.Init) != len(init) {
				return nil, wrap(lang.ErrorList{{Pos: p.Ident.At, Msg: fmt.Sprintf("parameter %s has %d entries at d = %d but %d initial values", p.Name, len(init), d, len(p.Init))}}, s.Sources)
			}
			copy(init, p.Init)
		}
		if !p.Learnable {
			paramNode[p] = g.Const(shape, init)
			continue
		}
		node := g.Param(p.Name, shape)
		paramNode[p] = node
		m.addParam(Param{Name: p.Name, Shape: dims, Lower: p.Lower, Upper: p.Upper, Init: init, Declared: p.Init != nil, Pos: p.Ident.At}, node)
	}
	l.params = paramNode

	// Terms.
	for _, t := range s.Model.Terms {
		if err := l.lowerTerm(t); err != nil {
			return nil, err
		}
	}
	// A weights line of the wrong length is an error, never a silently
	// re-initialised network.
	for _, b := range m.blocks {
		w := b.info.Weights
		if w == nil {
			continue
		}
		if have, want := len(weightList(w)), m.blockSize(b); have != want {
			l.errs.Add(w.Values.Pos(), fmt.Sprintf("weights of %s: %d values, but the block has %d at d = %d (%s)", w.Name, have, want, d, m.blockShape(&b)), "")
		}
	}
	if len(l.errs) > 0 {
		l.errs.Sort()
		return nil, wrap(l.errs, s.Sources)
	}
	m.finish()
	return m, nil
}

func (l *lowerer) lowerTerm(t *lang.TermInfo) (err error) {
	g, m := l.g, l.m
	term := Term{Kind: t.Kind, Name: t.Name, Pos: t.Decl.At, deriv: ir.None}
	l.term, l.inst = t, nil
	l.block = map[*lang.Call]*lang.MLPInfo{}
	for _, b := range t.Blocks {
		l.block[b.Call] = b
	}
	clear(l.env)
	switch t.Kind {
	case lang.Potential:
		l.env[t.Args[0]] = m.x
		if len(t.Args) == 2 {
			l.env[t.Args[1]] = m.t
			term.TimeDependent = true
		}
	case lang.Interaction:
		l.env[t.Args[0]] = m.z
	case lang.Internal:
		l.env[t.Args[0]] = m.rho
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(errLower); !ok {
				panic(r)
			}
			err = nil // recorded in l.errs
		}
	}()
	v := l.expr(t.Decl.Body)
	if !g.Shape(v).IsScalar() {
		l.fail(t.Decl.Body.Pos(), "%s %s is a %s at d = %d; a term must be a scalar", t.Kind, t.Name, g.Shape(v), l.d)
	}
	term.value = v
	g.SetPos(irPos(t.Decl.At))
	switch t.Kind {
	case lang.Potential:
		term.grad = g.Grad(v, m.x)[0]
	case lang.Interaction:
		term.grad = g.Grad(v, m.z)[0]
	case lang.Internal:
		term.deriv = g.Grad(v, m.rho)[0]
		term.grad = g.Grad(term.deriv, m.rho)[0]
	}
	// Which parameter blocks the term depends on.
	var nodes []ir.NodeID
	term.Params, nodes = m.blocksOf(v)
	ok, culprit := g.Affine(v, nodes)
	term.Linear = ok
	if !ok {
		n := g.Node(culprit)
		p := lang.Pos{Filename: n.Pos.Filename, Line: n.Pos.Line, Column: n.Pos.Col}
		term.NonlinearAt = &lang.Error{Pos: p,
			Msg:  fmt.Sprintf("%s %s is not linear in its parameters: %s", t.Kind, t.Name, nonlinearWhy(g, culprit)),
			Hint: "the closed-form solve needs every term affine in its parameters; fit it with a gradient method (L-BFGS or Adam) instead"}
	}
	m.Terms = append(m.Terms, term)
	return nil
}

func nonlinearWhy(g *ir.Graph, id ir.NodeID) string {
	n := g.Node(id)
	s := g.String(id)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	switch n.Op {
	case ir.OpMul, ir.OpMatVec, ir.OpMatTVec, ir.OpOuter:
		return fmt.Sprintf("%s multiplies parameters together", s)
	case ir.OpDiv:
		return fmt.Sprintf("%s divides by a parameter", s)
	}
	return fmt.Sprintf("%s applies %s to a parameter", s, n.Op)
}

// intValue lowers e and requires an integer constant (index, slice bound,
// monomial degree, width).
func (l *lowerer) intValue(e lang.Expr, what string) int {
	v := l.expr(e)
	if !l.g.IsConst(v) || !l.g.Shape(v).IsScalar() {
		l.fail(e.Pos(), "%s must be a constant integer", what)
	}
	f := l.g.ConstValue(v)[0]
	if f != math.Trunc(f) || math.Abs(f) > 1<<30 {
		l.fail(e.Pos(), "%s must be an integer; %s is %g at d = %d (use floor or ceil)", what, lang.FormatExpr(e), f, l.d)
	}
	return int(f)
}

func (l *lowerer) floatValue(e lang.Expr, what string) float64 {
	v := l.expr(e)
	if !l.g.IsConst(v) || !l.g.Shape(v).IsScalar() {
		l.fail(e.Pos(), "%s must be a constant number", what)
	}
	return l.g.ConstValue(v)[0]
}

// expr lowers e, and refuses a constant that is not a finite number (a
// constant that depends on d, such as 1/(d - 2) at d = 2: the checker
// reports those that do not), where it first arises.
func (l *lowerer) expr(e lang.Expr) ir.NodeID {
	v := l.lowerExpr(e)
	if !l.g.IsConst(v) {
		return v
	}
	for _, x := range l.g.ConstValue(v) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			pos := e.Pos()
			switch e := e.(type) {
			case *lang.Binary:
				pos = e.OpPos
			case *lang.Call:
				pos = e.Func.At
			}
			text := lang.FormatExpr(e)
			if r := []rune(text); len(r) > 40 {
				text = string(r[:37]) + "..."
			}
			l.fail(pos, "the constant %s is %v at d = %d, not a finite number", text, x, l.d)
		}
	}
	return v
}

func (l *lowerer) lowerExpr(e lang.Expr) ir.NodeID {
	g := l.g
	l.depth++
	defer func() { l.depth-- }()
	if l.depth > 10000 {
		l.fail(e.Pos(), "expression nested too deeply")
	}
	switch e := e.(type) {
	case *lang.Number:
		return g.Scalar(e.Value)
	case *lang.Ident:
		return l.ident(e)
	case *lang.Unary:
		x := l.expr(e.X)
		g.SetPos(irPos(e.At))
		if e.Op == '-' {
			return g.Neg(x)
		}
		return x
	case *lang.Binary:
		a := l.expr(e.X)
		b := l.expr(e.Y)
		g.SetPos(irPos(e.OpPos))
		l.checkBroadcast(e, a, b)
		switch e.Op {
		case '+':
			return g.Add(a, b)
		case '-':
			return g.Sub(a, b)
		case '*':
			return g.Mul(a, b)
		case '/':
			return g.Div(a, b)
		case '^':
			if g.IsConst(b) && g.Shape(b).IsScalar() {
				return g.Pow(a, g.ConstValue(b)[0])
			}
			return g.PowE(a, b)
		}
	case *lang.Call:
		return l.call(e)
	case *lang.Index:
		x := l.expr(e.X)
		i := l.intValue(e.Index, "an index")
		n := g.Shape(x).Rows
		if g.Shape(x).Rank != 1 {
			l.fail(e.Lbrack, "only vectors can be indexed; this is a %s", g.Shape(x))
		}
		if i < 0 || i >= n {
			l.fail(e.Index.Pos(), "index %d out of range for a vector of length %d (d = %d); indices start at 0", i, n, l.d)
		}
		g.SetPos(irPos(e.Lbrack))
		return g.Index(x, i)
	case *lang.Slice:
		x := l.expr(e.X)
		if g.Shape(x).Rank != 1 {
			l.fail(e.Lbrack, "only vectors can be sliced; this is a %s", g.Shape(x))
		}
		n := g.Shape(x).Rows
		lo, hi := 0, n
		if e.Lo != nil {
			lo = l.intValue(e.Lo, "a slice bound")
		}
		if e.Hi != nil {
			hi = l.intValue(e.Hi, "a slice bound")
		}
		if lo < 0 || hi > n || lo >= hi {
			l.fail(e.Lbrack, "slice [%d:%d] is empty or out of range for a vector of length %d (d = %d)", lo, hi, n, l.d)
		}
		g.SetPos(irPos(e.Lbrack))
		return g.Slice(x, lo, hi)
	case *lang.List:
		return l.list(e)
	}
	l.fail(e.Pos(), "cannot compile this expression")
	return ir.None
}

func (l *lowerer) checkBroadcast(e *lang.Binary, a, b ir.NodeID) {
	sa, sb := l.g.Shape(a), l.g.Shape(b)
	if sa.IsScalar() || sb.IsScalar() || sa == sb {
		return
	}
	l.fail(e.OpPos, "'%c' combines a %s and a %s at d = %d; the shapes must match (or one be a scalar)", e.Op, sa, sb, l.d)
}

func (l *lowerer) list(e *lang.List) ir.NodeID {
	g := l.g
	var elems []ir.NodeID
	anyScalar := false
	for _, x := range e.Elems {
		v := l.expr(x)
		elems = append(elems, v)
		anyScalar = anyScalar || g.Shape(v).IsScalar()
	}
	if len(elems) == 0 {
		l.fail(e.Lbrack, "empty list")
	}
	if anyScalar {
		g.SetPos(irPos(e.Lbrack))
		return l.concat(e.Elems, elems)
	}
	// A matrix literal: constant rows of equal length.
	cols := g.Shape(elems[0]).Rows
	var vals []float64
	for i, x := range elems {
		if g.Shape(x).Rank != 1 || g.Shape(x).Rows != cols || !g.IsConst(x) {
			l.fail(e.Elems[i].Pos(), "a matrix literal needs constant rows of equal length")
		}
		vals = append(vals, g.ConstValue(x)...)
	}
	return g.Const(ir.Matrix(len(elems), cols), vals)
}

// concat joins scalars and vectors end to end: each run of scalars becomes
// one stacked vector, and the pieces are concatenated.
func (l *lowerer) concat(src []lang.Expr, elems []ir.NodeID) ir.NodeID {
	g := l.g
	var pieces, run []ir.NodeID
	flush := func() {
		if len(run) > 0 {
			pieces = append(pieces, g.Stack(run...))
			run = nil
		}
	}
	for i, x := range elems {
		switch g.Shape(x).Rank {
		case 0:
			run = append(run, x)
		case 1:
			flush()
			pieces = append(pieces, x)
		default:
			l.fail(src[i].Pos(), "only scalars and vectors can be joined; this is a %s", g.Shape(x))
		}
	}
	flush()
	return g.Concat(pieces...)
}

func (l *lowerer) ident(e *lang.Ident) ir.NodeID {
	g := l.g
	obj := l.spec.Model.Uses[e]
	if obj == nil {
		l.fail(e.At, "undefined: %s", e.Name)
	}
	switch obj.Kind {
	case lang.ObjParam:
		return l.params[obj.Param]
	case lang.ObjConst:
		c := obj.Const
		if c.Value != nil && c.Shape.Rank == lang.Scalar {
			return g.Scalar(c.Value[0])
		}
		saved, savedInst := l.env, l.inst
		l.env, l.inst = map[*lang.Object]ir.NodeID{}, nil
		v := l.expr(c.Decl.Value)
		l.env, l.inst = saved, savedInst
		return v
	case lang.ObjArg:
		v, ok := l.env[obj]
		if !ok {
			l.fail(e.At, "%s is not bound here", e.Name)
		}
		return v
	case lang.ObjDim:
		return g.Scalar(float64(l.d))
	case lang.ObjPi:
		return g.Scalar(math.Pi)
	}
	l.fail(e.At, "%s is a function; call it", e.Name)
	return ir.None
}

func (l *lowerer) call(e *lang.Call) ir.NodeID {
	g := l.g
	obj := l.spec.Model.Uses[e.Func]
	if obj == nil {
		l.fail(e.Func.At, "undefined: %s", e.Func.Name)
	}
	if obj.Kind == lang.ObjFn {
		fn := obj.Fn
		args := make([]ir.NodeID, len(e.Args))
		for i, a := range e.Args {
			args[i] = l.expr(a)
		}
		calls := l.spec.Model.Calls
		if l.inst != nil {
			calls = l.inst.Calls
		}
		saved, savedInst := l.env, l.inst
		l.env = map[*lang.Object]ir.NodeID{}
		l.inst = calls[e] // nil outside terms (constants), where mlp is refused
		for i, a := range fn.Args {
			l.env[a] = args[i]
		}
		v := l.expr(fn.Decl.Body)
		l.env, l.inst = saved, savedInst
		return v
	}
	if obj.Kind != lang.ObjBuiltin {
		l.fail(e.Func.At, "%s is not a function", e.Func.Name)
	}
	b := obj.Builtin
	if f := unaryOps[b.Name]; f != nil {
		x := l.expr(e.Args[0])
		g.SetPos(irPos(e.Func.At))
		return f(g, x)
	}
	if f := binaryOps[b.Name]; f != nil {
		a, c := l.expr(e.Args[0]), l.expr(e.Args[1])
		sa, sc := g.Shape(a), g.Shape(c)
		if !sa.IsScalar() && !sc.IsScalar() && sa != sc {
			l.fail(e.Func.At, "%s combines a %s and a %s at d = %d", b.Name, sa, sc, l.d)
		}
		g.SetPos(irPos(e.Func.At))
		return f(g, a, c)
	}
	if f := reduceOps[b.Name]; f != nil {
		x := l.expr(e.Args[0])
		if g.Shape(x).Rank != 1 {
			l.fail(e.Args[0].Pos(), "%s needs a vector; got a %s", b.Name, g.Shape(x))
		}
		g.SetPos(irPos(e.Func.At))
		return f(g, x)
	}
	if f := lowerings[b.Name]; f != nil {
		return f(l, e)
	}
	l.fail(e.Func.At, "cannot compile %s", b.Name)
	return ir.None
}

// The lowering table: each built-in of lang's table (lang/builtins.go) to
// the graph operation that computes it, whose derivative lives with the
// operation in internal/ir. A test checks that every built-in has exactly
// one entry.
var (
	unaryOps = map[string]func(*ir.Graph, ir.NodeID) ir.NodeID{
		"exp": (*ir.Graph).Exp, "log": (*ir.Graph).Log, "sqrt": (*ir.Graph).Sqrt,
		"abs": (*ir.Graph).Abs, "sin": (*ir.Graph).Sin, "cos": (*ir.Graph).Cos,
		"tan": (*ir.Graph).Tan, "tanh": (*ir.Graph).Tanh, "sigmoid": (*ir.Graph).Sigmoid,
		"softplus": (*ir.Graph).Softplus, "relu": (*ir.Graph).Relu,
		"floor": (*ir.Graph).Floor, "ceil": (*ir.Graph).Ceil,
		"sign": (*ir.Graph).Sign, "heaviside": (*ir.Graph).Step,
	}
	binaryOps = map[string]func(*ir.Graph, ir.NodeID, ir.NodeID) ir.NodeID{
		"atan2": (*ir.Graph).Atan2, "min": (*ir.Graph).Min, "max": (*ir.Graph).Max,
	}
	reduceOps = map[string]func(*ir.Graph, ir.NodeID) ir.NodeID{
		"sum": (*ir.Graph).Sum, "mean": (*ir.Graph).Mean, "prod": (*ir.Graph).Prod,
		"norm": (*ir.Graph).Norm, "norm2": (*ir.Graph).Norm2,
		"len": func(g *ir.Graph, x ir.NodeID) ir.NodeID { return g.Scalar(float64(g.Shape(x).Rows)) },
	}
	lowerings map[string]func(*lowerer, *lang.Call) ir.NodeID
)

func init() {
	lowerings = map[string]func(*lowerer, *lang.Call) ir.NodeID{
		"dot": (*lowerer).lowerDot, "monomials": (*lowerer).lowerMonomials,
		"polynomials": (*lowerer).lowerPolynomials, "concat": (*lowerer).lowerConcat,
		"grid": (*lowerer).lowerGrid, "bumps": (*lowerer).lowerBumps, "mlp": (*lowerer).lowerMLP,
	}
}

func (l *lowerer) lowerDot(e *lang.Call) ir.NodeID {
	g := l.g
	u, v := l.expr(e.Args[0]), l.expr(e.Args[1])
	if g.Shape(u) != g.Shape(v) || g.Shape(u).Rank != 1 {
		l.fail(e.Func.At, "dot needs two vectors of equal length; got a %s and a %s at d = %d", g.Shape(u), g.Shape(v), l.d)
	}
	l.labelFeatures(e)
	g.SetPos(irPos(e.Func.At))
	return g.Dot(u, v)
}

func (l *lowerer) lowerMonomials(e *lang.Call) ir.NodeID {
	count := func(n, k int) float64 { return math.Pow(float64(k+1), float64(n)) - 1 }
	return l.lowerBasis(e, count, "(k+1)^n − 1", monomials)
}

func (l *lowerer) lowerPolynomials(e *lang.Call) ir.NodeID {
	return l.lowerBasis(e, polynomialCount, "C(n+k, k) − 1", polynomials)
}

// lowerBasis lowers a feature basis call name(x, k), monomials or
// polynomials: x a vector, k ≥ 1, and at most 100000 features as count
// (written as rule) gives them.
func (l *lowerer) lowerBasis(e *lang.Call, count func(n, k int) float64, rule string, build func(g *ir.Graph, x ir.NodeID, n, k int) ir.NodeID) ir.NodeID {
	g, name := l.g, e.Func.Name
	x := l.expr(e.Args[0])
	k := l.intValue(e.Args[1], "the degree of "+name)
	if g.Shape(x).Rank != 1 {
		l.fail(e.Args[0].Pos(), "%s needs a vector; got a %s", name, g.Shape(x))
	}
	n := g.Shape(x).Rows
	if c := count(n, k); k < 1 || c > 1e5 {
		l.fail(e.Func.At, "%s(x, %d) of a %d-vector has %.0f features; keep %s ≤ 100000", name, k, n, c, rule)
	}
	g.SetPos(irPos(e.Func.At))
	return build(g, x, n, k)
}

func (l *lowerer) lowerConcat(e *lang.Call) ir.NodeID {
	args := make([]ir.NodeID, len(e.Args))
	for i, a := range e.Args {
		args[i] = l.expr(a)
	}
	l.g.SetPos(irPos(e.Func.At))
	return l.concat(e.Args, args)
}

func (l *lowerer) lowerGrid(e *lang.Call) ir.NodeID {
	lo := l.floatValue(e.Args[0], "the lower end of a grid")
	hi := l.floatValue(e.Args[1], "the upper end of a grid")
	n := l.intValue(e.Args[2], "the number of grid points per axis")
	rows := math.Pow(float64(n), float64(l.d))
	if n < 1 || rows > 1e5 {
		l.fail(e.Func.At, "grid with %d points per axis in %d dimensions has %.0f points; keep n^d ≤ 100000", n, l.d, rows)
	}
	return l.g.Const(ir.Matrix(int(rows), l.d), gridPoints(lo, hi, n, l.d))
}

func (l *lowerer) lowerBumps(e *lang.Call) ir.NodeID {
	g := l.g
	x := l.expr(e.Args[0])
	c := l.expr(e.Args[1])
	s := l.expr(e.Args[2])
	if g.Shape(c).Rank != 2 || g.Shape(x).Rank != 1 || g.Shape(c).Cols != g.Shape(x).Rows {
		l.fail(e.Func.At, "bumps needs a vector x and a matrix of centres with len(x) columns; got a %s and a %s", g.Shape(x), g.Shape(c))
	}
	if !g.Shape(s).IsScalar() {
		l.fail(e.Args[2].Pos(), "the width of bumps must be a scalar")
	}
	g.SetPos(irPos(e.Func.At))
	return g.Exp(g.Neg(g.Div(g.SqDist(c, x), s)))
}

func (l *lowerer) lowerMLP(e *lang.Call) ir.NodeID {
	g := l.g
	x := l.expr(e.Args[0])
	if g.Shape(x).Rank != 1 {
		l.fail(e.Args[0].Pos(), "mlp needs a vector input; got a %s", g.Shape(x))
	}
	blk := l.block[e]
	if l.inst != nil {
		blk = l.inst.Blocks[e] // each inlined call has its own block
	}
	if blk == nil {
		l.fail(e.Func.At, "mlp block not found")
	}
	g.SetPos(irPos(e.Func.At))
	out, params := g.MLP(x, blk.Widths, blk.Name)
	l.m.addBlock(blk, params, g)
	return out
}

// monomials builds Π x_i^{e_i} for every exponent tuple with entries in
// 0..k and Σe > 0, the first coordinate varying slowest (the order of
// itertools.product).
func monomials(g *ir.Graph, x ir.NodeID, n, k int) ir.NodeID {
	pows := make([][]ir.NodeID, n)
	for i := 0; i < n; i++ {
		xi := g.Index(x, i)
		pows[i] = make([]ir.NodeID, k+1)
		for e := 0; e <= k; e++ {
			pows[i][e] = g.Pow(xi, float64(e))
		}
	}
	exps := make([]int, n)
	var out []ir.NodeID
	for {
		// Next tuple in lexicographic order, last coordinate fastest.
		i := n - 1
		for i >= 0 && exps[i] == k {
			exps[i] = 0
			i--
		}
		if i < 0 {
			break
		}
		exps[i]++
		term := g.Scalar(1)
		for j, e := range exps {
			if e > 0 {
				term = g.Mul(term, pows[j][e])
			}
		}
		out = append(out, term)
	}
	return g.Stack(out...)
}

// polynomialCount is C(n+k, k) − 1, the number of monomials of total
// degree 1..k in n variables, as a float (it may be huge).
func polynomialCount(n, k int) float64 {
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n+i) / float64(i)
	}
	return math.Round(c) - 1
}

// polynomialExponents calls f with the index tuple i_1 ≤ … ≤ i_j of every
// monomial x[i_1]·…·x[i_j] of total degree j = 1..k, in graded
// lexicographic order: x0, x1, …, x0², x0x1, …, x1², … (the order of
// scikit-learn's PolynomialFeatures without the bias column). prefix is
// the position in the same enumeration of the tuple without its last index
// (−1 at degree 1).
func polynomialExponents(n, k int, f func(idx []int, prefix int)) {
	var level [][]int
	for i := 0; i < n; i++ {
		level = append(level, []int{i})
		f(level[i], -1)
	}
	base := 0 // the position of level[0]
	for j := 2; j <= k; j++ {
		var next [][]int
		for p, t := range level {
			for m := t[len(t)-1]; m < n; m++ {
				nt := append(slices.Clone(t), m)
				next = append(next, nt)
				f(nt, base+p)
			}
		}
		base += len(level)
		level = next
	}
}

// polynomials builds every monomial of total degree 1..k of the entries of
// x in the order of polynomialExponents, each the product of a monomial of
// one degree less and one entry (so the graph shares the products).
func polynomials(g *ir.Graph, x ir.NodeID, n, k int) ir.NodeID {
	xs := make([]ir.NodeID, n)
	for i := range xs {
		xs[i] = g.Index(x, i)
	}
	var out []ir.NodeID
	polynomialExponents(n, k, func(idx []int, prefix int) {
		last := xs[idx[len(idx)-1]]
		if prefix < 0 {
			out = append(out, last)
			return
		}
		out = append(out, g.Mul(out[prefix], last))
	})
	return g.Stack(out...)
}

// gridPoints lists the n^d points of the grid over [lo, hi]^d, the first
// coordinate varying slowest.
func gridPoints(lo, hi float64, n, d int) []float64 {
	axis := make([]float64, n)
	for i := range axis {
		if n == 1 {
			axis[i] = lo
		} else {
			axis[i] = lo + (hi-lo)*float64(i)/float64(n-1)
		}
	}
	total := 1
	for i := 0; i < d; i++ {
		total *= n
	}
	out := make([]float64, 0, total*d)
	idx := make([]int, d)
	for p := 0; p < total; p++ {
		for j := 0; j < d; j++ {
			out = append(out, axis[idx[j]])
		}
		for j := d - 1; j >= 0; j-- {
			idx[j]++
			if idx[j] < n {
				break
			}
			idx[j] = 0
		}
	}
	return out
}

// addBlock registers the hidden weights of a neural block once.
func (m *Model) addBlock(blk *lang.MLPInfo, params []ir.NodeID, g *ir.Graph) {
	if m.blockSeen == nil {
		m.blockSeen = map[*lang.MLPInfo]bool{}
	}
	if m.blockSeen[blk] {
		return
	}
	m.blockSeen[blk] = true
	first := len(m.Params)
	for _, p := range params {
		n := g.Node(p)
		var dims []int
		switch n.Shape.Rank {
		case 1:
			dims = []int{n.Shape.Rows}
		case 2:
			dims = []int{n.Shape.Rows, n.Shape.Cols}
		}
		m.addParam(Param{Name: n.Name, Shape: dims, Lower: math.Inf(-1), Upper: math.Inf(1),
			Init: make([]float64, n.Shape.Size()), Hidden: true, Pos: blk.Call.Func.At}, p)
	}
	m.blocks = append(m.blocks, mlpBlock{info: blk, first: first, count: len(params), nodes: params})
}

type mlpBlock struct {
	info         *lang.MLPInfo
	first, count int // indices into Model.Params
	nodes        []ir.NodeID
}

func (m *Model) addParam(p Param, node ir.NodeID) {
	p.Offset = m.NumParams
	p.Size = 1
	for _, s := range p.Shape {
		p.Size *= s
	}
	m.NumParams += p.Size
	m.Params = append(m.Params, p)
	m.nodes = append(m.nodes, node)
}

// InitTheta returns the initial θ: the spec's initial values (zero where
// none is given), the fitted weights of neural blocks where the spec has
// them, and otherwise Glorot-uniform weights drawn from seed.
func (m *Model) InitTheta(seed uint64) []float64 {
	theta := make([]float64, m.NumParams)
	for _, p := range m.Params {
		copy(theta[p.Offset:], p.Init)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6d6c70))
	for _, b := range m.blocks {
		if vals := m.weightValues(b); vals != nil {
			off := m.Params[b.first].Offset
			copy(theta[off:], vals)
			continue
		}
		init := m.g.InitMLP(b.nodes, rng)
		for i, v := range init {
			copy(theta[m.Params[b.first+i].Offset:], v)
		}
	}
	return theta
}

// weightValues returns the fitted weights of a block from its weights
// declaration, or nil. (Instantiate checks their number.)
func (m *Model) weightValues(b mlpBlock) []float64 {
	w := b.info.Weights
	if w == nil {
		return nil
	}
	vals := weightList(w)
	if len(vals) != m.blockSize(b) {
		return nil
	}
	return vals
}

// blockSize is the number of hidden weights of a block.
func (m *Model) blockSize(b mlpBlock) int {
	total := 0
	for i := 0; i < b.count; i++ {
		total += m.Params[b.first+i].Size
	}
	return total
}

// weightList flattens the numbers of a weights declaration.
func weightList(w *lang.Weights) []float64 {
	var vals []float64
	var collect func(e lang.Expr)
	collect = func(e lang.Expr) {
		switch e := e.(type) {
		case *lang.List:
			for _, x := range e.Elems {
				collect(x)
			}
		case *lang.Number:
			vals = append(vals, e.Value)
		case *lang.Unary:
			before := len(vals)
			collect(e.X)
			if e.Op == '-' {
				for i := before; i < len(vals); i++ {
					vals[i] = -vals[i]
				}
			}
		}
	}
	collect(w.Values)
	return vals
}

// labelFeatures names the entries of a vector parameter dotted with a
// feature library — dot(w, monomials(x, k)) or dot(w, bumps(x, C, s)) — so
// reports can say which feature each coefficient multiplies.
func (l *lowerer) labelFeatures(e *lang.Call) {
	for i := 0; i < 2; i++ {
		id, ok := e.Args[i].(*lang.Ident)
		if !ok {
			continue
		}
		obj := l.spec.Model.Uses[id]
		if obj == nil || obj.Kind != lang.ObjParam {
			continue
		}
		lib, ok := e.Args[1-i].(*lang.Call)
		if !ok {
			continue
		}
		b := l.spec.Model.Uses[lib.Func]
		if b == nil || b.Kind != lang.ObjBuiltin {
			continue
		}
		var labels []string
		switch b.Builtin.Kind {
		case lang.Monomials:
			k := l.intValue(lib.Args[1], "the degree of monomials")
			labels = monomialLabels(l.entryNames(lib.Args[0]), k)
		case lang.Polynomials:
			k := l.intValue(lib.Args[1], "the degree of polynomials")
			labels = polynomialLabels(l.entryNames(lib.Args[0]), k)
		case lang.Bumps:
			c := l.expr(lib.Args[1])
			if !l.g.IsConst(c) {
				continue
			}
			sh := l.g.Shape(c)
			vals := l.g.ConstValue(c)
			for r := 0; r < sh.Rows; r++ {
				parts := make([]string, sh.Cols)
				for j := range parts {
					parts[j] = strconv.FormatFloat(vals[r*sh.Cols+j], 'g', 4, 64)
				}
				labels = append(labels, "bump at ("+strings.Join(parts, ", ")+")")
			}
		}
		if labels != nil {
			if l.m.labels == nil {
				l.m.labels = map[string][]string{}
			}
			l.m.labels[obj.Param.Name] = labels
		}
	}
}

// monomialLabels names the monomials of monomials(v, k) in their order.
func monomialLabels(names []string, k int) []string {
	n := len(names)
	exps := make([]int, n)
	var out []string
	for {
		i := n - 1
		for i >= 0 && exps[i] == k {
			exps[i] = 0
			i--
		}
		if i < 0 {
			return out
		}
		exps[i]++
		var parts []string
		for j, e := range exps {
			switch {
			case e == 1:
				parts = append(parts, names[j])
			case e > 1:
				parts = append(parts, fmt.Sprintf("%s^%d", names[j], e))
			}
		}
		out = append(out, strings.Join(parts, "*"))
	}
}

// polynomialLabels names the monomials of polynomials(v, k) in their
// order: "x[0]", …, "x[0]^2", "x[0]*x[1]", ….
func polynomialLabels(names []string, k int) []string {
	var out []string
	polynomialExponents(len(names), k, func(idx []int, _ int) {
		var parts []string
		for i := 0; i < len(idx); {
			j := i
			for j < len(idx) && idx[j] == idx[i] {
				j++
			}
			if j-i == 1 {
				parts = append(parts, names[idx[i]])
			} else {
				parts = append(parts, fmt.Sprintf("%s^%d", names[idx[i]], j-i))
			}
			i = j
		}
		out = append(out, strings.Join(parts, "*"))
	})
	return out
}

// entryNames names the entries of a vector expression for feature
// labels: "x[0]", "x[1]" for x; for a concatenation such as [x, t] or
// concat(x, t), the names of its parts in order ("x[0]", "x[1]", "t").
func (l *lowerer) entryNames(e lang.Expr) []string {
	var parts []lang.Expr
	switch x := e.(type) {
	case *lang.List:
		parts = x.Elems
	case *lang.Call:
		if o := l.spec.Model.Uses[x.Func]; o != nil && o.Kind == lang.ObjBuiltin && o.Builtin.Kind == lang.Concat {
			parts = x.Args
		}
	}
	var names []string
	if parts != nil {
		for _, p := range parts {
			if l.g.Shape(l.expr(p)).IsScalar() {
				names = append(names, lang.FormatExpr(p))
			} else {
				names = append(names, l.entryNames(p)...)
			}
		}
		return names
	}
	v := lang.FormatExpr(e)
	if _, ok := e.(*lang.Ident); !ok {
		v = "(" + v + ")"
	}
	for i := range l.g.Shape(l.expr(e)).Rows {
		names = append(names, fmt.Sprintf("%s[%d]", v, i))
	}
	return names
}

// FeatureLabel says which feature entry i of the named parameter
// multiplies ("x[0]^2*x[1]", "bump at (-4, 0.444)"), or "" when the spec
// does not make it plain.
func (m *Model) FeatureLabel(param string, i int) string {
	if ls := m.labels[param]; i < len(ls) {
		return ls[i]
	}
	return ""
}
