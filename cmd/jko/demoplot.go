package main

import (
	"path/filepath"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/plot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/plot/vg"
)

// demoPlot draws the demo's picture: fitted and true potential, the
// held-out snapshots with one-step predictions, the drift field and the
// internal energy. It returns the file written. The truth is the demo's
// own spec at the true values (styblinski_tang is 0.5Σx⁴ − 8Σx² + 2.5Σx,
// and the simulation's β).
func demoPlot(dir string, m *compile.Model, theta, truth []float64, test *snapshot.Snapshots, seed uint64) (string, error) {
	fitted := plot.Energy{Model: m, Theta: theta}
	tr := plot.Energy{Model: m, Theta: truth}
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
