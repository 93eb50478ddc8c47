package solve

import (
	"fmt"
	"math"
	"sort"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

// SetParams overrides parameter values of f by name: one value for every
// entry of the parameter, or one per entry (row-major). An unknown name,
// a wrong count, or a value outside the bounds the spec declares is an
// error, and leaves f unchanged.
func (f *Fitted) SetParams(vals map[string][]float64) error {
	if f.Model == nil {
		return fmt.Errorf("solve: a Fitted without a Model")
	}
	theta := append([]float64(nil), f.Theta...)
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := vals[n]
		found := false
		for _, p := range f.Model.Params {
			if p.Name != n {
				continue
			}
			found = true
			for _, x := range v {
				if math.IsNaN(x) || x < p.Lower || x > p.Upper {
					return fmt.Errorf("%s: %g is outside the bounds [%g, %g] the spec declares", n, x, p.Lower, p.Upper)
				}
			}
			switch len(v) {
			case 1:
				for i := 0; i < p.Size; i++ {
					theta[p.Offset+i] = v[0]
				}
			case p.Size:
				copy(theta[p.Offset:], v)
			default:
				return fmt.Errorf("%s: %d values for a parameter of size %d", n, len(v), p.Size)
			}
		}
		if !found {
			return fmt.Errorf("%s: the spec has no learnable parameter %s", n, n)
		}
	}
	f.Theta = theta
	return nil
}

// SimulateOptions are the settings of SimulateWith beyond sim.Options.
type SimulateOptions struct {
	// Beta is diffusion added to the model's own entropy terms (noise
	// √(2β)·dW); it must be ≥ 0.
	Beta float64
	// Step forces how each step advances: "explicit" (Euler) or
	// "implicit" (the JKO step); "" is f.Step() (sim.Options.Implicit
	// forces the implicit step too).
	Step string
}

// SimulateWith runs the dynamics of f from a fresh initial population,
// like Simulate, with extra diffusion and the step as so says.
func (f *Fitted) SimulateWith(o sim.Options, so SimulateOptions) (*snapshot.Snapshots, error) {
	if !(so.Beta >= 0) || math.IsInf(so.Beta, 0) {
		return nil, fmt.Errorf("solve: extra diffusion β = %v, want a finite β ≥ 0", so.Beta)
	}
	step := f.Step()
	if so.Step != "" {
		s, err := evaluate.ParseStep(so.Step)
		if err != nil {
			return nil, err
		}
		if o.Implicit && s == evaluate.Explicit {
			return nil, fmt.Errorf("solve: the step forced explicit and implicit (sim.Options.Implicit)")
		}
		step = s
	}
	fl, err := f.Flow()
	if err != nil {
		return nil, err
	}
	o.Implicit = o.Implicit || step == evaluate.Implicit
	var run sim.Dynamics = fl
	if so.Beta > 0 {
		run = extraNoise{fl, so.Beta}
	}
	res, err := sim.Run(run, o)
	if err != nil {
		return nil, err
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}, nil
}

// extraNoise adds diffusion to a flow.
type extraNoise struct {
	*evaluate.Flow
	beta float64
}

func (e extraNoise) Beta() float64 { return e.Flow.Beta() + e.beta }
