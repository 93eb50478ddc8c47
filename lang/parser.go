package lang

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// MaxFileSize is the largest spec ParseFile accepts and ReadSpecFile
// reads, in bytes (16 MiB: a spec is a page of text).
const MaxFileSize = 16 << 20

// MaxNesting is the deepest nesting of brackets, '^' chains (a^b^c nests
// to the right) and prefix signs an expression may have, together. It
// keeps the recursion of every later pass (checking, lowering, printing)
// far from the stack's limit.
const MaxNesting = 500

// source is a file being parsed: its text and where its lines start.
type source struct {
	name  string
	src   []byte
	lines []int // byte offset of the start of each line
}

func newSource(name string, src []byte) *source {
	s := &source{name: name, src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// pos converts a byte offset into a position.
func (s *source) pos(off int) Pos {
	if off > len(s.src) {
		off = len(s.src)
	}
	i := sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off }) - 1
	return Pos{Filename: s.name, Offset: off, Line: i + 1, Column: off - s.lines[i] + 1}
}

// sliceLexer feeds a slice of tokens to participle, then an EOF token.
type sliceLexer struct {
	toks []lexer.Token
	i    int
	eof  lexer.Token
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	if l.i < len(l.toks) {
		l.i++
		return l.toks[l.i-1], nil
	}
	return l.eof, nil
}

// parser holds the state of one ParseFile or ParseExpr call.
type parser struct {
	s    *source
	toks []lexer.Token // without white space and comments
	coms []lexer.Token
	errs ErrorList
}

func (p *parser) errorf(off int, hint, format string, args ...any) {
	p.errs.Add(p.s.pos(off), fmt.Sprintf(format, args...), hint)
}

// precheck rejects input the lexer must never see: oversized files,
// invalid UTF-8 and NUL bytes. It reports at most one error.
func (p *parser) precheck() bool {
	src := p.s.src
	if len(src) > MaxFileSize {
		p.errorf(0, "", "file too large (%d bytes; the limit is %d)", len(src), MaxFileSize)
		return false
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		if j := firstInvalidUTF8(src[:i]); j >= 0 {
			i = j
		} else {
			p.errorf(i, "", "NUL byte in source")
			return false
		}
	}
	if i := firstInvalidUTF8(src); i >= 0 {
		p.errorf(i, "save the file as UTF-8", "invalid UTF-8 encoding")
		return false
	}
	return true
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// lex tokenizes the source and reports bad characters, unterminated
// strings and malformed numbers.
func (p *parser) lex() bool {
	p.toks, p.coms = scan(p.s.name, string(p.s.src))
	ok := true
	for _, t := range p.toks {
		switch t.Type {
		case tBadStr:
			p.errorf(t.Pos.Offset, "close the string with '\"' on the same line", "unterminated string")
			ok = false
		case tBad:
			p.errorf(t.Pos.Offset, badCharHint(t.Value), "unexpected %s", quoteTok(t.Value))
			ok = false
		case tString:
			if i, r := unprintable(t.Value); i >= 0 {
				what := "unprintable"
				if unicode.IsControl(r) {
					what = "control"
				}
				p.errorf(t.Pos.Offset+i, "the language has no escape sequences: a string holds printable characters only",
					"%s character %U in string", what, r)
				ok = false
			}
		}
		if len(p.errs) >= 10 {
			break
		}
	}
	return ok
}

// unprintable returns the offset and value of the first character of s
// that a string literal may not hold, or -1: anything strconv.IsPrint
// rejects (control characters, tabs, invisible formatting characters). As
// the language has no escapes, the printer could not write it back.
func unprintable(s string) (int, rune) {
	for i, r := range s {
		if !strconv.IsPrint(r) {
			return i, r
		}
	}
	return -1, 0
}

func badCharHint(s string) string {
	switch s {
	case "−", "–", "—":
		return "use the ASCII minus sign '-'"
	case "×", "·":
		return "use '*' for multiplication"
	case "'":
		return "strings are written with double quotes"
	case "{", "}":
		return "vectors are written with square brackets: [a, b]"
	case ";":
		return "declarations need no separator; start each with its keyword"
	}
	r, _ := utf8.DecodeRuneInString(s)
	if r >= 0x80 {
		return "names are ASCII letters, digits and '_'"
	}
	return ""
}

func quoteTok(s string) string {
	if r := []rune(s); len(r) > 24 {
		s = string(r[:20]) + "…"
	}
	if strings.ContainsRune(s, '\'') {
		return `"` + s + `"`
	}
	return "'" + s + "'"
}

// describe names a token for a message.
func describe(t lexer.Token) string {
	switch {
	case t.EOF():
		return "end of file"
	case t.Type == tString:
		return "string " + t.Value
	case t.Type == tNumber:
		return "number " + t.Value
	case t.Type == tIdent && keywords[t.Value]:
		return "keyword '" + t.Value + "'"
	}
	return quoteTok(t.Value)
}

var closing = map[string]string{"(": ")", "[": "]"}

// brackets checks that brackets match within each declaration and that
// nothing nests deeper than MaxNesting. It returns, per token, whether the
// declaration that holds it is well bracketed (bad[i] is true otherwise).
func (p *parser) brackets(pieces [][2]int) []bool {
	bad := make([]bool, len(pieces))
	for k, pc := range pieces {
		type open struct {
			val string
			off int
		}
		var stack []open
		// chain[i] counts the '^' of the chain being read at bracket level
		// i (a^b^c nests to the right), and signs the prefix signs in a
		// row (- - x): both nest like brackets, while operators that
		// start a new operand at the same level (x^2 + y^2) do not.
		chain := []int{0}
		chains, signs := 0, 0
		afterOperand := false
	scan:
		for _, t := range p.toks[pc[0]:pc[1]] {
			wasOperand := afterOperand
			afterOperand = t.Type == tIdent || t.Type == tNumber || t.Type == tString
			if t.Type != tPunct {
				signs = 0
				continue
			}
			switch t.Value {
			case "(", "[":
				stack = append(stack, open{t.Value, t.Pos.Offset})
				chain = append(chain, 0)
			case ")", "]":
				if len(stack) == 0 {
					p.errorf(t.Pos.Offset, "", "unexpected %s", quoteTok(t.Value))
					bad[k] = true
					break scan
				}
				top := stack[len(stack)-1]
				if closing[top.val] != t.Value {
					p.errorf(t.Pos.Offset, "", "expected '%s' to close '%s' opened at %s, found %s",
						closing[top.val], top.val, lineCol(p.s.pos(top.off)), quoteTok(t.Value))
					bad[k] = true
					break scan
				}
				stack = stack[:len(stack)-1]
				chains -= chain[len(chain)-1]
				chain = chain[:len(chain)-1]
				afterOperand = true
			case "^":
				chain[len(chain)-1]++
				chains++
			case "-", "+":
				if !wasOperand {
					signs++
					break
				}
				fallthrough
			default: // a binary operator, ',', ':', '=', ...: a new operand
				chains -= chain[len(chain)-1]
				chain[len(chain)-1] = 0
			}
			if (t.Value != "-" && t.Value != "+") || wasOperand {
				signs = 0
			}
			if len(stack)+chains+signs > MaxNesting {
				p.errorf(t.Pos.Offset, fmt.Sprintf("brackets, '^' chains (a^b^c) and prefix signs may nest %d deep", MaxNesting), "expression nested too deeply")
				bad[k] = true
				break scan
			}
		}
		if !bad[k] && len(stack) > 0 {
			top := stack[len(stack)-1]
			end, what := p.endOfTokens(), "end of file"
			if pc[1] < len(p.toks) {
				end, what = p.toks[pc[1]].Pos.Offset, describe(p.toks[pc[1]])
			}
			p.errorf(end, "", "expected '%s' to close '%s' opened at %s, found %s",
				closing[top.val], top.val, lineCol(p.s.pos(top.off)), what)
			bad[k] = true
		}
	}
	return bad
}

// endOfTokens is the offset just past the last token: where "end of file"
// errors point, so the caret lands on a line with text.
func (p *parser) endOfTokens() int {
	if len(p.toks) == 0 {
		return 0
	}
	t := p.toks[len(p.toks)-1]
	return t.Pos.Offset + len(t.Value)
}

func lineCol(p Pos) string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// precededBy reports whether the token before tok in piece is value.
func precededBy(piece []lexer.Token, tok lexer.Token, value string) bool {
	for i, t := range piece {
		if t.Pos.Offset == tok.Pos.Offset {
			return i > 0 && piece[i-1].Value == value
		}
	}
	return false
}

var expectRE = regexp.MustCompile(`\(expected (.*)\)$`)

// translate turns a participle error into an Error in the language's own
// words: "unexpected X" and, when the grammar expected one token, which.
func (p *parser) translate(err error, piece []lexer.Token, eof lexer.Token) {
	var perr participle.Error
	if !errors.As(err, &perr) {
		p.errorf(eof.Pos.Offset, "", "syntax error")
		return
	}
	off := perr.Position().Offset
	tok := eof
	for _, t := range piece {
		if t.Pos.Offset == off {
			tok = t
			break
		}
	}
	var ut *participle.UnexpectedTokenError
	what := describe(tok)
	if tok.EOF() && eof.Value != "" {
		what = describe(lexer.Token{Type: tIdent, Value: eof.Value})
	}
	msg := "unexpected " + what
	hint := ""
	if errors.As(err, &ut) {
		if m := expectRE.FindStringSubmatch(ut.Message()); m != nil {
			switch e := m[1]; {
			case e == "<ident>":
				msg += "; expected a name"
			case e == "<string>":
				msg += "; expected a string"
			case e == "<expression>":
				msg += "; expected an expression"
			case len(e) >= 3 && (e[0] == '"' || e[0] == '\'') && e[len(e)-1] == e[0] && !strings.ContainsAny(e[1:len(e)-1], `"' `):
				msg += "; expected '" + e[1:len(e)-1] + "'"
			}
		}
	}
	if !strings.Contains(msg, ";") {
		for i, t := range piece {
			if t.Pos.Offset == tok.Pos.Offset || (tok.EOF() && i == len(piece)-1) {
				j := i - 1
				if tok.EOF() {
					j = i
				}
				if j >= 0 && piece[j].Type == tPunct && strings.Contains(" + - * / ^ = >= <= ", " "+piece[j].Value+" ") {
					msg += "; expected an expression"
				}
				break
			}
		}
	}
	if tok.Type == tIdent && keywords[tok.Value] && tok.Value != "in" {
		hint = "'" + tok.Value + "' is a keyword and starts a new declaration"
	}
	if tok.Pos.Column == 1 && !tok.EOF() && !keywords[tok.Value] {
		hint = "declarations start with import, const, param, fn, potential, interaction, internal or weights"
	}
	if len(piece) > 0 {
		if piece[0].Value == "param" && tok.Value == "(" {
			hint = "parameters are declared without arguments: param a, b"
		}
		if piece[0].Value == "param" && tok.Value == "," && precededBy(piece, tok, "]") {
			hint = "a length follows the last name and applies to every name of the line (param a, b[*] declares two vectors); give vectors of different lengths a line each"
		}
	}
	p.errs.Add(p.s.pos(tok.Pos.Offset), msg, hint)
}

// ParseFile parses a spec. On failure the error is an ErrorList (the
// returned *File then holds the declarations that did parse).
func ParseFile(filename string, src []byte) (*File, error) {
	p := &parser{s: newSource(filename, src)}
	f := &File{Filename: filename}
	if !p.precheck() || !p.lex() {
		p.errs.Sort()
		return f, p.errs
	}
	// Split the tokens at declaration keywords.
	var pieces [][2]int
	start := 0
	for i, t := range p.toks {
		if t.Type == tIdent && declKeywords[t.Value] && i > start {
			pieces = append(pieces, [2]int{start, i})
			start = i
		}
	}
	if start < len(p.toks) {
		pieces = append(pieces, [2]int{start, len(p.toks)})
	}
	bad := p.brackets(pieces)
	var ends []int // offset just past the last token of each decl
	for k, pc := range pieces {
		if bad[k] {
			continue
		}
		toks := p.toks[pc[0]:pc[1]]
		if toks[0].Type != tIdent || !declKeywords[toks[0].Value] {
			p.errs.Add(p.s.pos(toks[0].Pos.Offset),
				"expected a declaration, found "+describe(toks[0]),
				"declarations start with import, const, param, fn, potential, interaction, internal or weights")
			continue
		}
		eof := lexer.EOFToken(lexer.Position{Offset: p.endOfTokens()})
		if pc[1] < len(p.toks) {
			eof.Pos = p.toks[pc[1]].Pos
			eof.Value = p.toks[pc[1]].Value
		}
		g, err := declParser.ParseFromLexer(mustUpgrade(&sliceLexer{toks: toks, eof: eof}))
		if err != nil {
			p.translate(err, toks, eof)
			continue
		}
		d := lowerDecl(p, g)
		if d != nil {
			f.Decls = append(f.Decls, d)
			last := toks[len(toks)-1]
			ends = append(ends, last.Pos.Offset+len(last.Value))
		}
	}
	p.attachComments(f, ends)
	if len(p.errs) > 0 {
		p.errs.Sort()
		return f, p.errs
	}
	return f, nil
}

func mustUpgrade(l lexer.Lexer) *lexer.PeekingLexer {
	pl, err := lexer.Upgrade(l)
	if err != nil { // Upgrade only fails when the lexer does
		panic(err)
	}
	return pl
}

// ParseExpr parses a single expression. On failure the error is an
// ErrorList.
func ParseExpr(src string) (Expr, error) {
	p := &parser{s: newSource("", []byte(src))}
	if !p.precheck() || !p.lex() {
		return nil, p.errs
	}
	if len(p.toks) == 0 {
		p.errorf(0, "", "empty expression")
		return nil, p.errs
	}
	pieces := [][2]int{{0, len(p.toks)}}
	if p.brackets(pieces)[0] {
		return nil, p.errs
	}
	eof := lexer.EOFToken(lexer.Position{Offset: p.endOfTokens()})
	g, err := exprParser.ParseFromLexer(mustUpgrade(&sliceLexer{toks: p.toks, eof: eof}))
	if err != nil {
		p.translate(err, p.toks, eof)
		return nil, p.errs
	}
	e := g.X.lower(p)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return e, nil
}

// attachComments gives each declaration its doc comment and trailing
// comment, and keeps the rest in f.Comments. ends[i] is the offset just
// past f.Decls[i].
func (p *parser) attachComments(f *File, ends []int) {
	line := func(off int) int { return p.s.pos(off).Line }
	// Group comment lines.
	var groups []*CommentGroup
	var lastLine int
	di := 0
	for _, c := range p.coms {
		cl := line(c.Pos.Offset)
		// Trailing comment: on the line where a declaration ends.
		for di < len(ends) && ends[di] <= c.Pos.Offset {
			di++
		}
		// Interior comment: inside a declaration that spans lines.
		if di < len(ends) && f.Decls[di].Pos().Offset < c.Pos.Offset {
			m := f.Decls[di].Meta()
			m.Interior = append(m.Interior, &Comment{At: p.s.pos(c.Pos.Offset),
				Text: strings.TrimRight(c.Value, " \t\r"), OwnLine: !p.codeBefore(c.Pos.Offset)})
			continue
		}
		if di > 0 && line(ends[di-1]) == cl && f.Decls[di-1].Meta().Comment == nil &&
			(di == len(f.Decls) || line(f.Decls[di].Pos().Offset) > cl || f.Decls[di].Pos().Offset > c.Pos.Offset) {
			f.Decls[di-1].Meta().Comment = &Comment{At: p.s.pos(c.Pos.Offset), Text: strings.TrimRight(c.Value, " \t\r")}
			continue
		}
		com := &Comment{At: p.s.pos(c.Pos.Offset), Text: strings.TrimRight(c.Value, " \t\r")}
		if len(groups) > 0 && cl == lastLine+1 && !p.declBetween(f, lastLine, cl) {
			g := groups[len(groups)-1]
			g.List = append(g.List, com)
		} else {
			groups = append(groups, &CommentGroup{List: []*Comment{com}})
		}
		lastLine = cl
	}
	// A group that ends on the line just above a declaration (and after the
	// previous one) is its doc comment.
	gi := 0
	prevEnd := 0 // line where the previous item ends
	for i, d := range f.Decls {
		dl := d.Pos().Line
		var doc *CommentGroup
		for gi < len(groups) && groups[gi].Pos().Offset < d.Pos().Offset {
			g := groups[gi]
			gl := g.List[len(g.List)-1].At.Line
			if gl == dl-1 && g.Pos().Line > prevEnd {
				doc = g
			} else {
				f.Comments = append(f.Comments, g)
			}
			gi++
			if doc == nil {
				prevEnd = gl
			}
		}
		first := dl
		if doc != nil {
			d.Meta().Doc = doc
			first = doc.Pos().Line
		}
		d.Meta().BlankBefore = (i > 0 || prevEnd > 0) && first-prevEnd > 1
		prevEnd = line(ends[i])
	}
	f.Comments = append(f.Comments, groups[gi:]...)
}

// codeBefore reports whether a token precedes offset off on its line.
func (p *parser) codeBefore(off int) bool {
	i := sort.Search(len(p.toks), func(i int) bool { return p.toks[i].Pos.Offset >= off }) - 1
	return i >= 0 && p.s.pos(p.toks[i].Pos.Offset).Line == p.s.pos(off).Line
}

// declBetween reports whether a declaration starts on a line in (a, b].
func (p *parser) declBetween(f *File, a, b int) bool {
	for _, d := range f.Decls {
		if l := d.Pos().Line; l > a && l <= b {
			return true
		}
	}
	return false
}

// ---- lowering -------------------------------------------------------------

func (p *parser) at(pos lexer.Position) Pos { return p.s.pos(pos.Offset) }

func (p *parser) name(g *gName) *Ident {
	id := &Ident{At: p.at(g.Pos), Name: g.Name}
	if keywords[g.Name] {
		p.errs.Add(id.At, fmt.Sprintf("'%s' is a keyword and cannot be used as a name", g.Name), "")
	}
	return id
}

func lowerDecl(p *parser, g *gDecl) Decl {
	switch {
	case g.Import != nil:
		s := g.Import.Path
		return &Import{At: p.at(g.Import.Pos), Path: strings.Trim(s.Value, `"`), PathPos: p.at(s.Pos)}
	case g.Const != nil:
		return &Const{At: p.at(g.Const.Pos), Name: p.name(g.Const.Name), Value: g.Const.Value.lower(p)}
	case g.Param != nil:
		gp := g.Param
		d := &Param{At: p.at(gp.Pos)}
		for _, n := range gp.Names {
			d.Names = append(d.Names, p.name(n))
		}
		if gp.Len != nil {
			d.Star = gp.Len.Star
			d.Length = gp.Len.Expr.lower(p)
		}
		if b := gp.Bound; b != nil {
			switch {
			case b.Ge != nil:
				d.Lower = b.Ge.lower(p)
				d.Upper = b.GeLe.lower(p)
			case b.Le != nil:
				d.Upper = b.Le.lower(p)
			default:
				d.Lower, d.Upper = b.InLo.lower(p), b.InHi.lower(p)
			}
		}
		d.Init = gp.Init.lower(p)
		return d
	case g.Fn != nil:
		d := &Fn{At: p.at(g.Fn.Pos), Name: p.name(g.Fn.Name), Body: g.Fn.Body.lower(p)}
		for _, n := range g.Fn.Params {
			d.Params = append(d.Params, p.name(n))
		}
		return d
	case g.Term != nil:
		gt := g.Term
		d := &Term{At: p.at(gt.Pos), Name: p.name(gt.Name), Body: gt.Body.lower(p)}
		switch gt.Kind {
		case "interaction":
			d.Kind = Interaction
		case "internal":
			d.Kind = Internal
		}
		for _, n := range gt.Args {
			d.Args = append(d.Args, p.name(n))
		}
		return d
	case g.Weights != nil:
		gw := g.Weights
		return &Weights{At: p.at(gw.Pos), Name: gw.Term.Name + "." + gw.Block.Name,
			NamePos: p.at(gw.Term.Pos), Values: gw.Values.lower(p)}
	case g.Step != nil:
		return &Step{At: p.at(g.Step.Pos), Kind: g.Step.Kind.Name, KindPos: p.at(g.Step.Kind.Pos)}
	}
	return nil
}
