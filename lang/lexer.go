package lang

import (
	"io"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// The lexer is hand written: participle's regexp lexer spent most of the
// parse in the regexp engine. It produces participle tokens with these
// types; the rules, tried in this order at each position, are
//
//	Comment     #[^\n]*
//	String      "[^"\n]*"
//	BadString   "[^"\n]*                 (unterminated)
//	Number      ([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?
//	Ident       [A-Za-z_][A-Za-z0-9_]*
//	Punct       >= <= - + * / ^ ( ) [ ] , = : .
//	Whitespace  [ \t\r\n\f\v]+
//	Bad         any other character
const (
	tComment lexer.TokenType = lexer.EOF - 1 - iota
	tString
	tBadStr
	tNumber
	tIdent
	tPunct
	tSpace
	tBad
)

// lexDef is the lexer.Definition handed to participle: it names the token
// types the grammar refers to. The parser itself feeds participle the
// tokens of scan.
var lexDef lexer.Definition = scanDef{}

type scanDef struct{}

func (scanDef) Symbols() map[string]lexer.TokenType {
	return map[string]lexer.TokenType{
		"EOF": lexer.EOF, "Comment": tComment, "String": tString, "BadString": tBadStr,
		"Number": tNumber, "Ident": tIdent, "Punct": tPunct, "Whitespace": tSpace, "Bad": tBad,
	}
}

func (scanDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	toks, coms := scan(filename, string(src))
	_ = coms
	return &sliceLexer{toks: toks, eof: lexer.EOFToken(lexer.Position{Filename: filename, Offset: len(src)})}, nil
}

// scan splits src into tokens, dropping white space; comments are returned
// separately. src must be valid UTF-8.
func scan(filename, src string) (toks, coms []lexer.Token) {
	toks = make([]lexer.Token, 0, len(src)/2+8) // about one token per two bytes
	line, lineStart := 1, 0
	ascii := true // the current line has only ASCII before i
	for i := 0; i < len(src); {
		c := src[i]
		start := i
		var typ lexer.TokenType
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v':
			for ; i < len(src); i++ {
				c := src[i]
				if c == '\n' {
					line++
					lineStart, ascii = i+1, true
				} else if c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v' {
					break
				}
			}
			continue
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			typ = tComment
		case c == '"':
			i++
			for i < len(src) && src[i] != '"' && src[i] != '\n' {
				i++
			}
			if i < len(src) && src[i] == '"' {
				i++
				typ = tString
			} else {
				typ = tBadStr
			}
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			i = scanNumber(src, i)
			typ = tNumber
		case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			for i++; i < len(src) && isIdentByte(src[i]); i++ {
			}
			typ = tIdent
		case (c == '>' || c == '<') && i+1 < len(src) && src[i+1] == '=':
			i += 2
			typ = tPunct
		case isPunct(c):
			i++
			typ = tPunct
		default:
			_, n := utf8.DecodeRuneInString(src[i:])
			i += n
			typ = tBad
		}
		// Columns count runes, as participle's lexers do.
		col := start - lineStart + 1
		if !ascii {
			col = utf8.RuneCountInString(src[lineStart:start]) + 1
		}
		if typ == tString || typ == tBadStr || typ == tBad {
			ascii = ascii && asciiOnly(src[start:i])
		}
		t := lexer.Token{Type: typ, Value: src[start:i],
			Pos: lexer.Position{Filename: filename, Offset: start, Line: line, Column: col}}
		if typ == tComment {
			coms = append(coms, t)
		} else {
			toks = append(toks, t)
		}
	}
	return toks, coms
}

// scanNumber returns the end of the number starting at i.
func scanNumber(src string, i int) int {
	if src[i] == '.' {
		i++
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	} else {
		for i < len(src) && isDigit(src[i]) {
			i++
		}
		if i < len(src) && src[i] == '.' {
			i++
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	// Exponent, only when digits follow.
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			for j < len(src) && isDigit(src[j]) {
				j++
			}
			i = j
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentByte(c byte) bool {
	return c == '_' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isPunct(c byte) bool {
	switch c {
	case '-', '+', '*', '/', '^', '(', ')', '[', ']', ',', '=', ':', '.':
		return true
	}
	return false
}

func asciiOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
