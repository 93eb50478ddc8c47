package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/lang"
	"github.com/jko-org/jko/solve/evaluate"
	"gonum.org/v1/gonum/mat"
)

// EvalConfig is what the one-step evaluation's stages need to know; like
// Config it travels to the workers, with the fitted spec's text.
type EvalConfig struct {
	Fitted Spec
	// Split is as Config's, except that "" reads the test split of a
	// directory (as jko eval does); Dt as Config's.
	Split string
	Dt    float64
	// Cells says how to read cell tables; the evaluation reads the test
	// side of a --test-fraction split.
	Cells Cells
	// Step is explicit, implicit, or "" for the step the fitted spec
	// declares (explicit when it declares none).
	Step string
	// Seed seeds the prediction noise (step k uses Seed+k, as jko eval)
	// and the parameters' initial values (jko eval's InitTheta(Seed)).
	Seed      uint64
	ChunkRows int
	// Out is where the report (EvalReport as JSON) is written.
	Out string
	// FittedName and Data name the fitted spec and the inputs in the
	// report.
	FittedName, Data string
}

// EvalReport is the one-step evaluation's result: jko eval --only-w1's
// one-step W1, per step and its mean ± std over the steps.
type EvalReport struct {
	Fitted  string          `json:"fitted"`
	Data    string          `json:"data"`
	Split   string          `json:"split"`
	Step    string          `json:"step"`
	Beta    float64         `json:"beta"`
	OneStep evaluate.Report `json:"one_step"`
}

// StepW1 is the W1 distance of one step's prediction; D is the data's
// dimension.
type StepW1 struct {
	K  int
	D  int
	W1 float64
}

func (c EvalConfig) splitName() string {
	return Config{Split: c.Split, Data: c.Data, Cells: c.Cells}.splitNameOr("test")
}

// evalModel compiles the fitted spec at dimension d and returns its flow
// at the fitted parameters and the step to take.
func (c EvalConfig) evalModel(d int) (*evaluate.Flow, compile.Scheme, error) {
	sp, err := c.Fitted.Compile()
	if err != nil {
		return nil, 0, err
	}
	m, err := sp.Instantiate(d)
	if err != nil {
		return nil, 0, err
	}
	step, err := c.step(m)
	if err != nil {
		return nil, 0, err
	}
	f, err := evaluate.NewFlow(m, m.InitTheta(c.Seed))
	return f, step, err
}

func (c EvalConfig) step(m *compile.Model) (compile.Scheme, error) {
	if c.Step == "" {
		return m.Scheme, nil
	}
	return compile.ParseScheme(c.Step)
}

// Check reports settings the evaluation cannot run with, before it starts.
func (c EvalConfig) Check() error {
	if _, err := c.Fitted.Compile(); err != nil {
		return err
	}
	if c.Step != "" {
		if _, err := compile.ParseScheme(c.Step); err != nil {
			return err
		}
	}
	if c.Out == "" {
		return fmt.Errorf("jko-beam: no output path")
	}
	if err := c.Cells.check(); err != nil {
		return err
	}
	return nil
}

// Eval adds the one-step-ahead evaluation of the fitted spec on the
// snapshots in inputs to the pipeline: step k (snapshot k predicted one
// step and compared with snapshot k+1) is one element, on one worker.
// Running the pipeline writes the EvalReport to cfg.Out.
func Eval(s beam.Scope, cfg EvalConfig, inputs []string) {
	s = s.Scope("jko.eval")
	in := make([]Input, len(inputs))
	for i, p := range inputs {
		in[i] = Input{Index: i, Path: p}
	}
	files := beam.CreateList(s, in)
	chunks := beam.ParDo(s, &ReadFn{Cfg: Config{Split: cfg.Split, Dt: cfg.Dt, Cells: cfg.Cells, ChunkRows: cfg.ChunkRows}, DirSplit: "test", Population: cfg.Fitted.has(lang.Interaction, lang.Internal)}, files)
	snaps := beam.ParDo(s, AssembleFn, beam.GroupByKey(s, chunks))
	times := beam.ParDo(s, SortTimesFn, beam.GroupByKey(s, beam.AddFixedKey(s, beam.ParDo(s, SnapTimeFn, snaps))))
	routed := beam.ParDo(s, RouteFn, snaps, beam.SideInput{Input: times})
	steps := beam.GroupByKey(s, routed)
	w1 := beam.ParDo(s, &EvalStepFn{Cfg: cfg}, steps)
	beam.ParDo0(s, &EvalReportFn{Cfg: cfg}, beam.GroupByKey(s, beam.AddFixedKey(s, w1)), beam.SideInput{Input: times})
}

func init() {
	beam.RegisterType(reflect.TypeOf(StepW1{}))
	beam.RegisterType(reflect.TypeOf((*EvalStepFn)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*EvalReportFn)(nil)).Elem())
}

// EvalStepFn predicts snapshot k+1 from snapshot k with the fitted flow
// and measures the W1 distance (evaluate.OneStepW1); when snapshot k is a
// split and its population was read, the flow steps the population.
type EvalStepFn struct{ Cfg EvalConfig }

// ProcessElement evaluates step k.
func (f *EvalStepFn) ProcessElement(k int, snaps func(*Snap) bool) (StepW1, error) {
	var x, y *Snap
	var s Snap
	for snaps(&s) {
		v := s
		switch v.Index {
		case k:
			x = &v
		case k + 1:
			y = &v
		}
	}
	if x == nil || y == nil {
		return StepW1{}, fmt.Errorf("jko-beam: step %d lacks one of its snapshots", k)
	}
	if x.D != y.D {
		return StepW1{}, fmt.Errorf("jko-beam: snapshots %d and %d have %d and %d coordinates", k, k+1, x.D, y.D)
	}
	flow, step, err := f.Cfg.evalModel(x.D)
	if err != nil {
		return StepW1{}, err
	}
	xm := mat.NewDense(len(x.X)/x.D, x.D, x.X)
	ym := mat.NewDense(len(y.X)/y.D, y.D, y.X)
	var wy []float64
	if len(y.W) > 0 {
		wy = y.W
	}
	var whole *mat.Dense
	if len(x.Pop) > 0 {
		whole = mat.NewDense(len(x.Pop)/x.D, x.D, x.Pop)
	}
	w, err := evaluate.OneStepW1(flow, xm, whole, x.T, ym, wy, y.T, k, f.Cfg.Seed, step)
	if err != nil {
		return StepW1{}, fmt.Errorf("step %d: %w", k, err)
	}
	return StepW1{K: k, D: x.D, W1: w}, nil
}

// EvalReportFn gathers the steps' distances in step order, summarises
// them as jko eval does and writes the report.
type EvalReportFn struct{ Cfg EvalConfig }

// ProcessElement writes the report.
func (f *EvalReportFn) ProcessElement(ctx context.Context, _ int, steps func(*StepW1) bool, times []float64) error {
	var all []StepW1
	var s StepW1
	for steps(&s) {
		all = append(all, s)
	}
	sort.Slice(all, func(a, b int) bool { return all[a].K < all[b].K })
	if len(all) != len(times)-1 {
		return fmt.Errorf("jko-beam: %d of the %d steps were evaluated", len(all), len(times)-1)
	}
	w := make([]float64, len(all))
	for k, s := range all {
		if s.K != k {
			return fmt.Errorf("jko-beam: step %d evaluated twice or missing", k)
		}
		w[k] = s.W1
	}
	flow, step, err := f.Cfg.evalModel(all[0].D)
	if err != nil {
		return err
	}
	rep := EvalReport{
		Fitted: f.Cfg.FittedName, Data: f.Cfg.Data, Split: f.Cfg.splitName(), Step: step.String(),
		Beta: flow.Beta(), OneStep: evaluate.Summarise("one-step W1", w),
	}
	text, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(ctx, f.Cfg.Out, append(text, '\n'))
}

// ReadEvalReport parses a report written by the evaluation.
func ReadEvalReport(data []byte) (EvalReport, error) {
	var r EvalReport
	if err := json.Unmarshal(data, &r); err != nil {
		return EvalReport{}, fmt.Errorf("jko-beam: reading the evaluation's report: %w", err)
	}
	return r, nil
}

// splitNameOr is the split a report names: the one asked for, else dflt
// when an input is a directory, else all (CSV files have no split).
func (c Config) splitNameOr(dflt string) string {
	if c.Cells.TestFraction > 0 {
		// As jko fit names a --test-fraction split.
		side := "train"
		if dflt == "test" {
			side = "test"
		}
		return fmt.Sprintf("%s side of the %g seed-%d", side, c.Cells.TestFraction, c.Cells.SplitSeed)
	}
	if c.Split != "" {
		return c.Split
	}
	for _, in := range strings.Fields(c.Data) {
		if !strings.HasSuffix(strings.ToLower(in), ".csv") && cellKind(in) == "" {
			return dflt
		}
	}
	return "all"
}
