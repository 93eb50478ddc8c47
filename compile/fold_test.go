package compile_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/lang"
)

// A constant folded by the checker equals, to the last bit, the same
// expression evaluated by the compiled program (before: sigmoid(-0.5)
// and 1.1^3 differed in the last bits, as folding had its own formulas).
func TestFoldingAgreesWithEvaluation(t *testing.T) {
	inputs := []float64{-37.5, -3.3, -0.5, -1e-3, 0, 0.1, 0.7, 1.1, 2.5, 19.9}
	var exprs []string // with X standing for the input
	for _, f := range []string{"exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sigmoid", "softplus", "relu", "floor", "ceil"} {
		exprs = append(exprs, f+"(X)")
	}
	for _, p := range []string{"2", "3", "-2", "0.5", "2.5", "7", "-3.5"} {
		exprs = append(exprs, "X^"+p)
	}
	exprs = append(exprs, "atan2(X, 0.3)", "min(X, 0.25)", "max(X, 0.25)", "X/3", "0.1*X - X")
	for _, e := range exprs {
		for _, v := range inputs {
			in := fmt.Sprintf("(%v)", v)
			if strings.HasPrefix(e, "X^") && v < 0 && strings.Contains(e, ".") {
				continue // NaN: refused as a constant
			}
			folded := strings.ReplaceAll(e, "X", in)
			want := evalAt(t, strings.ReplaceAll(e, "X", "x[0]"), v)
			if math.IsNaN(want) || math.IsInf(want, 0) {
				continue
			}
			f, err := lang.ParseFile("t.jko", []byte("const k = "+folded+"\npotential V(x) = k*sum(x)\n"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := lang.Check(f, nil)
			if err != nil {
				t.Errorf("%s: %v", folded, err)
				continue
			}
			if c := m.Consts[0]; c.Value == nil || math.Float64bits(c.Value[0]) != math.Float64bits(want) {
				t.Errorf("%s: folded %v, evaluated %v", folded, c.Value, want)
			}
		}
	}
}

// evalAt evaluates the potential body at x = (v, 0).
func evalAt(t *testing.T, body string, v float64) float64 {
	t.Helper()
	s, err := compile.LoadString("t.jko", "potential V(x) = "+body+"\n")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	out := []float64{0}
	m.PotentialValue(out, []float64{v, 0}, 1, 0, nil)
	return out[0]
}

// A constant that is not finite only for some d is refused when the spec
// is instantiated at that d, with its position (before: 1/(d - 2) passed
// `jko check` at d = 2 and the values were +Inf).
func TestNonFiniteAtDimension(t *testing.T) {
	s, err := compile.LoadString("t.jko", "param a\npotential V(x) = a*sum(x) + 1/(d - 2) + log(d - 1)\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    int
		want string
	}{
		{1, "t.jko:2:41: the constant log(d - 1) is -Inf at d = 1"},
		{2, "t.jko:2:30: the constant 1/(d - 2) is +Inf at d = 2"},
		{3, ""},
	} {
		_, err := s.Instantiate(tc.d)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("d = %d: %v", tc.d, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("d = %d: err = %v, want %q", tc.d, err, tc.want)
		}
	}
}
