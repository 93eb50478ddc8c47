package jkonet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/solve/snapshot"
)

// A closed-form fit's standard errors measure the noise of the data, not
// the error of the time discretisation: the explicit step (drift at x)
// and the implicit step (drift at y) are different models of the same
// pairs, and their estimates differ by O(τ·curvature). On data the
// estimates cannot tell apart, that difference can be thousands of
// standard errors (an implicit fit of noise-free Euler data: c₁ = 1.0142 ±
// 3·10⁻⁶ for 1). stepCheck refits with the other step and warns when the
// estimates move by more than two standard errors while the data do not
// clearly prefer the step that was fitted.

// stepCheckZ is how clearly the data must prefer the fitted step for the
// other step's estimates to be ignored: the rise of the residual sum of
// squares under the other step, in units of the fitted step's residual
// variance σ̂². If the two steps' estimates are k standard errors apart
// and the fitted step is the right one, that rise is about k², so a
// shift beyond 2 standard errors with a rise below 4 means the data do
// not support the choice as firmly as the standard errors suggest.
const stepCheckZ = 4

// stepCheck refits the closed form of res with the drift at the other end
// of each pair and adds a warning to res when the step matters more than
// the noise. It does nothing for specs with an internal energy (the
// density's evaluation point and β's estimator depend on the step).
func stepCheck(m *compile.Model, s *snapshot.Snapshots, prep *Prepared, o Options, res *Result) error {
	if res.Method != "linear" || m.Has(compile.Internal) || res.Linear == nil {
		return nil
	}
	// On many pairs both steps are fitted to a subsample (the check then
	// costs two small fits, not a second full one): the shift between the
	// steps is systematic and the subsample estimates it; the preference
	// test scales with the number of rows.
	base, scale := prep, 1.0
	this := res
	// A subsample costs two fits: worth it below half the pairs.
	if sub, frac := subsamplePairs(prep, checkPairs(m), o.Seed); sub != nil && frac < 0.5 {
		base, scale = sub, 1/frac
		o2 := o
		o2.Progress = nil
		var err error
		if this, err = FitLinear(m, sub, o2); err != nil {
			return nil
		}
	}
	other := base.otherStep(s)
	o.Progress = nil
	alt, err := FitLinear(m, other, o)
	if err != nil {
		// The other step may be ill-posed where this one is not (rank,
		// bounds): then there is nothing to compare.
		return nil
	}
	rows := 0
	for _, n := range base.Pairs {
		rows += n * base.Dim
	}
	dof := float64(rows - len(this.free))
	if dof <= 0 || !(this.Loss > 0) {
		// An exact fit: the data choose this step (any other leaves a
		// residual) unless the other is exact too, and then they agree.
		return nil
	}
	// Both losses are the residual sums over the same rows and weights, so
	// their relative rise is the rise of the RSS in units of σ̂²·dof.
	z := (alt.Loss - this.Loss) / this.Loss * dof * scale
	if z >= stepCheckZ {
		return nil
	}
	type shift struct {
		name   string
		k      float64
		to, at float64
	}
	var moved []shift
	for j := range res.Theta {
		se := res.StdErr[j]
		if !(se > 0) || math.IsNaN(alt.Theta[j]) {
			continue
		}
		d := alt.Theta[j] - this.Theta[j]
		if k := math.Abs(d) / se; k > 2 {
			moved = append(moved, shift{res.Names[j], k, res.Theta[j] + d, res.Theta[j]})
		}
	}
	if len(moved) == 0 {
		return nil
	}
	var parts []string
	for i, mv := range moved {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(moved)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.6g (%.3g standard errors from %.6g)", mv.name, mv.to, mv.k, mv.at))
	}
	otherName, thisName := other.Scheme.String(), prep.Scheme.String()
	prefer := "the data do not clearly prefer either step"
	if alt.Loss < this.Loss {
		prefer = fmt.Sprintf("the data fit the %s step better (loss %.4g against %.4g)", otherName, alt.Loss, this.Loss)
	}
	res.Warnings = append(res.Warnings, fmt.Sprintf(
		"the step matters more than the noise: under the %s step the estimates are %s; %s. The standard errors of the %s fit leave out the time discretisation's error: fit with the step the data follow, or count the difference as uncertainty",
		otherName, strings.Join(parts, ", "), prefer, thisName))
	res.StepShift = make([]float64, len(res.Theta))
	for j := range res.Theta {
		res.StepShift[j] = alt.Theta[j] - this.Theta[j]
	}
	return nil
}

// stepCheckRows is the most least-squares rows (pairs × dimensions) per
// step the step check fits, unless the parameters need more (a variable
// for tests): 4,096 pairs in 2-D.
var stepCheckRows = 8192

// checkPairs is the most pairs per step the step check fits for m: about
// stepCheckRows rows, and at least 16 rows per parameter. Its two fits
// cost O(rows·P²) each, so a cap in pairs alone would let them cost as
// much as the fit itself in 50-D (4,096 pairs make 204,800 rows there);
// in rows, they cost a bounded share of it.
func checkPairs(m *compile.Model) int {
	return max(1, max(stepCheckRows, 16*m.NumParams)/max(m.Dim, 1))
}

// subsamplePairs returns prep with at most n pairs per step, drawn without
// replacement (seeded), and the fraction of all pairs kept; nil when no
// step has more than n pairs. The data must have no densities.
func subsamplePairs(prep *Prepared, n int, seed uint64) (*Prepared, float64) {
	total, kept := 0, 0
	for _, st := range prep.Steps {
		total += st.N
		kept += min(st.N, n)
	}
	if kept == total {
		return nil, 1
	}
	q := *prep
	q.Steps = make([]Transition, len(prep.Steps))
	q.Pairs = make([]int, len(prep.Steps))
	rng := rand.New(rand.NewPCG(seed, 0x57e9c4ec))
	for i := range prep.Steps {
		st := &prep.Steps[i]
		if st.N <= n {
			q.Steps[i], q.Pairs[i] = *st, st.N
			continue
		}
		idx := rng.Perm(st.N)[:n]
		slices.Sort(idx)
		q.Steps[i] = *gather(st, idx, prep.Dim)
		q.Pairs[i] = n
	}
	return &q, float64(kept) / float64(total)
}

// otherStep returns the prepared data with the drift evaluated at the
// other end of each pair (y for x, x for y): the same couplings, the
// evaluation points, their time and the population the mean field
// averages over switched. It is only for specs without an internal energy
// (the densities are not recomputed).
func (p *Prepared) otherStep(s *snapshot.Snapshots) *Prepared {
	q := *p
	q.Scheme = compile.Implicit
	if p.Scheme == compile.Implicit {
		q.Scheme = compile.Explicit
	}
	q.Steps = make([]Transition, len(p.Steps))
	for i, st := range p.Steps {
		if q.Scheme == compile.Implicit {
			st.P, st.T = st.Y, s.Times[st.K+1]
		} else {
			st.P, st.T = st.X, s.Times[st.K]
		}
		st.Cloud, st.NC = meanFieldCloud(s, st.K, q.Scheme)
		q.Steps[i] = st
	}
	return &q
}
