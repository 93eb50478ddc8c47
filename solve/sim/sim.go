package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Dynamics gives the deterministic part of the motion and the noise level.
type Dynamics interface {
	// Dim is the dimension of the state space.
	Dim() int
	// Drift writes into dst (n×d, row-major) the velocity of each of the
	// n particles in x (n×d, row-major) at time t, including the mean-field
	// interaction with the other particles of x.
	Drift(dst, x []float64, n int, t float64) error
	// Beta is the diffusion coefficient β ≥ 0 (dX has noise sqrt(2β) dW).
	Beta() float64
}

// Init draws the initial particles.
type Init struct {
	Kind   string    // "uniform", "gaussian" or "points"
	Lo, Hi float64   // uniform on [Lo, Hi]^d
	Mean   float64   // gaussian: every coordinate N(Mean, Std²)
	Std    float64   //
	Points []float64 // points: n×d initial positions, used as given
}

// ParseInit reads "uniform:LO,HI" or "gaussian:MEAN,STD".
func ParseInit(s string) (Init, error) {
	kind, args, _ := strings.Cut(s, ":")
	parts := strings.Split(args, ",")
	nums := make([]float64, 0, 2)
	if args != "" {
		for _, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return Init{}, fmt.Errorf("init %q: %q is not a number", s, p)
			}
			nums = append(nums, v)
		}
	}
	switch kind {
	case "uniform":
		if len(nums) != 2 || !(nums[0] < nums[1]) {
			return Init{}, fmt.Errorf("init %q: want uniform:LO,HI with LO < HI", s)
		}
		return Init{Kind: "uniform", Lo: nums[0], Hi: nums[1]}, nil
	case "gaussian":
		if len(nums) != 2 || !(nums[1] > 0) {
			return Init{}, fmt.Errorf("init %q: want gaussian:MEAN,STD with STD > 0", s)
		}
		return Init{Kind: "gaussian", Mean: nums[0], Std: nums[1]}, nil
	}
	return Init{}, fmt.Errorf("init %q: unknown kind %q (want uniform:LO,HI or gaussian:MEAN,STD)", s, kind)
}

// Options configure Run.
// DefaultSubsteps is the number of Euler–Maruyama steps per dt when
// Options.Substeps is 0: one, the JKOnet* benchmark protocol.
const DefaultSubsteps = 1

type Options struct {
	Particles int     // N
	Steps     int     // K: snapshots at t = 0, dt, …, K·dt
	Dt        float64 // time between snapshots
	// Substeps divides each dt into this many steps (0: DefaultSubsteps,
	// the JKOnet* benchmark protocol).
	Substeps int
	// Implicit takes the implicit (JKO) step y = x + h·drift(y) in place of
	// Euler's x + h·drift(x), the noise added after it the same way: the
	// dynamics of a spec that declares step implicit (see implicitStep).
	Implicit bool
	Init     Init
	Seed     uint64
	// Unpaired draws each snapshot from its own simulation started afresh
	// at t = 0, so no particle identity links snapshots.
	Unpaired bool
	// T0 is the initial time (default 0).
	T0 float64
	// Progress, if set, is called after each Euler–Maruyama step.
	Progress func(done, total int)
}

// Result is the simulated population: X[k] is the n×d cloud at Times[k].
type Result struct {
	Times []float64
	X     []*mat.Dense
}

func (o *Options) check(d int) error {
	switch {
	case d <= 0:
		return errors.New("sim: dimension must be positive")
	case o.Particles < 2:
		return fmt.Errorf("sim: need at least 2 particles, got %d", o.Particles)
	case o.Steps < 1:
		return fmt.Errorf("sim: need at least 1 step, got %d", o.Steps)
	case !(o.Dt > 0) || math.IsInf(o.Dt, 0):
		return fmt.Errorf("sim: dt must be positive and finite, got %v", o.Dt)
	case o.Substeps < 0:
		return fmt.Errorf("sim: substeps must be positive, got %d", o.Substeps)
	}
	if o.Init.Kind == "points" && len(o.Init.Points) != o.Particles*d {
		return fmt.Errorf("sim: %d initial coordinates for %d particles in %d dimensions", len(o.Init.Points), o.Particles, d)
	}
	return nil
}

// Run simulates the dynamics and returns the snapshots at t = T0 + k·Dt,
// k = 0..Steps.
func Run(dyn Dynamics, o Options) (*Result, error) {
	d := dyn.Dim()
	if err := o.check(d); err != nil {
		return nil, err
	}
	if o.Substeps == 0 {
		o.Substeps = DefaultSubsteps
	}
	beta := dyn.Beta()
	if beta < 0 || math.IsNaN(beta) {
		return nil, fmt.Errorf("sim: diffusion coefficient β = %v must be ≥ 0", beta)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6a6b6f))
	n := o.Particles
	res := &Result{}
	for k := 0; k <= o.Steps; k++ {
		res.Times = append(res.Times, o.T0+float64(k)*o.Dt)
	}
	total := o.Steps * o.Substeps
	if o.Unpaired {
		total = o.Substeps * o.Steps * (o.Steps + 1) / 2
	}
	done := 0
	tick := func() {
		done++
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	em := &stepper{dyn: dyn, n: n, d: d, beta: beta, h: o.Dt / float64(o.Substeps), rng: rng,
		drift: make([]float64, n*d), implicit: o.Implicit}
	if !o.Unpaired {
		x := draw(o.Init, n, d, rng)
		res.X = append(res.X, mat.NewDense(n, d, append([]float64(nil), x...)))
		for k := 1; k <= o.Steps; k++ {
			for s := 0; s < o.Substeps; s++ {
				t := o.T0 + float64(k-1)*o.Dt + float64(s)*em.h
				if err := em.step(x, t); err != nil {
					return nil, err
				}
				tick()
			}
			res.X = append(res.X, mat.NewDense(n, d, append([]float64(nil), x...)))
		}
		return res, nil
	}
	for k := 0; k <= o.Steps; k++ {
		x := draw(o.Init, n, d, rng)
		for j := 0; j < k*o.Substeps; j++ {
			t := o.T0 + float64(j)*em.h
			if err := em.step(x, t); err != nil {
				return nil, err
			}
			tick()
		}
		res.X = append(res.X, mat.NewDense(n, d, x))
	}
	return res, nil
}

type stepper struct {
	dyn   Dynamics
	n, d  int
	beta  float64
	h     float64
	rng   *rand.Rand
	drift []float64
	// implicit takes the JKO step instead of Euler's.
	implicit bool
}

// step advances x by one Euler–Maruyama step of length h from time t, or
// by one implicit step and the same noise.
func (s *stepper) step(x []float64, t float64) error {
	sd := math.Sqrt(2 * s.beta * s.h)
	if s.implicit {
		if err := implicitStep(s.dyn, x, s.n, t, s.h); err != nil {
			return fmt.Errorf("sim: at t = %g: %w", t, err)
		}
		if sd > 0 {
			for i := range x[:s.n*s.d] {
				x[i] += sd * s.rng.NormFloat64()
			}
		}
		return nil
	}
	if err := s.dyn.Drift(s.drift, x, s.n, t); err != nil {
		return err
	}
	for i, v := range s.drift {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			p := i / s.d
			return fmt.Errorf("sim: the drift is %v at particle %d (x = %v) at t = %g: the spec is not defined there or the step dt is too large", v, p, x[p*s.d:(p+1)*s.d], t)
		}
		x[i] += s.h * v
		if sd > 0 {
			x[i] += sd * s.rng.NormFloat64()
		}
	}
	return nil
}

func draw(in Init, n, d int, rng *rand.Rand) []float64 {
	x := make([]float64, n*d)
	switch in.Kind {
	case "points":
		copy(x, in.Points)
	case "gaussian":
		for i := range x {
			x[i] = in.Mean + in.Std*rng.NormFloat64()
		}
	default: // uniform, the benchmark protocol
		lo, hi := in.Lo, in.Hi
		if in.Kind == "" {
			lo, hi = -4, 4
		}
		for i := range x {
			x[i] = lo + (hi-lo)*rng.Float64()
		}
	}
	return x
}
