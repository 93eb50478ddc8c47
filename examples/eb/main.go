// Command eb fits the embryoid-body time course (examples/eb/data: 16,819
// cells in five snapshots, the first five principal components) with the
// JKOnet* closed form, as both papers' real-data experiment does:
//
//   - one-step: each snapshot split 60/40 into train and test cells, a
//     time-varying polynomial potential fitted on the train cells, each
//     test snapshot pushed one step and compared with the next (W1);
//   - leave-out: snapshots 1 and 3 left out of the fit, each predicted
//     from the one before over the elapsed time (W2).
//
// The same with the command line:
//
//	jko fit model.jko examples/eb/data --test-fraction 0.4 -o fitted.jko
//	jko eval fitted.jko examples/eb/data --test-fraction 0.4
//	jko plot fitted.jko examples/eb/data --test-fraction 0.4 --kind cells -o eb.png
//
// On every cell (go run ./examples/eb; 26–28 s of CPU) it prints one-step W1
// 0.907 for the static quadratic and 0.603 for the time-varying one, and
// W2 0.844 and 0.853 at the left-out t1 and t3. jko bench --suite eb runs
// both protocols on five seeds with the benchmark's models, beside the
// published numbers.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/mat"
)

// Two models: a quadratic potential that does not depend on time, and one
// whose coefficients are cubic in t (a free quadratic for each of the four
// steps).
const (
	static = `param c[*]
potential V(x) = dot(c, polynomials(x, 2))
`
	timed = `param a[*]
param b[*]
param c[*]
param e[*]
potential V(x, t) = dot(a, polynomials(x, 2)) + t*dot(b, polynomials(x, 2)) + t^2*dot(c, polynomials(x, 2)) + t^3*dot(e, polynomials(x, 2))
`
)

func main() {
	dir := flag.String("data", "examples/eb/data", "the EB data directory")
	cells := flag.Int("cells", 0, "keep at most this many cells per snapshot (0: all)")
	flag.Parse()
	if err := run(os.Stdout, *dir, *cells); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer, dir string, cells int) error {
	data, err := snapshot.ReadDir(dir, "", 0)
	if err != nil {
		return err
	}
	if cells > 0 {
		for k, x := range data.X {
			if r, d := x.Dims(); r > cells {
				data.X[k] = mat.DenseCopyOf(x.Slice(0, cells, 0, d))
			}
		}
	}
	fmt.Fprintf(w, "%d snapshots of %v cells, %d-D\n", data.Len(), data.Counts(), data.Dim())

	// One-step protocol.
	train, test, err := data.Split(0.4, 0)
	if err != nil {
		return err
	}
	for _, spec := range []struct{ name, text string }{{"static quadratic", static}, {"time-varying quadratic", timed}} {
		m, theta, err := fit(spec.text, train)
		if err != nil {
			return err
		}
		flow, err := evaluate.NewFlow(m, theta)
		if err != nil {
			return err
		}
		rep, err := evaluate.OneStep(flow, test, 0, compile.Explicit)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "one-step W1 on test cells, %s: %.3f ± %.3f\n", spec.name, rep.Mean, rep.Std)
	}

	// Leave-out protocol: fit on snapshots 0, 2, 4, predict 1 and 3.
	kept, err := data.Without([]int{1, 3})
	if err != nil {
		return err
	}
	m, theta, err := fit(timed, kept)
	if err != nil {
		return err
	}
	flow, err := evaluate.NewFlow(m, theta)
	if err != nil {
		return err
	}
	held, from, err := data.Previous([]int{1, 3})
	if err != nil {
		return err
	}
	scores, err := evaluate.HeldOut(flow, data, held, from, 1, 0, compile.Explicit)
	if err != nil {
		return err
	}
	for _, s := range scores {
		fmt.Fprintf(w, "left out t%d, predicted from t%d: W2 %.3f\n", s.Snapshot, s.From, s.W2)
	}
	return nil
}

// fit fits a spec with the closed form (drift at x, ridge chosen from the
// data).
func fit(text string, data *snapshot.Snapshots) (*compile.Model, []float64, error) {
	spec, err := compile.LoadString("model.jko", text)
	if err != nil {
		return nil, nil, err
	}
	m, err := spec.Instantiate(data.Dim())
	if err != nil {
		return nil, nil, err
	}
	o := jkonet.DefaultOptions()
	o.Method = jkonet.MethodLinear
	res, err := jkonet.Fit(m, data, o)
	if err != nil {
		return nil, nil, err
	}
	return m, res.Theta, nil
}
