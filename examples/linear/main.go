// Command linear checks a closed-form JKOnet* fit the way a careful
// scientist would: coefficients with standard errors, the rank and
// condition number of the normal equations, R², and which parameters the
// data cannot identify and why. The spec deliberately includes a constant
// offset (no effect on the drift) and a duplicated feature.
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
)

const model = `
param a, b, c       # the Styblinski–Tang coefficients (0.5, −8, 2.5)
param offset        # a constant: the drift cannot see it
param b2            # the same feature as b: only b + b2 is identified
param beta >= 0     # diffusion
potential V(x) = a*sum(x^4) + b*sum(x^2) + b2*sum(x^2) + c*sum(x) + offset
internal H(rho) = beta*rho*log(rho)
`

func main() {
	if err := run(os.Stdout, 2000); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer, particles int) error {
	truth, err := compile.LoadFile("styblinski_tang")
	if err != nil {
		return err
	}
	data, err := solve.Simulate(truth, 2, sim.Options{Particles: particles, Steps: 5, Dt: 0.01,
		Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 2})
	if err != nil {
		return err
	}
	spec, err := compile.LoadString("model.jko", model)
	if err != nil {
		return err
	}
	// Without a ridge the system is singular, and the error says why.
	o := jkonet.DefaultOptions()
	o.Ridge = jkonet.RidgeFixed(0)
	if _, err := solve.Fit(spec, data, solve.Options{JKOnet: o}); err != nil {
		fmt.Fprintf(w, "without a ridge: %v\n\n", err)
	}
	// With a small ridge (relative to each feature's size) it solves, and
	// reports the same directions.
	o.Ridge = jkonet.RidgeFixed(1e-6)
	fit, err := solve.Fit(spec, data, solve.Options{JKOnet: o})
	if err != nil {
		return err
	}
	r := fit.Result
	fmt.Fprintf(w, "with ridge %s:\n", o.Ridge)
	for i, name := range r.Names {
		fmt.Fprintf(w, "  %-7s %10.5f ± %.2g\n", name, r.Theta[i], r.StdErr[i])
	}
	l := r.Linear
	fmt.Fprintf(w, "rank %d of %d free parameters, condition number %.3g, R² %.6f\n", l.Rank, len(l.Theta), l.Cond, l.R2)
	for _, d := range l.Unidentified {
		fmt.Fprintf(w, "  %s\n", d)
	}
	for _, name := range r.Clamped {
		fmt.Fprintf(w, "  %s is held at its bound (the unconstrained optimum lies outside it)\n", name)
	}
	if r.BetaNote != "" {
		fmt.Fprintf(w, "  %s\n", r.BetaNote)
	}
	return nil
}
