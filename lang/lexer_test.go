package lang

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/jko-org/jko/stdlib"
)

// refLexer is the lexer the hand-written scanner replaces, kept as its
// specification: scan must produce exactly its tokens.
var refLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `#[^\n]*`},
	{Name: "String", Pattern: `"[^"\n]*"`},
	{Name: "BadString", Pattern: `"[^"\n]*`},
	{Name: "Number", Pattern: `(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?`},
	{Name: "Ident", Pattern: `[A-Za-z_][A-Za-z0-9_]*`},
	{Name: "Punct", Pattern: `>=|<=|[-+*/^()\[\],=:.]`},
	{Name: "Whitespace", Pattern: `[ \t\r\n\f\v]+`},
	{Name: "Bad", Pattern: `.`},
})

// refScan lexes src with refLexer, mapping its token types to scan's.
func refScan(t testing.TB, src string) (toks, coms []lexer.Token) {
	syms := refLexer.Symbols()
	types := map[lexer.TokenType]lexer.TokenType{}
	for name, typ := range lexDef.Symbols() {
		types[syms[name]] = typ
	}
	lx, err := refLexer.LexString("f.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	all, err := lexer.ConsumeAll(lx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range all {
		tok.Type = types[tok.Type]
		switch tok.Type {
		case tSpace, lexer.EOF:
		case tComment:
			coms = append(coms, tok)
		default:
			toks = append(toks, tok)
		}
	}
	return toks, coms
}

func checkScan(t *testing.T, src string) {
	if !utf8.ValidString(src) {
		return // precheck rejects it before the lexer runs
	}
	toks, coms := scan("f.jko", src)
	wt, wc := refScan(t, src)
	if len(toks) == 0 {
		toks = nil
	}
	if !reflect.DeepEqual(toks, wt) || !reflect.DeepEqual(coms, wc) {
		t.Fatalf("scan(%q):\n got %v %v\nwant %v %v", src, toks, coms, wt, wc)
	}
}

func TestScan(t *testing.T) {
	for _, src := range []string{
		"", "1e", "1.e5", "1.2.3", ".5", ".", "1e+", "1E-3x", "2.", "a_1b", ">=<=><",
		"\"ab\"\"c\n\"d", "π = 3 # ünï\n  x", "x\t\v\f\r\ny", "ü\"é\" + a", "−x", "'s'",
	} {
		checkScan(t, src)
	}
	var srcs []string
	for _, n := range stdlib.Names() {
		b, _ := stdlib.Source(n)
		srcs = append(srcs, string(b))
	}
	files, _ := filepath.Glob("testdata/errors/*.jko")
	for _, name := range files {
		b, _ := os.ReadFile(name)
		srcs = append(srcs, string(b))
	}
	srcs = append(srcs, string(genSpec(100)))
	for _, src := range srcs {
		checkScan(t, src)
	}
}

func FuzzScan(f *testing.F) {
	f.Add("param w[*] in [-1, 1] = [1.5e-3, .2]\npotential V(x) = -x[0]^2 # c\n\"s\" \"t")
	f.Fuzz(checkScan)
}
