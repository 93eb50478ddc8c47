package evaluate

import (
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// Progress counts every prediction and distance once, up to the total.
func TestProgressCounts(t *testing.T) {
	spec, err := compile.LoadString("q.jko", "potential V(x) = norm2(x)\n")
	if err != nil {
		t.Fatal(err)
	}
	m, err := spec.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFlow(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(f, sim.Options{Particles: 30, Steps: 3, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -1, Hi: 1}})
	if err != nil {
		t.Fatal(err)
	}
	s := &snapshot.Snapshots{Times: res.Times, X: res.X}
	for name, run := range map[string]func(Progress) error{
		"OneStep":    func(p Progress) error { _, err := OneStep(f, s, 0, compile.Explicit, p); return err },
		"OneStepAll": func(p Progress) error { _, err := OneStepAll(f, s, 0, compile.Explicit, p); return err },
		"AllSteps":   func(p Progress) error { _, err := AllSteps(f, s, 0, compile.Explicit, p); return err },
	} {
		calls, last, total := 0, 0, 0
		if err := run(func(done, tot int) { calls++; last, total = done, tot }); err != nil {
			t.Fatal(err)
		}
		if calls == 0 || last != total || calls != total {
			t.Errorf("%s: %d calls, last %d of %d", name, calls, last, total)
		}
	}
}
