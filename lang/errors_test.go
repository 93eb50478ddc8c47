package lang

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// expectation is one `# ERROR "regexp"` comment: an error matching re is
// expected on line (the comment's own line, or the next for ERROR-NEXT).
type expectation struct {
	line int
	re   *regexp.Regexp
	seen bool
}

var errorComment = regexp.MustCompile(`# ERROR(-NEXT)? "(.*)"`)

func readExpectations(t *testing.T, name string) []*expectation {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []*expectation
	for i, line := range strings.Split(string(src), "\n") {
		m := errorComment.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pat := m[2]
		ln := i + 1
		if m[1] != "" {
			ln++
		}
		out = append(out, &expectation{line: ln, re: regexp.MustCompile(pat)})
	}
	return out
}

// parseAndCheck runs the whole front end on a file.
func parseAndCheck(name string, src []byte, imp Importer) error {
	f, err := ParseFile(name, src)
	if err != nil {
		return err
	}
	_, err = Check(f, imp)
	return err
}

// TestErrorFiles checks every testdata/errors/*.jko: each reports exactly
// the errors its `# ERROR "regexp"` comments announce, at those lines.
func TestErrorFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.jko")
	if err != nil || len(files) < 30 {
		t.Fatalf("want at least 30 error files, got %d (%v)", len(files), err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, _ := os.ReadFile(name)
			err := parseAndCheck(name, src, StdImporter("testdata/errors"))
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("no errors reported (err = %v)", err)
			}
			exps := map[string][]*expectation{}
			for _, e := range list {
				fn := e.Pos.Filename
				if _, ok := exps[fn]; !ok {
					exps[fn] = readExpectations(t, fn)
				}
				found := false
				for _, x := range exps[fn] {
					if x.line == e.Pos.Line && x.re.MatchString(e.Msg) {
						x.seen, found = true, true
					}
				}
				if !found {
					t.Errorf("unexpected error %s", e)
				}
				if e.Pos.Column < 1 {
					t.Errorf("error without column: %s", e)
				}
			}
			for _, x := range exps[name] {
				if !x.seen {
					t.Errorf("%s:%d: missing error matching %q; got:\n%s", name, x.line, x.re, list.Format(nil))
				}
			}
		})
	}
}

// TestErrorColumns pins the exact position and wording for a handful of
// mistakes, including those that cannot carry an ERROR comment.
func TestErrorColumns(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"empty", "", 1, 1, "a spec needs at least one potential, interaction or internal term"},
		{"only comment", "# nothing\n", 1, 1, "a spec needs at least one potential"},
		{"invalid utf8", "param a\npotential V(x) = a*\xff\n", 2, 20, "invalid UTF-8 encoding"},
		{"nul", "param a\npot\x00ential V(x) = a\n", 2, 4, "NUL byte in source"},
		{"stray", "param a\npotential V(x) = a @ 1", 2, 20, "unexpected '@'"},
		{"unclosed", "param a\npotential V(x) = sin(a\n", 2, 23, "expected ')' to close '(' opened at 2:21, found end of file"},
		{"unterminated", "import \"halves\n", 1, 8, "unterminated string"},
		{"control in string", "import \"a\bb\"\n", 1, 10, "control character U+0008 in string"},
		{"control in string 2", "param a\nimport \"\x10\"", 2, 9, "control character U+0010 in string"},
		{"invisible in string", "import \"ha\u200bl\"", 1, 11, "unprintable character U+200B in string"},
		{"undefined", "potential V(x) = sum(y)", 1, 22, "undefined name y"},
		{"trailing op", "potential V(x) = sum(x) +", 1, 26, "unexpected end of file; expected an expression"},
		{"dup", "param a\nparam a\npotential V(x) = a*sum(x)", 2, 7, "a redeclared; first declared at 1:7"},
		{"scalar body", "potential V(x) = x", 1, 18, "potential V must be a scalar; its body is vector[d]"},
		{"deep", "potential V(x) = " + strings.Repeat("(", 10000) + "x" + strings.Repeat(")", 10000), 1, 18 + MaxNesting, "expression nested too deeply"},
		{"deep pow", "potential V(x) = x" + strings.Repeat("^x", 2*MaxNesting), 1, 18 + 2*MaxNesting + 1, "expression nested too deeply"},
		{"deep mixed", "potential V(x) = " + strings.Repeat("(x^-", MaxNesting/2) + "x" + strings.Repeat(")", MaxNesting/2), 1, 18 + 4*(MaxNesting/2-1) + 3, "expression nested too deeply"},
		{"deep neg", "potential V(x) = " + strings.Repeat("-", 5000) + "x", 1, 18 + MaxNesting, "expression nested too deeply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := parseAndCheck("t.jko", []byte(tc.src), StdImporter("."))
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("no error")
			}
			e := list[0]
			if e.Pos.Line != tc.line || e.Pos.Column != tc.col || !strings.Contains(e.Msg, tc.msg) {
				t.Errorf("got %d:%d %q; want %d:%d %q", e.Pos.Line, e.Pos.Column, e.Msg, tc.line, tc.col, tc.msg)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	src := []byte("param a\npotential V(x) = a*sun(x)\n")
	err := parseAndCheck("f.jko", src, nil)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("want ErrorList, got %v", err)
	}
	got := list.Format(map[string][]byte{"f.jko": src})
	want := "f.jko:2:20: undefined function sun\n" +
		"    potential V(x) = a*sun(x)\n" +
		"                       ^\n" +
		"hint: did you mean sin?\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if list.Err() == nil || ErrorList(nil).Err() != nil {
		t.Error("Err() wrong")
	}
}

// A length after each name of a param line is a syntax error whose hint
// says how the line is read.
func TestParamLengthHint(t *testing.T) {
	src := []byte("param a[*], b[*]\npotential V(x) = sum(a*x) + sum(b*x)\n")
	err := parseAndCheck("f.jko", src, nil)
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("want ErrorList, got %v", err)
	}
	got := list.Format(map[string][]byte{"f.jko": src})
	for _, want := range []string{"f.jko:1:11: unexpected ','", "hint: a length follows the last name and applies to every name"} {
		if !strings.Contains(got, want) {
			t.Errorf("got\n%s\nwant it to contain %q", got, want)
		}
	}
}

func TestLargeFile(t *testing.T) {
	src := make([]byte, 10<<20)
	for i := range src {
		src[i] = ' '
	}
	_, err := ParseFile("big.jko", src)
	if err == nil || !strings.Contains(err.Error(), "file too large") {
		// 10 MB is under the limit only if MaxFileSize grows; then it must parse.
		if len(src) > MaxFileSize {
			t.Fatalf("want 'file too large', got %v", err)
		}
	}
}
