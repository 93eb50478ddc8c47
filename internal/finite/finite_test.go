package finite

import (
	"math"
	"testing"
)

func TestAll(t *testing.T) {
	for _, tc := range []struct {
		v    []float64
		want bool
	}{
		{nil, true},
		{[]float64{0, -1, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64}, true},
		{[]float64{1, math.NaN()}, false},
		{[]float64{math.Inf(1), 2}, false},
		{[]float64{3, math.Inf(-1)}, false},
	} {
		if got := All(tc.v); got != tc.want {
			t.Errorf("All(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
