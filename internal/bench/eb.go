package bench

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
)

// The embryoid-body (EB) suite: both papers' real-data experiment on the
// first 5 principal components of the EB time course (examples/eb/data).
//
//   - One-step (JKOnet*, its section 4.4): each snapshot split at random
//     60/40 into train and test cells (one split per seed); fit on the
//     train cells of all snapshots; score the one-step-ahead W1 from each
//     test snapshot to the next, averaged over the steps.
//   - Leave-out (iJKOnet): fit on every cell of the snapshots not left out
//     (t0, t2, t4); predict each left-out snapshot (t1, t3) from the
//     previous kept one over the elapsed time; score W2.
//
// Each protocol runs once per seed; a row gives the mean and standard
// deviation over the seeds and the mean wall time of one fit (its
// couplings included).

// EBModel is one model of the suite.
type EBModel struct {
	Name string // what the table calls it
	Spec string // the spec text
	// Method is JKOnet*'s optimiser; IJKOnet fits with iJKOnet instead.
	Method  jkonet.Method
	IJKOnet bool
	// Scheme is the scheme JKOnet* fits: compile.Explicit (the zero
	// value, the drift at x) or compile.Implicit (at y); iJKOnet always
	// fits the implicit step.
	Scheme compile.Scheme
	// JK adjusts JKOnet*'s options (from jkonet.DefaultOptions) and IJ
	// sets iJKOnet's.
	JK func(*jkonet.Options)
	IJ ijkonet.Options
	// Deterministic marks a fit that does not depend on the seed given
	// the same cells: the leave-out protocol (every cell) runs it once.
	Deterministic bool
}

// EBOptions configure RunEB.
type EBOptions struct {
	Seeds        int     // seeds 0..Seeds−1 (0 or less: DefaultSeeds)
	TestFraction float64 // one-step protocol's test fraction (default 0.4)
	LeaveOut     []int   // leave-out protocol's snapshots (default 1, 3)
	// HeldOutSteps is the number of steps over the elapsed time of a
	// leave-out prediction (default 1).
	HeldOutSteps int
	OneStep      []EBModel // models scored with the one-step protocol
	LeaveOutSet  []EBModel // models scored with the leave-out protocol
	// Progress, if set, is told what runs next.
	Progress func(what string)
}

// DefaultSeeds is how many seeds (splits and initialisations) the
// embryoid-body suite runs per model when EBOptions.Seeds is 0.
const DefaultSeeds = 5

func (o EBOptions) withDefaults() EBOptions {
	if o.Seeds <= 0 {
		o.Seeds = DefaultSeeds
	}
	if o.TestFraction == 0 {
		o.TestFraction = 0.4
	}
	if o.LeaveOut == nil {
		o.LeaveOut = []int{1, 3}
	}
	if o.HeldOutSteps <= 0 {
		o.HeldOutSteps = 1
	}
	return o
}

// EBRow is one line of the suite's table: a model under a protocol, or a
// published number (Published true).
type EBRow struct {
	Suite    string // "eb"
	Protocol string // "one-step" or "leave-out"
	Model    string
	Method   string // "JKOnet* (linear)", "iJKOnet", …
	Step     string // "explicit" or "implicit"
	Metric   string // "W1" (one-step) or "W2" (leave-out)
	// Heldout is the snapshot scored (leave-out), −1 for one-step rows.
	Heldout   int
	Mean, Std float64 // over the seeds (published rows: as published; Std NaN when none)
	// StepStd is the one-step rows' standard deviation over the steps,
	// averaged over the seeds (the papers' ± on synthetic data).
	StepStd   float64
	PerSeed   []float64
	Seconds   float64 // mean wall time of one fit, couplings included
	Runs      int
	Published bool
	Source    string // for published rows: the paper
	Err       string
}

// EBPublished are the numbers both papers report for their EB tables.
func EBPublished() []EBRow {
	nan := math.NaN()
	one := func(model string, mean, std float64, src string) EBRow {
		return EBRow{Suite: "eb", Protocol: "one-step", Model: model, Metric: "W1", Heldout: -1, Mean: mean, Std: std, StepStd: nan, Seconds: nan, Published: true, Source: src}
	}
	lo := func(model string, k int, mean, std float64) EBRow {
		return EBRow{Suite: "eb", Protocol: "leave-out", Model: model, Metric: "W2", Heldout: k, Mean: mean, Std: std, StepStd: nan, Seconds: nan, Published: true, Source: "iJKOnet paper"}
	}
	return []EBRow{
		one("JKOnet* (time-varying potential)", 0.623, 0.04, "JKOnet* paper"),
		one("DMSB", 0.67, nan, "JKOnet* paper"),
		one("NLSB", 0.74, nan, "JKOnet* paper"),
		one("OT-CFM", 0.790, 0.068, "JKOnet* paper"),
		one("MIOFlow", 0.79, nan, "JKOnet* paper"),
		one("TrajectoryNet", 0.848, nan, "JKOnet* paper"),
		lo("iJKOnet_{t,V}", 1, 0.983, 0.037), lo("iJKOnet_{t,V}", 3, 0.849, 0.021),
		lo("iJKOnet_V", 1, 1.082, nan), lo("iJKOnet_V", 3, 1.147, nan),
		lo("JKOnet*", 1, 1.361, nan), lo("JKOnet*", 3, 2.557, nan),
		lo("DMSB", 1, 1.13, nan), lo("DMSB", 3, 1.45, nan),
		lo("TrajectoryNet", 1, 2.03, nan), lo("TrajectoryNet", 3, 1.93, nan),
	}
}

// ebFit is one fitted model.
type ebFit struct {
	m       *compile.Model
	theta   []float64
	step    compile.Scheme
	method  string
	seconds float64
}

// fitEB fits model on data. prep caches JKOnet*'s couplings by
// evaluation point (the models of the suite have no internal energy, so
// their couplings do not depend on the model); prepSeconds the time
// they took.
func fitEB(model EBModel, data *snapshot.Snapshots, seed uint64, prep map[compile.Scheme]*jkonet.Prepared, prepSeconds map[compile.Scheme]float64) (*ebFit, error) {
	spec, err := compile.LoadString("eb.jko", model.Spec)
	if err != nil {
		return nil, err
	}
	m, err := spec.Instantiate(data.Dim())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var res *jkonet.Result
	extra := 0.0
	if model.IJKOnet {
		ij := model.IJ
		ij.Seed = seed
		if res, err = ijkonet.Fit(m, data, ij); err != nil {
			return nil, err
		}
	} else {
		o := jkonet.DefaultOptions()
		scheme := model.Scheme
		o.Method, o.Seed, o.Scheme = model.Method, seed, &scheme
		if model.JK != nil {
			model.JK(&o)
		}
		scheme = jkonet.SchemeFor(o, m)
		p := prep[scheme]
		if p == nil || m.Has(compile.Internal) {
			if p, err = jkonet.Prepare(m, data, o, scheme); err != nil {
				return nil, err
			}
			if !m.Has(compile.Internal) {
				prep[scheme] = p
				prepSeconds[scheme] = time.Since(start).Seconds()
			}
		} else {
			extra = prepSeconds[scheme]
		}
		switch o.Method {
		case jkonet.MethodLinear:
			res, err = jkonet.FitLinear(m, p, o)
		case jkonet.MethodLBFGS:
			res, err = jkonet.FitLBFGS(m, p, o)
		case jkonet.MethodAdam:
			res, err = jkonet.FitAdam(m, p, o)
		default:
			err = fmt.Errorf("bench: method %v: want linear, lbfgs or adam", o.Method)
		}
		if err != nil {
			return nil, err
		}
	}
	return &ebFit{m: m, theta: res.Theta, step: res.Scheme, method: methodLabel(res.Method), seconds: time.Since(start).Seconds() + extra}, nil
}

func methodLabel(m string) string {
	if m == "ijkonet" {
		return "iJKOnet"
	}
	return "JKOnet* (" + m + ")"
}

// RunEB runs the EB suite on data (the 5 snapshots of examples/eb/data)
// and returns its rows, measured rows first, then the published ones.
func RunEB(data *snapshot.Snapshots, o EBOptions) []EBRow {
	o = o.withDefaults()
	say := func(format string, a ...any) {
		if o.Progress != nil {
			o.Progress(fmt.Sprintf(format, a...))
		}
	}
	var rows []EBRow
	// One-step protocol: one split per seed, shared by the models.
	oneStep := make([]EBRow, len(o.OneStep))
	for i, mod := range o.OneStep {
		oneStep[i] = EBRow{Suite: "eb", Protocol: "one-step", Model: mod.Name, Metric: "W1", Heldout: -1}
	}
	for seed := 0; seed < o.Seeds && len(o.OneStep) > 0; seed++ {
		train, test, err := data.Split(o.TestFraction, uint64(seed))
		if err != nil {
			for i := range oneStep {
				oneStep[i].Err = err.Error()
			}
			break
		}
		prep, prepSec := map[compile.Scheme]*jkonet.Prepared{}, map[compile.Scheme]float64{}
		for i, mod := range o.OneStep {
			r := &oneStep[i]
			if r.Err != "" {
				continue
			}
			say("one-step, seed %d: %s", seed, mod.Name)
			f, err := fitEB(mod, train, uint64(seed), prep, prepSec)
			if err == nil {
				var flow *evaluate.Flow
				if flow, err = evaluate.NewFlow(f.m, f.theta); err == nil {
					var rep evaluate.Report
					if rep, err = evaluate.OneStep(flow, test, uint64(seed), f.step); err == nil {
						r.PerSeed = append(r.PerSeed, rep.Mean)
						r.StepStd += rep.Std
						r.Seconds += f.seconds
						r.Method, r.Step = f.method, f.step.String()
					}
				}
			}
			if err != nil {
				r.Err = fmt.Sprintf("seed %d: %v", seed, err)
			}
		}
	}
	for i := range oneStep {
		r := &oneStep[i]
		r.Runs = len(r.PerSeed)
		r.Mean, r.Std = meanStd(r.PerSeed)
		r.StepStd /= float64(max(r.Runs, 1))
		r.Seconds /= float64(max(r.Runs, 1))
		if r.Runs == 0 {
			r.StepStd, r.Seconds = math.NaN(), math.NaN()
		}
	}
	rows = append(rows, oneStep...)

	// Leave-out protocol: every cell of the kept snapshots.
	if len(o.LeaveOutSet) > 0 {
		kept, kerr := data.Without(o.LeaveOut)
		held, from, herr := data.Previous(o.LeaveOut)
		if kerr == nil {
			kerr = herr
		}
		prep, prepSec := map[compile.Scheme]*jkonet.Prepared{}, map[compile.Scheme]float64{}
		for _, mod := range o.LeaveOutSet {
			per := make([]EBRow, len(held))
			for j, k := range held {
				per[j] = EBRow{Suite: "eb", Protocol: "leave-out", Model: mod.Name, Metric: "W2", Heldout: k, StepStd: math.NaN()}
			}
			seeds := o.Seeds
			if mod.Deterministic {
				seeds = 1
			}
			var errMsg string
			if kerr != nil {
				errMsg = kerr.Error()
			}
			secs := 0.0
			for seed := 0; seed < seeds && errMsg == ""; seed++ {
				say("leave-out, seed %d: %s", seed, mod.Name)
				f, err := fitEB(mod, kept, uint64(seed), prep, prepSec)
				if err == nil {
					var flow *evaluate.Flow
					if flow, err = evaluate.NewFlow(f.m, f.theta); err == nil {
						var sc []evaluate.HeldOutScore
						if sc, err = evaluate.HeldOut(flow, data, held, from, o.HeldOutSteps, uint64(seed), f.step); err == nil {
							for j := range per {
								per[j].PerSeed = append(per[j].PerSeed, sc[j].W2)
								per[j].Method, per[j].Step = f.method, f.step.String()
							}
							secs += f.seconds
						}
					}
				}
				if err != nil {
					errMsg = fmt.Sprintf("seed %d: %v", seed, err)
				}
			}
			for j := range per {
				r := &per[j]
				r.Err = errMsg
				r.Runs = len(r.PerSeed)
				r.Mean, r.Std = meanStd(r.PerSeed)
				r.Seconds = math.NaN()
				if r.Runs > 0 {
					r.Seconds = secs / float64(r.Runs)
				}
			}
			if len(per) == 0 && errMsg != "" {
				per = append(per, EBRow{Suite: "eb", Protocol: "leave-out", Model: mod.Name, Metric: "W2", Heldout: -1, Err: errMsg,
					Mean: math.NaN(), Std: math.NaN(), StepStd: math.NaN(), Seconds: math.NaN()})
			}
			rows = append(rows, per...)
		}
	}
	return append(rows, EBPublished()...)
}

// meanStd is the mean and the population standard deviation (NaN for no
// values, 0 for one).
func meanStd(v []float64) (float64, float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)))
}

// EBMarkdown prints the suite as two tables, one per protocol, measured
// rows beside the published ones, each sorted by its error.
func EBMarkdown(rows []EBRow) string {
	var b strings.Builder
	num := func(v float64, prec int) string {
		if math.IsNaN(v) {
			return ""
		}
		return fmt.Sprintf("%.*f", prec, v)
	}
	pm := func(r EBRow) string {
		if r.Err != "" && r.Runs == 0 {
			return "error: " + r.Err
		}
		s := num(r.Mean, 3)
		if !math.IsNaN(r.Std) {
			s += " ± " + num(r.Std, 3)
		}
		return s
	}
	who := func(r EBRow) string {
		if r.Published {
			return "published (" + r.Source + ")"
		}
		return fmt.Sprintf("jko, %d seed(s)", r.Runs)
	}
	// One-step.
	var one []EBRow
	for _, r := range rows {
		if r.Protocol == "one-step" {
			one = append(one, r)
		}
	}
	sortRows(one)
	b.WriteString("One-step-ahead W1 on the test cells (60/40 split inside each snapshot), mean ± std over the seeds:\n\n")
	b.WriteString("| model | method | step | W1 | ± over steps | s per fit | source |\n|---|---|---|---|---|---|---|\n")
	for _, r := range one {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Model, r.Method, r.Step, pm(r), num(r.StepStd, 3), num(r.Seconds, 1), who(r))
	}
	// Leave-out: one row per model, a column per held-out snapshot.
	type key struct {
		model string
		pub   bool
	}
	var order []key
	byKey := map[key][]EBRow{}
	heldSet := map[int]bool{}
	for _, r := range rows {
		if r.Protocol != "leave-out" {
			continue
		}
		k := key{r.Model, r.Published}
		if byKey[k] == nil {
			order = append(order, k)
		}
		byKey[k] = append(byKey[k], r)
		heldSet[r.Heldout] = true
	}
	var held []int
	for h := range heldSet {
		held = append(held, h)
	}
	sort.Ints(held)
	if len(order) > 0 {
		b.WriteString("\nLeave-out W2 (fit without the held-out snapshots, predict each from the previous kept one), mean ± std over the seeds:\n\n")
		b.WriteString("| model | method | step |")
		for _, h := range held {
			fmt.Fprintf(&b, " W2 at t%d |", h)
		}
		b.WriteString(" s per fit | source |\n|---|---|---|")
		for range held {
			b.WriteString("---|")
		}
		b.WriteString("---|---|\n")
		sort.SliceStable(order, func(i, j int) bool {
			return leaveOutScore(byKey[order[i]]) < leaveOutScore(byKey[order[j]])
		})
		for _, k := range order {
			rs := byKey[k]
			r0 := rs[0]
			fmt.Fprintf(&b, "| %s | %s | %s |", r0.Model, r0.Method, r0.Step)
			for _, h := range held {
				cell := ""
				for _, r := range rs {
					if r.Heldout == h {
						cell = pm(r)
					}
				}
				fmt.Fprintf(&b, " %s |", cell)
			}
			fmt.Fprintf(&b, " %s | %s |\n", num(r0.Seconds, 1), who(r0))
		}
	}
	return b.String()
}

func leaveOutScore(rs []EBRow) float64 {
	s := 0.0
	for _, r := range rs {
		if math.IsNaN(r.Mean) {
			return math.Inf(1)
		}
		s += r.Mean
	}
	return s / float64(len(rs))
}

func sortRows(rs []EBRow) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].Mean, rs[j].Mean
		if math.IsNaN(a) {
			return false
		}
		if math.IsNaN(b) {
			return true
		}
		return a < b
	})
}
