package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
)

type evalCmd struct {
	fittedFlags  `embed:""`
	dataFlags    `embed:"" set:"split_help=Which snapshots of a directory to evaluate on: test (the default), train or all. A CSV file is used whole."`
	JSON         bool `help:"Print JSON."`
	OnlyW1       bool `name:"only-w1" help:"Compute only the one-step W1 (the paper's metric): skip W2, MMD, the all-steps rollout, the noise-aware comparison and the drift error against spec.jko."`
	cellFlags    `embed:""`
	HeldOutSteps int `name:"held-out-steps" placeholder:"N" help:"With --leave-out: steps over the elapsed time of each prediction (the fitted step's length is the time between kept snapshots; default ${held_out_steps_default})." default:"${held_out_steps_default}"`
}

// evalReport is what eval prints; with --only-w1 the metrics it skips are
// absent (nil), not zeros.
type evalReport struct {
	Fitted   string            `json:"fitted"`
	Data     string            `json:"data"`
	Split    string            `json:"split"`
	TimesAt  string            `json:"times"`
	Step     string            `json:"step"`
	OneStep  evaluate.Report   `json:"one_step"`
	W2       *evaluate.Report  `json:"one_step_w2,omitempty"`
	MMD      *evaluate.Report  `json:"one_step_mmd,omitempty"`
	AllSteps *evaluate.Report  `json:"all_steps,omitempty"`
	Beta     float64           `json:"beta"`
	Truth    []paramComparison `json:"truth,omitempty"`
	// LeaveOut holds the scores of the snapshots left out (--leave-out).
	LeaveOut []evaluate.HeldOutScore `json:"leave_out,omitempty"`
	// TermErrors compare the fitted terms with the truth's whatever the
	// parameters are called: relative errors of the drifts over the data.
	TermErrors []termComparison `json:"term_errors,omitempty"`
	// TruthNote says why there is no comparison, when there is none.
	TruthNote string `json:"truth_note,omitempty"`
	// Noise puts W1 next to the model's own noise and the data's sampling
	// scale; DriftError compares the drift with spec.jko's (when present).
	Noise      *evaluate.NoiseReport
	DriftError *driftError
}

// termComparison and paramComparison hold a relative error (NaN, JSON
// null, when the truth is zero and it is undefined) and the absolute one
// (for a term, the RMS of the difference over the points).
type termComparison struct {
	Term     string  `json:"term"`
	Fitted   float64 `json:"fitted,omitempty"`
	True     float64 `json:"true,omitempty"`
	RelError float64 `json:"rel_error"`
	AbsError float64 `json:"abs_error"`
}

// driftError is a mean over particles: over a sample of Points of the
// Population when it is large, with its Monte-Carlo standard errors (0
// when every particle was evaluated).
type driftError struct {
	Relative   float64 `json:"relative"`
	RelativeSE float64 `json:"relative_se"`
	RMS        float64 `json:"rms"`
	RMSSE      float64 `json:"rms_se"`
	Points     int     `json:"points"`
	Population int     `json:"population"`
}

type paramComparison struct {
	Name     string  `json:"name"`
	Fitted   float64 `json:"fitted"`
	True     float64 `json:"true"`
	RelError float64 `json:"rel_error"`
	AbsError float64 `json:"abs_error"`
}

func (c evalCmd) Run(g *globals) error {
	spec, err := compile.LoadFile(c.Fitted)
	if err != nil {
		return err
	}
	data, err := c.load(c.Data, c.dataFlags, "test", "test")
	if err != nil {
		return err
	}
	if data.Len() < 2 {
		return fmt.Errorf("evaluation needs at least 2 snapshots; %s has %d", c.Data, data.Len())
	}
	fitted, flow, step, err := c.flow(spec, data.Dim())
	if err != nil {
		return err
	}
	m, theta := fitted.Model, fitted.Theta
	rep := evalReport{Fitted: c.Fitted, Data: c.Data, Split: data.Split, TimesAt: data.TimesNote, Step: step.String(), Beta: flow.Beta()}
	if len(c.LeaveOut) > 0 {
		return c.leaveOut(g, rep, flow, data.Snapshots, step)
	}
	bar := newProgress(g, 0, "")
	progress := func(stage string) evaluate.Progress {
		return func(done, total int) { bar.update(stage, done, total, "") }
	}
	if c.OnlyW1 {
		if rep.OneStep, err = evaluate.OneStep(flow, data.Snapshots, c.Seed, step, progress("one-step W1")); err != nil {
			return err
		}
	} else {
		dist, err := evaluate.OneStepAll(flow, data.Snapshots, c.Seed, step, progress("one-step W1, W2, MMD"))
		if err != nil {
			return err
		}
		rep.OneStep, rep.W2, rep.MMD = dist.W1, &dist.W2, &dist.MMD
		all, err := evaluate.AllSteps(flow, data.Snapshots, c.Seed, step, progress("all-steps rollout"))
		if err != nil {
			return err
		}
		rep.AllSteps = &all
		nr, err := evaluate.NoiseAware(flow, data.Snapshots, c.Seed, step)
		if err != nil {
			return err
		}
		rep.Noise = &nr
	}
	bar.finish()
	rep.Truth, rep.TermErrors, rep.TruthNote = compareTruth(c.Data, m, theta, data.Snapshots)
	if tf := truthFlow(c.Data, m.Dim); tf != nil && !c.OnlyW1 {
		// A sample of the particles, each in its whole snapshot: the
		// truth's interaction over every pair would cost the square of
		// the population (2.8 of jko eval's 3.2 CPU-s on 2 × 10⁷ pairs).
		if e, err := evaluate.DriftError(flow, tf, data.Snapshots, evaluate.DriftErrorPoints, c.Seed); err == nil {
			rep.DriftError = &driftError{e.Relative, e.RelativeSE, e.RMS, e.RMSSE, e.Points, e.Population}
		}
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep.jsonSafe())
	}
	fmt.Fprintf(g.stdout, "data %s (%s split), %s\n", c.Data, rep.Split, rep.TimesAt)
	fmt.Fprintf(g.stdout, "one-step-ahead W1 (%s split, %s step): %.4g ± %.2g\n", rep.Split, step, rep.OneStep.Mean, rep.OneStep.Std)
	fmt.Fprintf(g.stdout, "  per step: %s\n", fmtList(rep.OneStep.PerStep))
	if !c.OnlyW1 {
		fmt.Fprintf(g.stdout, "  one-step W2 %.4g ± %.2g, MMD %.4g ± %.2g\n", rep.W2.Mean, rep.W2.Std, rep.MMD.Mean, rep.MMD.Std)
		fmt.Fprintf(g.stdout, "all-steps-ahead W1 from snapshot 0: %.4g ± %.2g\n", rep.AllSteps.Mean, rep.AllSteps.Std)
		fmt.Fprintf(g.stdout, "  per step: %s\n", fmtList(rep.AllSteps.PerStep))
	}
	if r := rep.Noise; r != nil {
		fmt.Fprintf(g.stdout, "noise-aware: W1 %.4g against %.4g between two runs of the model (ratio %.3g: 1 when the model's noise explains the data, > 1 too little noise or a wrong drift); two independent samples of the data differ by %.4g\n",
			r.W1.Mean, r.Self.Mean, r.Ratio, r.Floor.Mean)
	}
	if e := rep.DriftError; e != nil {
		if e.Points < e.Population {
			fmt.Fprintf(g.stdout, "drift error against spec.jko: %.3g ± %.2g relative (RMS ‖v̂ − v‖ %.4g ± %.2g; a mean over %d of the %d particles, each in its whole snapshot: ± one Monte-Carlo standard error)\n",
				e.Relative, e.RelativeSE, e.RMS, e.RMSSE, e.Points, e.Population)
		} else {
			fmt.Fprintf(g.stdout, "drift error against spec.jko: %.3g relative (RMS ‖v̂ − v‖ %.4g, a mean over all %d particles)\n", e.Relative, e.RMS, e.Population)
		}
	}
	if len(rep.TermErrors) > 0 {
		fmt.Fprintln(g.stdout, "terms against the spec the data was simulated from (relative errors over the data):")
		wid := 0
		for _, t := range rep.TermErrors {
			wid = max(wid, utf8.RuneCountInString(t.Term))
		}
		for _, t := range rep.TermErrors {
			fmt.Fprintf(g.stdout, "  %s  %s", pad(t.Term, wid, false), errorText(t.RelError, t.AbsError))
			if t.Term == "β" {
				fmt.Fprintf(g.stdout, " (fitted %s, true %s)", fmtNum(t.Fitted), fmtNum(t.True))
			}
			fmt.Fprintln(g.stdout)
		}
	}
	if rep.TruthNote != "" {
		fmt.Fprintf(g.stdout, "no comparison with the truth: %s\n", rep.TruthNote)
	}
	if len(rep.Truth) > 0 {
		fmt.Fprintln(g.stdout, "parameters against the spec the data was simulated from:")
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, p := range rep.Truth {
			fmt.Fprintf(tw, "  %s\t%s\ttrue %s\t%s\t\n", p.Name, fmtNum(p.Fitted), fmtNum(p.True), errorText(p.RelError, p.AbsError))
		}
		tw.Flush()
	}
	return nil
}

func fmtList(v []float64) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.4g", x)
	}
	return s
}

// compareTruth compares the fitted spec with the spec.jko that jko
// simulate writes next to its data: the parameters that have the same
// name and size in both, and always, whatever the parameters are called,
// each kind of term — ∇V at the particles and ∇U over pairs of particles
// (relative L2 errors), and β when both internal energies are entropies.
// note says why there is no comparison when there is none.
func compareTruth(dir string, m *compile.Model, theta []float64, data *snapshot.Snapshots) (params []paramComparison, terms []termComparison, note string) {
	path := filepath.Join(dir, "spec.jko")
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		return nil, nil, "no spec.jko next to the data (jko simulate writes one)"
	}
	ts, err := compile.LoadFile(path)
	if err != nil {
		return nil, nil, fmt.Sprintf("%s: %v", path, err)
	}
	tm, err := ts.Instantiate(m.Dim)
	if err != nil {
		return nil, nil, fmt.Sprintf("%s: %v", path, err)
	}
	tt := tm.InitTheta(0)
	for _, p := range m.Params {
		if p.Hidden {
			continue
		}
		for _, q := range tm.Params {
			if q.Name != p.Name || q.Size != p.Size {
				continue
			}
			for i := 0; i < p.Size; i++ {
				f, t := theta[p.Offset+i], tt[q.Offset+i]
				params = append(params, paramComparison{p.EntryName(i), f, t, relErr(f, t), math.Abs(f - t)})
			}
		}
	}
	// The particles of every snapshot (at most 2,000, a fixed stride).
	var xs []float64
	n := 0
	for _, x := range data.X {
		r, d := x.Dims()
		for i := 0; i < r; i += max(1, r*data.Len()/2000) {
			xs = append(xs, x.RawRowView(i)[:d]...)
			n++
		}
	}
	d := m.Dim
	if m.Has(compile.Potential) || tm.Has(compile.Potential) {
		g1, g2 := make([]float64, n*d), make([]float64, n*d)
		m.PotentialGrad(g1, xs, n, data.Times[0], theta)
		tm.PotentialGrad(g2, xs, n, data.Times[0], tt)
		terms = append(terms, termComparison{Term: "∇V at the particles", RelError: relL2(g1, g2), AbsError: rmsDiff(g1, g2, n)})
	}
	if m.Has(compile.Interaction) || tm.Has(compile.Interaction) {
		// Differences z = x_i − x_j of consecutive sampled particles.
		nz := n - 1
		z := make([]float64, nz*d)
		for i := range nz {
			for j := range d {
				z[i*d+j] = xs[i*d+j] - xs[(i+1)*d+j]
			}
		}
		u1, u2 := make([]float64, nz*d), make([]float64, nz*d)
		origin := make([]float64, d) // ∇U(z − 0) = ∇U(z)
		m.InteractionGrad(u1, z, nz, origin, 1, theta)
		tm.InteractionGrad(u2, z, nz, origin, 1, tt)
		terms = append(terms, termComparison{Term: "∇U over pairs of particles", RelError: relL2(u1, u2), AbsError: rmsDiff(u1, u2, nz)})
	}
	b1, ok1 := m.Entropy(theta)
	b2, ok2 := tm.Entropy(tt)
	if ok1 && ok2 && (b1 != 0 || b2 != 0) {
		terms = append(terms, termComparison{Term: "β", Fitted: b1, True: b2, RelError: relErr(b1, b2), AbsError: math.Abs(b1 - b2)})
	}
	return params, terms, ""
}

// relErr is |f − t| / |t|: 0 when f = t, NaN (undefined) when only the
// truth t is 0.
func relErr(f, t float64) float64 {
	if f == t {
		return 0
	}
	if t == 0 {
		return math.NaN()
	}
	return math.Abs(f-t) / math.Abs(t)
}

// relL2 is ‖a − b‖ / ‖b‖: 0 when a = b, NaN (undefined) when only b is 0.
func relL2(a, b []float64) float64 {
	num, den := 0.0, 0.0
	for i := range a {
		num += (a[i] - b[i]) * (a[i] - b[i])
		den += b[i] * b[i]
	}
	if num == 0 {
		return 0
	}
	if den == 0 {
		return math.NaN()
	}
	return math.Sqrt(num / den)
}

// rmsDiff is the root mean square over n points of ‖a_i − b_i‖.
func rmsDiff(a, b []float64, n int) float64 {
	s := 0.0
	for i := range a {
		s += (a[i] - b[i]) * (a[i] - b[i])
	}
	return math.Sqrt(s / float64(max(n, 1)))
}

// errorText prints a relative error, or the absolute one where the truth
// is zero and a relative error means nothing.
func errorText(rel, abs float64) string {
	if math.IsNaN(rel) {
		return fmt.Sprintf("abs. error %.2g (the truth is 0)", abs)
	}
	return fmt.Sprintf("rel. error %.2g", rel)
}

// metricJSON is an evaluate.Report whose NaN and infinite values (a
// diverged prediction) JSON carries as null.
type metricJSON struct {
	Metric  string      `json:"metric"`
	PerStep []jsonFloat `json:"per_step"`
	Mean    jsonFloat   `json:"mean"`
	Std     jsonFloat   `json:"std"`
}

func metricOf(r *evaluate.Report) *metricJSON {
	if r == nil {
		return nil
	}
	m := &metricJSON{Metric: r.Metric, Mean: jsonFloat(r.Mean), Std: jsonFloat(r.Std), PerStep: []jsonFloat{}}
	for _, v := range r.PerStep {
		m.PerStep = append(m.PerStep, jsonFloat(v))
	}
	return m
}

// jsonSafe is the report with every number JSON can carry (NaN → null).
func (r evalReport) jsonSafe() any {
	type term struct {
		Term     string    `json:"term"`
		Fitted   jsonFloat `json:"fitted,omitempty"`
		True     jsonFloat `json:"true,omitempty"`
		RelError jsonFloat `json:"rel_error"`
		AbsError jsonFloat `json:"abs_error"`
	}
	type truth struct {
		Name     string    `json:"name"`
		Fitted   jsonFloat `json:"fitted"`
		True     jsonFloat `json:"true"`
		RelError jsonFloat `json:"rel_error"`
		AbsError jsonFloat `json:"abs_error"`
	}
	out := struct {
		Fitted     string      `json:"fitted"`
		Data       string      `json:"data"`
		Split      string      `json:"split"`
		TimesAt    string      `json:"times"`
		Step       string      `json:"step"`
		OneStep    *metricJSON `json:"one_step"`
		W2         *metricJSON `json:"one_step_w2,omitempty"`
		MMD        *metricJSON `json:"one_step_mmd,omitempty"`
		AllSteps   *metricJSON `json:"all_steps,omitempty"`
		Beta       jsonFloat   `json:"beta"`
		Truth      []truth     `json:"truth,omitempty"`
		TermErrors []term      `json:"term_errors,omitempty"`
		TruthNote  string      `json:"truth_note,omitempty"`
		Noise      *noiseJSON  `json:"noise_aware,omitempty"`
		Drift      *driftError `json:"drift_error,omitempty"`
	}{r.Fitted, r.Data, r.Split, r.TimesAt, r.Step, metricOf(&r.OneStep), metricOf(r.W2), metricOf(r.MMD), metricOf(r.AllSteps), jsonFloat(r.Beta), nil, nil, r.TruthNote, nil, r.DriftError}
	if n := r.Noise; n != nil {
		out.Noise = &noiseJSON{metricOf(&n.W1), metricOf(&n.Self), metricOf(&n.Floor), jsonFloat(n.Ratio)}
	}
	for _, p := range r.Truth {
		out.Truth = append(out.Truth, truth{p.Name, jsonFloat(p.Fitted), jsonFloat(p.True), jsonFloat(p.RelError), jsonFloat(p.AbsError)})
	}
	for _, t := range r.TermErrors {
		out.TermErrors = append(out.TermErrors, term{t.Term, jsonFloat(t.Fitted), jsonFloat(t.True), jsonFloat(t.RelError), jsonFloat(t.AbsError)})
	}
	return out
}

// leaveOut scores the snapshots left out of the fit, each predicted from
// the previous kept snapshot.
func (c evalCmd) leaveOut(g *globals, rep evalReport, flow *evaluate.Flow, data *snapshot.Snapshots, step compile.Scheme) error {
	held, from, err := data.Previous(c.LeaveOut)
	if err != nil {
		return err
	}
	if rep.LeaveOut, err = evaluate.HeldOut(flow, data, held, from, c.HeldOutSteps, c.Seed, step); err != nil {
		return err
	}
	if c.JSON {
		type score struct {
			Snapshot int       `json:"snapshot"`
			From     int       `json:"from"`
			Time     jsonFloat `json:"time"`
			Elapsed  jsonFloat `json:"elapsed"`
			W1       jsonFloat `json:"w1"`
			W2       jsonFloat `json:"w2"`
		}
		out := struct {
			Fitted   string  `json:"fitted"`
			Data     string  `json:"data"`
			Split    string  `json:"split"`
			TimesAt  string  `json:"times"`
			Step     string  `json:"step"`
			LeaveOut []score `json:"leave_out"`
		}{Fitted: rep.Fitted, Data: rep.Data, Split: rep.Split, TimesAt: rep.TimesAt, Step: rep.Step}
		for _, h := range rep.LeaveOut {
			out.LeaveOut = append(out.LeaveOut, score{h.Snapshot, h.From, jsonFloat(h.Time), jsonFloat(h.Elapsed), jsonFloat(h.W1), jsonFloat(h.W2)})
		}
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(g.stdout, "data %s (%s), %s\n", c.Data, rep.Split, rep.TimesAt)
	fmt.Fprintf(g.stdout, "left-out snapshots (%s step), each predicted from the previous kept snapshot:\n", step)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, h := range rep.LeaveOut {
		fmt.Fprintf(tw, "  snapshot %d (t=%g)\tfrom %d over %g\tW2 %.4g\tW1 %.4g\t\n", h.Snapshot, h.Time, h.From, h.Elapsed, h.W2, h.W1)
	}
	return tw.Flush()
}

// noiseJSON is an evaluate.NoiseReport for JSON (a model without noise has
// ratio +Inf, carried as null).
type noiseJSON struct {
	W1    *metricJSON `json:"w1"`
	Self  *metricJSON `json:"self"`
	Floor *metricJSON `json:"floor"`
	Ratio jsonFloat   `json:"ratio"`
}

// truthFlow is the dynamics of the spec.jko that jko simulate writes next
// to its data, or nil.
func truthFlow(data string, d int) *evaluate.Flow {
	path := filepath.Join(data, "spec.jko")
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	ts, err := compile.LoadFile(path)
	if err != nil {
		return nil
	}
	tm, err := ts.Instantiate(d)
	if err != nil {
		return nil
	}
	f, err := evaluate.NewFlow(tm, tm.InitTheta(0))
	if err != nil {
		return nil
	}
	return f
}
