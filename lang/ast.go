package lang

// Node is any node of the AST.
type Node interface {
	// Pos returns the position of the node's first character.
	Pos() Pos
}

// Expr is an expression node: *Number, *Ident, *Unary, *Binary, *Call,
// *Index, *Slice or *List. Parentheses are not kept; the printer puts them
// back where precedence needs them.
type Expr interface {
	Node
	exprNode()
}

// Decl is a declaration node: *Import, *Const, *Param, *Fn, *Term or
// *Weights.
type Decl interface {
	Node
	// Meta returns the declaration's comments and layout, for reading or
	// modification.
	Meta() *DeclMeta
	declNode()
}

// Comment is one "# ..." comment. Text includes the leading '#'.
type Comment struct {
	At   Pos
	Text string
	// OwnLine reports a comment alone on its line (no code before it),
	// for the printer's placement of Interior comments.
	OwnLine bool
}

// Pos returns the position of the '#'.
func (c *Comment) Pos() Pos { return c.At }

// CommentGroup is a run of comment lines with no blank line between them.
type CommentGroup struct {
	List []*Comment
}

// Pos returns the position of the first comment.
func (g *CommentGroup) Pos() Pos {
	if g == nil || len(g.List) == 0 {
		return Pos{}
	}
	return g.List[0].At
}

// NewCommentGroup builds a comment group from lines of text; a leading "#"
// is added to each line that lacks one.
func NewCommentGroup(lines ...string) *CommentGroup {
	g := &CommentGroup{}
	for _, l := range lines {
		if len(l) == 0 || l[0] != '#' {
			l = "# " + l
		}
		g.List = append(g.List, &Comment{Text: l})
	}
	return g
}

// DeclMeta is what every declaration carries besides its content: the
// comment lines directly above it (Doc), a comment on the same line after
// it (Comment), and whether a blank line separates it from what precedes it.
type DeclMeta struct {
	Doc     *CommentGroup
	Comment *Comment
	// Interior holds the comments on the lines of a declaration that
	// spans several, before its last line, in source order. The printer
	// keeps each on the line of what it annotates (see Format).
	Interior    []*Comment
	BlankBefore bool
}

// Meta returns m itself; it lets every declaration satisfy Decl.
func (m *DeclMeta) Meta() *DeclMeta { return m }

// File is a parsed spec file.
type File struct {
	Filename string
	Decls    []Decl
	// Comments holds the comment groups that belong to no declaration
	// (separated from the next one by a blank line, or at the end of the
	// file), in source order. The printer
	// puts each one before the first declaration that starts after it
	// (a group without a position goes at the top: use that for a header)
	// and follows it by a blank line.
	Comments []*CommentGroup
}

// Pos returns the position of the first declaration (or 1:1).
func (f *File) Pos() Pos {
	if len(f.Decls) > 0 {
		return f.Decls[0].Pos()
	}
	return Pos{Filename: f.Filename, Line: 1, Column: 1}
}

// Ident is a name. In declarations it names the declared thing; in
// expressions it refers to something the checker resolves (Model.Uses).
type Ident struct {
	At   Pos
	Name string
}

// Number is a numeric literal. Text is the literal as written (empty for a
// synthesized number, which prints as the shortest round-trip form of
// Value).
type Number struct {
	At    Pos
	Value float64
	Text  string
}

// Unary is a prefix operator: Op is '-' or '+'.
type Unary struct {
	At Pos
	Op byte
	X  Expr
}

// Binary is X Op Y with Op one of '+', '-', '*', '/', '^'. OpPos is the
// position of the operator.
type Binary struct {
	OpPos Pos
	Op    byte
	X, Y  Expr
}

// Call is Func(Args...): a built-in or a user function.
type Call struct {
	Func *Ident
	Args []Expr
	// Rparen is the position of the closing parenthesis.
	Rparen Pos
}

// Index is X[Index].
type Index struct {
	X     Expr
	Index Expr
	// Lbrack is the position of '['.
	Lbrack Pos
}

// Slice is X[Lo:Hi]; Lo and Hi may be nil (from the start, to the end).
type Slice struct {
	X      Expr
	Lo, Hi Expr
	Lbrack Pos
}

// List is a vector literal [a, b, c] or, when its elements are lists, a
// matrix literal [[1, 2], [3, 4]].
type List struct {
	Lbrack Pos
	Elems  []Expr
}

func (x *Ident) Pos() Pos  { return x.At }
func (x *Number) Pos() Pos { return x.At }
func (x *Unary) Pos() Pos  { return x.At }
func (x *Binary) Pos() Pos { return x.X.Pos() }
func (x *Call) Pos() Pos   { return x.Func.At }
func (x *Index) Pos() Pos  { return x.X.Pos() }
func (x *Slice) Pos() Pos  { return x.X.Pos() }
func (x *List) Pos() Pos   { return x.Lbrack }

func (*Ident) exprNode()  {}
func (*Number) exprNode() {}
func (*Unary) exprNode()  {}
func (*Binary) exprNode() {}
func (*Call) exprNode()   {}
func (*Index) exprNode()  {}
func (*Slice) exprNode()  {}
func (*List) exprNode()   {}

// Import is `import "path"`.
type Import struct {
	DeclMeta
	At   Pos
	Path string
	// PathPos is the position of the string literal.
	PathPos Pos
}

// Const is `const Name = Value`.
type Const struct {
	DeclMeta
	At    Pos
	Name  *Ident
	Value Expr
}

// Param declares learnable parameters:
//
//	param a, b               scalars
//	param w[3]               vectors of length 3 (any integer expression of d)
//	param w[*]               length inferred from the use
//	param beta >= 0 = 0.1    bounds and initial value
//
// Star is set for [*]; otherwise Length is nil for a scalar. Lower and
// Upper are nil when unbounded; Init is nil for the default 0.
type Param struct {
	DeclMeta
	At     Pos
	Names  []*Ident
	Star   bool
	Length Expr
	Lower  Expr
	Upper  Expr
	Init   Expr
}

// Fn is `fn Name(Params) = Body`, a user function inlined at each call.
type Fn struct {
	DeclMeta
	At     Pos
	Name   *Ident
	Params []*Ident
	Body   Expr
}

// TermKind says which part of the energy a term is.
type TermKind int

// The kinds of terms.
const (
	Potential TermKind = iota
	Interaction
	Internal
)

// String returns the keyword of the kind.
func (k TermKind) String() string {
	switch k {
	case Potential:
		return "potential"
	case Interaction:
		return "interaction"
	case Internal:
		return "internal"
	}
	return "term?"
}

// Term is `potential V(x) = ...`, `interaction U(z) = ...` or
// `internal f(rho) = ...`.
type Term struct {
	DeclMeta
	At   Pos
	Kind TermKind
	Name *Ident
	Args []*Ident
	Body Expr
}

// Weights is `weights V.mlp = [...]`: fitted hidden weights of a neural
// block. Name is the full dotted name ("V.mlp").
type Weights struct {
	DeclMeta
	At      Pos
	Name    string
	NamePos Pos
	Values  Expr
}

// Step is `step explicit` or `step implicit`: how the model's dynamics
// advance over one time step τ. The implicit step is the JKO step
// y = x + τ·drift(y) (what iJKOnet fits, and JKOnet* with the drift at y);
// the explicit one is Euler's x + τ·drift(x). A spec without it is
// explicit.
type Step struct {
	DeclMeta
	At Pos
	// Kind is the word after step, as written ("explicit" or "implicit"
	// once checked); KindPos is its position.
	Kind    string
	KindPos Pos
}

func (d *Import) Pos() Pos  { return d.At }
func (d *Const) Pos() Pos   { return d.At }
func (d *Param) Pos() Pos   { return d.At }
func (d *Fn) Pos() Pos      { return d.At }
func (d *Term) Pos() Pos    { return d.At }
func (d *Weights) Pos() Pos { return d.At }
func (d *Step) Pos() Pos    { return d.At }

func (*Import) declNode()  {}
func (*Const) declNode()   {}
func (*Param) declNode()   {}
func (*Fn) declNode()      {}
func (*Term) declNode()    {}
func (*Weights) declNode() {}
func (*Step) declNode()    {}

// newIdent returns an identifier without a position.
func newIdent(name string) *Ident { return &Ident{Name: name} }

// NumberLit returns a synthesized number literal that prints as the
// shortest text that reads back as exactly v (strconv 'g', -1). A negative
// v prints with a leading minus, parenthesized where precedence needs it;
// it reads back as a negation of a positive literal.
func NumberLit(v float64) *Number { return &Number{Value: v} }

// VectorLit returns a list literal of synthesized numbers.
func VectorLit(vs []float64) *List {
	l := &List{Elems: make([]Expr, len(vs))}
	for i, v := range vs {
		l.Elems[i] = NumberLit(v)
	}
	return l
}

// Walk calls fn for e and every sub-expression of e, in depth-first
// pre-order; when fn returns false the children of that node are skipped.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch x := e.(type) {
	case *Unary:
		Walk(x.X, fn)
	case *Binary:
		Walk(x.X, fn)
		Walk(x.Y, fn)
	case *Call:
		Walk(x.Func, fn)
		for _, a := range x.Args {
			Walk(a, fn)
		}
	case *Index:
		Walk(x.X, fn)
		Walk(x.Index, fn)
	case *Slice:
		Walk(x.X, fn)
		if x.Lo != nil {
			Walk(x.Lo, fn)
		}
		if x.Hi != nil {
			Walk(x.Hi, fn)
		}
	case *List:
		for _, el := range x.Elems {
			Walk(el, fn)
		}
	}
}
