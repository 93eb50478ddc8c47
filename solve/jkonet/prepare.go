package jkonet

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/parallel"
	"github.com/jko-org/jko/solve/snapshot"
)

// Transition is one observed step μ_k → μ_{k+1}, ready for the loss: the
// pairs of the coupling with the drift's evaluation point of each.
type Transition struct {
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
	// coupled is the data's exact coupling of Source to snapshot K+1 with
	// its column prices, when it is a permutation (nil otherwise): the
	// diffusion's calibration starts its first simulated coupling from it
	// (calWarm.startPrices).
	coupled *coupledSim
}

// Prepared is a dataset preprocessed for one spec.
type Prepared struct {
	Dim int
	// Steps holds the observed transitions, one per step k.
	Steps []Transition
	// Scheme is the scheme the drift is evaluated for: at each pair's x
	// (Explicit) or y (Implicit).
	Scheme compile.Scheme
	// DensityAt is the point ("x" or "y") where the internal energy's
	// density is taken (Options.DensityAt).
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

// SchemeFor is the scheme Fit fits m for with options o: o.Scheme when
// set, else the spec's (compile.Model.Scheme; Explicit when it declares
// none). At x (explicit) or at y (implicit) is where the drift is
// evaluated. A distributed fit resolves it the same way, so it fits the
// same scheme. The reference evaluates
// neural models at y, but on data from an explicit Euler–Maruyama scheme
// (its own benchmark generator) a model fitted at y must also predict with
// the implicit step: an mlp potential on wavy_plateau fitted at y scores
// one-step EMD 0.0084 with the implicit step and 0.11 with Euler's, the
// one fitted at x 0.0088 with Euler's.
func SchemeFor(o Options, m *compile.Model) compile.Scheme {
	if o.Scheme != nil {
		return *o.Scheme
	}
	return m.Scheme
}

// meanFieldCloud returns the population the mean field of transition k
// averages over under scheme, as rows, and its size: the whole snapshot
// the evaluation points belong to (k for explicit, k+1 for implicit), since
// the particles interacted with all of it, not with the split being
// fitted.
func meanFieldCloud(s *snapshot.Snapshots, k int, scheme compile.Scheme) ([]float64, int) {
	if scheme == compile.Implicit {
		k++
	}
	whole := s.Whole(k)
	n, _ := whole.Dims()
	return denseData(whole), n
}

// Prepare computes the couplings and, if the spec needs them, the densities.
func Prepare(m *compile.Model, s *snapshot.Snapshots, o Options, scheme compile.Scheme) (*Prepared, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	if err := Check(m, s); err != nil {
		return nil, err
	}
	if !scheme.Valid() {
		return nil, fmt.Errorf("jkonet: unknown scheme %v", scheme)
	}
	d := m.Dim
	p := &Prepared{Dim: d, Scheme: scheme}
	start := time.Now()
	K := s.Len() - 1
	// The couplings of the steps are independent problems: solve them on
	// all cores (each solver is deterministic, so the result is too).
	all := make([][]Pair, K)
	prices := make([][]float64, K)
	errs := make([]error, K)
	parallel.For(K, func(k int) {
		var wa, wb []float64
		if s.W != nil {
			wa, wb = s.W[k], s.W[k+1]
		}
		all[k], prices[k], errs[k] = coupleFrom(s.X[k], s.X[k+1], wa, wb, o.Couplings, nil)
	})
	for k := 0; k < K; k++ {
		x, y := s.X[k], s.X[k+1]
		pairs, err := all[k], errs[k]
		if err != nil {
			return nil, fmt.Errorf("jkonet: coupling snapshots %d and %d: %w", k, k+1, err)
		}
		st := NewTransition(k, s.Times[k], s.Times[k+1], x, y, pairs, scheme)
		st.Cloud, st.NC = meanFieldCloud(s, k, scheme)
		st.coupled = permutationCoupling(st.Source, denseData(y), pairs, prices[k], d)
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
			densityAt = scheme.DriftAt()
		}
		if densityAt != "x" && densityAt != "y" {
			return nil, fmt.Errorf("jkonet: DensityAt must be x or y, got %q", densityAt)
		}
		p.DensityAt = densityAt
		start = time.Now()
		// The steps' densities are independent fits, each deterministic
		// given its seed: fit them on all cores (a fit of 1,000 points is
		// one chunk, so a single fit keeps only one core busy).
		errs := make([]error, len(p.Steps))
		snaps := make([]int, len(p.Steps)) // the snapshot each step's density is fitted to
		parallel.For(len(p.Steps), func(i int) {
			st := &p.Steps[i]
			snap, pts := st.K, st.X
			if densityAt == "y" {
				snap, pts = st.K+1, st.Y
			}
			snaps[i] = snap
			est, err := estimate(s.X[snap], o.Density, o.Seed+uint64(snap))
			if err != nil {
				errs[i] = err
				return
			}
			st.Rho = make([]float64, st.N)
			st.GradRho = make([]float64, st.N*d)
			errs[i] = est.eval(st.Rho, st.GradRho, pts, st.N, d)
		})
		for i := range p.Steps {
			if errs[i] != nil {
				return nil, fmt.Errorf("jkonet: density of snapshot %d: %w", snaps[i], errs[i])
			}
			o.progress("densities", i+1, len(p.Steps), math.NaN())
		}
		p.Times = append(p.Times, Stage{"densities", time.Since(start)})
	}
	return p, nil
}
