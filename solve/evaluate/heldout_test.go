package evaluate

import (
	"math"
	"strings"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// HeldOut against independent references: V = a‖x‖²/2 moves each point
// to x·(1 − a·dt) per explicit step, so the prediction of snapshot 2 from
// snapshot 0 over t = 0 → 2 in one step (a = 0.25) is x/2, and in four
// steps x·(7/8)^4; the scores are the exact W1 and W2 from package ot.
func TestHeldOut(t *testing.T) {
	m := load(t, "param a = 0.25\npotential V(x) = a*norm2(x)/2\n", 2)
	f, err := NewFlow(m, m.InitTheta(0))
	if err != nil {
		t.Fatal(err)
	}
	x0 := mat.NewDense(4, 2, []float64{1, 0, 0, 2, -2, 1, 3, 3})
	x1 := mat.NewDense(3, 2, []float64{0, 0, 1, 1, 2, 0})
	x2 := mat.NewDense(5, 2, []float64{0.5, 0, 0, 1, -1, 0.5, 1.5, 1.5, 0.2, 0.1})
	s := &snapshot.Snapshots{Times: []float64{0, 1, 2}, X: []*mat.Dense{x0, x1, x2}}
	held, from, err := s.Previous([]int{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		steps  int
		factor float64
	}{{1, 0.5}, {4, math.Pow(7.0/8, 4)}} {
		got, err := HeldOut(f, s, []int{2}, []int{0}, c.steps, 0, compile.Explicit)
		if err != nil {
			t.Fatal(err)
		}
		want := mat.DenseCopyOf(x0)
		want.Scale(c.factor, want)
		w1, _ := ot.W1(want, x2, nil, nil)
		w2, _ := ot.W2Squared(want, x2, nil, nil)
		if g := got[0]; g.Snapshot != 2 || g.From != 0 || g.Elapsed != 2 || math.Abs(g.W1-w1) > 1e-12 || math.Abs(g.W2-math.Sqrt(w2)) > 1e-12 {
			t.Errorf("%d steps: %+v, want W1 %v W2 %v", c.steps, g, w1, math.Sqrt(w2))
		}
	}
	// Leaving out 1 and 2: both are predicted from snapshot 0.
	if len(held) != 2 || from[0] != 0 || from[1] != 0 {
		t.Errorf("held %v from %v", held, from)
	}
	for _, c := range []struct {
		held, from []int
		steps      int
		want       string
	}{
		{[]int{1}, []int{1}, 1, "cannot predict snapshot 1 from snapshot 1"},
		{[]int{1}, []int{0}, 0, "need at least 1"},
		{[]int{1, 2}, []int{0}, 1, "2 held-out snapshots with 1 starting points"},
	} {
		if _, err := HeldOut(f, s, c.held, c.from, c.steps, 0, compile.Explicit); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("HeldOut(%v, %v, %d): %v, want %q", c.held, c.from, c.steps, err, c.want)
		}
	}
}
