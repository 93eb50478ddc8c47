package lang

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the participle grammar. Its structs are private: the
// parser lowers them into the AST of ast.go at once.

// Two parsers share the declaration grammar. The fast one parses
// expressions by hand (hExpr, through participle's Parseable hook); when it
// fails, the declaration is parsed again with the flat expression grammar
// (gExpr) below, whose errors are the ones reported. Either result lowers
// to the same AST.
var (
	declFast  = participle.MustBuild[gDecl[*hExpr]](participle.Lexer(lexDef))
	declParse = participle.MustBuild[gDecl[*gExpr]](participle.Lexer(lexDef))
	exprFast  = participle.MustBuild[gExprRoot](participle.Lexer(lexDef))
	exprParse = participle.MustBuild[gExpr](participle.Lexer(lexDef))
)

// gExprT is an expression of the declaration grammar: *hExpr or *gExpr.
type gExprT interface {
	*hExpr | *gExpr
	// lower returns the AST of the expression, or nil for a nil receiver.
	lower(p *parser) Expr
}

// gExprRoot is the root of exprFast.
type gExprRoot struct {
	X *hExpr `parser:"@@"`
}

// declKeywords start a declaration; the parser splits the token stream at
// them, so each declaration is parsed (and fails) on its own.
var declKeywords = map[string]bool{
	"import": true, "const": true, "param": true, "fn": true,
	"potential": true, "interaction": true, "internal": true, "weights": true,
	"step": true,
}

// keywords are all reserved words of the grammar.
var keywords = map[string]bool{
	"import": true, "const": true, "param": true, "fn": true,
	"potential": true, "interaction": true, "internal": true, "weights": true,
	"step": true, "in": true,
}

type gName struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

type gDecl[E gExprT] struct {
	Import  *gImport     `parser:"  @@"`
	Const   *gConst[E]   `parser:"| @@"`
	Param   *gParam[E]   `parser:"| @@"`
	Fn      *gFn[E]      `parser:"| @@"`
	Term    *gTerm[E]    `parser:"| @@"`
	Weights *gWeights[E] `parser:"| @@"`
	Step    *gStep       `parser:"| @@"`
}

type gStep struct {
	Pos  lexer.Position
	Kind *gName `parser:"'step' @@"`
}

type gImport struct {
	Pos  lexer.Position
	Path *gString `parser:"'import' @@"`
}

type gString struct {
	Pos   lexer.Position
	Value string `parser:"@String"`
}

type gConst[E gExprT] struct {
	Pos   lexer.Position
	Name  *gName `parser:"'const' @@"`
	Value E      `parser:"'=' @@"`
}

type gParam[E gExprT] struct {
	Pos   lexer.Position
	Names []*gName   `parser:"'param' @@ ( ',' @@ )*"`
	Len   *gLen[E]   `parser:"( '[' @@ ']' )?"`
	Bound *gBound[E] `parser:"@@?"`
	Init  E          `parser:"( '=' @@ )?"`
}

type gLen[E gExprT] struct {
	Star bool `parser:"  @'*'"`
	Expr E    `parser:"| @@"`
}

type gBound[E gExprT] struct {
	Ge   E `parser:"  '>=' @@"`
	GeLe E `parser:"  ( '<=' @@ )?"`
	Le   E `parser:"| '<=' @@"`
	InLo E `parser:"| 'in' '[' @@"`
	InHi E `parser:"  ',' @@ ']'"`
}

type gFn[E gExprT] struct {
	Pos    lexer.Position
	Name   *gName   `parser:"'fn' @@"`
	Params []*gName `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	Body   E        `parser:"'=' @@"`
}

type gTerm[E gExprT] struct {
	Pos  lexer.Position
	Kind string   `parser:"@( 'potential' | 'interaction' | 'internal' )"`
	Name *gName   `parser:"@@"`
	Args []*gName `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	Body E        `parser:"'=' @@"`
}

type gWeights[E gExprT] struct {
	Pos    lexer.Position
	Term   *gName `parser:"'weights' @@"`
	Block  *gName `parser:"'.' @@"`
	Values E      `parser:"'=' @@"`
}

// The expression grammar of the error path (hExpr parses the same language
// by hand). Expressions are flat: operands separated by binary operators,
// each operand a primary (possibly signed) and its subscripts.
//
//	Expr    = Operand { ("+"|"-"|"*"|"/"|"^") Operand }
//	Operand = Primary { "[" [Expr] [":" [Expr]] "]" }
//	Primary = Number | Name [ "(" Args ")" ] | "(" Expr ")" | "[" Elems "]"
//	        | ("-"|"+") Operand
//
// This accepts the same language as the layered grammar of docs/language.md
// (a prefix sign may follow any operator) and is much cheaper for
// participle. The lowering into the AST applies the precedence: '^' binds
// tightest and is right associative, a prefix sign covers the '^' chain that
// follows it (-x^2 is -(x^2), 2^-1^2 is 2^(-(1^2))), then '*' '/', then
// '+' '-', all left associative.
type gExpr struct {
	Left *gOperand `parser:"@@"`
	Rest []*gBinOp `parser:"@@*"`
}

type gBinOp struct {
	Pos lexer.Position
	Op  string    `parser:"@( '+' | '-' | '*' | '/' | '^' )"`
	Y   *gOperand `parser:"@@"`
}

type gOperand struct {
	X   *gPrimary `parser:"@@"`
	Sub []*gSub   `parser:"@@*"`
}

type gSigned struct {
	Pos lexer.Position
	Op  string    `parser:"@( '-' | '+' )"`
	X   *gOperand `parser:"@@"`
}

type gSub struct {
	Pos   lexer.Position
	Lo    *gExpr `parser:"'[' @@?"`
	Colon bool   `parser:"( @':'"`
	Hi    *gExpr `parser:"  @@? )? ']'"`
}

type gPrimary struct {
	Pos    lexer.Position
	Number *string  `parser:"  @Number"`
	Name   *gName   `parser:"| ( @@"`
	Call   *gArgs   `parser:"    @@? )"`
	Paren  *gExpr   `parser:"| '(' @@ ')'"`
	List   *gList   `parser:"| @@"`
	Signed *gSigned `parser:"| @@"`
}

type gArgs struct {
	Args   []*gExpr `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	EndPos lexer.Position
}

type gList struct {
	Pos   lexer.Position
	Elems []*gExpr `parser:"'[' ( @@ ( ',' @@ )* )? ']'"`
}
