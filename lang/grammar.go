package lang

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the participle grammar. Its structs are private: the
// parser lowers them into the AST of ast.go at once.

var (
	declParse = participle.MustBuild[gDecl](participle.Lexer(lexDef))
	exprParse = participle.MustBuild[gExpr](participle.Lexer(lexDef))
)

// declKeywords start a declaration; the parser splits the token stream at
// them, so each declaration is parsed (and fails) on its own.
var declKeywords = map[string]bool{
	"import": true, "const": true, "param": true, "fn": true,
	"potential": true, "interaction": true, "internal": true, "weights": true,
}

// keywords are all reserved words of the grammar.
var keywords = map[string]bool{
	"import": true, "const": true, "param": true, "fn": true,
	"potential": true, "interaction": true, "internal": true, "weights": true,
	"in": true,
}

type gName struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

type gDecl struct {
	Import  *gImport  `parser:"  @@"`
	Const   *gConst   `parser:"| @@"`
	Param   *gParam   `parser:"| @@"`
	Fn      *gFn      `parser:"| @@"`
	Term    *gTerm    `parser:"| @@"`
	Weights *gWeights `parser:"| @@"`
}

type gImport struct {
	Pos  lexer.Position
	Path *gString `parser:"'import' @@"`
}

type gString struct {
	Pos   lexer.Position
	Value string `parser:"@String"`
}

type gConst struct {
	Pos   lexer.Position
	Name  *gName `parser:"'const' @@"`
	Value *gExpr `parser:"'=' @@"`
}

type gParam struct {
	Pos   lexer.Position
	Names []*gName `parser:"'param' @@ ( ',' @@ )*"`
	Len   *gLen    `parser:"( '[' @@ ']' )?"`
	Bound *gBound  `parser:"@@?"`
	Init  *gExpr   `parser:"( '=' @@ )?"`
}

type gLen struct {
	Star bool   `parser:"  @'*'"`
	Expr *gExpr `parser:"| @@"`
}

type gBound struct {
	Ge   *gExpr `parser:"  '>=' @@"`
	GeLe *gExpr `parser:"  ( '<=' @@ )?"`
	Le   *gExpr `parser:"| '<=' @@"`
	InLo *gExpr `parser:"| 'in' '[' @@"`
	InHi *gExpr `parser:"  ',' @@ ']'"`
}

type gFn struct {
	Pos    lexer.Position
	Name   *gName   `parser:"'fn' @@"`
	Params []*gName `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	Body   *gExpr   `parser:"'=' @@"`
}

type gTerm struct {
	Pos  lexer.Position
	Kind string   `parser:"@( 'potential' | 'interaction' | 'internal' )"`
	Name *gName   `parser:"@@"`
	Args []*gName `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	Body *gExpr   `parser:"'=' @@"`
}

type gWeights struct {
	Pos    lexer.Position
	Term   *gName `parser:"'weights' @@"`
	Block  *gName `parser:"'.' @@"`
	Values *gExpr `parser:"'=' @@"`
}

// Expressions are flat: operands separated by binary operators, each
// operand a primary (possibly signed) and its subscripts.
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
