// Command neural trains a neural potential, V(x) = mlp(x, 32, 32), with
// JKOnet* and Adam on snapshots of the wavy_plateau potential, and compares
// its one-step-ahead EMD with the closed-form fit of the paper's linear
// features on the same data.
package main

import (
	"fmt"
	"io"
	"log"
	"os"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

func main() {
	if err := run(os.Stdout, 2000, 100); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer, particles, epochs int) error {
	truth, err := compile.LoadFile("wavy_plateau")
	if err != nil {
		return err
	}
	all, err := solve.Simulate(truth, 2, sim.Options{Particles: particles, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 4})
	if err != nil {
		return err
	}
	train, test, err := all.Split(0.5, 4)
	if err != nil {
		return err
	}
	neural, err := compile.LoadString("neural.jko", "potential V(x) = mlp(x, 32, 32)")
	if err != nil {
		return err
	}
	o := jkonet.DefaultOptions()
	o.Method, o.Epochs, o.LR, o.BatchSize = jkonet.MethodAdam, epochs, 3e-3, 128
	nn, err := fitEval(neural, train, test, o)
	if err != nil {
		return err
	}
	linear, err := compile.LoadFile("paper_linear_potential")
	if err != nil {
		return err
	}
	lin, err := fitEval(linear, train, test, jkonet.DefaultOptions())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "one-step-ahead EMD: neural %.4f, linear features %.4f (ratio %.2f)\n", nn, lin, nn/lin)
	return nil
}

func fitEval(spec *compile.Spec, train, test *snapshot.Snapshots, o jkonet.Options) (float64, error) {
	fit, err := solve.Fit(spec, train, solve.Options{JKOnet: o})
	if err != nil {
		return 0, err
	}
	rep, err := fit.Evaluate(test)
	return rep.Mean, err
}
