package jkonet

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/linear"
	"gonum.org/v1/gonum/mat"
)

// Result is a fitted θ with what is known about it.
type Result struct {
	Method string
	Theta  []float64
	// StdErr is the standard error of each entry of θ (linear fits only;
	// NaN where not estimable, nil otherwise).
	StdErr []float64
	// Names names each entry of θ.
	Names []string
	// Loss is the final value of the JKOnet* loss
	// Σ_k Σ w ‖τ·drift + (y − x)‖² / Σ_k Σ w.
	Loss float64
	// Linear holds the diagnostics of a closed-form fit.
	Linear *linear.Result
	// GaussNewton holds, for an L-BFGS or Adam fit with at most
	// MaxGaussNewton parameters, the linearised problem at the optimum:
	// its rank, condition number and flat directions (StdErr comes from it).
	GaussNewton *linear.Result
	// Clamped lists the parameters held at a bound by a linear fit.
	Clamped []string
	// BetaNote says how the closed form estimated an entropy's β.
	BetaNote string
	// BetaCI is the 95% interval of an entropy's β estimated from the
	// residual noise (nil otherwise): β ≥ 0, and its lower end is 0 when
	// the data are consistent with no diffusion, so it is not β̂ ± 1.96·SE.
	BetaCI *Interval
	// Ridge is the closed form's ridge, relative to the diagonal of the
	// normal matrix (chosen from the data unless Options.Ridge fixed it).
	Ridge float64
	// Converged reports whether the method met its convergence test (the
	// closed form always does), after Iterations iterations (L-BFGS),
	// epochs (Adam) or 1 (the closed form).
	Converged  bool
	Iterations int
	// Status says how the optimiser stopped, in words.
	Status string
	// Warnings are what a user must know before trusting the numbers: the
	// ridge moved the solution, the loss is flat in some direction, the
	// optimiser did not converge.
	Warnings []string
	// StepShift is, when the closed form's estimates depend on the time
	// step more than on the noise (see Warnings), how far each entry moves
	// when the drift is evaluated at the other end of each pair (the
	// implicit step for an explicit fit and vice versa); nil otherwise.
	StepShift []float64
	// Bootstrap holds the spread of θ over fits to resampled pairs (see
	// Options.Bootstrap), nil when not asked for.
	Bootstrap *Bootstrap
	// LossCurve has the loss after each epoch (adam) or iteration (lbfgs).
	LossCurve []float64
	// MapLossCurve has, for iJKOnet, the maps' objective after each epoch:
	// Σ_k J_θ(T_k#μ_k) + E‖x − T_k(x)‖²/2τ (LossCurve then holds the gap).
	MapLossCurve []float64
	// Times are the wall times of the stages (preprocessing included).
	Times Timings
	// free lists the entries of θ a closed-form fit solved for (the others
	// are held at a bound), in the order of Linear.Theta.
	free []int
	// EvalAt is where the fit evaluates the drift: "x", the explicit
	// (Euler) step, or "y", the implicit (JKO) step; iJKOnet fits the JKO
	// step and reports "y". Predictions should step the same way
	// (evaluate.Explicit or evaluate.Implicit).
	EvalAt string
}

// Interval is a 95% interval of entry Entry of θ.
type Interval struct {
	Entry  int
	Lo, Hi float64
}

// Interval returns the 95% interval of entry j of θ: BetaCI for the β it
// holds, θ_j ± 1.96·SE otherwise (NaN without a standard error).
func (r *Result) Interval(j int) (lo, hi float64) {
	if r.BetaCI != nil && r.BetaCI.Entry == j {
		return r.BetaCI.Lo, r.BetaCI.Hi
	}
	if j >= len(r.StdErr) {
		return math.NaN(), math.NaN()
	}
	return r.Theta[j] - 1.96*r.StdErr[j], r.Theta[j] + 1.96*r.StdErr[j]
}

// Step is the step the fit describes, as a spec's step declaration says
// it: "implicit" when the drift was evaluated at y, else "explicit".
func (r *Result) Step() string {
	if r.EvalAt == "y" {
		return "implicit"
	}
	return "explicit"
}

// stepFeatures evaluates the drift features of every term at the
// evaluation points of one step: F is N×d×P, c is N×d, such that the drift
// at pair i is F_i θ + c_i.
func stepFeatures(m *compile.Model, st *Step) (F, c []float64) {
	d, P, n := m.Dim, m.NumParams, st.N
	F = make([]float64, n*d*P)
	c = make([]float64, n*d)
	tmpF := make([]float64, n*d*P)
	tmpC := make([]float64, n*d)
	if m.Has(compile.Potential) {
		m.PotentialFeatures(tmpF, tmpC, st.P, n, st.T)
		addTo(F, tmpF)
		addTo(c, tmpC)
	}
	if m.Has(compile.Interaction) {
		clear(tmpF)
		clear(tmpC)
		m.InteractionFeatures(tmpF, tmpC, st.P, n, st.Cloud, st.NC)
		addTo(F, tmpF)
		addTo(c, tmpC)
	}
	if m.Has(compile.Internal) {
		// f″(ρ) = Σ_j θ_j a_j(ρ) + a_0(ρ); its drift is f″(ρ)∇ρ.
		a := make([]float64, n*P)
		a0 := make([]float64, n)
		m.InternalFeatures(a, a0, st.Rho, n)
		for i := 0; i < n; i++ {
			for k := 0; k < d; k++ {
				g := st.GradRho[i*d+k]
				row := F[(i*d+k)*P : (i*d+k+1)*P]
				for j, v := range a[i*P : (i+1)*P] {
					row[j] += v * g
				}
				c[i*d+k] += a0[i] * g
			}
		}
	}
	return F, c
}

func addTo(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

// rowBlock is one step's rows of the closed form: for pair i, dimension
// k, the row τF_ik (P entries), the target −(Δ_ik + τc_ik) and the pair's
// weight.
type rowBlock struct {
	F, b, w []float64
	rows    int
}

// FitLinear solves the closed form: every term must be affine in its
// parameters. Parameters with bounds are kept inside them by an active-set
// loop (a violating parameter is fixed at its bound and the rest re-solved).
func FitLinear(m *compile.Model, prep *Prepared, o Options) (*Result, error) {
	if err := m.LinearError(); err != nil {
		return nil, err
	}
	start := time.Now()
	d, P := m.Dim, m.NumParams
	names := m.ParamNames()
	// Collect the weighted rows once: for pair i, dimension k, the row is
	// τ F_ik and the target −(Δ_ik + τ c_ik).
	blocks := make([]rowBlock, len(prep.Steps))
	for s := range prep.Steps {
		F, b, w := stepRows(m, &prep.Steps[s])
		blocks[s] = rowBlock{F, b, w, len(b)}
		o.progress("features", s+1, len(prep.Steps), math.NaN())
	}
	featTime := time.Since(start)
	start = time.Now()
	o.progress("solve", 0, 1, math.NaN())

	// The normal equations of all the rows, once; the active-set loop for
	// bounds works on sub-systems of them.
	full := linear.NewNormal(P)
	for _, bl := range blocks {
		full.AddRows(bl.F, bl.b, bl.w)
	}
	sv, err := solveSums(m, full, o, prep.EvalAt)
	if err != nil {
		return nil, err
	}
	res, free, fixed, fixVal, betaAt, reg := sv.res, sv.free, sv.fixed, sv.fixVal, sv.betaAt, sv.reg
	// The residual from the rows themselves: the sums lose it when the fit
	// is nearly exact.
	loss := math.NaN()
	if res != nil {
		full := make([]float64, P)
		for fi, j := range free {
			full[j] = res.Theta[fi]
		}
		for j := 0; j < P; j++ {
			if fixed[j] {
				full[j] = fixVal[j]
			}
		}
		rss, wsum, bsum := 0.0, 0.0, 0.0
		for _, bl := range blocks {
			for r := 0; r < bl.rows; r++ {
				wsum += bl.w[r]
				bsum += bl.w[r] * bl.b[r]
			}
		}
		mean := bsum / wsum
		tss := 0.0
		for _, bl := range blocks {
			for r := 0; r < bl.rows; r++ {
				pred := 0.0
				for j, v := range bl.F[r*P : (r+1)*P] {
					pred += v * full[j]
				}
				e := pred - bl.b[r]
				rss += bl.w[r] * e * e
				tss += bl.w[r] * (bl.b[r] - mean) * (bl.b[r] - mean)
			}
		}
		res.SetRSS(rss, tss)
		// The loss is the same residual: each pair's weight stands on its
		// d rows.
		loss = rss / (wsum / float64(d))
	}
	theta := make([]float64, P)
	se := make([]float64, P)
	var clamped []string
	for j := 0; j < P; j++ {
		if fixed[j] {
			theta[j] = fixVal[j]
			se[j] = math.NaN()
			if j != betaAt {
				clamped = append(clamped, names[j])
			}
		}
	}
	if res != nil {
		for fi, j := range free {
			theta[j] = res.Theta[fi]
			se[j] = res.StdErr[fi]
		}
	}
	out := &Result{
		Method: "linear", Theta: theta, StdErr: se, Names: names, Linear: res,
		Clamped: clamped, EvalAt: prep.EvalAt, Converged: true, Iterations: 1, Ridge: reg, free: free,
	}
	solveTime := time.Since(start)
	var betaTime time.Duration
	if betaAt >= 0 && !o.betaPinned {
		bstart := time.Now()
		be, err := residualBeta(m, prep, blocks, theta, o)
		betaTime = time.Since(bstart)
		if err != nil {
			return nil, fmt.Errorf("jkonet: the diffusion from the residuals: %w", err)
		}
		lo, hi := bounds(m)
		b := math.Min(math.Max(be.Beta, lo[betaAt]), hi[betaAt])
		if be.Drift != nil && b > 0 {
			// θ_sim carries a simulation's noise, as large as the data's:
			// the corrected entries' variance doubles.
			for j := range theta {
				if j != betaAt && !fixed[j] {
					theta[j] = math.Min(math.Max(be.Drift[j], lo[j]), hi[j])
					se[j] *= math.Sqrt2
				}
			}
		}
		theta[betaAt], se[betaAt] = b, be.StdErr
		out.BetaCI = &Interval{Entry: betaAt, Lo: math.Max(be.Lo, lo[betaAt]), Hi: math.Min(be.Hi, hi[betaAt])}
		out.BetaNote = fmt.Sprintf("%s from the residual noise of the coupled pairs (differences of neighbours): %.4g before the coupling's correction (the coupling keeps %.0f%% of the noise), 95%% interval [%.4g, %.4g]; drift corrected for the coupling's bias by simulation", names[betaAt], be.Raw, 100*be.Ratio, out.BetaCI.Lo, out.BetaCI.Hi)
		if out.BetaCI.Lo == 0 {
			out.BetaNote += fmt.Sprintf("; the data are consistent with %s = 0 (no diffusion)", names[betaAt])
		}
	}
	if res != nil && res.RidgeShift != nil {
		var moved []string
		for fi, j := range free {
			if sh := res.RidgeShift[fi]; math.Abs(sh) > se[j] {
				moved = append(moved, fmt.Sprintf("%s by %+.3g (%.1f standard errors)", names[j], sh, math.Abs(sh)/se[j]))
			}
		}
		if len(moved) > 0 {
			const show = 5
			more := ""
			if len(moved) > show {
				more = fmt.Sprintf(" and %d more", len(moved)-show)
				moved = moved[:show]
			}
			out.Warnings = append(out.Warnings, fmt.Sprintf("the ridge (%.3g of each feature's squared size) moved %s%s: lower it (0: the exact solve) unless the data need it", reg, strings.Join(moved, ", "), more))
		}
	}
	out.Loss = loss
	if math.IsNaN(loss) {
		out.Loss = Loss(m, prep, theta)
	}
	out.Times = append(append(Timings{}, prep.Times...), Stage{"features", featTime}, Stage{"solve", solveTime})
	if betaTime > 0 {
		out.Times = append(out.Times, Stage{"diffusion", betaTime})
	}
	o.progress("solve", 1, 1, out.Loss)
	return out, nil
}

// solved is the closed form solved on the sums: the diagnostics of the
// free parameters (res; nil when every parameter is held at a bound), the
// free entries, those held at a bound with their values, the entropy's
// entry held at 0 for residualBeta (−1: none) and the ridge used.
type solved struct {
	res    *linear.Result
	free   []int
	fixed  []bool
	fixVal []float64
	betaAt int
	reg    float64
}

// boxSolve solves the normal equations full with o's ridge inside m's
// bounds (β's entry held at 0 when it comes from the residual noise):
// the solution without its diagnostics, which the diffusion's calibration
// refits need alone.
func boxSolve(m *compile.Model, full *linear.Normal, o Options, evalAt string) (theta []float64, where []linear.Bound, settings linear.Settings, betaAt int, reg float64, err error) {
	lower, upper := bounds(m)
	// β of an entropy term from the residual noise (see residualBeta): the
	// drift is fitted with β's entry held at 0.
	betaAt = -1
	if o.BetaFrom != BetaScore && evalAt == "x" {
		betaAt = entropyEntry(m)
	}
	if betaAt >= 0 {
		lower = append([]float64(nil), lower...)
		upper = append([]float64(nil), upper...)
		lower[betaAt], upper[betaAt] = 0, 0
	}
	// The ridge is relative to the diagonal of the normal matrix, so it
	// penalises every parameter in the units of its own feature's size on
	// the data: invariant to the units of the data and of the parameters.
	if err := o.Ridge.check(); err != nil {
		return nil, nil, settings, betaAt, 0, err
	}
	reg, given := o.Ridge.Fixed()
	if !given {
		reg = full.AutoRidge()
	}
	settings = linear.Settings{Ridge: []float64{reg}, Relative: true}
	theta, where, err = full.SolveBox(settings, lower, upper)
	if err != nil {
		// Solve names the parameters of a singular system.
		settings.Names = m.ParamNames()
		if _, err2 := full.Solve(settings); err2 != nil {
			err = err2
		}
		return nil, nil, settings, betaAt, reg, fmt.Errorf("jkonet: linear solve: %w", err)
	}
	return theta, where, settings, betaAt, reg, nil
}

// solveSums solves the normal equations full of m's closed form with
// o's ridge and m's bounds: the solve FitLinear and Accumulator.Solve
// share.
func solveSums(m *compile.Model, full *linear.Normal, o Options, evalAt string) (*solved, error) {
	P := m.NumParams
	names := m.ParamNames()
	boxTheta, where, settings, betaAt, reg, err := boxSolve(m, full, o, evalAt)
	if err != nil {
		return nil, err
	}
	fixed := make([]bool, P)
	fixVal := make([]float64, P)
	var fixedIdx []int
	var fixedVals []float64
	for j := 0; j < P; j++ {
		if where[j] != linear.Free {
			fixed[j], fixVal[j] = true, boxTheta[j]
			fixedIdx = append(fixedIdx, j)
			fixedVals = append(fixedVals, boxTheta[j])
		}
	}
	// Diagnostics (rank, standard errors) of the free parameters with the
	// others held at their bounds.
	ne, free := full.Fix(fixedIdx, fixedVals)
	var res *linear.Result
	if len(free) > 0 {
		fnames := make([]string, len(free))
		for fi, j := range free {
			fnames[fi] = names[j]
		}
		settings.Names = fnames
		res, err = ne.Solve(settings)
		if err != nil {
			return nil, fmt.Errorf("jkonet: linear solve: %w", err)
		}
	}
	return &solved{res: res, free: free, fixed: fixed, fixVal: fixVal, betaAt: betaAt, reg: reg}, nil
}

func bounds(m *compile.Model) (lo, hi []float64) {
	lo = make([]float64, m.NumParams)
	hi = make([]float64, m.NumParams)
	for _, p := range m.Params {
		for j := 0; j < p.Size; j++ {
			lo[p.Offset+j], hi[p.Offset+j] = p.Lower, p.Upper
		}
	}
	return lo, hi
}

// drift evaluates drift_θ at the evaluation points of a step (N×d).
func drift(m *compile.Model, st *Step, theta []float64) []float64 {
	d, n := m.Dim, st.N
	out := make([]float64, n*d)
	tmp := make([]float64, n*d)
	if m.Has(compile.Potential) {
		m.PotentialGrad(tmp, st.P, n, st.T, theta)
		addTo(out, tmp)
	}
	if m.Has(compile.Interaction) {
		m.InteractionGrad(tmp, st.P, n, st.Cloud, st.NC, theta)
		addTo(out, tmp)
	}
	if m.Has(compile.Internal) {
		coef := make([]float64, n)
		m.InternalCoef(coef, st.Rho, n, theta)
		for i := 0; i < n; i++ {
			for k := 0; k < d; k++ {
				out[i*d+k] += coef[i] * st.GradRho[i*d+k]
			}
		}
	}
	return out
}

// Loss is the JKOnet* loss Σ_k Σ w ‖τ·drift_θ + (y − x)‖², normalised by
// the total pair weight.
func Loss(m *compile.Model, prep *Prepared, theta []float64) float64 {
	d := m.Dim
	sum, wsum := 0.0, 0.0
	for s := range prep.Steps {
		st := &prep.Steps[s]
		dr := drift(m, st, theta)
		for i := 0; i < st.N; i++ {
			r2 := 0.0
			for k := 0; k < d; k++ {
				r := st.Tau*dr[i*d+k] + st.Delta[i*d+k]
				r2 += r * r
			}
			sum += st.W[i] * r2
			wsum += st.W[i]
		}
	}
	return sum / wsum
}

// denseData returns the entries of x as one contiguous row-major slice.
func denseData(x *mat.Dense) []float64 {
	r := x.RawMatrix()
	if r.Stride == r.Cols {
		return r.Data[:r.Rows*r.Cols]
	}
	out := make([]float64, 0, r.Rows*r.Cols)
	for i := 0; i < r.Rows; i++ {
		out = append(out, r.Data[i*r.Stride:i*r.Stride+r.Cols]...)
	}
	return out
}

// entropyEntry returns the entry of θ that is the β of an internal energy
// f = β ρ log ρ (with no other parameter in the internal terms), or −1.
func entropyEntry(m *compile.Model) int {
	if !m.Has(compile.Internal) {
		return -1
	}
	theta := make([]float64, m.NumParams)
	if _, ok := m.Entropy(theta); !ok {
		return -1
	}
	// The internal features at a few densities: exactly one column may be
	// nonzero, β·1/ρ, with no constant part.
	rho := []float64{0.01, 0.5, 3}
	F := make([]float64, len(rho)*m.NumParams)
	c := make([]float64, len(rho))
	m.InternalFeatures(F, c, rho, len(rho))
	at := -1
	for j := 0; j < m.NumParams; j++ {
		for i, r := range rho {
			v := F[i*m.NumParams+j]
			if v == 0 {
				continue
			}
			if math.Abs(v*r-1) > 1e-9 || (at >= 0 && at != j) {
				return -1
			}
			at = j
		}
	}
	for _, v := range c {
		if v != 0 {
			return -1
		}
	}
	return at
}
