package jkonet

import (
	"errors"
	"fmt"
	"math"

	"github.com/jko-org/jko/compile"
)

// The residual estimate of β in a distributed fit.
//
// FitLinear estimates an entropy's β from the residual noise of the
// coupled pairs and a simulation of one step (residualBeta): neither is a
// sum, so an Accumulator cannot give it. A distributed fit instead
// solves the drift on the sums with β held at 0 (SolveDrift), then hands
// one machine a sample of the pairs (Result.SetBetaFromSample), on which
// the estimate runs as FitLinear runs it on all the data.
//
// The sample must be coupled as the data were, because the share of the
// noise a coupling removes depends on how many particles it sees: every
// pair of an exact (or entropic) coupling with the whole snapshot as the
// source, or whole mini-batches of a mini-batch coupling (their pairs,
// and their x rows as the source). The simulation then couples a sample
// of the same size the same way. The β and its standard error are the
// sample's; the drift's coupling bias is measured on the sample and its
// noise is added to the drift's standard errors.

// BetaFromResidual reports whether a closed-form fit of m with o
// estimates an entropy's β from the residual noise (an entropy term, the
// drift at x, o.BetaFrom BetaResidual): a distributed fit then solves the
// sums with SolveDrift and finishes with Result.SetBetaFromSample.
func BetaFromResidual(m *compile.Model, o Options) bool {
	return o.BetaFrom == BetaResidual && defaultEvalAt(o, m) == "x" && entropyEntry(m) >= 0
}

// SolveDrift solves the sums as Solve does, with the entropy's β held at
// 0 when BetaFromResidual(m, o) (otherwise it is Solve): the drift the
// residual estimate of β starts from. The result's β is not estimated
// until Result.SetBetaFromSample: its entry is 0 with a NaN standard
// error.
func (a *Accumulator) SolveDrift(m *compile.Model, o Options) (*Result, error) {
	if o.EvalAt == "" {
		o.EvalAt = a.EvalAt
	}
	if !BetaFromResidual(m, o) || a.EvalAt != "x" {
		return a.Solve(m, o)
	}
	// solveSums holds β at 0 for BetaResidual: solve with it, and leave β
	// out of the parameters held at a bound.
	res, err := a.solve(m, o)
	if err != nil {
		return nil, err
	}
	betaAt := entropyEntry(m)
	name := m.ParamNames()[betaAt]
	kept := res.Clamped[:0]
	for _, c := range res.Clamped {
		if c != name {
			kept = append(kept, c)
		}
	}
	res.Clamped = kept
	res.BetaNote = fmt.Sprintf("%s not estimated yet: held at 0 for the drift (Result.SetBetaFromSample estimates it)", name)
	return res, nil
}

// SetBetaFromSample estimates the entropy's β of res (solved by
// SolveDrift, with SetResidual done) from sample, as FitLinear does on all
// the data: the drift refitted to the sample with β held at 0, the
// residual noise of the sample's pairs, corrected by a simulation of one
// step coupled the same way for the noise the coupling removes. The
// sample's steps are built as NewStep builds them, with Source the
// particles the coupling saw (see above), and the densities unset or set
// (the entropy's entry is 0 in the drift). The drift correction FitLinear
// makes for the coupling's bias is measured on the sample and added to
// res's θ; its noise is added to the standard errors. A no-op when
// !BetaFromResidual(m, o).
func (res *Result) SetBetaFromSample(m *compile.Model, sample *Prepared, o Options) error {
	if !BetaFromResidual(m, o) || res.EvalAt != "x" {
		return nil
	}
	if sample == nil || len(sample.Steps) == 0 {
		return errors.New("jkonet: no sample of pairs to estimate the diffusion from")
	}
	if len(res.Theta) != m.NumParams || len(res.StdErr) != m.NumParams {
		return fmt.Errorf("jkonet: a result of %d values for a model of %d parameters", len(res.Theta), m.NumParams)
	}
	d := m.Dim
	pairs := 0
	for s := range sample.Steps {
		st := &sample.Steps[s]
		if st.Rho == nil && m.Has(compile.Internal) {
			// The entropy's entry is held at 0: ρ = 1 keeps its term at 0.
			st.Rho = make([]float64, st.N)
			for i := range st.Rho {
				st.Rho[i] = 1
			}
			st.GradRho = make([]float64, st.N*d)
		}
		if st.NS <= 0 || len(st.Source) != st.NS*d {
			return fmt.Errorf("jkonet: step %d of the sample: %d source particles with %d values in %d-D", st.K, st.NS, len(st.Source), d)
		}
		pairs += st.N
	}
	sample.Dim, sample.EvalAt = d, "x"
	o.Method, o.Bootstrap, o.Progress, o.EvalAt = MethodLinear, 0, nil, "x"
	pinned := o
	pinned.betaPinned = true
	base, err := FitLinear(m, sample, pinned)
	if err != nil {
		return fmt.Errorf("jkonet: the diffusion's sample: %w", err)
	}
	full, err := FitLinear(m, sample, o)
	if err != nil {
		return err
	}
	betaAt := entropyEntry(m)
	lo, hi := bounds(m)
	// FitLinear's drift correction on the sample, θ_corrected − θ, moved
	// onto res's θ. The correction carries the noise of the sample's fit
	// (its simulation is one more such fit): its variance adds to that
	// of res's entries.
	corrected := false
	for _, j := range res.free {
		if j != betaAt && full.Theta[j] != base.Theta[j] {
			corrected = true
		}
	}
	if corrected {
		for _, j := range res.free {
			if j == betaAt {
				continue
			}
			res.Theta[j] = math.Min(math.Max(res.Theta[j]+full.Theta[j]-base.Theta[j], lo[j]), hi[j])
			res.StdErr[j] = math.Hypot(res.StdErr[j], base.StdErr[j])
		}
	}
	res.Theta[betaAt], res.StdErr[betaAt] = full.Theta[betaAt], full.StdErr[betaAt]
	res.BetaNote = fmt.Sprintf("%s (on a sample of %d pairs over %d steps, coupled as the data were)", full.BetaNote, pairs, len(sample.Steps))
	if b, mini := o.Couplings.BatchSize(); mini {
		res.Warnings = append(res.Warnings, miniBatchBetaWarning(m.ParamNames()[betaAt], b))
	}
	return nil
}

// miniBatchBetaWarning says why an entropy's β from the residuals of
// mini-batch couplings is not to be trusted. A mini-batch pairs random
// subsets of the two snapshots, different particles, so its pairs join
// particles about a batch's spacing apart: the residuals measure that
// spacing more than the noise, and the simulated correction, a
// difference of two large numbers, does not remove it reliably. On
// styblinski_tang with β = 0.1 (3000 particles, batches of 500) the
// closed form on all the pairs gave 0.93 ± 0.015 and on a sample of 3
// batches 0.24 ± 0.006.
func miniBatchBetaWarning(name string, size int) string {
	return fmt.Sprintf("%s from the residuals of mini-batch couplings (batches of %d) is unreliable: a batch pairs different particles, whose distance the residuals measure more than the noise, and the standard error does not include that (styblinski_tang, β = 0.1: 0.93 ± 0.015 with batches of 500); fit β with exact couplings", name, size)
}
