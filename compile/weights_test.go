package compile

import (
	"strings"
	"testing"
)

// A weights line whose length does not match the block is an error naming
// its position, never a silently re-initialised network; the right length
// is taken as given.
func TestWeightsLength(t *testing.T) {
	// mlp(x, 2) at d = 1: W1[2×1], b1[2], W2[1×2], b2 = 7 weights.
	good := "potential V(x) = mlp(x, 2)\nweights V.mlp = [1, 2, 3, 4, 5, 6, -7]\n"
	s, err := LoadString("good.jko", good)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(1)
	if err != nil {
		t.Fatal(err)
	}
	theta := m.InitTheta(0)
	if len(theta) != 7 || theta[0] != 1 || theta[6] != -7 {
		t.Errorf("θ = %v, want the declared weights 1…−7", theta)
	}
	for _, tc := range []struct {
		src  string
		d    int
		want string
	}{
		{"potential V(x) = mlp(x, 2)\nweights V.mlp = [1, 2, 3]\n", 1, "bad.jko:2:17: weights of V.mlp: 3 values, but the block has 7 at d = 1"},
		{good, 2, "bad.jko:2:17: weights of V.mlp: 7 values, but the block has 9 at d = 2"},
	} {
		s, err := LoadString("bad.jko", tc.src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Instantiate(tc.d)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q at d = %d: error %v, want %q", tc.src, tc.d, err, tc.want)
		}
	}
}
