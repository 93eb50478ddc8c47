// Package lang is the front end of jko: it reads the energy language of
// docs/language.md, lowers it into its own positioned AST (ast.go), checks
// it into a resolved Model (names bound, every expression given a Shape)
// and prints it back in canonical form.
//
// The pipeline mirrors Go's own tools:
//
//	ParseFile / ParseExpr   text → *File / Expr        (go/parser)
//	Check                   *File → *Model             (go/types)
//	Format / FormatExpr     *File → canonical text     (go/format)
//
// All failures are reported as an ErrorList: every entry carries a
// position (file:line:column), a message and, when there is something
// useful to say, a hint. ErrorList.Format renders them with the source line
// and a caret.
//
// The checker is laid out as go/types is: check.go (Check and the Model
// it returns), object.go (what names refer to), importer.go (the
// Importer: with readfile.go, the only code that reads files or the
// standard library), resolver.go (the checker's state, imports, declared
// names), decl.go (declarations), expr.go (shapes of expressions), call.go
// (calls, with the shape rules of the built-ins of builtins.go) and
// const.go (constant folding, with the scalar functions of lang/scalar).
//
// Lengths of vectors may depend on the dimension d of x, which is unknown
// until compile time. They are kept as small symbolic forms (Len) that can
// be printed ("10^d") and evaluated (Len.Eval). Check decides everything
// that does not depend on d; Model.CheckDim verifies the rest for a
// concrete d.
package lang
