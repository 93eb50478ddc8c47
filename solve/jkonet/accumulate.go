package jkonet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/linear"
	"gonum.org/v1/gonum/mat"
)

// NewTransition builds the step k from the pairs of a coupling between x (the
// snapshot at time tx) and y (at ty): each pair's x, y and y − x, its
// weight, and the drift's evaluation point (x for the explicit scheme, y
// for the implicit one).
// Cloud is the snapshot the evaluation points come from (x or y as
// given): a caller that passes only some rows of the snapshots (a shard of
// a distributed fit) and fits an interaction term must set Cloud and NC to
// the whole snapshot. The densities (Rho, GradRho) are left unset.
func NewTransition(k int, tx, ty float64, x, y *mat.Dense, pairs []Pair, scheme compile.Scheme) *Transition {
	_, d := x.Dims()
	st := &Transition{K: k, Tau: ty - tx, T: tx, N: len(pairs)}
	src := x
	if scheme == compile.Implicit {
		src, st.T = y, ty
	}
	st.P = make([]float64, 0, len(pairs)*d)
	st.X = make([]float64, 0, len(pairs)*d)
	st.Y = make([]float64, 0, len(pairs)*d)
	st.Delta = make([]float64, 0, len(pairs)*d)
	st.W = make([]float64, 0, len(pairs))
	xr, yr := x.RawMatrix(), y.RawMatrix()
	for _, pr := range pairs {
		xi := xr.Data[pr.I*xr.Stride : pr.I*xr.Stride+d]
		yj := yr.Data[pr.J*yr.Stride : pr.J*yr.Stride+d]
		if scheme == compile.Implicit {
			st.P = append(st.P, yj...)
		} else {
			st.P = append(st.P, xi...)
		}
		st.X = append(st.X, xi...)
		st.Y = append(st.Y, yj...)
		for c := 0; c < d; c++ {
			st.Delta = append(st.Delta, yj[c]-xi[c])
		}
		st.W = append(st.W, pr.Mass)
	}
	st.NC, _ = src.Dims()
	st.Cloud = denseData(src)
	st.NS = xr.Rows
	st.Source = denseData(x)
	return st
}

// Accumulator holds the normal equations of the closed-form fit for part
// of the data: some steps, or some pairs of a step. Accumulators of
// disjoint parts merge into the accumulator of their union, and they
// travel as bytes (MarshalBinary), so the closed form runs as a map
// (features and sums per shard of pairs: Add), a combine (Merge) and one
// Solve, on one machine or many, followed by the second pass of Residual.
// FitLinear, which sees every row in one process, folds them into a QR
// instead: the normal equations square the condition number
// (linear.Normal), so an ill-conditioned fit is less precise here than there (on well-posed
// problems the two agree to 1e-12, TestShardedFitEqualsFitLinear).
//
// Memory is O(P²) whatever the number of pairs; Add costs O(N·d·P²) for
// the sums plus the features of the N pairs.
type Accumulator struct {
	// Normal holds the sums over the rows of every pair i and dimension k:
	// the row τ·F_ik (the features of the drift at the pair's evaluation
	// point, times τ), the target −(Δ_ik + τ·c_ik) and the pair's weight.
	Normal *linear.Normal
	// Tau holds the length of each step that contributed pairs, by step
	// index (a step added in parts must have one τ).
	Tau map[int]float64
	// Scheme is the scheme the drift is evaluated for (at x or at y), as
	// in the transitions added.
	Scheme compile.Scheme
}

// NewAccumulator returns empty sums for the parameters of m, whose terms
// must all be affine in their parameters.
func NewAccumulator(m *compile.Model, scheme compile.Scheme) (*Accumulator, error) {
	if err := m.LinearError(); err != nil {
		return nil, err
	}
	if m.NumParams == 0 {
		return nil, errors.New("jkonet: the spec has no learnable parameters: nothing to fit")
	}
	if !scheme.Valid() {
		return nil, fmt.Errorf("jkonet: unknown scheme %v", scheme)
	}
	return &Accumulator{Normal: linear.NewNormal(m.NumParams), Tau: map[int]float64{}, Scheme: scheme}, nil
}

// checkStep reports whether st has the shapes m needs.
func checkStep(m *compile.Model, st *Transition) error {
	d := m.Dim
	n := st.N
	switch {
	case n < 0 || len(st.P) != n*d || len(st.Delta) != n*d || len(st.W) != n:
		return fmt.Errorf("jkonet: step %d: %d pairs with %d points, %d displacements and %d weights in %d-D", st.K, n, len(st.P), len(st.Delta), len(st.W), d)
	case !(st.Tau > 0) || math.IsInf(st.Tau, 0):
		return fmt.Errorf("jkonet: step %d: time step %v, want a finite τ > 0", st.K, st.Tau)
	case m.Has(compile.Interaction) && (st.NC <= 0 || len(st.Cloud) != st.NC*d):
		return fmt.Errorf("jkonet: step %d: the interaction term needs the snapshot's cloud (%d points, %d values)", st.K, st.NC, len(st.Cloud))
	case m.Has(compile.Internal) && (len(st.Rho) != n || len(st.GradRho) != n*d):
		return fmt.Errorf("jkonet: step %d: the internal energy needs the density and its gradient at the %d pairs (have %d and %d values)", st.K, n, len(st.Rho), len(st.GradRho))
	}
	return nil
}

// chunkRows (a variable for tests) is about how many least-squares rows (pairs × dimensions) the
// closed form evaluates and holds at once: the rows of a step are made a
// chunk of pairs at a time (stepChunks) and folded into the QR factor or the
// sums before the next chunk is made, so memory stays O(chunkRows·P)
// whatever the number of pairs. It matches the QR's block
// (linear.QR.AddRows), so each chunk is one re-triangularisation.
var chunkRows = 4096

// stepChunks calls f with the least-squares rows of st, a chunk of pairs at
// a time and in order: for pair i and dimension k, the row τ F_ik (the
// features of the drift at the pair's evaluation point, times τ), the
// target −(Δ_ik + τ c_ik) and the pair's weight. The slices are reused
// from one call to the next (and from rb, which may be nil): f must not
// keep them. It returns the time spent evaluating the features.
func stepChunks(m *compile.Model, st *Transition, rb *rowBuf, f func(F, b, w []float64)) time.Duration {
	d, P := m.Dim, m.NumParams
	per := min(max(1, chunkRows/max(d, 1)), st.N)
	if rb == nil {
		rb = new(rowBuf)
	}
	var feat time.Duration
	for lo := 0; lo < st.N; lo += per {
		hi := min(lo+per, st.N)
		start := time.Now()
		F, b, w := rb.rows(m, st, lo, hi, d, P)
		feat += time.Since(start)
		f(F, b, w)
	}
	return feat
}

// rowBuf holds the buffers of stepChunks' chunks.
type rowBuf struct {
	F, c, tmpF, tmpC, a, a0, b, w []float64
}

// grow returns buf resized to n entries, zeroed.
func grow(buf *[]float64, n int) []float64 {
	if cap(*buf) < n {
		*buf = make([]float64, n)
	}
	s := (*buf)[:n]
	clear(s)
	return s
}

// rows evaluates the rows of the pairs [lo, hi) of st (see stepChunks).
func (rb *rowBuf) rows(m *compile.Model, st *Transition, lo, hi, d, P int) (F, b, w []float64) {
	n := hi - lo
	F, c := grow(&rb.F, n*d*P), grow(&rb.c, n*d)
	x := st.P[lo*d : hi*d]
	// The first kind's features are written in place, the others' added.
	first := true
	add := func(fill func(F, c []float64)) {
		if first {
			fill(F, c)
			first = false
			return
		}
		tF, tC := grow(&rb.tmpF, n*d*P), grow(&rb.tmpC, n*d)
		fill(tF, tC)
		addTo(F, tF)
		addTo(c, tC)
	}
	if m.Has(compile.Potential) {
		add(func(F, c []float64) { m.PotentialFeatures(F, c, x, n, st.T) })
	}
	if m.Has(compile.Interaction) {
		add(func(F, c []float64) { m.InteractionFeatures(F, c, x, n, st.Cloud, st.NC) })
	}
	if m.Has(compile.Internal) {
		// f″(ρ) = Σ_j θ_j a_j(ρ) + a_0(ρ); its drift is f″(ρ)∇ρ.
		a, a0 := grow(&rb.a, n*P), grow(&rb.a0, n)
		m.InternalFeatures(a, a0, st.Rho[lo:hi], n)
		for i := 0; i < n; i++ {
			for k := 0; k < d; k++ {
				g := st.GradRho[(lo+i)*d+k]
				row := F[(i*d+k)*P : (i*d+k+1)*P]
				for j, v := range a[i*P : (i+1)*P] {
					row[j] += v * g
				}
				c[i*d+k] += a0[i] * g
			}
		}
	}
	b, w = grow(&rb.b, n*d), grow(&rb.w, n*d)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			r := i*d + k
			row := F[r*P : (r+1)*P]
			for j := range row {
				row[j] *= st.Tau
			}
			b[r] = -(st.Delta[lo*d+r] + st.Tau*c[r])
			w[r] = st.W[lo+i]
		}
	}
	return F, b, w
}

// Add adds the pairs of st (all of a step's pairs, or some of them) to the
// sums. A step added in several parts must have the same τ in each.
func (a *Accumulator) Add(m *compile.Model, st *Transition) error {
	if m.NumParams != a.Normal.P {
		return fmt.Errorf("jkonet: a model of %d parameters added to sums of %d", m.NumParams, a.Normal.P)
	}
	if err := checkStep(m, st); err != nil {
		return err
	}
	if err := a.addTau(st.K, st.Tau); err != nil {
		return err
	}
	stepChunks(m, st, nil, a.Normal.AddRows)
	return nil
}

func (a *Accumulator) addTau(k int, tau float64) error {
	if old, ok := a.Tau[k]; ok && old != tau {
		return fmt.Errorf("jkonet: step %d has τ = %v in one part and %v in another", k, old, tau)
	}
	a.Tau[k] = tau
	return nil
}

// Merge adds the sums of o (a disjoint part of the data) to a.
func (a *Accumulator) Merge(o *Accumulator) error {
	if o.Normal.P != a.Normal.P {
		return fmt.Errorf("jkonet: merging sums of %d parameters into sums of %d", o.Normal.P, a.Normal.P)
	}
	if o.Scheme != a.Scheme {
		return fmt.Errorf("jkonet: merging sums with the drift at %s into sums with the drift at %s", o.Scheme.DriftAt(), a.Scheme.DriftAt())
	}
	for _, k := range slices.Sorted(maps.Keys(o.Tau)) {
		if err := a.addTau(k, o.Tau[k]); err != nil {
			return err
		}
	}
	a.Normal.Merge(o.Normal)
	return nil
}

// MeanTarget is the weighted mean of the targets, which Residual needs.
func (a *Accumulator) MeanTarget() float64 { return a.Normal.Bsum / a.Normal.W }

const accMagic = "JKAC"

// MarshalBinary encodes the accumulator; UnmarshalBinary gives back the
// same sums bit for bit (see linear.Normal.MarshalBinary).
func (a *Accumulator) MarshalBinary() ([]byte, error) {
	ne, err := a.Normal.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if !a.Scheme.Valid() {
		return nil, fmt.Errorf("jkonet: cannot encode sums of the unknown scheme %v", a.Scheme)
	}
	// The scheme is encoded as the point the drift is evaluated at, 'x'
	// or 'y'.
	out := append([]byte(accMagic), 1, a.Scheme.DriftAt()[0])
	out = binary.LittleEndian.AppendUint32(out, uint32(len(a.Tau)))
	for _, k := range slices.Sorted(maps.Keys(a.Tau)) {
		out = binary.LittleEndian.AppendUint64(out, uint64(k))
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(a.Tau[k]))
	}
	return append(out, ne...), nil
}

// UnmarshalBinary replaces a by the accumulator encoded in data; bad data
// is an error wrapping linear.ErrBadEncoding and leaves a unchanged.
func (a *Accumulator) UnmarshalBinary(data []byte) error {
	bad := func(why string) error { return fmt.Errorf("jkonet: %w: %s", linear.ErrBadEncoding, why) }
	head := len(accMagic) + 2 + 4
	if len(data) < head || string(data[:len(accMagic)]) != accMagic {
		return bad("no accumulator header")
	}
	if data[len(accMagic)] != 1 {
		return bad(fmt.Sprintf("format version %d, this build reads 1", data[len(accMagic)]))
	}
	var scheme compile.Scheme
	switch evalAt := string(data[len(accMagic)+1]); evalAt {
	case "x":
		scheme = compile.Explicit
	case "y":
		scheme = compile.Implicit
	default:
		return bad(fmt.Sprintf("evaluation point %q", evalAt))
	}
	nt := uint64(binary.LittleEndian.Uint32(data[len(accMagic)+2:]))
	rest := data[head:]
	if uint64(len(rest)) < 16*nt {
		return bad(fmt.Sprintf("%d step lengths in %d bytes", nt, len(rest)))
	}
	tau := make(map[int]float64, nt)
	for i := uint64(0); i < nt; i++ {
		k := int64(binary.LittleEndian.Uint64(rest))
		v := math.Float64frombits(binary.LittleEndian.Uint64(rest[8:]))
		rest = rest[16:]
		if _, dup := tau[int(k)]; dup || k < 0 {
			return bad(fmt.Sprintf("step index %d", k))
		}
		tau[int(k)] = v
	}
	var ne linear.Normal
	if err := ne.UnmarshalBinary(rest); err != nil {
		return err
	}
	*a = Accumulator{Normal: &ne, Tau: tau, Scheme: scheme}
	return nil
}

// Solve fits θ to the sums as FitLinear does: one solve with o's ridge
// (relative to each feature's size; chosen from the data unless
// Options.Ridge fixes it), bounded parameters kept inside their bounds,
// and the diagnostics (rank, condition number, standard errors, the
// directions the data does not identify) of the free parameters. The
// residual, and with it the standard errors, R² and the loss, is only as
// precise as a difference of large sums until SetResidual gives it from a
// second pass over the data (Residual). An entropy's β from the residual
// noise (Options.BetaFrom BetaResidual, FitLinear's default at x) needs the
// coupled pairs and a simulation, not sums: Solve refuses it; solve with
// SolveDrift and finish with Result.SetBetaFromPairs, or use BetaScore.
// FitLinear's warnings about the ridge are not given.
func (a *Accumulator) Solve(m *compile.Model, o Options) (*Result, error) {
	if o.BetaFrom != BetaScore && a.Scheme == compile.Explicit && entropyEntry(m) >= 0 {
		return nil, errors.New("jkonet: the entropy's β from the residual noise needs the coupled pairs, not their sums: solve with SolveDrift and estimate β with Result.SetBetaFromPairs, or estimate it from the score (BetaScore)")
	}
	return a.solve(m, o)
}

// solve is Solve without its refusal of the residual β (whose entry
// solveFactored holds at 0).
func (a *Accumulator) solve(m *compile.Model, o Options) (*Result, error) {
	P := m.NumParams
	if a.Normal.P != P {
		return nil, fmt.Errorf("jkonet: sums of %d parameters for a model of %d", a.Normal.P, P)
	}
	if len(a.Tau) == 0 || a.Normal.Rows == 0 {
		return nil, errors.New("jkonet: no pairs were added: nothing to fit")
	}
	f, err := a.Normal.Factor()
	if err != nil {
		return nil, fmt.Errorf("jkonet: linear solve: %w", err)
	}
	sv, err := solveFactored(m, f, o, a.Scheme, len(a.Tau))
	if err != nil {
		return nil, err
	}
	out := sv.result(m, a.Scheme)
	out.Loss = math.NaN()
	if sv.res != nil {
		// Each pair's weight stands on its d rows.
		out.Loss = sv.res.RSS / (a.Normal.W / float64(m.Dim))
	}
	return out, nil
}

// Residual is the second pass of a closed-form fit: with θ known, the
// weighted residual Σ w (τF θ − b)² and total Σ w (b − mean)² summed
// directly over the rows (the sums of the first pass lose them when the
// fit is nearly exact). Residuals of disjoint parts add up (Merge).
type Residual struct {
	RSS, TSS, W float64
}

// Add adds the rows of the pairs of st at θ; mean is the weighted mean of
// all the targets (Accumulator.MeanTarget).
func (r *Residual) Add(m *compile.Model, st *Transition, theta []float64, mean float64) error {
	if len(theta) != m.NumParams {
		return fmt.Errorf("jkonet: %d values for %d parameters", len(theta), m.NumParams)
	}
	if err := checkStep(m, st); err != nil {
		return err
	}
	stepChunks(m, st, nil, func(F, b, w []float64) { r.addRows(m.NumParams, F, b, w, theta, mean) })
	return nil
}

func (r *Residual) addRows(P int, F, b, w, theta []float64, mean float64) {
	for i := range b {
		pred := 0.0
		for j, v := range F[i*P : (i+1)*P] {
			pred += v * theta[j]
		}
		e := pred - b[i]
		r.RSS += w[i] * e * e
		r.TSS += w[i] * (b[i] - mean) * (b[i] - mean)
		r.W += w[i]
	}
}

// Merge adds the residual of another part of the data.
func (r *Residual) Merge(o Residual) {
	r.RSS += o.RSS
	r.TSS += o.TSS
	r.W += o.W
}

// SetResidual replaces the residual of a closed-form fit (Solve's, from
// the sums) by r, summed over all the data, and updates R², the standard
// errors and the loss; dim is the data's dimension.
func (res *Result) SetResidual(r Residual, dim int) {
	if res.Linear != nil {
		res.Linear.SetRSS(r.RSS, r.TSS)
		for fi, j := range res.free {
			res.StdErr[j] = res.Linear.StdErr[fi]
		}
	}
	res.Loss = r.RSS / (r.W / float64(dim))
}
