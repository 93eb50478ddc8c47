package solve_test

import (
	"fmt"
	"log"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
)

// A scientist's three calls: load a spec, fit it, use the fitted model.
func Example() {
	// Ground truth: the Styblinski–Tang potential of the standard library.
	truth, err := compile.LoadFile("styblinski_tang")
	if err != nil {
		log.Fatal(err)
	}
	data, err := solve.Simulate(truth, 2, sim.Options{Particles: 400, Steps: 3, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}})
	if err != nil {
		log.Fatal(err)
	}

	// 1. Load the model to learn.
	spec, err := compile.LoadString("model.jko", `
param a, b, c
potential V(x) = a*sum(x^4) + b*sum(x^2) + c*sum(x)
`)
	if err != nil {
		log.Fatal(err)
	}
	// 2. Fit it (closed form, no ridge: the data are noise-free).
	o := jkonet.DefaultOptions()
	o.Reg, o.RegAuto = 0, false
	fit, err := solve.Fit(spec, data, solve.Options{JKOnet: &o})
	if err != nil {
		log.Fatal(err)
	}
	// 3. Use it.
	for _, name := range []string{"a", "b", "c"} {
		v, _ := fit.Param(name)
		fmt.Printf("%s = %.6f\n", name, v)
	}
	rep, err := fit.Evaluate(data)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("one-step W1 < 1e-9: %v\n", rep.Mean < 1e-9)
	// Output:
	// a = 0.500000
	// b = -8.000000
	// c = 2.500000
	// one-step W1 < 1e-9: true
}
