package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/plot"
	"gonum.org/v1/plot/vg"
)

type plotCmd struct {
	fittedFlags `embed:""`
	dataFlags   `embed:"" set:"split_help=Which snapshots of a directory to draw: test (the default), train or all. A CSV file is drawn whole."`
	Out         string `short:"o" required:"" placeholder:"FILE.png" help:"Image to write: .png, .svg or .pdf (by extension)."`
	Truth       string `placeholder:"SPEC" help:"The true spec, drawn beside the fitted one (default: DATA/spec.jko when it exists)."`
	NoTruth     bool   `help:"Do not draw the true spec, even when DATA/spec.jko exists."`
	Kind        string `help:"What to draw: potential, drift, snapshots, interaction (the kernel U(r)), internal (ρ f″(ρ), β for an entropy), loss, all (every panel that applies, tiled), or cells (real data in any dimension: one panel per step, every cloud on the data's two leading principal axes, predictions overlaid)." enum:"potential,snapshots,drift,interaction,internal,loss,all,cells" default:"all"`
	Loss        string `help:"Training-loss CSV from jko fit --loss-csv (epoch,loss; iJKOnet: epoch,gap,map_loss). A closed-form fit's single value is left out, with a note." placeholder:"FILE.csv"`
	Size        string `help:"Size of one square panel (cm, mm, in or pt)." default:"10cm"`
	Grid        int    `help:"Potential evaluations per axis (2 to 2000)." default:"${grid_default}"`
	Arrows      int    `help:"Drift arrows per axis (2 to 200)." default:"${arrows_default}"`
	JSON        bool   `help:"Print what was written (file, panels left out and why) as JSON."`
	cellFlags   `embed:""`
}

func (c plotCmd) Run(g *globals) error {
	ext := strings.ToLower(filepath.Ext(c.Out))
	if ext != ".png" && ext != ".svg" && ext != ".pdf" {
		return fmt.Errorf("plot: -o %s: want a .png, .svg or .pdf file", c.Out)
	}
	size, err := vg.ParseLength(c.Size)
	if err != nil || !(size > 0) || math.IsInf(float64(size), 0) {
		return fmt.Errorf("plot: --size %q: want a length such as 10cm", c.Size)
	}
	if c.Grid < 2 || c.Grid > 2000 {
		return fmt.Errorf("plot: --grid %d: want 2 to 2000 evaluations per axis", c.Grid)
	}
	if c.Arrows < 2 || c.Arrows > 200 {
		return fmt.Errorf("plot: --arrows %d: want 2 to 200 arrows per axis", c.Arrows)
	}
	if err := checkOutput("-o", c.Out); err != nil {
		return err
	}
	data, err := c.load(c.Data, c.dataFlags, "test", "test")
	if err != nil {
		return err
	}
	fitted, err := loadEnergy(c.Fitted, data.Dim())
	if err != nil {
		return err
	}
	if err := overrideParams(fitted.Model, fitted.Theta, c.Param); err != nil {
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
		lc, err := plot.ReadLossCurve(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", c.Loss, err)
		}
		loss = &lc
	}
	step, err := stepOf(c.Step, fitted.Model)
	if err != nil {
		return err
	}
	o := plot.Options{Seed: c.Seed, Grid: c.Grid, Arrows: c.Arrows, Step: step}
	var fig *plot.Figure
	switch c.Kind {
	case "potential":
		fig, err = plot.Potential(fitted, truth, data.Snapshots, o)
	case "snapshots":
		fig, err = plot.Snapshots(&fitted, data.Snapshots, o)
	case "cells":
		fig, err = plot.Cells(&fitted, data.Snapshots, o)
	case "drift":
		fig, err = plot.Drift(fitted, truth, data.Snapshots, o)
	case "loss":
		if loss == nil {
			return fmt.Errorf("plot: --kind loss needs --loss FILE.csv")
		}
		p, e := loss.Plot()
		fig, err = &plot.Figure{Rows: [][]plot.Panel{{{Drawer: p, Width: 1.4}}}}, e
	case "interaction":
		p, e := plot.Interaction(fitted, truth, data.Snapshots, o)
		fig, err = &plot.Figure{Rows: [][]plot.Panel{{{Drawer: p, Width: 1.4}}}}, e
	case "internal":
		p, e := plot.Internal(fitted, truth, data.Snapshots, o)
		fig, err = &plot.Figure{Rows: [][]plot.Panel{{{Drawer: p, Width: 1.4}}}}, e
	default:
		fig, err = plot.All(fitted, truth, data.Snapshots, loss, o)
	}
	if err != nil {
		return err
	}
	if err := imageFits(fig, size, ext); err != nil {
		return fmt.Errorf("plot: --size %s: %w", c.Size, err)
	}
	var img bytes.Buffer
	if err := fig.WriteTo(&img, ext[1:], size); err != nil {
		return err
	}
	if err := writeOutput(g, "-o", c.Out, img.Bytes()); err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Out   string   `json:"out"`
			Notes []string `json:"notes,omitempty"`
		}{c.Out, fig.Notes})
	}
	for _, n := range fig.Notes {
		fmt.Fprintf(g.stderr, "note: %s\n", n)
	}
	if !g.quiet {
		fmt.Fprintf(g.stdout, "wrote %s\n", c.Out)
	}
	return nil
}

// pngDPI is the resolution solve/plot draws PNGs at.
const pngDPI = 96

// maxPixels bounds a PNG (4 bytes a pixel in memory: 400 MB).
const maxPixels = 100_000_000

// imageFits refuses a PNG too large to draw in memory.
func imageFits(fig *plot.Figure, size vg.Length, ext string) error {
	if ext != ".png" {
		return nil
	}
	w, h := fig.Size(size)
	pw, ph := w.Dots(pngDPI), h.Dots(pngDPI)
	if px := pw * ph; px > maxPixels {
		return fmt.Errorf("the image would be %.0f × %.0f pixels (%.3g GB in memory); the limit is %d million pixels: give a smaller size, or -o FILE.svg", pw, ph, px*4/1e9, maxPixels/1_000_000)
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
	f, err := solve.Load(path, d)
	if err != nil {
		return plot.Energy{}, err
	}
	return plot.Energy{Model: f.Model, Theta: f.Theta}, nil
}
