package bench

import (
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/ijkonet"
)

// The quick potential suite recovers the energies with their exact forms
// (to noise level: the data are noise-free) and reaches a small EMD with
// the paper's features.
func TestQuickPotential(t *testing.T) {
	cs := PotentialSuite(true)
	if len(cs) != 4 {
		t.Fatalf("%d cases", len(cs))
	}
	for _, c := range cs {
		r := Run(c, 0)
		if r.Err != "" {
			t.Fatalf("%s/%s: %s", c.Name, c.ModelName, r.Err)
		}
		switch {
		case c.ModelName == "exact" && (r.EMD > 1e-6 || r.ParamErr > 1e-6):
			t.Errorf("%s exact form: EMD %g, coefficient error %g", c.Name, r.EMD, r.ParamErr)
		case c.ModelName != "exact" && r.EMD > 0.1:
			t.Errorf("%s linear features: EMD %g", c.Name, r.EMD)
		}
		if _, ok := r.Times["couplings"]; !ok {
			t.Errorf("no coupling time in %v", r.Times)
		}
	}
}

func TestSuitesAndTable(t *testing.T) {
	if n := len(PotentialSuite(false)); n != 30 {
		t.Errorf("4.1 has %d cases, want 30 (15 potentials × 2 models)", n)
	}
	for _, p := range Potentials {
		if exactForm(p) == "" {
			t.Errorf("%s has no exact form", p)
		}
	}
	rows := []Row{Run(PotentialSuite(true)[1], 0), {Case: Case{Suite: "4.1 potential", Name: "x", ModelName: "exact"}, Err: "failed"},
		{Case: Case{Suite: "4.3 interaction", Name: "y", ModelName: "paper_linear"}, Beta: 0.09, BetaSE: 0.005, Times: map[string]float64{"diffusion": 12}}}
	md := Markdown(rows)
	for _, want := range []string{"### 4.1 potential", "| styblinski_tang (d=2, N=400) | exact |", "failed", "| 0.09 ± 0.005 |", "diffusion 12.000"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

// Every exact-form and truth spec of the full suites compiles.
func TestSpecsCompile(t *testing.T) {
	cs := append(PotentialSuite(false), InteractionSuite(false)...)
	for _, c := range cs {
		for _, src := range []string{c.Truth, c.Model} {
			if src == "" {
				continue
			}
			if r := Run(Case{Name: c.Name, Truth: src, ModelName: "x", Model: src, Dim: 2, N: 0}, 0); strings.HasPrefix(r.Err, "truth") || strings.HasPrefix(r.Err, "model") {
				t.Errorf("%s: %s", c.Name, r.Err)
			}
		}
	}
}

// The comparison runs both methods on paired and unpaired data, scores
// them on the same paired test trajectories, and renders one table.
func TestComparison(t *testing.T) {
	c := ComparisonSuite(true)[0]
	c.N = 120
	rows := RunComparison(c, 1, ijkonet.Options{Epochs: 3, Widths: []int{4}}, nil)
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	want := [][3]string{
		{"paired", "JKOnet* (drift at x)", "explicit"}, {"paired", "JKOnet* (drift at y)", "implicit"}, {"paired", "iJKOnet", "implicit"},
		{"unpaired", "JKOnet* (drift at x)", "explicit"}, {"unpaired", "JKOnet* (drift at y)", "implicit"}, {"unpaired", "iJKOnet", "implicit"},
	}
	for i, r := range rows {
		if r.Err != "" || r.Data != want[i][0] || r.Method != want[i][1] || r.Step != want[i][2] || !(r.EMD > 0) || r.EMD > 5 {
			t.Errorf("row %d: %s %s %s EMD %g err %q", i, r.Data, r.Method, r.Step, r.EMD, r.Err)
		}
		if !(r.Other > 0) && r.OtherErr == "" {
			t.Errorf("row %d: other-step EMD %g and no reason", i, r.Other)
		}
	}
	md := ComparisonMarkdown(rows)
	if strings.Count(md, "| wavy_plateau") != 6 || !strings.Contains(md, "| unpaired | iJKOnet | implicit |") || !strings.Contains(md, "the other step") {
		t.Errorf("table:\n%s", md)
	}
}
