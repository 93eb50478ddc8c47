package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
)

type evalCmd struct {
	Fitted       string  `arg:"" help:"A fitted spec (from jko fit)."`
	Data         string  `arg:"" help:"Snapshots: a JKOnet*-layout directory or a CSV file."`
	Split        string  `help:"Which snapshots of a directory to evaluate on: test (the default), train or all. A CSV file is used whole." enum:",test,train,all" default:""`
	Dt           float64 `help:"${dt_help}"`
	Weights      string  `name:"weights-column" help:"${weights_help}"`
	Seed         uint64  `help:"Random seed for the prediction noise." default:"0"`
	JSON         bool    `help:"Print JSON."`
	OnlyW1       bool    `name:"only-w1" help:"Compute only the one-step W1 (the paper's metric): skip W2, MMD and the all-steps rollout."`
	Step         string  `help:"${step_help}" enum:",explicit,implicit" default:""`
	cellFlags    `embed:""`
	HeldOutSteps int `name:"held-out-steps" help:"With --leave-out: steps over the elapsed time of each prediction (the fitted step's length is the time between kept snapshots)." default:"1"`
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
	// Noise puts W1 next to the model's own noise and the data's sampling
	// scale; DriftError compares the drift with spec.jko's (when present).
	Noise      *evaluate.NoiseReport
	DriftError *driftError
}

type driftError struct {
	Relative float64 `json:"relative"`
	RMS      float64 `json:"rms"`
}

type paramComparison struct {
	Name     string  `json:"name"`
	Fitted   float64 `json:"fitted"`
	True     float64 `json:"true"`
	RelError float64 `json:"rel_error"`
}

func (c evalCmd) Run(g *globals) error {
	spec, err := compile.LoadFile(c.Fitted)
	if err != nil {
		return err
	}
	data, err := c.load(c.Data, dataFlags{Split: c.Split, Dt: c.Dt, Weights: c.Weights}, "test", "test")
	if err != nil {
		return err
	}
	if data.Len() < 2 {
		return fmt.Errorf("evaluation needs at least 2 snapshots; %s has %d", c.Data, data.Len())
	}
	m, err := spec.Instantiate(data.Dim())
	if err != nil {
		return err
	}
	theta := m.InitTheta(c.Seed)
	flow, err := evaluate.NewFlow(m, theta, c.Seed)
	if err != nil {
		return err
	}
	step, err := stepOf(c.Step, m)
	if err != nil {
		return err
	}
	rep := evalReport{Fitted: c.Fitted, Data: c.Data, Split: data.Split, TimesAt: data.TimesNote, Step: step.String(), Beta: flow.Beta()}
	if len(c.LeaveOut) > 0 {
		return c.leaveOut(g, rep, flow, data.Snapshots, step)
	}
	if c.OnlyW1 {
		if rep.OneStep, err = evaluate.OneStep(flow, data.Snapshots, c.Seed, step); err != nil {
			return err
		}
	} else {
		dist, err := evaluate.OneStepAll(flow, data.Snapshots, c.Seed, step)
		if err != nil {
			return err
		}
		rep.OneStep, rep.W2, rep.MMD = dist.W1, &dist.W2, &dist.MMD
		all, err := evaluate.AllSteps(flow, data.Snapshots, c.Seed, step)
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
	rep.Truth = compareTruth(c.Data, m, theta)
	if tf := truthFlow(c.Data, m.Dim); tf != nil {
		if rel, rms, err := evaluate.DriftError(flow, tf, data.Snapshots); err == nil {
			rep.DriftError = &driftError{rel, rms}
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
		fmt.Fprintf(g.stdout, "drift error against spec.jko: %.3g relative (RMS ‖v̂ − v‖ %.4g over the data)\n", e.Relative, e.RMS)
	}
	if len(rep.Truth) > 0 {
		fmt.Fprintln(g.stdout, "parameters against the spec the data was simulated from:")
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, p := range rep.Truth {
			fmt.Fprintf(tw, "  %s\t%s\ttrue %s\trel. error %.2g\t\n", p.Name, fmtNum(p.Fitted), fmtNum(p.True), p.RelError)
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

// compareTruth compares the fitted parameters with those of the spec.jko
// that jko simulate writes next to its data, matching them by name.
func compareTruth(data string, m *compile.Model, theta []float64) []paramComparison {
	path := filepath.Join(data, "spec.jko")
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	ts, err := compile.LoadFile(path)
	if err != nil {
		return nil
	}
	tm, err := ts.Instantiate(m.Dim)
	if err != nil {
		return nil
	}
	tt := tm.InitTheta(0)
	var out []paramComparison
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
				out = append(out, paramComparison{p.EntryName(i), f, t, math.Abs(f-t) / math.Max(math.Abs(t), 1e-300)})
			}
		}
	}
	return out
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
	type truth struct {
		Name     string    `json:"name"`
		Fitted   jsonFloat `json:"fitted"`
		True     jsonFloat `json:"true"`
		RelError jsonFloat `json:"rel_error"`
	}
	out := struct {
		Fitted   string      `json:"fitted"`
		Data     string      `json:"data"`
		Split    string      `json:"split"`
		TimesAt  string      `json:"times"`
		Step     string      `json:"step"`
		OneStep  *metricJSON `json:"one_step"`
		W2       *metricJSON `json:"one_step_w2,omitempty"`
		MMD      *metricJSON `json:"one_step_mmd,omitempty"`
		AllSteps *metricJSON `json:"all_steps,omitempty"`
		Beta     jsonFloat   `json:"beta"`
		Truth    []truth     `json:"truth,omitempty"`
		Noise    *noiseJSON  `json:"noise_aware,omitempty"`
		Drift    *driftError `json:"drift_error,omitempty"`
	}{r.Fitted, r.Data, r.Split, r.TimesAt, r.Step, metricOf(&r.OneStep), metricOf(r.W2), metricOf(r.MMD), metricOf(r.AllSteps), jsonFloat(r.Beta), nil, nil, r.DriftError}
	if n := r.Noise; n != nil {
		out.Noise = &noiseJSON{metricOf(&n.W1), metricOf(&n.Self), metricOf(&n.Floor), jsonFloat(n.Ratio)}
	}
	for _, p := range r.Truth {
		out.Truth = append(out.Truth, truth{p.Name, jsonFloat(p.Fitted), jsonFloat(p.True), jsonFloat(p.RelError)})
	}
	return out
}

// leaveOut scores the snapshots left out of the fit, each predicted from
// the previous kept snapshot.
func (c evalCmd) leaveOut(g *globals, rep evalReport, flow *evaluate.Flow, data *snapshot.Snapshots, step evaluate.Step) error {
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
	f, err := evaluate.NewFlow(tm, tm.InitTheta(0), 0)
	if err != nil {
		return nil
	}
	return f
}
