package compile_test

import (
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/lang"
)

// Format writes a spec that reads back to the same model: the same
// parameter values (scalars, vectors, mlp weights) and the same step.
func TestFormatRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		src, step, want string // want: the step read back
	}{
		{"param a, b = 2\nparam w[3] >= 0\npotential V(x) = a*norm2(x) + b*sum(x) + dot(w, [1, 2, 3])\n", "", ""},
		{"step implicit\nparam a\npotential V(x) = a*norm2(x) + mlp(x, 3)\n", "", "implicit"},
		{"step implicit\nparam a\npotential V(x) = a*norm2(x)\n", "explicit", "explicit"},
		{"import \"halves\"\nparam c\npotential V(x) = c*lower_half(x)^2\n", "implicit", "implicit"},
		{"# my model\nstep implicit # JKO\nparam a\npotential V(x) = a*norm2(x)\n", "implicit", "implicit"},
	} {
		m := instantiate(t, tc.src, 2)
		theta := m.InitTheta(1)
		for i := range theta {
			theta[i] += 0.25 + 0.125*float64(i) // values the spec does not hold
		}
		if tc.step != "" {
			scheme, err := compile.ParseScheme(tc.step)
			if err != nil {
				t.Fatal(err)
			}
			m.DeclareScheme(scheme)
		}
		text, err := m.Format(theta, nil, []string{"# a header"})
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count("\n"+string(text), "\nstep "); tc.want != "" && n != 1 {
			t.Errorf("%q: %d step declarations in\n%s", tc.src, n, text)
		}
		if strings.Contains(tc.src, "# my model") && (!strings.Contains(string(text), "# my model\nstep implicit # JKO\n")) {
			t.Errorf("the spec's comments on its step are lost:\n%s", text)
		}
		back := instantiate(t, string(text), 2)
		readBack := ""
		if back.SchemeDeclared {
			readBack = back.Scheme.String()
		}
		if readBack != tc.want {
			t.Errorf("%q: step %q read back, want %q", tc.src, readBack, tc.want)
		}
		got := back.InitTheta(7)
		if len(got) != len(theta) {
			t.Fatalf("%q: %d parameters read back, want %d", tc.src, len(got), len(theta))
		}
		for i := range got {
			if got[i] != theta[i] {
				t.Errorf("%q: θ[%d] = %v read back, want %v", tc.src, i, got[i], theta[i])
			}
		}
	}
}

// A fitted spec keeps the comments the spec wrote on its parameter lines,
// before the standard error (before: the standard error replaced them),
// and a refit replaces the old standard error rather than adding one.
func TestFormatKeepsParamComments(t *testing.T) {
	src := `# the model
param a # inline on a
param b = 1 # inline on b
param c, # the third
  e # the fourth
param f, g >= 0 # shared
potential V(x) = a*sum(x^2) + b*sum(x) + c*x[0] + e*x[1] + f*sum(x^4) + g*norm2(x)^2
`
	want := []string{
		"# the model\nparam a = 1.5 # inline on a; ± 0.01\n",
		"param b = 2.5 # inline on b; ± 0.02\n",
		"param c = 3.5 # the third; ± 0.03\n",
		"param e = 4.5 # the fourth; ± 0.04\n",
		"param f >= 0 = 5.5 # shared; ± 0.05\n",
		"param g >= 0 = 6.5 # shared; ± 0.06\n",
	}
	text := src
	for round := 0; round < 2; round++ { // a refit keeps one note
		m := instantiate(t, text, 2)
		theta := []float64{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}
		se := []float64{0.01, 0.02, 0.03, 0.04, 0.05, 0.06}
		out, err := m.Format(theta, se, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(out), w) {
				t.Errorf("round %d: %q missing from\n%s", round, w, out)
			}
		}
		text = string(out)
	}
}

// A function holding mlp(...) called twice in a term gives two networks,
// V.mlp and V.mlp2, as the checker names them (before: both calls used
// V.mlp2 and V.mlp vanished); each network's output bias enters V once,
// and a fitted spec reads back with both blocks' weights.
func TestMLPInFunctionCalledTwice(t *testing.T) {
	m := instantiate(t, "fn net(x) = mlp(x, 4)\npotential V(x) = net(x) + net(2*x)\n", 2)
	var names []string
	for _, p := range m.Params {
		names = append(names, p.Name)
	}
	want := "V.mlp.W1 V.mlp.b1 V.mlp.w V.mlp.b V.mlp2.W1 V.mlp2.b1 V.mlp2.w V.mlp2.b"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("blocks %s, want %s", got, want)
	}
	theta := m.InitTheta(3)
	grad := make([]float64, len(theta))
	m.PotentialValueVJP(grad, []float64{0.3, -0.7}, 1, 0, theta, nil)
	for _, p := range m.Params {
		if strings.HasSuffix(p.Name, ".b") && grad[p.Offset] != 1 {
			t.Errorf("∂V/∂%s = %g, want 1", p.Name, grad[p.Offset])
		}
	}
	text, err := m.Format(theta, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	back := instantiate(t, string(text), 2)
	got := back.InitTheta(99)
	for i := range theta {
		if got[i] != theta[i] {
			t.Fatalf("θ[%d] = %v read back, want %v\n%s", i, got[i], theta[i], text)
		}
	}
}

// A fit that produced a value that is not finite is refused by name (it
// was printed as (0/0), which the checker rejects, so the fitted spec did
// not read back).
func TestFormatRefusesNonFinite(t *testing.T) {
	src := "param a\nparam w[3]\npotential V(x) = a*norm2(x) + dot(w, [1, 2, 3]) + mlp(x, 2)\n"
	for _, tc := range []struct {
		at   int
		v    float64
		want string
	}{
		{0, math.NaN(), "parameter a is NaN"},
		{2, math.Inf(1), "parameter w[1] is +Inf"},
		{5, math.Inf(-1), "parameter V.mlp."},
	} {
		m := instantiate(t, src, 2)
		theta := m.InitTheta(1)
		theta[tc.at] = tc.v
		text, err := m.Format(theta, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("θ[%d] = %v: err %v, want one naming %q; text:\n%s", tc.at, tc.v, err, tc.want, text)
		}
	}
}

// Fitted neural weights are written four values a line, so that a diff of
// two fits shows the values that changed; the text reads back to the same
// weights and is already in canonical form (jko fmt leaves it alone).
func TestFormatWrapsWeights(t *testing.T) {
	m := instantiate(t, "potential V(x) = mlp(x, 8, 8)\n", 2)
	theta := m.InitTheta(3)
	text, err := m.Format(theta, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(text), "\n")
	long := 0
	for _, l := range lines {
		if n := strings.Count(l, ","); n > 4 && !strings.HasPrefix(l, "#") {
			t.Fatalf("a line with %d commas: %q", n, l)
		}
		long = max(long, len(l))
	}
	if len(lines) < len(theta)/4 || long > 120 {
		t.Errorf("%d lines (the longest %d characters) for %d weights", len(lines), long, len(theta))
	}
	back := instantiate(t, string(text), 2)
	for i, v := range back.InitTheta(9) {
		if v != theta[i] {
			t.Fatalf("θ[%d] = %v read back, want %v", i, v, theta[i])
		}
	}
	f, err := lang.ParseFile("w.jko", text)
	if err != nil {
		t.Fatal(err)
	}
	if again := lang.Format(f); string(again) != string(text) {
		t.Errorf("the fitted text is not canonical:\n%s\nformats as\n%s", text, again)
	}
}
