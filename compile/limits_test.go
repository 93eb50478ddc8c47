package compile_test

import (
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/lang"
)

// Expressions just under the nesting limit, and many '^' that do not nest
// (before: more than 100 '^' in one declaration were "nested too
// deeply"), go through the whole pipeline: check, print and parse back,
// lower, differentiate and evaluate.
func TestNestingLimits(t *testing.T) {
	units := (lang.MaxNesting - 1) / 2
	tests := map[string]string{
		"many squares": "potential V(x) = " + strings.Repeat("sum(x^2) + ", 300) + "x[0]^2",
		"chain":        "potential V(x) = sum(x)" + strings.Repeat("^1", lang.MaxNesting-1),
		"brackets":     "potential V(x) = " + strings.Repeat("(sum(x) + ", lang.MaxNesting-2) + "1" + strings.Repeat(")", lang.MaxNesting-2),
		"mixed":        "potential V(x) = sum(x)*" + strings.Repeat("(1^-", units) + "2" + strings.Repeat(")", units),
		"signs":        "potential V(x) = sum(x)*" + strings.Repeat("-", lang.MaxNesting-1) + "1",
	}
	for name, src := range tests {
		f, err := lang.ParseFile("t.jko", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		back := lang.Format(f)
		if _, err := lang.ParseFile("t.jko", back); err != nil {
			t.Errorf("%s: the printed form does not parse: %v", name, err)
			continue
		}
		s, err := compile.LoadString("t.jko", src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		m, err := s.Instantiate(2)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		g := make([]float64, 2)
		m.PotentialGrad(g, []float64{0.5, 0.25}, 1, 0, nil)
		if g[0] == 0 || g[0] != g[0] {
			t.Errorf("%s: gradient %v", name, g)
		}
	}
}
