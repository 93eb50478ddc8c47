package solve_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
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

// Predict takes a gonum matrix (PredictPoints takes rows) and returns the
// cloud after each step: under V(x) = ½|x|² an Euler step of τ = 0.1
// multiplies every point by 0.9.
func ExampleFitted_Predict() {
	spec, err := compile.LoadString("model.jko", "param a = 0.5\npotential V(x) = a*norm2(x)\n")
	if err != nil {
		log.Fatal(err)
	}
	fit, err := solve.FromSpec(spec, 2)
	if err != nil {
		log.Fatal(err)
	}
	x := mat.NewDense(2, 2, []float64{1, 0, 0, 2})
	clouds, err := fit.Predict(x, 0, 0.1, 2, 0)
	if err != nil {
		log.Fatal(err)
	}
	for k, c := range clouds {
		fmt.Printf("after step %d: %.3f\n", k+1, mat.Formatted(c, mat.FormatMATLAB()))
	}
	// Output:
	// after step 1: [0.900 0.000; 0.000 1.800]
	// after step 2: [0.810 0.000; 0.000 1.620]
}

// Simulate runs the fitted dynamics from a fresh population: snapshots to
// fit again, plot or compare.
func ExampleFitted_Simulate() {
	fit, err := solve.Load("styblinski_tang", 2)
	if err != nil {
		log.Fatal(err)
	}
	data, err := fit.Simulate(sim.Options{Particles: 100, Steps: 4, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}})
	if err != nil {
		log.Fatal(err)
	}
	n, d := data.X[0].Dims()
	fmt.Println(len(data.X), "snapshots of", n, "particles in", d, "dimensions at times", data.Times)
	// Output:
	// 5 snapshots of 100 particles in 2 dimensions at times [0 0.01 0.02 0.03 0.04]
}

// The spec text of a fit, written to a file and read back with Load: the
// same values, ready to use without fitting again.
func ExampleFitted_Spec() {
	data, err := snapshot.FromPoints([]float64{0, 0.1}, [][][]float64{
		{{1, 0}, {0, 2}},
		{{0.9, 0}, {0, 1.8}},
	})
	if err != nil {
		log.Fatal(err)
	}
	spec, _ := compile.LoadString("model.jko", "param a\npotential V(x) = a*norm2(x)\n")
	fit, err := solve.Fit(spec, data, solve.Options{})
	if err != nil {
		log.Fatal(err)
	}
	text, err := fit.Spec()
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "jko-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "fitted.jko")
	if err := os.WriteFile(path, text, 0o644); err != nil {
		log.Fatal(err)
	}
	back, err := solve.Load(path, 2)
	if err != nil {
		log.Fatal(err)
	}
	a, _ := back.Param("a")
	fmt.Printf("a = %.6f, step %s\n", a, back.Step())
	// Output:
	// a = 0.500000, step explicit
}

// Specs embedded in the program (an embed.FS; here an in-memory file
// system standing for one) load with compile.LoadFS; data in CSV (a time
// column and coordinates) with snapshot.ReadCSV.
func ExampleFit_embeddedSpecAndCSV() {
	specs := fstest.MapFS{"model.jko": {Data: []byte("param a\npotential V(x) = a*norm2(x)\n")}}
	spec, err := compile.LoadFS(specs, "model.jko")
	if err != nil {
		log.Fatal(err)
	}
	data, err := snapshot.ReadCSV(strings.NewReader("t,x,y\n0,1,0\n0,0,2\n0.1,0.9,0\n0.1,0,1.8\n"), "data.csv")
	if err != nil {
		log.Fatal(err)
	}
	fit, err := solve.Fit(spec, data, solve.Options{})
	if err != nil {
		log.Fatal(err)
	}
	a, _ := fit.Param("a")
	fmt.Printf("a = %.6f\n", a)
	// Output:
	// a = 0.500000
}
