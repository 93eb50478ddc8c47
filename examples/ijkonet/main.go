// Command ijkonet learns a potential from unpaired snapshots — every
// snapshot drawn from its own simulation, so no particle can be followed
// from one to the next — with iJKOnet, and compares it with the JKOnet*
// closed form on the same data, whose optimal couplings between
// independent samples do not describe the dynamics.
package main

import (
	"fmt"
	"io"
	"log"
	"os"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/ijkonet"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

const model = `
param a = 0.3
potential V(x) = a*norm2(x)
`

func main() {
	if err := run(os.Stdout, 1000, 0); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer, particles, epochs int) error {
	spec, err := compile.LoadString("model.jko", model)
	if err != nil {
		return err
	}
	m, err := spec.Instantiate(2)
	if err != nil {
		return err
	}
	// The truth: the same model with a = 1, snapshots unpaired.
	truth := []float64{1}
	f, err := evaluate.NewFlow(m, truth)
	if err != nil {
		return err
	}
	res, err := sim.Run(f, sim.Options{Particles: particles, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 1, Unpaired: true})
	if err != nil {
		return err
	}
	data := &snapshot.Snapshots{Times: res.Times, X: res.X}

	ij, err := ijkonet.Fit(m, data, ijkonet.Options{Epochs: epochs, Seed: 1})
	if err != nil {
		return err
	}
	o := jkonet.DefaultOptions()
	o.Ridge = jkonet.RidgeFixed(0)
	jk, err := jkonet.Fit(m, data, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "true a = 1\niJKOnet:          a = %.3f\nJKOnet* (linear): a = %.3f\n", ij.Theta[0], jk.Theta[0])
	return nil
}
