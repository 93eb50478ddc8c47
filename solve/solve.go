package solve

import (
	"fmt"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// Options configure Fit; the zero value means the JKOnet* reference
// settings (jkonet.DefaultOptions).
type Options struct {
	// JKOnet holds the fit settings; nil for jkonet.DefaultOptions().
	JKOnet *jkonet.Options
}

// Fitted is a spec with fitted parameter values.
type Fitted struct {
	Model  *compile.Model
	Theta  []float64
	Result *jkonet.Result
}

// Fit compiles spec at the data's dimension and fits its parameters to
// the snapshots with JKOnet*.
func Fit(spec *compile.Spec, data *snapshot.Snapshots, o Options) (*Fitted, error) {
	if err := data.Validate(); err != nil {
		return nil, err
	}
	m, err := spec.Instantiate(data.Dim())
	if err != nil {
		return nil, err
	}
	jo := jkonet.DefaultOptions()
	if o.JKOnet != nil {
		jo = *o.JKOnet
	}
	res, err := jkonet.Fit(m, data, jo)
	if err != nil {
		return nil, err
	}
	m.Step = res.Step() // the fitted spec says how to step
	return &Fitted{Model: m, Theta: res.Theta, Result: res}, nil
}

// Param returns the fitted value of the scalar parameter called name.
func (f *Fitted) Param(name string) (float64, error) {
	for _, p := range f.Model.Params {
		if p.Name == name {
			if p.Size != 1 {
				return 0, fmt.Errorf("solve: parameter %s has %d entries; use Values", name, p.Size)
			}
			return f.Theta[p.Offset], nil
		}
	}
	return 0, fmt.Errorf("solve: no learnable parameter %s", name)
}

// Spec returns the fitted model as spec text, values and standard errors
// filled in.
func (f *Fitted) Spec() ([]byte, error) {
	return f.Model.Format(f.Theta, f.Result.StdErr, []string{"# fitted by jko (JKOnet*, " + f.Result.Method + ")"})
}

// Flow returns the fitted dynamics.
func (f *Fitted) Flow() (*evaluate.Flow, error) { return evaluate.NewFlow(f.Model, f.Theta, 0) }

// Step is the step the fit describes: implicit (the JKO step) when the
// drift was evaluated at y, explicit (Euler) when at x, and for a spec
// read back (no fit) the step it declares. Evaluate, Predict and Simulate
// step this way.
func (f *Fitted) Step() evaluate.Step {
	step := f.Model.Step
	if f.Result != nil && f.Result.EvalAt != "" {
		step = f.Result.Step()
	}
	if step == "implicit" {
		return evaluate.Implicit
	}
	return evaluate.Explicit
}

// Evaluate returns the one-step-ahead W1 distance of the fitted dynamics on
// the snapshots (the JKOnet* paper's metric).
func (f *Fitted) Evaluate(test *snapshot.Snapshots) (evaluate.Report, error) {
	fl, err := f.Flow()
	if err != nil {
		return evaluate.Report{}, err
	}
	return evaluate.OneStep(fl, test, 0, f.Step())
}

// Predict rolls the fitted dynamics forward from the cloud x at time t.
func (f *Fitted) Predict(x *mat.Dense, t, dt float64, steps int, seed uint64) ([]*mat.Dense, error) {
	fl, err := f.Flow()
	if err != nil {
		return nil, err
	}
	return evaluate.Predict(fl, x, t, dt, steps, seed, f.Step())
}

// Simulate runs the fitted dynamics from a fresh initial population, with
// the fit's step (Options.Implicit forces the implicit one).
func (f *Fitted) Simulate(o sim.Options) (*snapshot.Snapshots, error) {
	fl, err := f.Flow()
	if err != nil {
		return nil, err
	}
	o.Implicit = o.Implicit || f.Step() == evaluate.Implicit
	res, err := sim.Run(fl, o)
	if err != nil {
		return nil, err
	}
	return &snapshot.Snapshots{Times: res.Times, X: res.X}, nil
}

// Simulate runs a spec whose parameters all have values (a ground truth,
// or a fitted spec read back) and returns the snapshots.
func Simulate(spec *compile.Spec, dim int, o sim.Options) (*snapshot.Snapshots, error) {
	m, err := spec.Instantiate(dim)
	if err != nil {
		return nil, err
	}
	f := &Fitted{Model: m, Theta: m.InitTheta(o.Seed), Result: &jkonet.Result{}}
	return f.Simulate(o)
}
