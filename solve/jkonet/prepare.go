package jkonet

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/parallel"
	"github.com/jko-org/jko/solve/snapshot"
)

// Options configure Prepare and Fit. A zero field means the reference
// setting that DefaultOptions holds (method auto, exact couplings, gmm:10
// densities, 200 epochs of 256 pairs at learning rate 0.001, 500 L-BFGS
// iterations, the ridge chosen from the data), except Clip, where 0 means
// none: Options{} is a JKOnet* fit without gradient clipping.
type Options struct {
	// Method is "auto" (linear when every term is affine in its
	// parameters, else lbfgs when there are at most MaxLBFGS parameters,
	// else adam), "linear", "lbfgs" or "adam".
	Method string
	// Ridge is the closed form's ridge, relative to the diagonal of the
	// normal matrix: the zero value (RidgeAuto) chooses it from the data,
	// RidgeFixed(r) sets it, RidgeFixed(0) is the exact solve.
	Ridge Ridge
	// Couplings is "exact", "sinkhorn:EPS" or "minibatch:B" (exact OT
	// on random batches of B points, ot.MiniBatch).
	Couplings string
	// Density is "gmm:K" (K-component Gaussian mixture, the reference's
	// gmm:10) or "kde".
	Density string
	// EvalAt is "x" (explicit) or "y" (implicit); "" is y for a spec that
	// declares step implicit and x otherwise.
	EvalAt string
	// DensityAt is where the internal energy's term f″(ρ)∇ρ is taken: "x"
	// (density of snapshot k at x), "y" (density of snapshot k+1 at y, what
	// the reference does even for its explicit linear fits) or "" to
	// follow EvalAt. On data from an explicit Euler–Maruyama scheme the
	// consistent choice recovers β markedly better (styblinski_tang with
	// β = 0.1: 0.091 at x against 0.144 with the reference's mix).
	DensityAt string
	// BetaFrom is how the closed form estimates the β of an entropy term
	// (f = βρ log ρ) when the drift is evaluated at x: "" or "residual",
	// from the noise the coupled pairs keep, corrected by simulation for the
	// noise the coupling removes (no density needed; see residualBeta), or
	// "score", JKOnet*'s term β∇log ρ with the density estimate.
	BetaFrom string
	Seed     uint64
	// betaPinned: fit with the entropy's β held at 0, without estimating
	// it (the simulated refits of residualBeta).
	betaPinned bool

	// Gradient-based training.
	Epochs    int     // passes over the pairs (adam)
	BatchSize int     // pairs per Adam step
	LR        float64 // Adam learning rate
	Clip      float64 // gradient-norm clip (0: none)
	MaxIter   int     // L-BFGS iterations

	// Bootstrap, when at least 2, refits to that many resamplings of the
	// coupling pairs (with replacement, per step) and reports the spread of
	// θ in Result.Bootstrap: an uncertainty for every method, valid where
	// the closed form's standard errors are not. Seeded by Seed; the
	// replicates run in parallel with results independent of the cores.
	Bootstrap int

	// Progress, if set, is called as work advances: stage names the phase
	// ("couplings", "densities", "features", "solve", "lbfgs", "epoch"),
	// done/total count it, loss is the current loss where there is one
	// (else NaN).
	Progress func(stage string, done, total int, loss float64)
}

// DefaultOptions returns the settings of the JKOnet* reference.
func DefaultOptions() Options {
	return Options{
		Method: "auto", Ridge: RidgeAuto(), Couplings: "exact", Density: "gmm:10",
		Epochs: 200, BatchSize: 256, LR: 1e-3, Clip: 10, MaxIter: 500,
	}
}

// MaxLBFGS is the number of parameters above which "auto" prefers Adam.
const MaxLBFGS = 200

// withDefaults fills the zero fields that have a reference setting.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Method == "" {
		o.Method = d.Method
	}
	if o.Couplings == "" {
		o.Couplings = d.Couplings
	}
	if o.Density == "" {
		o.Density = d.Density
	}
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.BatchSize == 0 {
		o.BatchSize = d.BatchSize
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.MaxIter == 0 {
		o.MaxIter = d.MaxIter
	}
	return o
}

func (o *Options) progress(stage string, done, total int, loss float64) {
	if o.Progress != nil {
		o.Progress(stage, done, total, loss)
	}
}

// Step is one observed step μ_k → μ_{k+1}, ready for the loss: the pairs of
// the coupling with the drift's evaluation point of each.
type Step struct {
	K   int     // the step goes from snapshot K to K+1
	Tau float64 // t_{K+1} − t_K
	T   float64 // the time at the evaluation points
	N   int     // number of pairs
	// P holds the evaluation points (N×d): x or y of each pair.
	P []float64
	// Delta is y − x for each pair (N×d); W the pair weights (sum 1).
	Delta, W []float64
	// Cloud is the whole snapshot the evaluation points belong to (NC×d),
	// the population the interaction averages over (snapshot.Whole).
	Cloud []float64
	NC    int
	// Source is snapshot K as it was coupled (NS×d): the particles the
	// pairs' x come from. The diffusion's calibration simulates a step
	// from them, so that its coupling sees as many particles as the
	// observed one did.
	Source []float64
	NS     int
	// X and Y hold the x and y of each pair (N×d).
	X, Y []float64
	// Rho and GradRho are the density and its gradient at X (density of
	// snapshot K) or Y (snapshot K+1), see Options.DensityAt; only when the
	// spec has an internal term.
	Rho, GradRho []float64
}

// Prepared is a dataset preprocessed for one spec.
type Prepared struct {
	Dim       int
	Steps     []Step
	EvalAt    string
	DensityAt string
	// Times records the wall time of each preprocessing stage.
	Times Timings
	// Pairs counts the coupling pairs kept per step.
	Pairs []int
}

// Timings are the wall times of the stages of a fit, in order.
type Timings []Stage

// Stage is one timed stage.
type Stage struct {
	Name string
	Time time.Duration
}

// Total is the sum of the stage times.
func (t Timings) Total() time.Duration {
	var s time.Duration
	for _, st := range t {
		s += st.Time
	}
	return s
}

func (t Timings) String() string {
	var b strings.Builder
	for i, st := range t {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", st.Name, st.Time.Round(time.Microsecond))
	}
	return b.String()
}

// Check reports whether the data can be used to fit m.
func Check(m *compile.Model, s *snapshot.Snapshots) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.Len() < 2 {
		return fmt.Errorf("jkonet: the data has %d snapshot; fitting needs at least 2 (one observed step)", s.Len())
	}
	if d := s.Dim(); d != m.Dim {
		return fmt.Errorf("jkonet: the data is %d-dimensional but the model was compiled for d = %d", d, m.Dim)
	}
	if m.NumParams == 0 {
		return errors.New("jkonet: the spec has no learnable parameters: nothing to fit (declare some with param, or use a neural block)")
	}
	return nil
}

// defaultEvalAt picks where to evaluate the drift: as told, else at y when
// the spec declares step implicit, else at x. The reference evaluates
// neural models at y, but on data from an explicit Euler–Maruyama scheme
// (its own benchmark generator) a model fitted at y must also predict with
// the implicit step: an mlp potential on wavy_plateau fitted at y scores
// one-step EMD 0.0084 with the implicit step and 0.11 with Euler's, the
// one fitted at x 0.0088 with Euler's.
func defaultEvalAt(o Options, m *compile.Model) string {
	switch {
	case o.EvalAt != "":
		return o.EvalAt
	case m.Step == "implicit":
		return "y"
	}
	return "x"
}

// Prepare computes the couplings and, if the spec needs them, the densities.
func Prepare(m *compile.Model, s *snapshot.Snapshots, o Options, evalAt string) (*Prepared, error) {
	o = o.withDefaults()
	if err := Check(m, s); err != nil {
		return nil, err
	}
	if evalAt != "x" && evalAt != "y" {
		return nil, fmt.Errorf("jkonet: eval-at must be x or y, got %q", evalAt)
	}
	d := m.Dim
	p := &Prepared{Dim: d, EvalAt: evalAt}
	start := time.Now()
	K := s.Len() - 1
	// The couplings of the steps are independent problems: solve them on
	// all cores (each solver is deterministic, so the result is too).
	all := make([][]Pair, K)
	errs := make([]error, K)
	parallel.For(K, func(k int) {
		var wa, wb []float64
		if s.W != nil {
			wa, wb = s.W[k], s.W[k+1]
		}
		all[k], errs[k] = couple(s.X[k], s.X[k+1], wa, wb, o.Couplings)
	})
	for k := 0; k < K; k++ {
		x, y := s.X[k], s.X[k+1]
		pairs, err := all[k], errs[k]
		if err != nil {
			return nil, fmt.Errorf("jkonet: coupling snapshots %d and %d: %w", k, k+1, err)
		}
		st := NewStep(k, s.Times[k], s.Times[k+1], x, y, pairs, evalAt)
		// The mean field averages over the whole snapshot the evaluation
		// points belong to (the particles interacted with all of it, not
		// with the split being fitted).
		whole := s.Whole(k)
		if evalAt == "y" {
			whole = s.Whole(k + 1)
		}
		st.NC, _ = whole.Dims()
		st.Cloud = denseData(whole)
		p.Steps = append(p.Steps, *st)
		p.Pairs = append(p.Pairs, len(pairs))
		o.progress("couplings", k+1, K, math.NaN())
	}
	p.Times = append(p.Times, Stage{"couplings", time.Since(start)})

	if m.Has(compile.Internal) {
		// The internal energy's drift f″(ρ)∇ρ is taken at x with the density
		// of snapshot k, or at y with the density of snapshot k+1.
		densityAt := o.DensityAt
		if densityAt == "" {
			densityAt = evalAt
		}
		if densityAt != "x" && densityAt != "y" {
			return nil, fmt.Errorf("jkonet: density-at must be x or y, got %q", densityAt)
		}
		p.DensityAt = densityAt
		start = time.Now()
		for i := range p.Steps {
			st := &p.Steps[i]
			snap, pts := st.K, st.X
			if densityAt == "y" {
				snap, pts = st.K+1, st.Y
			}
			est, err := estimate(s.X[snap], o.Density, o.Seed+uint64(snap))
			if err != nil {
				return nil, fmt.Errorf("jkonet: density of snapshot %d: %w", st.K+1, err)
			}
			st.Rho = make([]float64, st.N)
			st.GradRho = make([]float64, st.N*d)
			if err := est.eval(st.Rho, st.GradRho, pts, st.N, d); err != nil {
				return nil, fmt.Errorf("jkonet: density of snapshot %d: %w", st.K+1, err)
			}
			o.progress("densities", i+1, len(p.Steps), math.NaN())
		}
		p.Times = append(p.Times, Stage{"densities", time.Since(start)})
	}
	return p, nil
}

// parseEps reads the ε of "sinkhorn:EPS".
func parseEps(spec string) (float64, error) {
	_, arg, _ := strings.Cut(spec, ":")
	eps, err := strconv.ParseFloat(arg, 64)
	if err != nil || !(eps > 0) {
		return 0, fmt.Errorf("couplings %q: want sinkhorn:EPS with EPS > 0", spec)
	}
	return eps, nil
}
