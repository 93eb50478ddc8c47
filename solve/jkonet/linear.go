package jkonet

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/linear"
	"github.com/jko-org/jko/internal/parallel"
	"gonum.org/v1/gonum/mat"
)

// Result is a fitted θ with what is known about it.
type Result struct {
	Method string
	Theta  []float64
	// StdErr is the standard error of each entry of θ (NaN where not
	// estimable, nil when not computed). It is approximate: the closed
	// form's is σ̂²·M⁻¹AᵀWA·M⁻¹ (M = AᵀWA + Λ, the sandwich form under
	// the ridge: the spread about the ridge estimate's own, biased, mean;
	// see linear.Result.StdErr), with σ̂² the noise 2β̂τ an entropy's β
	// from the residuals implies where that exceeds the coupled
	// residuals' variance (the coupling removes part of the noise from
	// the residuals, not from the estimate), times √(1 + 1/4) for the
	// entries the coupling's bias correction moved (its mean of 4
	// simulated refits), with β̂'s error times the bias's slope in β added
	// in quadrature (driftBetaSlope); L-BFGS's and Adam's the
	// Gauss–Newton σ̂²(JᵀWJ)⁻¹ at the optimum; all treat the pairs'
	// coordinates as independent rows and condition on the density
	// estimate, and without a β from the residuals they read the noise
	// from the coupled residuals, which understates it. Bootstrap gives a
	// spread over resampled pairs.
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
	// betaDriftSE is, for a closed form whose drift was corrected for the
	// coupling's bias (residualBeta), the part of each entry's standard
	// error that comes from β̂'s error (nil otherwise).
	betaDriftSE []float64
	// Scheme is the scheme the fit describes: compile.Explicit (the drift
	// evaluated at x, Euler's step) or compile.Implicit (at y, the JKO
	// step); iJKOnet fits the JKO step. Predictions should step the same
	// way.
	Scheme compile.Scheme
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

func addTo(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

// FitLinear solves the closed form: every term must be affine in its
// parameters. Parameters with bounds are kept inside them by an exact
// active-set solve (linear.Factored.SolveBox).
//
// The rows (one per pair and coordinate, N·d in all, P features each) are
// made a chunk of pairs at a time (about 4,096 rows) and folded into the
// triangular factor of a Householder QR of the weighted design, never
// through the normal equations, which would square the condition number;
// no more than one chunk's rows is ever held. One singular value
// decomposition of the P×P factor then serves the solve, the data-chosen
// ridge, the standard errors, the rank and the flat directions; a second
// pass makes the rows again for the residual (the loss, R² and σ̂²). An
// entropy's β from the residual noise needs every step's rows held (its
// estimator, residualBeta, reads them whole): then the rows are made once
// and the QR, the residual and the estimator all read the held rows.
// Cost: O(P² + 4096·P) memory whatever the number of pairs (O(N·d·P)
// with β from the residuals), O(N·d·P²) time for the QR (for N pairs over
// all the steps), plus the features, evaluated twice, or once with β from
// the residuals (an interaction term's features cost O(N·M) per step
// against a cloud of M particles, see compile.Model.InteractionFeatures),
// and O(P³) for the decomposition. Accumulator is the path for data split
// across shards or machines: normal equations, O(P²) memory, mergeable.
// The standard errors are approximate (see Result.StdErr and
// linear.Result.StdErr): under the ridge they are the sandwich
// σ̂²·M⁻¹AᵀWA·M⁻¹ about the ridge estimate's own biased mean, and they
// condition on the density estimate. The data-chosen ridge counts one
// step's rows as the independent ones (linear.Factored.AutoRidge).
func FitLinear(m *compile.Model, prep *Prepared, o Options) (*Result, error) {
	if err := m.LinearError(); err != nil {
		return nil, err
	}
	start := time.Now()
	var rb rowBuf
	// The β estimator reads every step's rows whole: when it will run,
	// the rows are made once, held, and the QR, the residual and the
	// estimator all read them; otherwise they are made a chunk at a time,
	// twice (the QR, then the residual at the solution).
	var held stepBlocks
	var featTime time.Duration
	if residualBetaEntry(m, o, prep.Scheme) >= 0 && !o.betaPinned {
		fstart := time.Now()
		held = linearRowsReporting(m, prep, o)
		featTime = time.Since(fstart)
	}
	qr, mean, ft := linearQR(m, prep, o, &rb, held)
	featTime += ft

	o.progress("solve", 0, 1, math.NaN())
	f, err := qr.Factor()
	if err != nil {
		return nil, fmt.Errorf("jkonet: linear solve: %w", err)
	}
	sv, err := solveFactored(m, f, o, prep.Scheme, len(prep.Steps))
	if err != nil {
		return nil, err
	}
	loss, residTime := sv.setResidual(m, prep, mean, &rb, held)
	out := sv.result(m, prep.Scheme)
	featTime += residTime
	solveTime := time.Since(start) - featTime

	var betaTime time.Duration
	if sv.betaAt >= 0 && !o.betaPinned {
		bstart := time.Now()
		// β from the residuals works on the rows themselves: only this
		// path holds every step's rows (O(N·d·P) memory).
		sv.gram = qr.Gram()
		if err := out.residualBeta(m, prep, held, o, sv); err != nil {
			return nil, err
		}
		betaTime = time.Since(bstart)
	}
	out.warnRidgeShift(sv)
	if prep.Scheme == compile.Explicit && entropyEntry(m) < 0 {
		out.warnUnmodelledNoise(m, prep, false)
	}
	out.Loss = loss
	if math.IsNaN(loss) {
		out.Loss = Loss(m, prep, out.Theta)
	}
	out.Times = append(append(Timings{}, prep.Times...), Stage{"features", featTime}, Stage{"solve", solveTime})
	if betaTime > 0 {
		out.Times = append(out.Times, Stage{"diffusion", betaTime})
	}
	o.progress("solve", 1, 1, out.Loss)
	return out, nil
}

// stepFeatures evaluates the drift features of every term at the
// evaluation points of one step: F is N×d×P, c is N×d, such that the drift
// at pair i is F_i θ + c_i.
func stepFeatures(m *compile.Model, st *Transition) (F, c []float64) {
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

// rowBlock is the least-squares rows of one step, all held (see stepChunks).
type rowBlock struct {
	F, b, w []float64
}

// stepBlocks is the rows of every step, held for the residual β's
// estimator (beta.go).
type stepBlocks []rowBlock

// linearRowsReporting is linearRows reporting each step to o's progress
// as "features". The rows are those stepChunks makes, bit for bit: a
// pair's row does not depend on the pairs it is evaluated with
// (TestHeldRowsMatchChunks).
func linearRowsReporting(m *compile.Model, prep *Prepared, o Options) stepBlocks {
	blocks := make(stepBlocks, len(prep.Steps))
	// The steps on several goroutines (their features are parallel
	// within, but not their serial parts), each with one set of scratch
	// buffers for its steps; each step's rows are its own (they are held)
	// and do not depend on which goroutine made them.
	var mu sync.Mutex
	done := 0
	parallel.Claim(len(prep.Steps), func(next func() int) {
		var rb rowBuf
		for s := next(); s < len(prep.Steps); s = next() {
			st := &prep.Steps[s]
			F, b, w := rb.rows(m, st, 0, st.N, m.Dim, m.NumParams)
			blocks[s] = rowBlock{F, b, w}
			rb.F, rb.b, rb.w = nil, nil, nil
			mu.Lock()
			done++
			o.progress("features", done, len(prep.Steps), math.NaN())
			mu.Unlock()
		}
	})
	return blocks
}

// chunks calls f with the rows of blk (the rows of st) in the chunks
// stepChunks would make them in, so that what f folds them into (the QR,
// the residual's sums) is the same, bit for bit, as from stepChunks.
func (blk rowBlock) chunks(st *Transition, d, P int, f func(F, b, w []float64)) {
	per := min(max(1, chunkRows/max(d, 1)), st.N)
	for lo := 0; lo < st.N; lo += per {
		hi := min(lo+per, st.N)
		f(blk.F[lo*d*P:hi*d*P], blk.b[lo*d:hi*d], blk.w[lo*d:hi*d])
	}
}

// stepRowChunks calls f with the rows of step s a chunk at a time, in
// stepChunks' chunks: held's when held is not nil, else made in rb. It
// returns the time spent evaluating features (none for held rows).
func stepRowChunks(m *compile.Model, prep *Prepared, s int, held stepBlocks, rb *rowBuf, f func(F, b, w []float64)) time.Duration {
	st := &prep.Steps[s]
	if held != nil {
		held[s].chunks(st, m.Dim, m.NumParams, f)
		return 0
	}
	return stepChunks(m, st, rb, f)
}

// linearQR folds the least-squares rows of every step, a chunk of pairs at
// a time, into the triangular factor of their weighted QR, and returns it
// with the weighted mean of the targets (for the residual's second pass)
// and the time spent on the features. The rows are held's when it is not
// nil (linearRows), else made by stepChunks.
func linearQR(m *compile.Model, prep *Prepared, o Options, rb *rowBuf, held stepBlocks) (qr *linear.QR, mean float64, feat time.Duration) {
	qr = linear.NewQR(m.NumParams)
	wsum, bsum := 0.0, 0.0
	add := func(F, b, w []float64) {
		for r := range b {
			wsum += w[r]
			bsum += w[r] * b[r]
		}
		qr.AddRows(F, b, w)
	}
	for s := range prep.Steps {
		feat += stepRowChunks(m, prep, s, held, rb, add)
		if held == nil { // held rows reported their progress when made
			o.progress("features", s+1, len(prep.Steps), math.NaN())
		}
	}
	return qr, bsum / wsum, feat
}

// theta is the full θ of a solve: the free entries from the diagnostics'
// solution, the others at their bounds.
func (sv *solved) theta(P int) []float64 {
	th := make([]float64, P)
	for j := 0; j < P; j++ {
		if sv.fixed[j] {
			th[j] = sv.fixVal[j]
		}
	}
	if sv.res != nil {
		for fi, j := range sv.free {
			th[j] = sv.res.Theta[fi]
		}
	}
	return th
}

// setResidual replaces the residual of the solve by the one summed over
// the rows themselves, held's (linearRows) or, when held is nil, made again
// a chunk at a time in rb (the factored form keeps it to rounding, but the
// loss is defined on the rows; mean is the targets' weighted mean),
// updating R² and the standard errors, and returns the loss: the same
// residual over the total pair weight (each pair's weight stands on its
// dim rows), NaN when every parameter is held at a bound; and the time
// spent on the features.
func (sv *solved) setResidual(m *compile.Model, prep *Prepared, mean float64, rb *rowBuf, held stepBlocks) (float64, time.Duration) {
	if sv.res == nil {
		return math.NaN(), 0
	}
	P := len(sv.fixed)
	th := sv.theta(P)
	var r Residual
	var feat time.Duration
	add := func(F, b, w []float64) { r.addRows(P, F, b, w, th, mean) }
	for s := range prep.Steps {
		feat += stepRowChunks(m, prep, s, held, rb, add)
	}
	sv.res.SetRSS(r.RSS, r.TSS)
	return r.RSS / (r.W / float64(m.Dim)), feat
}

// result is the fit of a solve: θ, its standard errors (NaN for an entry
// held at a bound) and the entries held at a bound (the entropy's β, held
// at 0 to be estimated from the residuals, is not one).
func (sv *solved) result(m *compile.Model, scheme compile.Scheme) *Result {
	P := m.NumParams
	names := m.ParamNames()
	se := make([]float64, P)
	var clamped []string
	for j := 0; j < P; j++ {
		if sv.fixed[j] {
			se[j] = math.NaN()
			if j != sv.betaAt {
				clamped = append(clamped, names[j])
			}
		}
	}
	if sv.res != nil {
		for fi, j := range sv.free {
			se[j] = sv.res.StdErr[fi]
		}
	}
	return &Result{
		Method: "linear", Theta: sv.theta(P), StdErr: se, Names: names, Linear: sv.res,
		Clamped: clamped, Scheme: scheme, Converged: true, Iterations: 1, Ridge: sv.reg, free: sv.free,
	}
}

// residualBeta sets the entropy's β from the residual noise of the coupled
// pairs and removes the coupling's bias from the drift (see residualBeta
// in beta.go).
func (out *Result) residualBeta(m *compile.Model, prep *Prepared, rows stepBlocks, o Options, sv *solved) error {
	betaAt := sv.betaAt
	// The calibration's refits use the data fit's ridge: the same
	// estimator on the simulated pairs.
	o.Ridge = RidgeFixed(sv.reg)
	be, err := residualBeta(m, prep, rows, sv.gram, out.Theta, o)
	if err != nil {
		return fmt.Errorf("jkonet: the diffusion from the residuals: %w", err)
	}
	lo, hi := bounds(m)
	b := math.Min(math.Max(be.Beta, lo[betaAt]), hi[betaAt])
	if be.Drift != nil && b > 0 {
		// The drift's standard errors read the noise from the coupled
		// pairs' residuals, which the coupling has partly removed (it
		// re-pairs neighbours: 7% of the noise at 300 particles, 17% at
		// 1000, more as the particles crowd). The estimate's error is the
		// noise's projection on the smooth features, which re-pairing
		// neighbours leaves almost whole, so the residuals made the
		// standard errors too small, the more so the more particles:
		// they are rescaled to the noise the fitted β says the data
		// carry (2βτ per coordinate), where that is larger.
		scale := math.Sqrt(noiseInflation(m, prep, sv.res, b))
		// The correction carries the simulations' noise (be.DriftVar:
		// the mean of calSims refits) and β̂'s error times how the bias
		// moves with β (be.DriftBeta).
		out.betaDriftSE = make([]float64, len(out.Theta))
		for j := range out.Theta {
			if j != betaAt && !sv.fixed[j] {
				out.Theta[j] = math.Min(math.Max(be.Drift[j], lo[j]), hi[j])
				if be.DriftBeta != nil {
					out.betaDriftSE[j] = math.Abs(be.DriftBeta[j]) * be.StdErr
				}
				out.StdErr[j] = math.Hypot(out.StdErr[j]*math.Sqrt(be.DriftVar)*scale, out.betaDriftSE[j])
			}
		}
	}
	out.Theta[betaAt], out.StdErr[betaAt] = b, be.StdErr
	out.BetaCI = &Interval{Entry: betaAt, Lo: math.Max(be.Lo, lo[betaAt]), Hi: math.Min(be.Hi, hi[betaAt])}
	npairs := 0
	for s := range prep.Steps {
		npairs += prep.Steps[s].N
	}
	out.BetaNote = fmt.Sprintf("%s from the residual noise of the coupled pairs (differences of neighbours): %.4g before the coupling's correction (the coupling keeps %.0f%% of the noise), 95%% interval [%.4g, %.4g]; drift corrected for the coupling's bias by simulation", out.Names[betaAt], be.Raw, 100*be.Ratio, out.BetaCI.Lo, out.BetaCI.Hi)
	if out.BetaCI.Lo == 0 {
		out.BetaNote += fmt.Sprintf("; the data are consistent with %s = 0 (no diffusion)", out.Names[betaAt])
	}
	out.BetaNote += fmt.Sprintf(" (%d pairs over %d steps)", npairs, len(prep.Steps))
	if size, mini := o.Couplings.BatchSize(); mini {
		out.Warnings = append(out.Warnings, miniBatchBetaWarning(out.Names[betaAt], size))
	}
	return nil
}

// noiseInflation is the ratio of the residual variance the diffusion β
// implies (2βτ per coordinate of every pair, weighted as the rows) to the
// one the fit res measured (RSS over its residual degrees of freedom), or
// 1 when the measured one is the larger (a drift misfit adds to the
// noise; the standard errors then keep it).
func noiseInflation(m *compile.Model, prep *Prepared, res *linear.Result, beta float64) float64 {
	if res == nil || !(res.RSS > 0) || !(beta > 0) {
		return 1
	}
	want, rows := 0.0, 0
	for s := range prep.Steps {
		st := &prep.Steps[s]
		wsum := 0.0
		for _, w := range st.W {
			wsum += w
		}
		want += float64(m.Dim) * 2 * beta * st.Tau * wsum
		rows += st.N * m.Dim
	}
	if rows <= res.Rank {
		return 1
	}
	got := res.RSS * float64(rows) / float64(rows-res.Rank)
	return math.Max(1, want/got)
}

// noiseCheckPairs is the most pairs a step gives warnUnmodelledNoise.
const noiseCheckPairs = 1000

// warnUnmodelledNoise warns when the coupled pairs carry diffusion noise
// (the intercept of the neighbours' residual differences, which a smooth
// drift misfit does not raise, is above 0 with 95% confidence) that the
// fit does not estimate from the residuals: the coupling's bias on the
// drift is then not removed, and the standard errors read the noise from
// residuals the coupling has depleted. The closed form removes both when
// the model has an entropy term; a gradient-based fit (gradient true)
// never does.
func (out *Result) warnUnmodelledNoise(m *compile.Model, prep *Prepared, gradient bool) {
	d := m.Dim
	steps := make([]residuals, len(prep.Steps))
	// move is the displacements' mean square in the units of β
	// (‖Δ‖²/2τd): noise below 1e-6 of it is rounding, not diffusion.
	move, wsum := 0.0, 0.0
	for s := range prep.Steps {
		st := &prep.Steps[s]
		if len(st.X) != st.N*d || !(st.Tau > 0) {
			return
		}
		// Every stride-th pair, at most noiseCheckPairs a step: enough to
		// see the noise, and the drift and the neighbour search stay cheap
		// on large or high-dimensional fits.
		stride := (st.N + noiseCheckPairs - 1) / noiseCheckPairs
		n := (st.N + stride - 1) / stride
		sub := Transition{Tau: st.Tau, T: st.T, N: n, Cloud: st.Cloud, NC: st.NC, P: make([]float64, 0, n*d)}
		x := make([]float64, 0, n*d)
		w := make([]float64, 0, n)
		delta := make([]float64, 0, n*d)
		for i := 0; i < st.N; i += stride {
			sub.P = append(sub.P, st.P[i*d:(i+1)*d]...)
			x = append(x, st.X[i*d:(i+1)*d]...)
			delta = append(delta, st.Delta[i*d:(i+1)*d]...)
			w = append(w, st.W[i])
			if st.Rho != nil {
				sub.Rho = append(sub.Rho, st.Rho[i])
				sub.GradRho = append(sub.GradRho, st.GradRho[i*d:(i+1)*d]...)
			}
		}
		r := drift(m, &sub, out.Theta)
		for i := range r {
			r[i] = delta[i] + st.Tau*r[i]
			move += w[i/d] * delta[i] * delta[i] / (2 * st.Tau * float64(d))
		}
		for _, v := range w {
			wsum += v
		}
		steps[s] = residuals{tau: st.Tau, n: n, x: x, r: r, w: w}
	}
	ds := differenceStat(steps, d)
	if !(ds.Icpt-1.96*ds.IcptSE > 0) || !(ds.Icpt > 1e-6*move/wsum) {
		return
	}
	what, remedy := "the model has no entropy term to estimate it", "add `param beta >= 0` and `internal H(rho) = beta*rho*log(rho)` to the spec, which estimates β and removes both"
	if gradient {
		what, remedy = "this method does not estimate it from the residuals", "the closed form (every term affine in its parameters, with that entropy term) removes both; otherwise use the bootstrap's spread and read the estimates as biased"
	}
	out.Warnings = append(out.Warnings, fmt.Sprintf("the coupled pairs carry diffusion noise (β ≈ %.3g from neighbours' residuals, before the coupling's share) but %s: the optimal coupling re-pairs noisy neighbours, which biases the drift (it reads as a spreading force) and hides part of the noise from the residuals, so the drift's intervals are too narrow and off centre (styblinski_tang, β = 0.1, 1000 particles, closed form: they covered the truth in 65–74%% of fits for a and b); %s", ds.Mean, what, remedy))
}

// warnRidgeShift warns when the ridge moved a parameter by more than its
// standard error.
func (out *Result) warnRidgeShift(sv *solved) {
	res := sv.res
	if res == nil || res.RidgeShift == nil {
		return
	}
	var moved []string
	for fi, j := range sv.free {
		if sh := res.RidgeShift[fi]; math.Abs(sh) > out.StdErr[j] {
			moved = append(moved, fmt.Sprintf("%s by %+.3g (%.1f standard errors)", out.Names[j], sh, math.Abs(sh)/out.StdErr[j]))
		}
	}
	if len(moved) == 0 {
		return
	}
	const show = 5
	more := ""
	if len(moved) > show {
		more = fmt.Sprintf(" and %d more", len(moved)-show)
		moved = moved[:show]
	}
	out.Warnings = append(out.Warnings, fmt.Sprintf("the ridge (%.3g of each feature's squared size) moved %s%s: lower it (0: the exact solve) unless the data need it", sv.reg, strings.Join(moved, ", "), more))
}

// solved is the closed form solved on the factored problem: the
// diagnostics of the free parameters (res; nil when every parameter is
// held at a bound), the free entries, those held at a bound with their
// values, the entropy's entry held at 0 for residualBeta (−1: none) and
// the ridge used.
type solved struct {
	res    *linear.Result
	free   []int
	fixed  []bool
	fixVal []float64
	betaAt int
	reg    float64
	// gram is AᵀWA of the data's rows (from their QR), for the
	// diffusion's calibration refits; nil when not computed.
	gram []float64
}

// solveFactored solves the factored problem f of m's closed form with o's
// ridge and m's bounds: the solve FitLinear (f from a QR of the rows) and
// Accumulator.Solve (f from the normal equations) share. steps is the
// number of transitions the rows come from: the data-chosen ridge counts
// one step's rows as the independent ones (linear.Factored.AutoRidge).
func solveFactored(m *compile.Model, f *linear.Factored, o Options, scheme compile.Scheme, steps int) (*solved, error) {
	P := m.NumParams
	names := m.ParamNames()
	lower, upper := bounds(m)
	// β of an entropy term from the residual noise (see residualBeta): the
	// drift is fitted with β's entry held at 0.
	betaAt := residualBetaEntry(m, o, scheme)
	if betaAt >= 0 {
		lower = append([]float64(nil), lower...)
		upper = append([]float64(nil), upper...)
		lower[betaAt], upper[betaAt] = 0, 0
	}
	// The ridge is relative to the diagonal of the normal matrix, so it
	// penalises every parameter in the units of its own feature's size on
	// the data: invariant to the units of the data and of the parameters.
	if err := o.Ridge.check(); err != nil {
		return nil, err
	}
	reg, given := o.Ridge.Fixed()
	if !given {
		reg = f.AutoRidge(steps)
	}
	settings := linear.Settings{Ridge: reg}
	boxTheta, where, err := f.SolveBox(settings, lower, upper)
	if err != nil {
		// Solve names the parameters of a singular system.
		settings.Names = names
		if _, err2 := f.Solve(settings); err2 != nil {
			err = err2
		}
		return nil, fmt.Errorf("jkonet: linear solve: %w", err)
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
	// others held at their bounds; with none held, f's own decomposition.
	sub, free := f, make([]int, P)
	for j := range free {
		free[j] = j
	}
	if len(fixedIdx) > 0 {
		if sub, free, err = f.Fix(fixedIdx, fixedVals); err != nil {
			return nil, fmt.Errorf("jkonet: linear solve: %w", err)
		}
	}
	var res *linear.Result
	if len(free) > 0 {
		fnames := make([]string, len(free))
		for fi, j := range free {
			fnames[fi] = names[j]
		}
		settings.Names = fnames
		res, err = sub.Solve(settings)
		if err != nil {
			return nil, fmt.Errorf("jkonet: linear solve: %w", err)
		}
	}
	return &solved{res: res, free: free, fixed: fixed, fixVal: fixVal, betaAt: betaAt, reg: reg}, nil
}

// residualBetaEntry is the entry of θ the closed form estimates from the
// residual noise (see residualBeta): an entropy's β when o reads β from
// the residuals of an explicit fit; −1 otherwise.
func residualBetaEntry(m *compile.Model, o Options, scheme compile.Scheme) int {
	if o.BetaFrom != BetaScore && scheme == compile.Explicit {
		return entropyEntry(m)
	}
	return -1
}

// boxSolve solves the factored normal equations f of m's closed form with
// o's ridge inside m's bounds (β's entry held at 0 when it comes from the
// residual noise): θ without its diagnostics, which the diffusion's
// calibration refits need alone. FitLinear hands them the ridge it chose
// for the data (fixed), so that a refit is the data's estimator; a ridge
// left to the data is chosen as for rows of one step.
func boxSolve(m *compile.Model, f *linear.Factored, o Options, scheme compile.Scheme) ([]float64, error) {
	lower, upper := bounds(m)
	if o.BetaFrom != BetaScore && scheme == compile.Explicit {
		if at := entropyEntry(m); at >= 0 {
			lower = append([]float64(nil), lower...)
			upper = append([]float64(nil), upper...)
			lower[at], upper[at] = 0, 0
		}
	}
	if err := o.Ridge.check(); err != nil {
		return nil, err
	}
	reg, given := o.Ridge.Fixed()
	if !given {
		reg = f.AutoRidge(1)
	}
	theta, _, err := f.SolveBox(linear.Settings{Ridge: reg}, lower, upper)
	if err != nil {
		return nil, fmt.Errorf("jkonet: linear solve: %w", err)
	}
	return theta, nil
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

// drift evaluates drift_θ at the evaluation points of a step (N×d). The
// fits ask for it at the same points for many θ: the interaction's
// Gaussian sums are remembered (compile.Model.InteractionGradRemembered).
func drift(m *compile.Model, st *Transition, theta []float64) []float64 {
	d, n := m.Dim, st.N
	out := make([]float64, n*d)
	tmp := make([]float64, n*d)
	if m.Has(compile.Potential) {
		m.PotentialGrad(tmp, st.P, n, st.T, theta)
		addTo(out, tmp)
	}
	if m.Has(compile.Interaction) {
		m.InteractionGradRemembered(tmp, st.P, n, st.Cloud, st.NC, theta)
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
