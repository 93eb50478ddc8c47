package compile

import (
	"slices"
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
