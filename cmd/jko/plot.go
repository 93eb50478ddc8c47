package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/plot"
	"gonum.org/v1/plot/vg"
)

type plotCmd struct {
	Fitted    string  `arg:"" help:"A fitted spec (from jko fit)."`
	Data      string  `arg:"" help:"Snapshots: a JKOnet*-layout directory or a CSV file."`
	Out       string  `short:"o" required:"" help:"Image to write: .png or .svg."`
	Truth     string  `help:"The true spec, drawn beside the fitted one (default: DATA/spec.jko when it exists)."`
	NoTruth   bool    `help:"Do not draw the true spec, even when DATA/spec.jko exists."`
	Kind      string  `help:"What to draw: potential, snapshots, drift, loss, all (tiled), or cells (real data in any dimension: one panel per step, every cloud on the data's two leading principal axes, predictions overlaid)." enum:"potential,snapshots,drift,loss,all,cells" default:"all"`
	Split     string  `help:"Which snapshots of a directory to draw: test, train or all." enum:"test,train,all" default:"test"`
	Loss      string  `help:"Training-loss CSV (epoch,loss) to draw on a log scale."`
	Size      string  `help:"Size of one square panel (cm, mm, in or pt)." default:"10cm"`
	Dt        float64 `help:"Time between snapshots, when the data does not say."`
	Seed      uint64  `help:"Random seed for the prediction noise." default:"0"`
	Step      string  `help:"${step_help}" enum:",explicit,implicit" default:""`
	Grid      int     `help:"Potential evaluations per axis." default:"80"`
	Arrows    int     `help:"Drift arrows per axis." default:"15"`
	dataFlags `embed:""`
}

func (c plotCmd) Run(g *globals) error {
	ext := strings.ToLower(filepath.Ext(c.Out))
	if ext != ".png" && ext != ".svg" {
		return fmt.Errorf("plot: -o %s: want a .png or .svg file", c.Out)
	}
	size, err := vg.ParseLength(c.Size)
	if err != nil || size <= 0 {
		return fmt.Errorf("plot: --size %q: want a length such as 10cm", c.Size)
	}
	data, err := c.load(c.Data, c.Split, c.Dt, "test")
	if err != nil {
		return err
	}
	if err := data.Validate(); err != nil {
		return err
	}
	fitted, err := loadEnergy(c.Fitted, data.Dim())
	if err != nil {
		return err
	}
	var truth *plot.Energy
	if tp := c.truthPath(); tp != "" {
		t, err := loadEnergy(tp, data.Dim())
		if err != nil {
			return fmt.Errorf("--truth: %w", err)
		}
		truth = &t
	}
	var loss *plot.LossCurve
	if c.Loss != "" {
		f, err := os.Open(c.Loss)
		if err != nil {
			return err
		}
		e, l, err := plot.ReadLoss(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.Loss, err)
		}
		loss = &plot.LossCurve{Epochs: e, Loss: l}
	}
	step, err := stepOf(c.Step, fitted.Model)
	if err != nil {
		return err
	}
	o := plot.Options{Seed: c.Seed, Grid: c.Grid, Arrows: c.Arrows, Step: step}
	var fig *plot.Figure
	switch c.Kind {
	case "potential":
		fig, err = plot.Potential(fitted, truth, data, o)
	case "snapshots":
		fig, err = plot.Snapshots(&fitted, data, o)
	case "drift":
		fig, err = plot.Drift(fitted, truth, data, o)
	case "cells":
		fig, err = plot.Cells(&fitted, data, o)
	case "loss":
		if loss == nil {
			return fmt.Errorf("plot: --kind loss needs --loss FILE.csv")
		}
		p, e := plot.Loss(loss.Epochs, loss.Loss)
		fig, err = &plot.Figure{Rows: [][]plot.Panel{{{Drawer: p, Width: 1.4}}}}, e
	default:
		fig, err = plot.All(fitted, truth, data, loss, o)
	}
	if err != nil {
		return err
	}
	if err := fig.Save(c.Out, size); err != nil {
		return err
	}
	if !g.quiet {
		fmt.Fprintf(g.stdout, "wrote %s\n", c.Out)
	}
	return nil
}

// truthPath is --truth, or DATA/spec.jko when it exists (jko simulate
// writes it), unless --no-truth.
func (c plotCmd) truthPath() string {
	if c.NoTruth {
		return ""
	}
	if c.Truth != "" {
		return c.Truth
	}
	p := filepath.Join(c.Data, "spec.jko")
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p
	}
	return ""
}

// loadEnergy loads a spec at dimension d with its parameter values.
func loadEnergy(path string, d int) (plot.Energy, error) {
	spec, err := compile.LoadFile(path)
	if err != nil {
		return plot.Energy{}, err
	}
	m, err := spec.Instantiate(d)
	if err != nil {
		return plot.Energy{}, err
	}
	return plot.Energy{Model: m, Theta: m.InitTheta(0)}, nil
}
