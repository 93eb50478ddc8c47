package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

type simulateCmd struct {
	Spec      string  `arg:"" help:"Spec file (or a standard-library name) with every parameter's value given."`
	Particles int     `help:"Number of particles." default:"2000"`
	Steps     int     `help:"Number of steps (snapshots at t = 0, dt, …, steps·dt)." default:"5"`
	Dt        float64 `help:"Time between snapshots (the JKO step τ)." default:"0.01"`
	Substeps  int     `help:"Euler–Maruyama steps per dt." default:"${substeps_default}"`
	Dim       int     `help:"Dimension of the state space." default:"2"`
	Init      string  `help:"Initial distribution: uniform:LO,HI or gaussian:MEAN,STD." default:"uniform:-4,4"`
	Seed      uint64  `help:"Random seed." default:"0"`
	Unpaired  bool    `help:"Draw each snapshot from its own simulation started at t = 0 (no particle identity across snapshots)."`
	TestRatio float64 `help:"Fraction of trajectories in the test split." default:"0.5"`
	Param     string  `placeholder:"NAME=VALUE,…" help:"Override parameter values: a=1,b=-2,w=[1;2]."`
	Out       string  `short:"o" required:"" placeholder:"DIR" help:"Output directory (JKOnet* layout: data.npy, sample_labels.npy, train_/test_ files), written whole: an existing dataset there is replaced, a folder holding other files refused."`
	CSV       bool    `help:"Also write data.csv."`
	Beta      float64 `placeholder:"BETA" help:"Extra diffusion β (noise sqrt(2β) dW) on top of the spec's entropy terms."`
	Step      string  `help:"${step_help}" enum:",explicit,implicit" default:""`
	JSON      bool    `help:"Print what was written as JSON."`
}

// validate rejects out-of-range flags and simulations that cannot fit in
// memory, before any work.
func (c simulateCmd) validate() error {
	if err := firstErr(
		atLeast("--particles", c.Particles, 4),
		atLeast("--steps", c.Steps, 1),
		positive("--dt", c.Dt),
		atLeast("--substeps", c.Substeps, 1),
		atLeast("--dim", c.Dim, 1),
		atLeastF("--beta", c.Beta, 0),
	); err != nil {
		return err
	}
	if !(c.TestRatio > 0 && c.TestRatio < 1) {
		return fmt.Errorf("--test-ratio %v: want a fraction strictly between 0 and 1", c.TestRatio)
	}
	// Peak memory is about 4× the particles × snapshots × dim float64s
	// (trajectories, train/test copies, stacked files), 8.7× with --csv
	// (the text): measured 397 MB and 838 MB for 2,000 × 6 × 1,000-D.
	copies := 5.0
	if c.CSV {
		copies = 10
	}
	need := copies * 8 * float64(c.Particles) * float64(c.Steps+1) * float64(c.Dim)
	if avail := availableMemory(); need > avail {
		return fmt.Errorf("simulate: %d particles × %d snapshots in %d-D need about %.3g GB of memory, more than the %.3g GB available: use fewer particles, steps or dimensions",
			c.Particles, c.Steps+1, c.Dim, need/1e9, avail/1e9)
	}
	return nil
}

func (c simulateCmd) Run(g *globals) error {
	if err := c.validate(); err != nil {
		return err
	}
	if err := checkDatasetFolder("-o", c.Out); err != nil {
		return err
	}
	spec, err := compile.LoadFile(c.Spec)
	if err != nil {
		return err
	}
	m, err := spec.Instantiate(c.Dim)
	if err != nil {
		return err
	}
	truthModel := &solve.Fitted{Model: m, Theta: m.InitTheta(c.Seed)}
	vals, err := parseParams(c.Param)
	if err != nil {
		return err
	}
	if err := truthModel.SetParams(vals); err != nil {
		return fmt.Errorf("--param %w", err)
	}
	theta := truthModel.Theta
	init, err := sim.ParseInit(c.Init)
	if err != nil {
		return err
	}
	step, err := stepOf(c.Step, m)
	if err != nil {
		return err
	}
	bar := newProgress(g, 0, "")
	all, err := truthModel.SimulateWith(sim.Options{
		Particles: c.Particles, Steps: c.Steps, Dt: c.Dt, Substeps: c.Substeps,
		Init: init, Seed: c.Seed, Unpaired: c.Unpaired,
		Progress: func(done, total int) { bar.update("simulating", done, total, "") },
	}, solve.SimulateOptions{Beta: c.Beta, Step: step.String()})
	bar.finish()
	if err != nil {
		return err
	}
	train, test, err := all.Split(c.TestRatio, c.Seed)
	if err != nil {
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
	err = writeDatasetFolder("-o", c.Out, func(dir string) error {
		if err := snapshot.WriteDir(dir, train, test); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "spec.jko"), truth, 0o644); err != nil {
			return err
		}
		if !c.CSV {
			return nil
		}
		var b bytes.Buffer
		if err := snapshot.WriteCSV(&b, all); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "data.csv"), b.Bytes(), 0o644)
	})
	if err != nil {
		return err
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

// availableMemory is the memory available to jko in bytes: MemAvailable of
// /proc/meminfo where there is one, else 8 GB.
func availableMemory() float64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemAvailable:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil && kb > 0 {
					return kb * 1024
				}
			}
		}
	}
	return 8e9
}
