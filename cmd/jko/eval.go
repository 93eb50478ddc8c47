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
	Split        string  `help:"Which snapshots of a directory to evaluate on: test, train or all." enum:"test,train,all" default:"test"`
	Dt           float64 `help:"Time between snapshots, when the data does not say."`
	Seed         uint64  `help:"Random seed for the prediction noise." default:"0"`
	JSON         bool    `help:"Print JSON."`
	OnlyW1       bool    `name:"only-w1" help:"Compute only the one-step W1 (the paper's metric): skip W2, MMD and the all-steps rollout."`
	Step         string  `help:"${step_help}" enum:",explicit,implicit" default:""`
	dataFlags    `embed:""`
	HeldOutSteps int `name:"held-out-steps" help:"With --leave-out: steps over the elapsed time of each prediction (the fitted step's length is the time between kept snapshots)." default:"1"`
}

type evalReport struct {
	Fitted   string          `json:"fitted"`
	Data     string          `json:"data"`
	Split    string          `json:"split"`
	Step     string          `json:"step"`
	OneStep  evaluate.Report `json:"one_step"`
	W2       evaluate.Report `json:"one_step_w2"`
	MMD      evaluate.Report `json:"one_step_mmd"`
	AllSteps evaluate.Report `json:"all_steps"`
	// LeaveOut holds the scores of the snapshots left out (--leave-out).
	LeaveOut []evaluate.HeldOutScore `json:"leave_out,omitempty"`
	Beta     float64                 `json:"beta"`
	Truth    []paramComparison       `json:"truth,omitempty"`
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
	data, err := c.load(c.Data, c.Split, c.Dt, "test")
	if err != nil {
		return err
	}
	if err := data.Validate(); err != nil {
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
	rep := evalReport{Fitted: c.Fitted, Data: c.Data, Split: c.Split, Step: step.String(), Beta: flow.Beta()}
	if isFile(c.Data) {
		rep.Split = "all" // a file has no train/test split
	}
	if c.TestFraction > 0 {
		rep.Split = fmt.Sprintf("test cells, fraction %g, seed %d", c.TestFraction, c.SplitSeed)
	}
	if len(c.LeaveOut) > 0 {
		return c.leaveOut(g, rep, flow, data, step)
	}
	if c.OnlyW1 {
		if rep.OneStep, err = evaluate.OneStep(flow, data, c.Seed, step); err != nil {
			return err
		}
	} else {
		dist, err := evaluate.OneStepAll(flow, data, c.Seed, step)
		if err != nil {
			return err
		}
		rep.OneStep, rep.W2, rep.MMD = dist.W1, dist.W2, dist.MMD
		if rep.AllSteps, err = evaluate.AllSteps(flow, data, c.Seed, step); err != nil {
			return err
		}
	}
	rep.Truth = compareTruth(c.Data, m, theta)
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(g.stdout, "one-step-ahead W1 (%s split, %s step): %.4g ± %.2g\n", rep.Split, step, rep.OneStep.Mean, rep.OneStep.Std)
	fmt.Fprintf(g.stdout, "  per step: %s\n", fmtList(rep.OneStep.PerStep))
	if !c.OnlyW1 {
		fmt.Fprintf(g.stdout, "  one-step W2 %.4g ± %.2g, MMD %.4g ± %.2g\n", rep.W2.Mean, rep.W2.Std, rep.MMD.Mean, rep.MMD.Std)
		fmt.Fprintf(g.stdout, "all-steps-ahead W1 from snapshot 0: %.4g ± %.2g\n", rep.AllSteps.Mean, rep.AllSteps.Std)
		fmt.Fprintf(g.stdout, "  per step: %s\n", fmtList(rep.AllSteps.PerStep))
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
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(g.stdout, "left-out snapshots (%s, %s step), predicted from the previous kept snapshot:\n", rep.Split, step)
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, h := range rep.LeaveOut {
		fmt.Fprintf(tw, "  snapshot %d (t=%g)\tfrom %d over %g\tW2 %.4g\tW1 %.4g\t\n", h.Snapshot, h.Time, h.From, h.Elapsed, h.W2, h.W1)
	}
	return tw.Flush()
}
