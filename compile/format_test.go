package compile_test

import (
	"strings"
	"testing"

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
			m.Step = tc.step
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
		if back.Step != tc.want {
			t.Errorf("%q: step %q read back, want %q", tc.src, back.Step, tc.want)
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
