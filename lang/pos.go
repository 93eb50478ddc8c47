package lang

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Pos is a position in a source file. Offset is a byte offset; Line and
// Column start at 1 (Column counts bytes). The zero Pos is "no position"
// (for example, a node built by a program rather than parsed).
type Pos struct {
	Filename string
	Offset   int
	Line     int
	Column   int
}

// IsValid reports whether p is a real source position.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String renders p as file:line:col (parts that are unknown are omitted).
func (p Pos) String() string {
	s := p.Filename
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	if s == "" {
		s = "-"
	}
	return s
}

// Error is one problem found in a spec: where, what, and optionally what to
// do about it.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string
}

// Error renders the error as "file:line:col: message".
func (e *Error) Error() string {
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList is a list of errors, sortable by position.
type ErrorList []*Error

// Add appends an error.
func (l *ErrorList) Add(pos Pos, msg, hint string) {
	*l = append(*l, &Error{Pos: pos, Msg: msg, Hint: hint})
}

func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i].Pos, l[j].Pos
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Column != b.Column {
		return a.Column < b.Column
	}
	return l[i].Msg < l[j].Msg
}

// Sort sorts the list by position (file, line, column, message) and removes
// exact duplicates.
func (l *ErrorList) Sort() {
	sort.Stable(*l)
	out := (*l)[:0]
	for i, e := range *l {
		if i > 0 && *e == *(*l)[i-1] {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// Error renders the first error and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Err returns nil for an empty list and the list itself otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Format renders every error as
//
//	file:line:col: message
//	    source line
//	    ^
//	hint: ...
//
// src maps file names to their contents; a file missing from src is
// rendered without its source line.
func (l ErrorList) Format(src map[string][]byte) string {
	var b strings.Builder
	for _, e := range l {
		b.WriteString(e.Error())
		b.WriteByte('\n')
		if text, ok := src[e.Pos.Filename]; ok && e.Pos.IsValid() {
			if line, ok := sourceLine(text, e.Pos.Line); ok {
				line, col := window(line, e.Pos.Column)
				b.WriteString("    ")
				b.WriteString(line)
				b.WriteString("\n    ")
				b.WriteString(caretPad(line, col))
				b.WriteString("^\n")
			}
		}
		if e.Hint != "" {
			b.WriteString("hint: ")
			b.WriteString(e.Hint)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// maxShown is the widest source line an error shows; a longer line is cut
// to a window around the column, with "…" marking the cuts.
const maxShown = 120

// window returns the part of line to show and the column of the caret in
// it (columns count bytes, from 1, as Pos.Column does).
func window(line string, col int) (string, int) {
	r := []rune(line)
	if len(r) <= maxShown {
		return line, col
	}
	rc := utf8.RuneCountInString(line[:min(max(col-1, 0), len(line))]) // runes before the caret
	start := max(0, min(rc-maxShown/2, len(r)-maxShown))
	end := min(len(r), start+maxShown)
	out := string(r[start:end])
	col = len(string(r[start:rc])) + 1
	if start > 0 {
		out = "…" + out
		col += len("…")
	}
	if end < len(r) {
		out += "…"
	}
	return out, col
}

// sourceLine returns line n (1-based) of text, with tabs kept and invalid
// bytes replaced, without its newline.
func sourceLine(text []byte, n int) (string, bool) {
	line := 1
	start := 0
	for i := 0; i < len(text) && line < n; i++ {
		if text[i] == '\n' {
			line++
			start = i + 1
		}
	}
	if line != n {
		return "", false
	}
	end := start
	for end < len(text) && text[end] != '\n' {
		end++
	}
	s := strings.TrimRight(string(text[start:end]), "\r")
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	return s, true
}

// caretPad returns the white space that puts a caret under byte column col
// of line (tabs are kept so the caret lines up; other characters count as
// one cell each).
func caretPad(line string, col int) string {
	var b strings.Builder
	i := 0
	for _, r := range line {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		i += len(string(r))
	}
	for ; i < col-1; i++ {
		b.WriteByte(' ')
	}
	return b.String()
}
