package compile

import (
	"strings"
	"testing"
)

// A [*] parameter whose initial value has n entries (as jko fit writes it)
// compiles at d = n for any n, not only n ≤ 8 (the dimensions at which the
// checker probes symbolic lengths), and is a clear error at other d.
func TestStarParamInitLength(t *testing.T) {
	for _, n := range []int{3, 10, 25} {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = "1"
		}
		src := "param b[*] = [" + strings.Join(vals, ", ") + "]\npotential V(x) = dot(b, x) + sum(x^2)\n"
		s, err := LoadString("fitted.jko", src)
		if err != nil {
			t.Fatalf("n = %d: %v", n, err)
		}
		if _, err := s.Instantiate(n); err != nil {
			t.Errorf("n = %d at d = %d: %v", n, n, err)
		}
		if _, err := s.Instantiate(n + 1); err == nil || !strings.Contains(err.Error(), "different lengths") {
			t.Errorf("n = %d at d = %d: %v, want a length error", n, n+1, err)
		}
	}
}
