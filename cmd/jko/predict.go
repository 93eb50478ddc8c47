package main

import (
	"bytes"
	"fmt"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
)

type predictCmd struct {
	Fitted    string  `arg:"" help:"A fitted spec (from jko fit)."`
	Data      string  `arg:"" help:"Snapshots: a JKOnet*-layout directory or a CSV file."`
	From      int     `help:"Index of the snapshot to start from." default:"0"`
	Steps     int     `help:"Number of steps to roll forward." default:"1"`
	Dt        float64 `help:"Step length (default: the data's time step after snapshot --from)."`
	Split     string  `help:"Which snapshots of a directory to use: test, train or all." enum:"test,train,all" default:"test"`
	Seed      uint64  `help:"Random seed for the noise." default:"0"`
	Out       string  `short:"o" required:"" help:"Output CSV (t and coordinates, one row per particle)."`
	Step      string  `help:"${step_help}" enum:",explicit,implicit" default:""`
	dataFlags `embed:""`
}

func (c predictCmd) Run(g *globals) error {
	spec, err := compile.LoadFile(c.Fitted)
	if err != nil {
		return err
	}
	data, err := c.load(c.Data, c.Split, 0, "test")
	if err != nil {
		return err
	}
	if c.From < 0 || c.From >= data.Len() {
		return fmt.Errorf("--from %d: the data has snapshots 0..%d", c.From, data.Len()-1)
	}
	if c.Steps < 1 {
		return fmt.Errorf("--steps must be at least 1")
	}
	dt := c.Dt
	if dt == 0 {
		if c.From+1 >= data.Len() {
			return fmt.Errorf("--from %d is the last snapshot: give the step length with --dt", c.From)
		}
		dt = data.Times[c.From+1] - data.Times[c.From]
	}
	m, err := spec.Instantiate(data.Dim())
	if err != nil {
		return err
	}
	flow, err := evaluate.NewFlow(m, m.InitTheta(c.Seed), c.Seed)
	if err != nil {
		return err
	}
	t0 := data.Times[c.From]
	step, err := stepOf(c.Step, m)
	if err != nil {
		return err
	}
	pred, err := evaluate.Predict(flow, data.X[c.From], t0, dt, c.Steps, c.Seed, step)
	if err != nil {
		return err
	}
	out := &snapshot.Snapshots{X: pred, Names: data.Names}
	for k := range pred {
		out.Times = append(out.Times, t0+float64(k+1)*dt)
	}
	var buf bytes.Buffer
	if err := snapshot.WriteCSV(&buf, out); err != nil {
		return err
	}
	if err := writeAtomic(c.Out, buf.Bytes()); err != nil {
		return err
	}
	n, _ := data.X[c.From].Dims()
	fmt.Fprintf(g.stdout, "predicted %d particles from t = %g for %d steps of %g → %s\n", n, t0, c.Steps, dt, c.Out)
	return nil
}
