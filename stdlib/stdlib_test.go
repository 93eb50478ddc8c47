package stdlib

import (
	"strings"
	"testing"
)

func TestLibrary(t *testing.T) {
	names := Names()
	want := []string{"styblinski_tang", "holder_table", "zigzag_ridge", "oakley_ohagan", "watershed", "ishigami",
		"friedman", "sphere", "bohachevsky", "flowers", "wavy_plateau", "double_exp", "relu", "rotational", "flat",
		"paper_linear", "paper_linear_potential", "mlp_potential", "halves"}
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, n := range want {
		if !have[n] {
			t.Errorf("missing %s", n)
		}
		src, ok := Source(n)
		if !ok || len(src) == 0 {
			t.Errorf("%s: no source", n)
		}
		if Summary(n) == "" || strings.HasPrefix(Summary(n), n+":") {
			t.Errorf("%s: summary %q", n, Summary(n))
		}
	}
	if _, ok := Source("nonexistent"); ok {
		t.Error("nonexistent spec found")
	}
}
