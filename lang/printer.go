package lang

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The canonical form, as Format prints it:
//
//   - one declaration per line, in source order; comment lines above a
//     declaration stay above it, a trailing comment stays on its line
//     (after one space); runs of blank lines become one blank line; comment
//     groups that belong to no declaration are followed by a blank line;
//   - one space around '+' and '-' and around '=', none around '*', '/'
//     and '^'; a space after each ',' and none inside brackets;
//   - parentheses only where precedence needs them (so (a*b)*c prints as
//     a*b*c but a*(b*c) keeps its parentheses, the tree being kept as is);
//   - numbers as written (synthesized numbers in their shortest exact
//     form); bounds as `>= lo`, `<= hi` or `in [lo, hi]`.

// Format returns the canonical text of f. A parsed file always prints; a
// built one holding a number that is not finite has no text (the language
// has no literal for NaN or ±Inf) and Format returns nil: Fprint says why.
func Format(f *File) []byte {
	var b bytes.Buffer
	if Fprint(&b, f) != nil {
		return nil
	}
	return b.Bytes()
}

// Fprint writes the canonical text of f to w. It refuses, writing nothing,
// a file holding a number that is not finite (only a built file can): no
// text would read back as that number.
func Fprint(w io.Writer, f *File) error {
	for _, d := range f.Decls {
		if err := checkFinite(d); err != nil {
			return err
		}
	}
	var b strings.Builder
	floating := f.Comments
	printed := false
	emitGroup := func(g *CommentGroup) {
		if printed {
			b.WriteByte('\n')
		}
		for _, c := range g.List {
			b.WriteString(commentText(c.Text))
			b.WriteByte('\n')
		}
		printed = true
	}
	// Comment groups without a position go first.
	var rest []*CommentGroup
	for _, g := range floating {
		if g.Pos().IsValid() {
			rest = append(rest, g)
		} else {
			emitGroup(g)
		}
	}
	floating = rest
	afterGroup := false
	if printed {
		afterGroup = true
	}
	for _, d := range f.Decls {
		if p := d.Pos(); p.IsValid() {
			for len(floating) > 0 && floating[0].Pos().Offset < p.Offset {
				emitGroup(floating[0])
				floating = floating[1:]
				afterGroup = true
			}
		}
		m := d.Meta()
		if printed && (m.BlankBefore || afterGroup) {
			b.WriteByte('\n')
		}
		afterGroup = false
		if m.Doc != nil {
			for _, c := range m.Doc.List {
				b.WriteString(commentText(c.Text))
				b.WriteByte('\n')
			}
		}
		writeDecl(&b, d)
		printed = true
	}
	for _, g := range floating {
		emitGroup(g)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// checkFinite reports a number of d that is not finite.
func checkFinite(d Decl) error {
	var es []Expr
	switch d := d.(type) {
	case *Const:
		es = []Expr{d.Value}
	case *Param:
		es = []Expr{d.Length, d.Lower, d.Upper, d.Init}
	case *Fn:
		es = []Expr{d.Body}
	case *Term:
		es = []Expr{d.Body}
	case *Weights:
		es = []Expr{d.Values}
	}
	var bad *Number
	for _, e := range es {
		Walk(e, func(e Expr) bool {
			if n, ok := e.(*Number); ok && bad == nil && n.Text == "" && (math.IsNaN(n.Value) || math.IsInf(n.Value, 0)) {
				bad = n
			}
			return bad == nil
		})
	}
	if bad == nil {
		return nil
	}
	name := ""
	switch d := d.(type) {
	case *Const:
		name = "constant " + d.Name.Name
	case *Param:
		name = "parameter " + identList(d.Names)
	case *Fn:
		name = "function " + d.Name.Name
	case *Term:
		name = "term " + d.Name.Name
	case *Weights:
		name = "weights " + d.Name
	}
	return fmt.Errorf("lang: %s holds the number %v, which has no text in the language (numbers are finite)", name, bad.Value)
}

// declLine is one printed line of a declaration: its code, the comment
// lines above it and the comments after it.
type declLine struct {
	above []string
	code  string
	after []string
	line  int // the source line where the code starts (0: unknown)
}

// writeDecl writes a declaration with its trailing and interior comments.
// A declaration without interior comments takes one line. One whose body
// is a sum written over several lines, with comments inside, keeps a line
// per source line of its operands (continuation lines indented, starting
// with their '+' or '-'), each comment on the line of the operand it
// follows, and comments alone on their line above the operand they
// precede. Other interior comments join the trailing comment (or, alone
// on their line, go above the declaration), so a comment never leaves its
// declaration.
func writeDecl(b *strings.Builder, d Decl) {
	m := d.Meta()
	lines := []*declLine{{code: formatDecl(d)}}
	if len(m.Interior) > 0 {
		if ls := sumLines(d); ls != nil {
			lines = ls
		} else if ls := paramLines(d); ls != nil {
			lines = ls
		}
	}
	var top []string
	for _, c := range m.Interior {
		// The printed line that holds the code before the comment.
		k := -1
		for i, l := range lines {
			if l.line > 0 && l.line <= c.At.Line {
				k = i
			}
		}
		text := commentText(c.Text)
		switch {
		case !c.OwnLine && k >= 0:
			lines[k].after = append(lines[k].after, text)
		case !c.OwnLine:
			lines[0].after = append(lines[0].after, text)
		case k+1 < len(lines) && k >= 0:
			lines[k+1].above = append(lines[k+1].above, text)
		default:
			top = append(top, text)
		}
	}
	if m.Comment != nil {
		last := lines[len(lines)-1]
		last.after = append(last.after, commentText(m.Comment.Text))
	}
	for _, t := range top {
		b.WriteString(t)
		b.WriteByte('\n')
	}
	_, split := d.(*Param) // a param split by line prints whole declarations
	for i, l := range lines {
		indent := ""
		if i > 0 && !split {
			indent = "    "
		}
		for _, t := range l.above {
			b.WriteString(indent + t + "\n")
		}
		b.WriteString(indent + l.code)
		for _, t := range l.after {
			b.WriteString(" " + t)
		}
		b.WriteByte('\n')
	}
}

// sumLines lays out a declaration whose body is a sum of operands written
// on several source lines: one printed line per source line. It returns
// nil for other declarations.
func sumLines(d Decl) []*declLine {
	var head string
	var body Expr
	switch d := d.(type) {
	case *Const:
		head, body = "const "+d.Name.Name+" = ", d.Value
	case *Fn:
		head, body = "fn "+d.Name.Name+"("+identList(d.Params)+") = ", d.Body
	case *Term:
		head, body = d.Kind.String()+" "+d.Name.Name+"("+identList(d.Args)+") = ", d.Body
	default:
		return nil
	}
	type operand struct {
		op byte // 0 for the first
		e  Expr
	}
	var ops []operand
	e := body
	for {
		x, ok := e.(*Binary)
		if !ok || (x.Op != '+' && x.Op != '-') {
			break
		}
		ops = append(ops, operand{x.Op, x.Y})
		e = x.X
	}
	ops = append(ops, operand{0, e})
	slices.Reverse(ops)
	if len(ops) < 2 || !e.Pos().IsValid() {
		return nil
	}
	var lines []*declLine
	var cur strings.Builder
	flush := func(line int) {
		lines = append(lines, &declLine{code: cur.String(), line: line})
		cur.Reset()
	}
	start := ops[0].e.Pos().Line
	cur.WriteString(head)
	writeExpr(&cur, ops[0].e, precAdd)
	for _, o := range ops[1:] {
		ln := o.e.Pos().Line
		if ln > start {
			flush(start)
			start = ln
			cur.WriteString(string(o.op) + " ")
		} else {
			cur.WriteString(" " + string(o.op) + " ")
		}
		writeExpr(&cur, o.e, precAdd+1)
	}
	flush(start)
	if len(lines) < 2 {
		return nil
	}
	return lines
}

// paramLines splits a parameter declaration whose names are written on
// several source lines into one declaration per line (the same bounds and
// initial value for each), so a comment after a name stays with it. It
// returns nil for other declarations.
func paramLines(d Decl) []*declLine {
	pd, ok := d.(*Param)
	if !ok || len(pd.Names) < 2 || !pd.Names[0].At.IsValid() {
		return nil
	}
	var lines []*declLine
	for i := 0; i < len(pd.Names); {
		j := i
		for j < len(pd.Names) && pd.Names[j].At.Line == pd.Names[i].At.Line {
			j++
		}
		part := *pd
		part.Names = pd.Names[i:j]
		lines = append(lines, &declLine{code: formatDecl(&part), line: pd.Names[i].At.Line})
		i = j
	}
	if len(lines) < 2 {
		return nil
	}
	return lines
}

// commentText makes text a valid one-line comment: it adds "# " when the
// text lacks its '#' and turns line breaks into spaces.
func commentText(text string) string {
	text = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(text)
	if !strings.HasPrefix(text, "#") {
		text = "# " + text
	}
	return text
}

func identList(ids []*Ident) string {
	var s []string
	for _, id := range ids {
		s = append(s, id.Name)
	}
	return strings.Join(s, ", ")
}

// FormatDecl returns the canonical text of one declaration, without its
// comments.
func FormatDecl(d Decl) string { return formatDecl(d) }

func formatDecl(d Decl) string {
	switch d := d.(type) {
	case *Import:
		// Verbatim: the language has no escapes, and the parser rejects
		// what could not be written back this way.
		return `import "` + d.Path + `"`
	case *Const:
		return "const " + d.Name.Name + " = " + FormatExpr(d.Value)
	case *Param:
		s := "param " + identList(d.Names)
		switch {
		case d.Star:
			s += "[*]"
		case d.Length != nil:
			s += "[" + FormatExpr(d.Length) + "]"
		}
		switch {
		case d.Lower != nil && d.Upper != nil:
			s += " in [" + FormatExpr(d.Lower) + ", " + FormatExpr(d.Upper) + "]"
		case d.Lower != nil:
			s += " >= " + FormatExpr(d.Lower)
		case d.Upper != nil:
			s += " <= " + FormatExpr(d.Upper)
		}
		if d.Init != nil {
			s += " = " + FormatExpr(d.Init)
		}
		return s
	case *Fn:
		return "fn " + d.Name.Name + "(" + identList(d.Params) + ") = " + FormatExpr(d.Body)
	case *Term:
		return d.Kind.String() + " " + d.Name.Name + "(" + identList(d.Args) + ") = " + FormatExpr(d.Body)
	case *Weights:
		return "weights " + d.Name + " = " + formatWeights(d.Values)
	case *Step:
		return "step " + d.Kind
	}
	return ""
}

// weightsPerLine is how many values a line of a long weights declaration
// holds: a fixed count, so that a diff of two fits shows the values that
// changed and not a reflowed paragraph.
const weightsPerLine = 4

// formatWeights prints a weights list on one line when it has at most
// weightsPerLine values, else weightsPerLine values a line, indented.
func formatWeights(e Expr) string {
	l, ok := e.(*List)
	if !ok || len(l.Elems) <= weightsPerLine {
		return FormatExpr(e)
	}
	var b strings.Builder
	b.WriteString("[")
	for i, v := range l.Elems {
		if i%weightsPerLine == 0 {
			b.WriteString("\n    ")
		} else {
			b.WriteString(" ")
		}
		b.WriteString(FormatExpr(v))
		if i < len(l.Elems)-1 {
			b.WriteString(",")
		}
	}
	b.WriteString("\n]")
	return b.String()
}

// Precedence levels of the printer.
const (
	precAdd   = 1
	precMul   = 2
	precUnary = 3
	precPow   = 4
	precPost  = 5 // operands of postfix [ ] and primaries
)

func binPrec(op byte) int {
	switch op {
	case '+', '-':
		return precAdd
	case '*', '/':
		return precMul
	}
	return precPow
}

func exprPrec(e Expr) int {
	switch x := e.(type) {
	case *Binary:
		return binPrec(x.Op)
	case *Unary:
		return precUnary
	case *Number:
		if math.Signbit(x.Value) && x.Text == "" {
			return precUnary
		}
	}
	return precPost
}

// numberText returns the text a number prints as: its literal text, or for
// a synthesized number the shortest form that reads back exactly.
func numberText(n *Number) string {
	if n.Text != "" {
		return n.Text
	}
	switch {
	case math.IsNaN(n.Value), math.IsInf(n.Value, 0):
		// No literal reads back as these (Fprint refuses them); the text
		// serves error messages.
		return fmt.Sprint(n.Value)
	}
	return strconv.FormatFloat(n.Value, 'g', -1, 64)
}

// FormatExpr returns the canonical text of an expression.
func FormatExpr(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e, 0)
	return b.String()
}

// writeExpr writes e, parenthesized if its precedence is below min.
func writeExpr(b *strings.Builder, e Expr, min int) {
	p := exprPrec(e)
	if p < min {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch x := e.(type) {
	case *Number:
		b.WriteString(numberText(x))
	case *Ident:
		b.WriteString(x.Name)
	case *Unary:
		b.WriteByte(x.Op)
		// -(-x) must not print as --x? It may: the parser reads --x as -(-x).
		writeExpr(b, x.X, precUnary)
	case *Binary:
		l, r := p, p+1 // left associative
		if x.Op == '^' {
			l, r = precPost, precUnary // right associative; exponent may be signed
		}
		writeExpr(b, x.X, l)
		switch x.Op {
		case '+', '-':
			b.WriteString(" " + string(x.Op) + " ")
		default:
			b.WriteByte(x.Op)
		}
		writeExpr(b, x.Y, r)
	case *Call:
		b.WriteString(x.Func.Name)
		b.WriteByte('(')
		for i, a := range x.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, a, 0)
		}
		b.WriteByte(')')
	case *Index:
		writeExpr(b, x.X, precPost)
		b.WriteByte('[')
		writeExpr(b, x.Index, 0)
		b.WriteByte(']')
	case *Slice:
		writeExpr(b, x.X, precPost)
		b.WriteByte('[')
		if x.Lo != nil {
			writeExpr(b, x.Lo, 0)
		}
		b.WriteByte(':')
		if x.Hi != nil {
			writeExpr(b, x.Hi, 0)
		}
		b.WriteByte(']')
	case *List:
		b.WriteByte('[')
		for i, el := range x.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, el, 0)
		}
		b.WriteByte(']')
	}
}
