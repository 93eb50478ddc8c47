package ijkonet

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// With Options.Holdout, Fit returns the θ of the epoch whose gap on the
// held-out particles is the smallest: recomputed here for every epoch's θ
// on a fresh split (the potential is quadratic, so the held-out best
// responses are exact after one Newton step and the gap does not depend
// on the selections before).
func TestHoldoutSelectsSmallestGap(t *testing.T) {
	s := data(t, 80, true)
	src := "param a = 0.3\npotential V(x) = a*norm2(x)\n"
	m := model(t, src)
	o := Options{Epochs: 12, LR: 0.3, FinalLR: 0.3, Holdout: 0.25, SelectEvery: 1, Seed: 3}
	var thetas [][]float64
	o.Progress = func(p Progress) { thetas = append(thetas, append([]float64(nil), p.Theta...)) }
	res, err := Fit(m, s, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Progress = nil
	best, bestGap := -1, math.Inf(1)
	for e, th := range thetas {
		tr, err := newTrainer(m, s, o.WithDefaults(m))
		if err != nil {
			t.Fatal(err)
		}
		copy(tr.theta, th)
		if err := tr.selectTheta(e); err != nil {
			t.Fatal(err)
		}
		if tr.bestGap < bestGap {
			best, bestGap = e, tr.bestGap
		}
	}
	if best == len(thetas)-1 {
		t.Fatalf("the last epoch has the smallest held-out gap (%v): the test needs a run that overshoots; gaps over θ = %v", bestGap, thetas)
	}
	if !reflect.DeepEqual(res.Theta, thetas[best]) {
		t.Errorf("θ = %v, want epoch %d's %v (held-out gap %v)", res.Theta, best+1, thetas[best], bestGap)
	}
	if want := fmt.Sprintf("epoch %d of 12", best+1); !strings.Contains(res.Status, want) {
		t.Errorf("status %q does not name %q", res.Status, want)
	}
	last, err := Fit(m, s, Options{Epochs: 12, LR: 0.3, FinalLR: 0.3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if last.Status != "" || len(last.LossCurve) != 12 {
		t.Errorf("without a holdout: status %q, %d epochs", last.Status, len(last.LossCurve))
	}
}

// The held-out particles and the training ones partition each snapshot,
// and snapshots of one size are split alike, so pairs stay pairs.
func TestHoldoutSplit(t *testing.T) {
	s := data(t, 50, false) // paired: row i of every snapshot is one particle
	m := model(t, "param a = 0.3\npotential V(x) = a*norm2(x)\n")
	tr, err := newTrainer(m, s, Options{Holdout: 0.2}.WithDefaults(m))
	if err != nil {
		t.Fatal(err)
	}
	for k := range tr.xs {
		if tr.ns[k] != 40 || tr.nv[k] != 10 {
			t.Fatalf("snapshot %d: %d training and %d held-out particles, want 40 and 10", k, tr.ns[k], tr.nv[k])
		}
		seen := map[[2]float64]int{}
		for _, x := range [][]float64{tr.xs[k], tr.xv[k]} {
			for i := 0; i+1 < len(x); i += 2 {
				seen[[2]float64{x[i], x[i+1]}]++
			}
		}
		for i := 0; i < 50; i++ {
			if p := [2]float64{s.X[k].At(i, 0), s.X[k].At(i, 1)}; seen[p] != 1 {
				t.Errorf("snapshot %d: particle %d seen %d times", k, i, seen[p])
			}
		}
	}
	// The simulation's rows are paired, so the same row of two snapshots
	// is the same particle a step apart: close, unlike two random ones.
	for q := 0; q < 10; q++ {
		dx, dy := tr.xv[1][2*q]-tr.xv[0][2*q], tr.xv[1][2*q+1]-tr.xv[0][2*q+1]
		if math.Hypot(dx, dy) > 0.5 {
			t.Errorf("held-out particle %d moved %g in one step: the snapshots were split differently", q, math.Hypot(dx, dy))
		}
	}
}
