package solve

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// Options configure Fit. The zero value is a JKOnet* fit with the
// reference settings.
type Options struct {
	// Method is the algorithm: MethodJKOnet (the zero value) for JKOnet*,
	// whose variant (closed form, L-BFGS or Adam) JKOnet.Method sets, or
	// MethodIJKOnet for iJKOnet (no couplings: unpaired snapshots).
	Method Method
	// JKOnet holds the JKOnet* settings; its zero value is the reference.
	JKOnet jkonet.Options
	// IJKOnet holds the iJKOnet settings; its zero value is the defaults.
	IJKOnet ijkonet.Options
}

// Method is the algorithm of a fit.
type Method int

const (
	// MethodJKOnet is JKOnet* (package jkonet): couplings between
	// consecutive snapshots, then a regression on the coupled pairs.
	MethodJKOnet Method = iota
	// MethodIJKOnet is iJKOnet (package ijkonet): a game between the
	// energy and transport maps, for unpaired snapshots.
	MethodIJKOnet
)

// ParseMethod reads a method by the name String gives it: jkonet or
// ijkonet.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "jkonet":
		return MethodJKOnet, nil
	case "ijkonet":
		return MethodIJKOnet, nil
	}
	return 0, fmt.Errorf("solve: unknown method %q (want jkonet or ijkonet)", s)
}

// String is the method's name: jkonet or ijkonet.
func (m Method) String() string {
	switch m {
	case MethodJKOnet:
		return "jkonet"
	case MethodIJKOnet:
		return "ijkonet"
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// MarshalText writes String, so a Method travels in JSON and flags.
func (m Method) MarshalText() ([]byte, error) {
	if _, err := ParseMethod(m.String()); err != nil {
		return nil, err
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads what ParseMethod reads.
func (m *Method) UnmarshalText(b []byte) error {
	v, err := ParseMethod(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Fitted is a spec with parameter values: the result of Fit, or a fitted
// spec read back with Load.
type Fitted struct {
	Model *compile.Model
	Theta []float64
	// Result is the fit's report (loss, standard errors, timings); nil
	// for a spec read back.
	Result *jkonet.Result
}

// Fit compiles spec at the data's dimension and fits its parameters to
// the snapshots with JKOnet* or, with Options.Method MethodIJKOnet,
// iJKOnet. The fitted model declares the step the fit describes. Its
// costs are the method's (see package jkonet: exact couplings in O(N)
// memory per step, N² pair evaluations per step for an interaction term
// unless its kernel is polynomial, O(N·d·P²) for the closed form).
func Fit(spec *compile.Spec, data *snapshot.Snapshots, o Options) (*Fitted, error) {
	if err := data.Validate(); err != nil {
		return nil, err
	}
	m, err := spec.Instantiate(data.Dim())
	if err != nil {
		return nil, err
	}
	var res *jkonet.Result
	switch o.Method {
	case MethodJKOnet:
		res, err = jkonet.Fit(m, data, o.JKOnet)
	case MethodIJKOnet:
		res, err = ijkonet.Fit(m, data, o.IJKOnet)
		if err == nil && o.IJKOnet.Bootstrap > 0 {
			// iJKOnet has no coupling pairs to resample: refits to
			// half-samples of the particles.
			bo := o.IJKOnet
			bo.Progress = nil
			res.Bootstrap, err = ijkonet.Bootstrap(m, data, bo, bo.Bootstrap)
		}
	default:
		return nil, fmt.Errorf("solve: unknown method %v (want MethodJKOnet or MethodIJKOnet)", o.Method)
	}
	if err != nil {
		return nil, err
	}
	f := &Fitted{Model: m, Theta: res.Theta, Result: res}
	f.declareScheme()
	return f, nil
}

// declareScheme makes the model declare the scheme its fit describes: the
// fitted spec says how to step.
func (f *Fitted) declareScheme() {
	if f.Result != nil {
		f.Model.DeclareScheme(f.Result.Scheme)
	}
}

// Load reads a spec whose parameters all have values (a fitted spec that
// Spec or jko fit wrote, or a ground truth) as a Fitted at dimension dim:
// path is a file or a standard-library name.
func Load(path string, dim int) (*Fitted, error) {
	spec, err := compile.LoadFile(path)
	if err != nil {
		return nil, err
	}
	return FromSpec(spec, dim)
}

// FromSpec is Load for a spec already loaded (compile.LoadString,
// compile.LoadFS).
func FromSpec(spec *compile.Spec, dim int) (*Fitted, error) {
	m, err := spec.Instantiate(dim)
	if err != nil {
		return nil, err
	}
	return &Fitted{Model: m, Theta: m.InitTheta(0)}, nil
}

// Param returns the value of the scalar parameter called name; Values
// returns a vector's or matrix's entries.
func (f *Fitted) Param(name string) (float64, error) {
	v, err := f.Values(name)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, fmt.Errorf("solve: parameter %s has %d entries: use Values", name, len(v))
	}
	return v[0], nil
}

// Values returns the entries of the parameter called name (row-major for
// a matrix), a copy.
func (f *Fitted) Values(name string) ([]float64, error) {
	for _, p := range f.Model.Params {
		if p.Name == name {
			return append([]float64(nil), f.Theta[p.Offset:p.Offset+p.Size]...), nil
		}
	}
	return nil, fmt.Errorf("solve: no learnable parameter %s (the spec has %v)", name, f.Model.ParamNames())
}

// Spec returns the fitted model as spec text, values and (after Fit)
// standard errors filled in, with the step it was fitted for. The header
// lines (comments, "# …") open the text; without any, one line names the
// method. After Fit, the fit's summary (Result.Summary: the loss, and the
// closed form's diagnostics) follows them.
func (f *Fitted) Spec(header ...string) ([]byte, error) {
	if f.Model == nil {
		return nil, fmt.Errorf("solve: a Fitted without a Model")
	}
	var stderr []float64
	header = slices.Clone(header)
	if r := f.Result; r != nil && r.Method != "" {
		stderr = r.StdErr
		if len(header) == 0 {
			name := "JKOnet*, " + r.Method
			if r.Method == "ijkonet" {
				name = "iJKOnet"
			}
			header = []string{"# fitted by jko (" + name + ")"}
		}
		header = append(header, r.Summary()...)
	}
	if stderr != nil && len(stderr) != len(f.Theta) {
		stderr = nil
	}
	f.declareScheme()
	return f.Model.Format(f.Theta, stderr, header)
}

// Flow returns the fitted dynamics.
func (f *Fitted) Flow() (*evaluate.Flow, error) { return evaluate.NewFlow(f.Model, f.Theta) }

// Scheme is the scheme the fit describes: implicit (the JKO step) when the
// drift was evaluated at y, explicit (Euler) when at x, and for a spec
// read back (no fit) the one it declares. Evaluate, Predict and Simulate
// step this way.
func (f *Fitted) Scheme() compile.Scheme {
	if f.Result != nil {
		return f.Result.Scheme
	}
	return f.Model.Scheme
}

// Evaluate returns the one-step-ahead W1 distance of the fitted dynamics on
// the snapshots (the JKOnet* paper's metric).
func (f *Fitted) Evaluate(test *snapshot.Snapshots) (evaluate.Report, error) {
	fl, err := f.Flow()
	if err != nil {
		return evaluate.Report{}, err
	}
	return evaluate.OneStep(fl, test, 0, f.Scheme())
}

// PredictPoints is Predict for a cloud given as rows (one particle per
// row, d coordinates each); it returns the clouds after each step.
func (f *Fitted) PredictPoints(x [][]float64, t, dt float64, steps int, seed uint64) ([][][]float64, error) {
	m, err := snapshot.Matrix(x)
	if err != nil {
		return nil, err
	}
	out, err := f.Predict(m, t, dt, steps, seed)
	if err != nil {
		return nil, err
	}
	res := make([][][]float64, len(out))
	for i, p := range out {
		res[i] = snapshot.Rows(p)
	}
	return res, nil
}

// Predict rolls the fitted dynamics forward from the cloud x at time t.
func (f *Fitted) Predict(x *mat.Dense, t, dt float64, steps int, seed uint64) ([]*mat.Dense, error) {
	fl, err := f.Flow()
	if err != nil {
		return nil, err
	}
	return evaluate.Predict(fl, x, t, dt, steps, seed, f.Scheme())
}

// Simulate runs the fitted dynamics from a fresh initial population, with
// the fit's scheme (sim.Options.Scheme = compile.Implicit forces the
// implicit one); SimulateWith adds diffusion or forces either scheme.
func (f *Fitted) Simulate(o sim.Options) (*snapshot.Snapshots, error) {
	return f.SimulateWith(o, SimulateOptions{})
}

// Simulate runs a spec whose parameters all have values (a ground truth,
// or a fitted spec read back) and returns the snapshots.
func Simulate(spec *compile.Spec, dim int, o sim.Options) (*snapshot.Snapshots, error) {
	m, err := spec.Instantiate(dim)
	if err != nil {
		return nil, err
	}
	f := &Fitted{Model: m, Theta: m.InitTheta(o.Seed)}
	return f.Simulate(o)
}
