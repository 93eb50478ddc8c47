package main

import (
	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
)

// demoPlot draws the demo's picture; it returns the file written.
func demoPlot(dir string, m *compile.Model, theta []float64, truth *compile.Model, test *snapshot.Snapshots, seed uint64) (string, error) {
	return "", nil
}
