package lang

import (
	"strings"
	"testing"
)

// Long source lines are cut to a window around the caret.
func TestErrorWindow(t *testing.T) {
	long := "param a\npotential V(x) = " + strings.Repeat("x + ", 200) + "@ + x\n"
	_, err := ParseFile("long.jko", []byte(long))
	list, ok := err.(ErrorList)
	if !ok || len(list) == 0 {
		t.Fatalf("err = %v", err)
	}
	out := list.Format(map[string][]byte{"long.jko": []byte(long)})
	lines := strings.Split(out, "\n")
	if len(lines) < 3 {
		t.Fatalf("output:\n%s", out)
	}
	src, caret := lines[1], lines[2]
	if n := len([]rune(src)); n > maxShown+10 {
		t.Errorf("source line shown with %d runes", n)
	}
	// The caret still points at the '@'.
	at := strings.IndexRune(caret, '^')
	if r := []rune(src); at < 0 || at >= len(r) || r[at] != '@' {
		t.Errorf("caret at %d does not point at '@':\n%s\n%s", at, src, caret)
	}
}
