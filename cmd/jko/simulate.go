package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

type simulateCmd struct {
	Spec      string  `arg:"" help:"Spec file (or a standard-library name) with every parameter's value given."`
	Particles int     `help:"Number of particles." default:"2000"`
	Steps     int     `help:"Number of steps (snapshots at t = 0, dt, …, steps·dt)." default:"5"`
	Dt        float64 `help:"Time between snapshots (the JKO step τ)." default:"0.01"`
	Substeps  int     `help:"Euler–Maruyama steps per dt." default:"1"`
	Dim       int     `help:"Dimension of the state space." default:"2"`
	Init      string  `help:"Initial distribution: uniform:LO,HI or gaussian:MEAN,STD." default:"uniform:-4,4"`
	Seed      uint64  `help:"Random seed." default:"0"`
	Unpaired  bool    `help:"Draw each snapshot from its own simulation started at t = 0 (no particle identity across snapshots)."`
	TestRatio float64 `help:"Fraction of trajectories in the test split." default:"0.5"`
	Param     string  `placeholder:"NAME=VALUE,…" help:"Override parameter values: a=1,b=-2,w=[1;2]."`
	Out       string  `short:"o" required:"" placeholder:"DIR" help:"Output directory (JKOnet* layout: data.npy, sample_labels.npy, train_/test_ files)."`
	CSV       bool    `help:"Also write data.csv."`
	Beta      float64 `placeholder:"BETA" help:"Extra diffusion β (noise sqrt(2β) dW) on top of the spec's entropy terms."`
	Step      string  `help:"${step_help}" enum:",explicit,implicit" default:""`
	JSON      bool    `help:"Print what was written as JSON."`
}

// withNoise adds diffusion to a flow.
type withNoise struct {
	*evaluate.Flow
	beta float64
}

func (w withNoise) Beta() float64 { return w.Flow.Beta() + w.beta }

func (c simulateCmd) Run(g *globals) error {
	spec, err := compile.LoadFile(c.Spec)
	if err != nil {
		return err
	}
	m, err := spec.Instantiate(c.Dim)
	if err != nil {
		return err
	}
	theta := m.InitTheta(c.Seed)
	vals, err := parseParams(c.Param)
	if err != nil {
		return err
	}
	if err := applyParams(m, theta, vals); err != nil {
		return err
	}
	init, err := sim.ParseInit(c.Init)
	if err != nil {
		return err
	}
	flow, err := evaluate.NewFlow(m, theta, c.Seed)
	if err != nil {
		return err
	}
	step, err := stepOf(c.Step, m)
	if err != nil {
		return err
	}
	bar := newProgress(g, 0, "")
	if c.Beta < 0 {
		return fmt.Errorf("--beta must be ≥ 0, got %g", c.Beta)
	}
	res, err := sim.Run(withNoise{flow, c.Beta}, sim.Options{
		Particles: c.Particles, Steps: c.Steps, Dt: c.Dt, Substeps: c.Substeps,
		Init: init, Seed: c.Seed, Unpaired: c.Unpaired, Implicit: step == evaluate.Implicit,
		Progress: func(done, total int) { bar.update("simulating", done, total, "") },
	})
	bar.finish()
	if err != nil {
		return err
	}
	all := &snapshot.Snapshots{Times: res.Times, X: res.X}
	train, test, err := all.Split(c.TestRatio, c.Seed)
	if err != nil {
		return err
	}
	if err := snapshot.WriteDir(c.Out, train, test); err != nil {
		return err
	}
	// The generating spec, values filled in, so eval can report parameter errors.
	truth, err := m.Format(theta, nil, []string{
		"# the spec these data were simulated from (jko simulate)",
		fmt.Sprintf("# particles %d, steps %d, dt %g, dim %d, init %s, seed %d, unpaired %v, extra beta %g", c.Particles, c.Steps, c.Dt, c.Dim, c.Init, c.Seed, c.Unpaired, c.Beta),
	})
	if err != nil {
		return err
	}
	if c.Beta > 0 {
		// The extra noise is an entropy term of the truth: later
		// comparisons (jko eval, jko plot) see β.
		truth = append(truth, fmt.Sprintf("\n# the extra diffusion of --beta %g\ninternal %s(rho) = %s*rho*log(rho)\n", c.Beta, freeTermName(m, "beta_noise"), strconv.FormatFloat(c.Beta, 'g', -1, 64))...)
		if _, err := compile.LoadString("spec.jko", string(truth)); err != nil {
			return fmt.Errorf("simulate: writing the truth with --beta: %w", err)
		}
	}
	if err := writeAtomic(filepath.Join(c.Out, "spec.jko"), truth); err != nil {
		return err
	}
	if c.CSV {
		f, err := os.Create(filepath.Join(c.Out, "data.csv"))
		if err != nil {
			return err
		}
		if err := snapshot.WriteCSV(f, all); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	beta, _ := m.Entropy(theta)
	beta += c.Beta
	if c.JSON {
		return json.NewEncoder(g.stdout).Encode(map[string]any{"out": c.Out, "particles": c.Particles, "snapshots": c.Steps + 1,
			"dim": c.Dim, "dt": c.Dt, "beta": beta, "unpaired": c.Unpaired, "step": step.String(),
			"train": train.Counts()[0], "test": test.Counts()[0], "truth": filepath.Join(c.Out, "spec.jko")})
	}
	fmt.Fprintf(g.stdout, "simulated %d particles × %d snapshots in %d-D (dt %g, β %.6g, %s) → %s (train %d, test %d per snapshot)\n",
		c.Particles, c.Steps+1, c.Dim, c.Dt, beta, map[bool]string{true: "unpaired", false: "paired"}[c.Unpaired], c.Out,
		train.Counts()[0], test.Counts()[0])
	return nil
}

// freeTermName returns name, or name with a number appended, that no term
// of m has.
func freeTermName(m *compile.Model, name string) string {
	taken := map[string]bool{}
	for _, t := range m.Terms {
		taken[t.Name] = true
	}
	out := name
	for i := 2; taken[out]; i++ {
		out = fmt.Sprintf("%s%d", name, i)
	}
	return out
}
