// Command embed fits a spec file embedded in the binary with go:embed: the
// way a Go experiment carries its model. The data are simulated from the
// stdlib's wavy_plateau, Σ(cos(πx) + 0.5x⁴ − 3x² + 1), so the fit should
// find a = 1, b = 0.5, c = −3.
package main

import (
	"embed"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
)

//go:embed model.jko
var specs embed.FS

func main() {
	if err := run(os.Stdout, 2000); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer, particles int) error {
	truth, err := compile.LoadFile("wavy_plateau")
	if err != nil {
		return err
	}
	data, err := solve.Simulate(truth, 2, sim.Options{Particles: particles, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 1})
	if err != nil {
		return err
	}
	spec, err := compile.LoadFS(specs, "model.jko")
	if err != nil {
		return err
	}
	o := jkonet.DefaultOptions()
	o.Ridge = jkonet.RidgeFixed(0)
	fit, err := solve.Fit(spec, data, solve.Options{JKOnet: o})
	if err != nil {
		return err
	}
	text, err := fit.Spec()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s", text)
	return nil
}
