package compile

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jko-org/jko/lang"
)

// Every built-in of lang's table has exactly one lowering, and every
// lowering is a built-in.
func TestLoweringTable(t *testing.T) {
	var have []string
	for _, m := range []map[string]bool{keys(unaryOps), keys(binaryOps), keys(reduceOps), keys(lowerings)} {
		for n := range m {
			if slices.Contains(have, n) {
				t.Errorf("%s has two lowerings", n)
			}
			have = append(have, n)
		}
	}
	slices.Sort(have)
	if want := lang.BuiltinNames(); strings.Join(have, " ") != strings.Join(want, " ") {
		t.Errorf("lowerings %v\nbuilt-ins %v", have, want)
	}
}

func keys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// A term's gradient, as jko check prints it, is an expression of the
// language: the derivatives of abs, relu, max, floor and the like (sign,
// heaviside) are built-ins a user can write, so the text parses, checks and
// evaluates to the gradient it prints.
func TestGradientTextIsLanguage(t *testing.T) {
	const src = `
param a, b
potential V(x) = a*sum(abs(x)) + b*relu(x[0]) + max(x[1], 0.5) + sum(floor(x))
`
	spec, err := LoadString("g.jko", src)
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := m.TermText(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, internal := range []string{"step(", "outer(", "sqdist("} {
		if strings.Contains(text, internal) {
			t.Fatalf("gradient %q uses %s, not in the language", text, internal)
		}
	}
	// The gradient's components as potentials of their own, evaluated at
	// points away from the kinks, against the printed graph's values.
	for i := range 2 {
		gs, err := LoadString("grad.jko", "param a, b\npotential G(x) = ("+text+")["+strconv.Itoa(i)+"]\n")
		if err != nil {
			t.Fatalf("gradient text %q does not compile: %v", text, err)
		}
		gm, err := gs.Instantiate(2)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range [][]float64{{0.7, -1.3}, {-0.4, 2.2}} {
			theta := []float64{1.5, -2} // a, b
			tv, err := m.EvalTerm(0, theta, TermPoint{X: x})
			if err != nil {
				t.Fatal(err)
			}
			gv, err := gm.EvalTerm(0, theta, TermPoint{X: x})
			if err != nil {
				t.Fatal(err)
			}
			want, got := tv.Grad[i], gv.Value
			if got != want {
				t.Errorf("component %d at %v: text gives %g, graph %g", i, x, got, want)
			}
		}
	}
}
