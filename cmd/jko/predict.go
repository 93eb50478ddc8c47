package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/snapshot"
)

type predictCmd struct {
	fittedFlags `embed:""`
	From        int     `help:"Index of the snapshot to start from." default:"0"`
	Steps       int     `help:"Number of steps to roll forward." default:"1"`
	Dt          float64 `placeholder:"DT" help:"Step length (default: the data's time step after snapshot --from)."`
	Split       string  `help:"Which snapshots of a directory to use: test (the default), train or all. A CSV file is used whole." enum:",test,train,all" default:""`
	Out         string  `short:"o" required:"" placeholder:"FILE.csv" help:"Output CSV (t and coordinates, one row per particle; - for the standard output)."`
	JSON        bool    `help:"Print what was written as JSON."`
	cellFlags   `embed:""`
}

func (c predictCmd) Run(g *globals) error {
	spec, err := compile.LoadFile(c.Fitted)
	if err != nil {
		return err
	}
	if err := checkOutput("-o", c.Out); err != nil {
		return err
	}
	if math.IsNaN(c.Dt) || math.IsInf(c.Dt, 0) || c.Dt < 0 {
		return fmt.Errorf("--dt %v: want a positive step length (or 0: the data's)", c.Dt)
	}
	data, err := c.load(c.Data, dataFlags{Split: c.Split}, "test", "test")
	if errors.Is(err, snapshot.ErrNoTimes) && c.Dt > 0 {
		// Data without times: --dt is their step too.
		data, err = c.load(c.Data, dataFlags{Split: c.Split, Dt: c.Dt}, "test", "test")
	}
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
	_, flow, step, err := c.flow(spec, data.Dim())
	if err != nil {
		return err
	}
	t0 := data.Times[c.From]
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
	if err := writeOutput(g, "-o", c.Out, buf.Bytes()); err != nil {
		return err
	}
	n, _ := data.X[c.From].Dims()
	msg := g.stdout
	if c.Out == stdoutName {
		msg = g.stderr
	}
	if c.JSON {
		return json.NewEncoder(msg).Encode(map[string]any{"out": c.Out, "particles": n, "from_t": t0,
			"steps": c.Steps, "dt": dt, "step": step.String(), "times": out.Times})
	}
	fmt.Fprintf(msg, "predicted %d particles from t = %g for %d steps of %g → %s\n", n, t0, c.Steps, dt, c.Out)
	return nil
}
