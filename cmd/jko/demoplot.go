package main

import (
	"path/filepath"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/plot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/plot/vg"
)

// demoPlot draws the demo's picture: fitted and true potential, the
// held-out snapshots with one-step predictions, the drift field. It
// returns the file written.
func demoPlot(dir string, m *compile.Model, theta []float64, truth *compile.Model, test *snapshot.Snapshots, seed uint64) (string, error) {
	fitted := plot.Energy{Model: m, Theta: theta}
	tr := plot.Energy{Model: truth, Theta: truth.InitTheta(0)}
	fig, err := plot.All(fitted, &tr, test, nil, plot.Options{Seed: seed})
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "demo.png")
	if err := fig.Save(out, 10*vg.Centimeter); err != nil {
		return "", err
	}
	return out, nil
}
