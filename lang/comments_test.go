package lang

import (
	"strings"
	"testing"
)

// The printer keeps every comment with what it annotates (before: comments
// inside a multi-line declaration moved below it, as floating groups, and
// the comments of a parameter list split over lines were joined out of
// place): continuation lines keep their comments, comments alone on their
// line stay above the operand they precede, and a parameter list written
// over several lines becomes one declaration per line, each with its
// comment. The output is a fixed point.
func TestCommentsStayInPlace(t *testing.T) {
	tests := []struct{ in, want string }{
		{
			"potential V(x) = a*sum(x^4)   # quartic\n   + b*sum(x^2)  # square part\n   + c           # constant\nparam a, b, c\n",
			"potential V(x) = a*sum(x^4) # quartic\n    + b*sum(x^2) # square part\n    + c # constant\nparam a, b, c\n",
		},
		{
			"param b,   # the quartic\n      c >= 0 = 1   # the square\npotential V(x) = b*sum(x^4) + c*sum(x^2)\n",
			"param b >= 0 = 1 # the quartic\nparam c >= 0 = 1 # the square\npotential V(x) = b*sum(x^4) + c*sum(x^2)\n",
		},
		{
			"param a, b\npotential W(x) = # two parts\n  a*sum(x) # linear\n  # then the quadratic\n  - b*norm2(x)\n",
			"param a, b\npotential W(x) = a*sum(x) # two parts # linear\n    # then the quadratic\n    - b*norm2(x)\n",
		},
		{
			// Not a sum: the comment stays with its declaration.
			"fn f(u, v) = u /\n  (v*u) # inside\n  * 2\npotential V(x) = f(x, x)[0]\n",
			"fn f(u, v) = u/(v*u)*2 # inside\npotential V(x) = f(x, x)[0]\n",
		},
		{
			"fn f(u, v) = u /\n  # alone\n  (v*u)\npotential V(x) = f(x, x)[0]\n",
			"# alone\nfn f(u, v) = u/(v*u)\npotential V(x) = f(x, x)[0]\n",
		},
		{
			// Comments on one-line declarations are unchanged.
			"# doc\nparam a # tail\n\n# floating\n\npotential V(x) = a*sum(x) # body\n# end\n",
			"# doc\nparam a # tail\n\n# floating\n\npotential V(x) = a*sum(x) # body\n\n# end\n",
		},
	}
	for _, tc := range tests {
		f, err := ParseFile("t.jko", []byte(tc.in))
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		got := string(Format(f))
		if got != tc.want {
			t.Errorf("Format(%q) =\n%s\nwant\n%s", tc.in, got, tc.want)
			continue
		}
		for _, line := range strings.Split(tc.in, "\n") {
			if i := strings.Index(line, "#"); i >= 0 && !strings.Contains(got, strings.TrimSpace(line[i:])) {
				t.Errorf("comment %q lost", line[i:])
			}
		}
		f2, err := ParseFile("t.jko", []byte(got))
		if err != nil {
			t.Fatalf("reparse of\n%s: %v", got, err)
		}
		if again := string(Format(f2)); again != got {
			t.Errorf("not a fixed point:\n%s\n---\n%s", got, again)
		}
		if _, err := Check(f2, nil); err != nil {
			t.Errorf("%s: %v", got, err)
		}
	}
}
