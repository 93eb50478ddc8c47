package main

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jko-org/jko/internal/bench"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
)

// The EB suite's models, chosen on a validation split of the training
// cells (BENCHMARKS.md says what was tried).
const (
	// ebStepPoly is a quartic in x whose coefficients are cubic in t: on
	// the four steps of the one-step protocol (t = 0, 1, 2, 3) it is one
	// free quartic per step.
	ebStepPoly = `param a[*]
param b[*]
param c[*]
param e[*]
potential V(x, t) = dot(a, polynomials(x, 4)) + t*dot(b, polynomials(x, 4)) + t^2*dot(c, polynomials(x, 4)) + t^3*dot(e, polynomials(x, 4))
`
	// ebTimePoly is a quartic in x whose coefficients are affine in t: on
	// the two steps of the leave-out protocol (t = 0, 2) one free quartic
	// per step.
	ebTimePoly = `param c[*]
param e[*]
potential V(x, t) = dot(c, polynomials(x, 4)) + t*dot(e, polynomials(x, 4))
`
	ebMLP = `potential V(x, t) = mlp([x, t], 64, 64)
`
	ebIJ = `param c[*]
param e[*]
potential V(x, t) = dot(c, polynomials(x, 2)) + t*dot(e, polynomials(x, 2))
`
)

// ebModels returns the one-step and leave-out models of the suite of the
// given kinds: "closed-form", "mlp", "ijkonet".
func ebModels(kinds []string) (oneStep, leaveOut []bench.EBModel, err error) {
	adam := func(o *jkonet.Options) { o.Epochs, o.LR = 50, 3e-3 }
	for _, k := range kinds {
		switch k {
		case "closed-form":
			oneStep = append(oneStep, bench.EBModel{Name: "polynomial(x, 4) per step (t, t², t³)", Spec: ebStepPoly, Method: jkonet.MethodLinear, EvalAt: "x"})
			leaveOut = append(leaveOut, bench.EBModel{Name: "polynomial(x, 4) + t·polynomial(x, 4)", Spec: ebTimePoly, Method: jkonet.MethodLinear, EvalAt: "x", Deterministic: true})
		case "mlp":
			m := bench.EBModel{Name: "mlp([x, t], 64, 64)", Spec: ebMLP, Method: jkonet.MethodAdam, EvalAt: "x", JK: adam}
			oneStep = append(oneStep, m)
			leaveOut = append(leaveOut, m)
		case "ijkonet":
			// Particle maps and full batches: no randomness, one run.
			leaveOut = append(leaveOut, bench.EBModel{Name: "polynomial(x, 2) + t·polynomial(x, 2)", Spec: ebIJ, IJKOnet: true, Deterministic: true})
		default:
			return nil, nil, fmt.Errorf("--eb-models %s: want closed-form, mlp or ijkonet", k)
		}
	}
	return oneStep, leaveOut, nil
}

// ebCandidates are the model classes tried on the validation split
// (--validate): time-free and time-dependent polynomials of total degree
// 2 to 4, one free polynomial per step, a polynomial of (x, t), an mlp of
// (x, t), and ridge weights for the best.
func ebCandidates() []bench.EBModel {
	poly := func(k int) string {
		return fmt.Sprintf("param c[*]\nparam e[*]\npotential V(x, t) = dot(c, polynomials(x, %d)) + t*dot(e, polynomials(x, %d))\n", k, k)
	}
	// A fixed ridge, relative to the normal matrix's diagonal (the
	// suite's closed forms use the default: chosen from the data).
	reg := func(r float64) func(*jkonet.Options) {
		return func(o *jkonet.Options) { o.Ridge = jkonet.RidgeFixed(r) }
	}
	var out []bench.EBModel
	out = append(out, bench.EBModel{Name: "polynomial(x, 2), no time", Spec: "param c[*]\npotential V(x) = dot(c, polynomials(x, 2))\n", Method: jkonet.MethodLinear, JK: reg(0.01)})
	out = append(out, bench.EBModel{Name: "monomials(x, 2) + t·monomials(x, 2)", Spec: "param c[*]\nparam e[*]\npotential V(x, t) = dot(c, monomials(x, 2)) + t*dot(e, monomials(x, 2))\n", Method: jkonet.MethodLinear, JK: reg(0.01)})
	for _, k := range []int{2, 3, 4} {
		out = append(out, bench.EBModel{Name: fmt.Sprintf("polynomial(x, %d) + t·polynomial(x, %d)", k, k), Spec: poly(k), Method: jkonet.MethodLinear, JK: reg(0.01)})
	}
	out = append(out, bench.EBModel{Name: "polynomials([x, t], 4)", Spec: "param c[*]\npotential V(x, t) = dot(c, polynomials([x, t], 4))\n", Method: jkonet.MethodLinear, JK: reg(0.01)})
	for _, r := range []float64{0.1, 0.01, 0.001} {
		out = append(out, bench.EBModel{Name: fmt.Sprintf("polynomial(x, 4) per step, ridge %g", r), Spec: ebStepPoly, Method: jkonet.MethodLinear, JK: reg(r)})
	}
	out = append(out, bench.EBModel{Name: "polynomial(x, 4) per step, ridge from the data", Spec: ebStepPoly, Method: jkonet.MethodLinear})
	out = append(out, bench.EBModel{Name: "mlp([x, t], 64, 64), 50 epochs", Spec: ebMLP, Method: jkonet.MethodAdam, JK: func(o *jkonet.Options) { o.Epochs, o.LR = 50, 3e-3 }})
	return out
}

// ebValidate scores the candidate models on a validation split of the
// training cells of seed 0's 60/40 split (75/25 inside them), and, for the
// leave-out protocol, by the one-step error inside the kept snapshots:
// model classes and settings are chosen there, never on test cells.
func (c benchCmd) ebValidate(g *globals, data *snapshot.Snapshots) error {
	train, _, err := data.Split(0.4, 0)
	if err != nil {
		return err
	}
	kept, err := train.Without([]int{1, 3})
	if err != nil {
		return err
	}
	say := func(what string) {
		if !g.quiet {
			fmt.Fprintln(g.stderr, what)
		}
	}
	cands := ebCandidates()
	if c.Quick {
		cands = cands[:len(cands)-1] // without the mlp
	}
	for _, run := range []struct {
		title string
		data  *snapshot.Snapshots
	}{
		{"One-step protocol: the train cells of seed 0's split, split again 75/25", train},
		{"Leave-out protocol: the train cells of seed 0's split in the kept snapshots (t0, t2, t4), split 75/25, one-step W1 from t0 to t2 and t2 to t4", kept},
	} {
		rows := bench.RunEB(run.data, bench.EBOptions{Seeds: 1, TestFraction: 0.25, OneStep: cands, Progress: say})
		var mine []bench.EBRow
		for _, r := range rows {
			if !r.Published {
				mine = append(mine, r)
			}
		}
		fmt.Fprintf(g.stdout, "%s.\n\n%s\n", run.title, bench.EBMarkdown(mine))
	}
	return nil
}

// eb runs the embryoid-body suite.
func (c benchCmd) eb(g *globals) error {
	if err := atLeast("--seeds", c.Seeds, 1); err != nil {
		return err
	}
	data, err := snapshot.ReadDir(c.EBData, "", 0)
	if err != nil {
		return fmt.Errorf("bench --suite eb: %w (run from the repository root or give --eb-data)", err)
	}
	if c.Validate {
		return c.ebValidate(g, data)
	}
	kinds := c.EBModels
	if c.Quick {
		kinds = []string{"closed-form"}
	}
	one, lo, err := ebModels(kinds)
	if err != nil {
		return err
	}
	seeds := c.Seeds
	bar := newProgress(g, seeds*(len(one)+len(lo)), "eb")
	done := 0
	start := time.Now()
	rows := bench.RunEB(data, bench.EBOptions{Seeds: seeds, OneStep: one, LeaveOutSet: lo, Progress: func(what string) {
		bar.set(done, what)
		done++
	}})
	bar.finish()
	if c.JSON {
		return writeEBJSON(g, rows)
	}
	md := bench.EBMarkdown(rows)
	fmt.Fprint(g.stdout, md)
	fmt.Fprintf(g.stdout, "\nsuite in %.1fs\n", time.Since(start).Seconds())
	if c.Out != "" {
		return writeOutput(g, "--out", c.Out, []byte(md))
	}
	return nil
}

// writeEBJSON prints one JSON object per row (NaN as null).
func writeEBJSON(g *globals, rows []bench.EBRow) error {
	type jrow struct {
		Suite, Protocol, Model, Method, Step, Metric string
		Heldout                                      *int
		Mean, Std, StepStd                           *float64
		Seconds                                      *float64
		Runs                                         int
		PerSeed                                      []float64 `json:",omitempty"`
		Published                                    bool
		Source                                       string `json:",omitempty"`
		Error                                        string `json:",omitempty"`
	}
	num := func(v float64) *float64 {
		if math.IsNaN(v) {
			return nil
		}
		return &v
	}
	enc := json.NewEncoder(g.stdout)
	for _, r := range rows {
		j := jrow{Suite: r.Suite, Protocol: r.Protocol, Model: r.Model, Method: r.Method, Step: r.Step, Metric: r.Metric,
			Mean: num(r.Mean), Std: num(r.Std), StepStd: num(r.StepStd), Seconds: num(r.Seconds), Runs: r.Runs,
			PerSeed: r.PerSeed, Published: r.Published, Source: r.Source, Error: r.Err}
		if r.Heldout >= 0 {
			h := r.Heldout
			j.Heldout = &h
		}
		if err := enc.Encode(j); err != nil {
			return err
		}
	}
	return nil
}
