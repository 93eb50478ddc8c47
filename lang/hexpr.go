package lang

import (
	"fmt"
	"math"
	"strconv"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// hExpr is an expression parsed by hand, by precedence climbing over
// participle's token stream: participle calls its Parse method where the
// declaration grammar has an expression. It builds the AST with positions
// holding only offsets (lower fills them in), with the errors found on the
// way (keywords used as names, numbers out of range, missing indices)
// deferred to lower.
//
// The precedence is that of docs/language.md: '^' binds tightest and is
// right associative, a prefix sign covers the '^' chain that follows it
// (-x^2 is -(x^2), 2^-1^2 is 2^(-(1^2))), then '*' '/', then '+' '-', all
// left associative; a prefix sign may follow any operator.
//
// On a syntax error it stops at the first token that does not fit and
// returns it as a participle.UnexpectedTokenError (with the token it
// expected, when one), which the parser words (translate).
type hExpr struct {
	X    Expr
	errs []hErr // in source order
}

// hErr is a deferred error: kind is one of the hErr* constants.
type hErr struct {
	off  int
	kind int
	text string // the keyword or number
}

const (
	hErrKeyword = iota
	hErrNumber
	hErrIndex
)

// Parse implements participle.Parseable.
func (h *hExpr) Parse(lex *lexer.PeekingLexer) error {
	if !startsOperand(lex.Peek()) {
		return participle.NextMatch
	}
	hp := hParser{lex: lex, h: h}
	h.X = hp.sum()
	if hp.failed {
		return &participle.UnexpectedTokenError{Unexpected: hp.bad, Expect: hp.want}
	}
	return nil
}

// startsOperand reports whether t can start an operand.
func startsOperand(t *lexer.Token) bool {
	switch t.Type {
	case tNumber, tIdent:
		return true
	case tPunct:
		switch t.Value {
		case "(", "[", "-", "+":
			return true
		}
	}
	return false
}

type hParser struct {
	lex    *lexer.PeekingLexer
	h      *hExpr
	failed bool
	// At the first failure: the token that did not fit and, when one
	// token was expected, which (quoted, as participle writes it).
	bad  lexer.Token
	want string
}

// fail records the first syntax error: t did not fit; expect names the
// one token that would have, quoted, or "<expression>" (or "").
func (hp *hParser) fail(t *lexer.Token, expect string) {
	if !hp.failed {
		hp.failed, hp.bad, hp.want = true, *t, expect
	}
}

// punct reports whether the next token is the punctuation s.
func (hp *hParser) punct(s string) bool {
	t := hp.lex.Peek()
	return t.Type == tPunct && t.Value == s
}

// binop returns the binary operator next in the stream if it is in ops.
func (hp *hParser) binop(ops string) byte {
	t := hp.lex.Peek()
	if t.Type != tPunct || len(t.Value) != 1 {
		return 0
	}
	for i := 0; i < len(ops); i++ {
		if ops[i] == t.Value[0] {
			return ops[i]
		}
	}
	return 0
}

func (hp *hParser) sum() Expr {
	x := hp.product()
	for op := hp.binop("+-"); op != 0 && !hp.failed; op = hp.binop("+-") {
		at := hp.lex.Next().Pos.Offset
		x = &Binary{OpPos: Pos{Offset: at}, Op: op, X: x, Y: hp.product()}
	}
	return x
}

func (hp *hParser) product() Expr {
	x := hp.unary()
	for op := hp.binop("*/"); op != 0 && !hp.failed; op = hp.binop("*/") {
		at := hp.lex.Next().Pos.Offset
		x = &Binary{OpPos: Pos{Offset: at}, Op: op, X: x, Y: hp.unary()}
	}
	return x
}

// unary parses an operand with its prefix signs and the '^' chain after
// it; the signs cover the chain.
func (hp *hParser) unary() Expr {
	var signs []*Unary
	for {
		op := hp.binop("+-")
		if op == 0 {
			break
		}
		signs = append(signs, &Unary{At: Pos{Offset: hp.lex.Next().Pos.Offset}, Op: op})
	}
	x := hp.postfix()
	if !hp.failed && hp.punct("^") {
		at := hp.lex.Next().Pos.Offset
		x = &Binary{OpPos: Pos{Offset: at}, Op: '^', X: x, Y: hp.unary()}
	}
	for i := len(signs) - 1; i >= 0; i-- {
		signs[i].X = x
		x = signs[i]
	}
	return x
}

// expect consumes the punctuation s or fails.
func (hp *hParser) expect(s string) {
	if hp.failed {
		return
	}
	if !hp.punct(s) {
		hp.fail(hp.lex.Peek(), `"`+s+`"`)
		return
	}
	hp.lex.Next()
}

// optExpr parses an expression if one starts here.
func (hp *hParser) optExpr() Expr {
	if hp.failed || !startsOperand(hp.lex.Peek()) {
		return nil
	}
	return hp.sum()
}

// list parses expressions separated by ',' up to the closing bracket
// close (which it consumes).
func (hp *hParser) list(close string) []Expr {
	var xs []Expr
	if x := hp.optExpr(); x != nil {
		xs = append(xs, x)
		for !hp.failed && hp.punct(",") {
			hp.lex.Next()
			if !startsOperand(hp.lex.Peek()) {
				hp.fail(hp.lex.Peek(), "<expression>")
				return nil
			}
			xs = append(xs, hp.sum())
		}
	}
	hp.expect(close)
	return xs
}

func (hp *hParser) postfix() Expr {
	x := hp.primary()
	for !hp.failed && hp.punct("[") {
		at := Pos{Offset: hp.lex.Next().Pos.Offset}
		lo := hp.optExpr()
		if !hp.failed && hp.punct(":") {
			hp.lex.Next()
			hi := hp.optExpr()
			hp.expect("]")
			x = &Slice{X: x, Lo: lo, Hi: hi, Lbrack: at}
			continue
		}
		hp.expect("]")
		if lo == nil {
			hp.h.errs = append(hp.h.errs, hErr{off: at.Offset, kind: hErrIndex})
			lo = &Number{At: at, Text: "0"}
		}
		x = &Index{X: x, Index: lo, Lbrack: at}
	}
	return x
}

func (hp *hParser) primary() Expr {
	if hp.failed {
		return nil
	}
	t := hp.lex.Next()
	at := Pos{Offset: t.Pos.Offset}
	switch t.Type {
	case tNumber:
		v, err := strconv.ParseFloat(t.Value, 64)
		if err != nil || math.IsInf(v, 0) {
			hp.h.errs = append(hp.h.errs, hErr{off: at.Offset, kind: hErrNumber, text: t.Value})
			v = 0
		}
		return &Number{At: at, Value: v, Text: t.Value}
	case tIdent:
		if keywords[t.Value] {
			hp.h.errs = append(hp.h.errs, hErr{off: at.Offset, kind: hErrKeyword, text: t.Value})
		}
		id := &Ident{At: at, Name: t.Value}
		if !hp.punct("(") {
			return id
		}
		hp.lex.Next()
		c := &Call{Func: id, Args: hp.list(")")}
		// As participle's EndPos: just before the token after ')'.
		c.Rparen = Pos{Offset: hp.lex.Peek().Pos.Offset - 1}
		return c
	case tPunct:
		switch t.Value {
		case "(":
			if !startsOperand(hp.lex.Peek()) {
				hp.fail(hp.lex.Peek(), "<expression>")
				return nil
			}
			x := hp.sum()
			hp.expect(")")
			return x
		case "[":
			return &List{Lbrack: at, Elems: hp.list("]")}
		}
	}
	hp.fail(t, "")
	return nil
}

// lower fills in the positions of h's AST and reports its deferred
// errors.
func (h *hExpr) lower(p *parser) Expr {
	if h == nil {
		return nil
	}
	for _, e := range h.errs {
		at := p.s.pos(e.off)
		switch e.kind {
		case hErrKeyword:
			p.errs.Add(at, fmt.Sprintf("'%s' is a keyword and cannot be used as a name", e.text), "")
		case hErrNumber:
			p.errs.Add(at, "number "+e.text+" is out of range", "")
		case hErrIndex:
			p.errs.Add(at, "missing index", "write x[i] or a slice x[i:j]")
		}
	}
	p.fixPos(h.X)
	return h.X
}

// fixPos turns the offsets in the positions of e into full positions.
func (p *parser) fixPos(e Expr) {
	pos := func(q *Pos) { *q = p.s.pos(q.Offset) }
	switch x := e.(type) {
	case *Number:
		pos(&x.At)
	case *Ident:
		pos(&x.At)
	case *Unary:
		pos(&x.At)
		p.fixPos(x.X)
	case *Binary:
		pos(&x.OpPos)
		p.fixPos(x.X)
		p.fixPos(x.Y)
	case *Call:
		pos(&x.Func.At)
		pos(&x.Rparen)
		for _, a := range x.Args {
			p.fixPos(a)
		}
	case *Index:
		pos(&x.Lbrack)
		p.fixPos(x.X)
		p.fixPos(x.Index)
	case *Slice:
		pos(&x.Lbrack)
		p.fixPos(x.X)
		if x.Lo != nil {
			p.fixPos(x.Lo)
		}
		if x.Hi != nil {
			p.fixPos(x.Hi)
		}
	case *List:
		pos(&x.Lbrack)
		for _, el := range x.Elems {
			p.fixPos(el)
		}
	}
}
