package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve"
	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
)

//go:embed demo/demo.jko
var demoSpec string

type demoCmd struct {
	Out       string  `short:"o" placeholder:"DIR" help:"Directory for the data, the fitted spec and the plot (default: a new temporary directory, printed)."`
	Particles int     `help:"Particles to simulate." default:"2000"`
	Beta      float64 `help:"Noise level β of the simulated data (0: deterministic, exact recovery)." default:"0"`
	Seed      uint64  `help:"Random seed." default:"0"`
}

// Run simulates a known population, fits the demo spec to half of it,
// and scores the fit on the other half, writing the data, the fitted spec
// and a plot to --out.
func (c demoCmd) Run(g *globals) error {
	w := g.stdout
	start := time.Now()
	fmt.Fprintf(w, "jko demo: learn a potential and a diffusion coefficient from snapshots\n\n")
	truth, train, test, err := c.simulate(w)
	if err != nil {
		return err
	}
	fitted, err := c.fit(w, train)
	if err != nil {
		return err
	}
	path := filepath.Join(c.Out, "fitted.jko")
	if err := c.write(g, path, fitted); err != nil {
		return err
	}
	if err := c.evaluate(w, truth, fitted, test); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s", path)
	if plotted, err := demoPlot(c.Out, fitted.Model, fitted.Theta, []float64{0.5, -8, 2.5, c.Beta}, test, c.Seed); err != nil {
		fmt.Fprintf(w, "\n(plot skipped: %v)", err)
	} else if plotted != "" {
		fmt.Fprintf(w, " and %s", plotted)
	}
	fmt.Fprintf(w, "\ndone in %.1fs\n", time.Since(start).Seconds())
	return nil
}

// simulate is step 1: the stdlib's styblinski_tang with noise β, split
// into a training and a held-out half of the trajectories, written to
// --out/data (a new temporary directory without --out).
func (c *demoCmd) simulate(w io.Writer) (truth *compile.Model, train, test *snapshot.Snapshots, err error) {
	truthSpec, err := compile.LoadFile("styblinski_tang")
	if err != nil {
		return nil, nil, nil, err
	}
	if truth, err = truthSpec.Instantiate(2); err != nil {
		return nil, nil, nil, err
	}
	t0 := time.Now()
	all, err := (&solve.Fitted{Model: truth}).SimulateWith(
		sim.Options{Particles: c.Particles, Steps: 5, Dt: 0.01, Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: c.Seed},
		solve.SimulateOptions{Beta: c.Beta, Step: "explicit"})
	if err != nil {
		return nil, nil, nil, err
	}
	if train, test, err = all.Split(0.5, c.Seed); err != nil {
		return nil, nil, nil, err
	}
	if c.Out == "" {
		// Not the working directory: in a clone that is the repository.
		if c.Out, err = os.MkdirTemp("", "jko-demo-"); err != nil {
			return nil, nil, nil, err
		}
	} else if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return nil, nil, nil, err
	}
	if err := snapshot.WriteDir(filepath.Join(c.Out, "data"), train, test); err != nil {
		return nil, nil, nil, err
	}
	fmt.Fprintf(w, "1. simulated styblinski_tang (stdlib) with β = %g: %d particles, 6 snapshots, dt = 0.01 (%.2fs)\n",
		c.Beta, c.Particles, time.Since(t0).Seconds())
	fmt.Fprintf(w, "   data: %s (half the trajectories for training, half held out)\n\n", filepath.Join(c.Out, "data"))
	return truth, train, test, nil
}

// fit is steps 2 and 3: the demo spec fitted to the training half by the
// closed form, and the parameters it recovers against the truth.
func (c demoCmd) fit(w io.Writer, train *snapshot.Snapshots) (*solve.Fitted, error) {
	spec, err := compile.LoadString("demo.jko", demoSpec)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "2. the model (demo.jko):\n")
	for _, line := range splitLines(demoSpec) {
		if len(line) > 0 && line[0] != '#' {
			fmt.Fprintf(w, "     %s\n", line)
		}
	}
	t0 := time.Now()
	fitted, err := solve.Fit(spec, train, solve.Options{JKOnet: jkonet.Options{Ridge: jkonet.RidgeFixed(0), Seed: c.Seed}})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "   JKOnet* closed form (exact couplings; β from the residual noise): %.2fs\n\n", time.Since(t0).Seconds())
	want := map[string]float64{"a": 0.5, "b": -8, "c": 2.5, "beta": c.Beta}
	fmt.Fprintf(w, "3. recovered parameters (± standard error):\n")
	res := fitted.Result
	for i, name := range res.Names {
		fmt.Fprintf(w, "     %-5s = %9.5f ± %-9.2g (true %g)\n", name, res.Theta[i], res.StdErr[i], want[name])
	}
	th := res.Theta
	fmt.Fprintf(w, "   V(x) = %.4g*sum(x^4) %+.4g*sum(x^2) %+.4g*sum(x),  β = %.4g\n\n", th[0], th[1], th[2], th[3])
	return fitted, nil
}

// write writes the fitted spec.
func (c demoCmd) write(g *globals, path string, fitted *solve.Fitted) error {
	text, err := fitted.Spec("# fitted by jko demo (JKOnet*, closed form)")
	if err != nil {
		return err
	}
	return writeOutput(g, "-o", path, text)
}

// evaluate is step 4: the fit's one-step-ahead EMD on the held-out half,
// as the JKOnet* paper scores it, beside the true model's (what the noise
// alone costs).
func (c demoCmd) evaluate(w io.Writer, truth *compile.Model, fitted *solve.Fitted, test *snapshot.Snapshots) error {
	ff, err := fitted.Flow()
	if err != nil {
		return err
	}
	rep, err := evaluate.OneStep(ff, test, c.Seed, evaluate.Explicit)
	if err != nil {
		return err
	}
	tf, err := (&solve.Fitted{Model: truth}).Flow()
	if err != nil {
		return err
	}
	ref, err := evaluate.OneStep(withNoise{tf, c.Beta}, test, c.Seed, evaluate.Explicit)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "4. one-step-ahead EMD (W1) on held-out particles: %.3g ± %.2g\n", rep.Mean, rep.Std)
	fmt.Fprintf(w, "   (the true model, with its noise, scores %.3g ± %.2g: what the noise alone costs)\n\n", ref.Mean, ref.Std)
	return nil
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

// withNoise adds diffusion to a flow (the demo's truth with --beta).
type withNoise struct {
	*evaluate.Flow
	beta float64
}

func (w withNoise) Beta() float64 { return w.Flow.Beta() + w.beta }
