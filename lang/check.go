package lang

// This file holds the checker's API: Check, and the Model it returns.

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// ParamInfo is a checked parameter (one per declared name).
type ParamInfo struct {
	Name  string
	Ident *Ident
	Decl  *Param
	// Shape is scalarShape or a vector; the vector length of a [*]
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
	// Blocks holds the neural block of every mlp call in the body at this
	// call: each inlined call of a function holding mlp(...) is a block of
	// its own (V.mlp, V.mlp2, …).
	Blocks map[*Call]*MLPInfo
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

// constraint is a condition that depends on d, verified by CheckDim.
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

// CheckDim verifies, for a concrete dimension d, every condition the
// checker could not decide without it (lengths that depend on d, index
// ranges) and that every parameter length is known and positive.
func (m *Model) CheckDim(d int) error {
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

// Check resolves and checks a parsed spec with its imports. The error,
// if any, is an ErrorList holding every problem found, sorted by position;
// the Model is returned even then, for tools that want partial results.
func Check(f *File, imp Importer) (*Model, error) {
	return check(f, imp, false)
}

// CheckLibrary is Check for a spec meant only to be imported: it may
// declare no term. (Check accepts a file without terms when it declares
// functions, such as stdlib/halves.jko; CheckLibrary also accepts one of
// constants only.)
func CheckLibrary(f *File, imp Importer) (*Model, error) {
	return check(f, imp, true)
}
