package solve_test

import (
	"fmt"
	"log"
	"strings"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
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
	o.Ridge = jkonet.RidgeFixed(0)
	fit, err := solve.Fit(spec, data, solve.Options{JKOnet: o})
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

// Load reads a fitted spec (or a ground truth: a spec whose parameters all
// have values) back as a Fitted, ready to evaluate, predict, simulate or
// write again.
func ExampleLoad() {
	fit, err := solve.Load("styblinski_tang", 2) // a file path or a stdlib name
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(fit.Step())
	text, err := fit.Spec() // no fit: no standard errors, no header
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Count(string(text), "potential"))
	// Output:
	// explicit
	// 1
}

// FromPoints builds snapshots from plain slices; Fitted.Values reads a
// vector parameter, Param a scalar one.
func ExampleFromSpec() {
	spec, err := compile.LoadString("model.jko", "param w[2] = [1, -2]\nparam s = 0.5\npotential V(x) = s*norm2(x) + dot(w, x)\n")
	if err != nil {
		log.Fatal(err)
	}
	fit, err := solve.FromSpec(spec, 2)
	if err != nil {
		log.Fatal(err)
	}
	w, _ := fit.Values("w")
	s, _ := fit.Param("s")
	_, err = fit.Param("w")
	fmt.Println(w, s)
	fmt.Println(err)
	// Output:
	// [1 -2] 0.5
	// solve: parameter w has 2 entries: use Values
}

// Data from plain slices (no gonum types), a prediction from plain rows.
func ExampleFitted_PredictPoints() {
	// Two particles at t = 0 and where they are at t = 0.1 under
	// V(x) = ½|x|²: x(t + τ) = x(t) − τ·x(t).
	data, err := snapshot.FromPoints([]float64{0, 0.1}, [][][]float64{
		{{1, 0}, {0, 2}},
		{{0.9, 0}, {0, 1.8}},
	})
	if err != nil {
		log.Fatal(err)
	}
	spec, _ := compile.LoadString("model.jko", "param a\npotential V(x) = a*norm2(x)\n")
	o := jkonet.Options{} // the zero value: the reference settings
	fit, err := solve.Fit(spec, data, solve.Options{JKOnet: o})
	if err != nil {
		log.Fatal(err)
	}
	a, _ := fit.Param("a")
	fmt.Printf("a = %.6f\n", a)
	pred, err := fit.PredictPoints(data.Points(1), 0.1, 0.1, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.3f\n", pred[0])
	// Output:
	// a = 0.500000
	// [[0.810 0.000] [0.000 1.620]]
}

// iJKOnet through the same call: no couplings, so the snapshots need not
// be paired.
func ExampleFit_iJKOnet() {
	truth, _ := compile.LoadString("truth.jko", "potential V(x) = norm2(x)\n")
	data, err := solve.Simulate(truth, 2, sim.Options{Particles: 200, Steps: 3, Dt: 0.05, Unpaired: true,
		Init: sim.Init{Kind: "gaussian", Std: 2}})
	if err != nil {
		log.Fatal(err)
	}
	spec, _ := compile.LoadString("model.jko", "param a = 0.3\npotential V(x) = a*norm2(x)\n")
	fit, err := solve.Fit(spec, data, solve.Options{Method: solve.MethodIJKOnet})
	if err != nil {
		log.Fatal(err)
	}
	a, _ := fit.Param("a")
	fmt.Printf("a = %.1f (true 1), step %s\n", a, fit.Step())
	// Output:
	// a = 0.9 (true 1), step implicit
}
