package lang

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file holds the participle grammar. Its structs are private: the
// parser lowers them into the AST of ast.go at once.

// Participle parses the declarations; every expression in them is parsed
// by hand (hExpr, through participle's Parseable hook), which also words
// the syntax errors inside expressions. One expression parser serves
// declarations and ParseExpr alike.
var (
	declParser = participle.MustBuild[gDecl](participle.Lexer(lexDef))
	exprParser = participle.MustBuild[gExprRoot](participle.Lexer(lexDef))
)

// gExprRoot is the root of exprParser.
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

type gDecl struct {
	Import  *gImport  `parser:"  @@"`
	Const   *gConst   `parser:"| @@"`
	Param   *gParam   `parser:"| @@"`
	Fn      *gFn      `parser:"| @@"`
	Term    *gTerm    `parser:"| @@"`
	Weights *gWeights `parser:"| @@"`
	Step    *gStep    `parser:"| @@"`
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

type gConst struct {
	Pos   lexer.Position
	Name  *gName `parser:"'const' @@"`
	Value *hExpr `parser:"'=' @@"`
}

type gParam struct {
	Pos   lexer.Position
	Names []*gName `parser:"'param' @@ ( ',' @@ )*"`
	Len   *gLen    `parser:"( '[' @@ ']' )?"`
	Bound *gBound  `parser:"@@?"`
	Init  *hExpr   `parser:"( '=' @@ )?"`
}

type gLen struct {
	Star bool   `parser:"  @'*'"`
	Expr *hExpr `parser:"| @@"`
}

type gBound struct {
	Ge   *hExpr `parser:"  '>=' @@"`
	GeLe *hExpr `parser:"  ( '<=' @@ )?"`
	Le   *hExpr `parser:"| '<=' @@"`
	InLo *hExpr `parser:"| 'in' '[' @@"`
	InHi *hExpr `parser:"  ',' @@ ']'"`
}

type gFn struct {
	Pos    lexer.Position
	Name   *gName   `parser:"'fn' @@"`
	Params []*gName `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	Body   *hExpr   `parser:"'=' @@"`
}

type gTerm struct {
	Pos  lexer.Position
	Kind string   `parser:"@( 'potential' | 'interaction' | 'internal' )"`
	Name *gName   `parser:"@@"`
	Args []*gName `parser:"'(' ( @@ ( ',' @@ )* )? ')'"`
	Body *hExpr   `parser:"'=' @@"`
}

type gWeights struct {
	Pos    lexer.Position
	Term   *gName `parser:"'weights' @@"`
	Block  *gName `parser:"'.' @@"`
	Values *hExpr `parser:"'=' @@"`
}
