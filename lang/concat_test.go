package lang

import (
	"strings"
	"testing"
)

// The shapes of concatenations and of polynomial libraries, as the
// checker writes them and evaluates them.
func TestConcatShapes(t *testing.T) {
	tests := []struct {
		body string // the argument of sum(...)
		want string
		at   map[int]int // d → length
	}{
		{"[x, t]", "vector[d + 1]", map[int]int{1: 2, 5: 6}},
		{"[t, x]", "vector[d + 1]", map[int]int{3: 4}},
		{"[1, x, t, x[1:]]", "vector[d + d - 1 + 2]", map[int]int{1: 3, 4: 9}},
		{"concat(x, x)", "vector[d + d]", map[int]int{2: 4}},
		{"concat(t)", "vector[1]", map[int]int{7: 1}},
		{"[[1, 2], [3, 4]]", "matrix[2, 2]", nil},
		{"[x, x]", "matrix[2, d]", nil},
		{"polynomials(x, 2)", "vector[binom(d + 2, 2) - 1]", map[int]int{1: 2, 2: 5, 10: 65}},
		{"polynomials(x, 1)", "vector[d + 1 - 1]", map[int]int{10: 10}},
		{"polynomials([x, t], 3)", "vector[binom(d + 1 + 3, 3) - 1]", map[int]int{1: 9, 9: 285}},
	}
	for _, tc := range tests {
		src := "potential V(x, t) = sum(" + tc.body + ")\n"
		if strings.HasPrefix(tc.body, "[[") || tc.body == "[x, x]" {
			src = "potential V(x, t) = sum(bumps(x, " + tc.body + ", 1))\n"
		}
		f, err := ParseFile("t.jko", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Check(f, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.body, err)
			continue
		}
		arg := m.Terms[0].Decl.Body.(*Call).Args[0]
		if c, ok := arg.(*Call); ok && c.Func.Name == "bumps" {
			arg = c.Args[1]
		}
		sh := m.Shapes[arg]
		if sh.String() != tc.want {
			t.Errorf("%s: shape %s, want %s", tc.body, sh, tc.want)
		}
		for d, n := range tc.at {
			if got, err := sh.Len.Eval(d); err != nil || got != n {
				t.Errorf("%s at d = %d: length %d (%v), want %d", tc.body, d, got, err, n)
			}
		}
	}
}

// Binomial lengths are exact and refuse overflow.
func TestLenBinom(t *testing.T) {
	for _, tc := range []struct{ n, k, want int }{
		{5, 0, 1}, {5, 5, 1}, {12, 2, 66}, {46, 6, 9366819}, {60, 30, 118264581564861424},
	} {
		got, err := lenConst(tc.n).Binom(lenConst(tc.k)).Eval(0)
		if tc.want > maxLen {
			if err == nil {
				t.Errorf("C(%d, %d) = %d; want a length error", tc.n, tc.k, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("C(%d, %d) = %d (%v), want %d", tc.n, tc.k, got, err, tc.want)
		}
	}
	if _, err := lenConst(3).Binom(lenConst(4)).Eval(0); err == nil {
		t.Error("C(3, 4): want an error")
	}
}
