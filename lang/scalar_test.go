package lang

import (
	"testing"

	"github.com/jko-org/jko/lang/scalar"
)

// Every elementwise built-in has its function from package scalar in the
// table (folding would otherwise call a nil function), and scalar defines
// no other.
func TestScalarFunctions(t *testing.T) {
	n1, n2 := 0, 0
	for _, name := range BuiltinNames() {
		b := lookupBuiltin(name)
		switch b.Kind {
		case Elementwise1:
			n1++
			if scalar.Unary[name] == nil || b.Value1 == nil {
				t.Errorf("%s: no scalar.Unary function in the table", name)
			}
		case Elementwise2:
			n2++
			if scalar.Binary[name] == nil || b.Value2 == nil {
				t.Errorf("%s: no scalar.Binary function in the table", name)
			}
		}
	}
	if n1 != len(scalar.Unary) || n2 != len(scalar.Binary) {
		t.Errorf("scalar has %d unary and %d binary functions; the built-ins %d and %d", len(scalar.Unary), len(scalar.Binary), n1, n2)
	}
}
