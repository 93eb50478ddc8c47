package jkonet

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/parallel"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/spatial/kdtree"
	"gonum.org/v1/gonum/stat/distuv"
)

// The diffusion β of an entropy term, estimated from the noise it leaves.
//
// Under Euler–Maruyama, y = x − τ·∇V(x) + √(2βτ)·ξ (the drift −∇V, plus the interaction's), so the residual
// r = y − x + τ·∇V(x) of a particle has variance 2βτ per coordinate.
// The coupling between two snapshots is optimal transport, not the
// particles' identities; where the noise is small against the spacing of
// the particles, the coupling keeps most pairs and r still carries the
// noise, but it re-pairs some neighbours, which removes part of it (on
// styblinski_tang, β = 0.1, 1000 particles: 17%). The JKOnet* route, the
// score term −β∇log ρ, reads the noise through a density estimate whose
// gradient is noisy and smoothed: β̂ was 0.04–0.09 over seeds for 0.1 and
// depended on the density options.
//
// residualBeta measures the residual noise of the coupled pairs under the
// drift fitted without the entropy term, then corrects the coupling's
// loss by simulation: from the data's own snapshot k it simulates one
// Euler–Maruyama step of a drift with a trial β, couples the simulated
// cloud to it the same way, refits, and measures the same statistic (see
// residualBeta for the indirect inference on the drift and β, and the
// standard error). No density is involved, so β does not depend on the
// density options; β scales as length²/time, so the estimate does not
// depend on the units.
//
// The noise is measured on differences of neighbours' residuals, not on
// the residuals: where the model's drift misses the true one by a smooth
// e(x), the residual τe(x) of a particle and that of a near neighbour
// nearly cancel, while independent noise does not (variance 2·2βτ per
// coordinate). A model that leaves out a term therefore reads its error
// as drift misfit, not as diffusion: styblinski_tang without its linear
// term, β = 0, 1000 particles: 0.034 ± 0.00007 from the residuals, 1.4e-6
// from the nearest neighbours' differences; β = 0.1: 0.146 from the
// residuals, 0.100 from the differences. β̂ reads the 16th neighbour's
// (farStat), the interval's lower end the nearest neighbours'.
//
// β ≥ 0, and a deterministic flow (β = 0) still leaves a tiny positive
// difference variance (the misfit's change over the neighbours' distance
// h, of order h²), so β̂ ± 1.96·SE would exclude 0 with confidence. The
// interval's lower end therefore comes from the intercept of the
// differences regressed on h², which removes that h² part (and is
// centred at 0, either sign, when there is no noise), calibrated by the
// same simulation, when it is below β̂ − t·SE, and truncated at 0; the
// upper end is β̂ + t·SE, t Student's 97.5% quantile for the degrees of
// freedom of the standard error's spread (see residualBeta).

var errTooFewPairs = errors.New("too few coupled pairs to measure the residual noise")

// betaEstimate is the result of residualBeta.
type betaEstimate struct {
	Beta, StdErr float64
	// Lo and Hi bound the 95% interval (Lo = 0 when the data are
	// consistent with no diffusion).
	Lo, Hi float64
	// Raw is the neighbours' difference variance /(4τd) before the
	// coupling's correction; Ratio the fraction of the noise the coupling
	// keeps.
	Raw, Ratio float64
	// Drift is θ with the coupling's bias on the drift removed, and
	// DriftVar the factor its noise multiplies the variance of θ̂ by.
	Drift    []float64
	DriftVar float64
	// DriftBeta is ∂θ̄_refit/∂β, how the coupling's bias on each entry of
	// the drift moves with β: the correction carries β̂'s error times it
	// (see driftBetaSlope).
	DriftBeta []float64
}

// diffStat summarises the residual noise of coupled pairs read through
// differences of neighbours: Mean ± MeanSE is the weighted mean of
// ‖r_i − r_j‖²/(4τd) over disjoint pairs of nearest neighbours (by x),
// Icpt ± IcptSE the intercept of the same values regressed on the
// squared distance h² of the neighbours (the part a smooth drift misfit
// cannot explain).
type diffStat struct {
	Mean, MeanSE, Icpt, IcptSE float64
}

// residuals is one step's coupled pairs as diffStat reads them: the
// source x of each pair (n×d), its residual r = y − x + τ·drift(x) (n×d)
// and its weight.
type residuals struct {
	tau  float64
	n    int
	x, r []float64
	w    []float64
	// nb, if set, are the neighbours of x, found before (calWarm).
	nb *neighbours
}

// pointTree is a k-d tree of the points x (n×d) that tells its points
// apart by index: each point's index by the address of its first
// coordinate (how a neighbour the tree returns is told apart from a copy).
type pointTree struct {
	tree  *kdtree.Tree
	pts   kdtree.Points // in order
	index map[*float64]int
}

func newPointTree(x []float64, n, d int) *pointTree {
	t := &pointTree{pts: make(kdtree.Points, n), index: make(map[*float64]int, n)}
	for i := range t.pts {
		t.pts[i] = kdtree.Point(x[i*d : (i+1)*d : (i+1)*d])
		t.index[&x[i*d]] = i
	}
	t.tree = kdtree.New(append(kdtree.Points(nil), t.pts...), false)
	return t
}

// others calls fn with each of the keep points nearest to point i (point
// i itself among them) other than i, and its squared distance.
func (t *pointTree) others(i, keep int, fn func(j int, dist float64)) {
	kp := kdtree.NewNKeeper(keep)
	t.tree.NearestSet(kp, t.pts[i])
	for _, c := range kp.Heap {
		if c.Comparable == nil {
			continue
		}
		if j := t.index[&c.Comparable.(kdtree.Point)[0]]; j != i {
			fn(j, c.Dist)
		}
	}
}

// neighbourPairs matches the points x (n×d) into disjoint pairs of near
// neighbours: each point's nearest neighbour is a candidate, and the
// candidates are taken in order of distance when neither point is taken
// yet. It returns the pairs and their squared distances.
func neighbourPairs(x []float64, n, d int) (pairs [][2]int, h2 []float64) {
	if n < 2 {
		return nil, nil
	}
	tree := newPointTree(x, n, d)
	type cand struct {
		i, j int
		h    float64
	}
	cs := make([]cand, n)
	parallel.For(n, func(i int) {
		cs[i] = cand{i, -1, math.Inf(1)}
		tree.others(i, 2, func(j int, h float64) {
			if h < cs[i].h || (h == cs[i].h && j < cs[i].j) {
				cs[i] = cand{i, j, h}
			}
		})
	})
	sort.Slice(cs, func(a, b int) bool {
		if cs[a].h != cs[b].h {
			return cs[a].h < cs[b].h
		}
		return cs[a].i < cs[b].i
	})
	used := make([]bool, n)
	for _, c := range cs {
		if c.j < 0 || used[c.i] || used[c.j] {
			continue
		}
		used[c.i], used[c.j] = true, true
		pairs = append(pairs, [2]int{c.i, c.j})
		h2 = append(h2, c.h)
	}
	return pairs, h2
}

// differenceStat computes diffStat over the steps' residuals pooled (each
// step's weights sum to 1, so the steps count equally).
func differenceStat(steps []residuals, d int) diffStat {
	var q, h, w []float64
	for _, st := range steps {
		var pairs [][2]int
		var h2 []float64
		if st.nb != nil {
			pairs, h2 = st.nb.pairs, st.nb.h2
		} else {
			pairs, h2 = neighbourPairs(st.x, st.n, d)
		}
		for p, ij := range pairs {
			i, j := ij[0], ij[1]
			s := 0.0
			for k := 0; k < d; k++ {
				v := st.r[i*d+k] - st.r[j*d+k]
				s += v * v
			}
			q = append(q, s/(4*st.tau*float64(d)))
			h = append(h, h2[p])
			w = append(w, (st.w[i]+st.w[j])/2)
		}
	}
	var ds diffStat
	if len(q) < 3 {
		return diffStat{Mean: math.NaN(), MeanSE: math.NaN(), Icpt: math.NaN(), IcptSE: math.NaN()}
	}
	sw, sw2, mq, mh := 0.0, 0.0, 0.0, 0.0
	for i := range q {
		sw += w[i]
		sw2 += w[i] * w[i]
		mq += w[i] * q[i]
		mh += w[i] * h[i]
	}
	mq /= sw
	mh /= sw
	vq := 0.0
	for i := range q {
		vq += w[i] * (q[i] - mq) * (q[i] - mq)
	}
	vq /= sw
	// Effective sample size (Σw)²/Σw².
	ds.Mean, ds.MeanSE = mq, math.Sqrt(vq/(sw*sw/sw2))
	ds.Icpt, ds.IcptSE = ds.Mean, ds.MeanSE
	if !(mh > 0) {
		return ds
	}
	// q ≈ b0 + b1·u + b2·u², u = h²/mean(h²): weighted least squares, and
	// the intercept's sandwich (HC0) variance Σ (ℓ_i e_i)², ℓ_i its weight
	// on point i.
	const k = 3
	var xtx [k * k]float64
	var xtq [k]float64
	row := func(i int) [k]float64 {
		u := h[i] / mh
		return [k]float64{1, u, u * u}
	}
	for i := range q {
		x := row(i)
		for a := 0; a < k; a++ {
			xtq[a] += w[i] * x[a] * q[i]
			for b := 0; b < k; b++ {
				xtx[a*k+b] += w[i] * x[a] * x[b]
			}
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(mat.NewDense(k, k, xtx[:])); err != nil {
		return ds
	}
	var beta [k]float64
	for a := 0; a < k; a++ {
		for b := 0; b < k; b++ {
			beta[a] += inv.At(a, b) * xtq[b]
		}
	}
	v := 0.0
	for i := range q {
		x := row(i)
		e, l := q[i], 0.0
		for a := 0; a < k; a++ {
			e -= beta[a] * x[a]
			l += inv.At(0, a) * x[a]
		}
		l *= w[i]
		v += l * l * e * e
	}
	ds.Icpt, ds.IcptSE = beta[0], math.Sqrt(v)
	return ds
}

// farNeighbour is the neighbour whose residual farStat subtracts: the
// 16th nearest, a few spacings of the particles away. The coupling's
// re-pairing takes noise out of the nearest neighbours' difference (they
// swap successors), much less out of a farther one's; a smooth misfit of
// the drift still cancels over that distance. Double well, β = 0.25, 3000
// particles: the nearest neighbours' difference moved by 0.035 per unit of
// β with a simulation-to-simulation spread of 0.0012, the 16th neighbour's
// by 0.064 with 0.0003 (7× the precision for β).
const farNeighbour = 16

// farStat is the weighted mean of ‖r_i − r_j‖²/(4τd) over every pair i
// and its farNeighbour-th nearest neighbour j by x (each step's weights
// sum to 1, so the steps count equally; NaN without two pairs). The terms
// are not independent (a pair is the neighbour of several), so its
// standard error comes from simulated replicates (residualBeta).
func farStat(steps []residuals, d int) float64 {
	sq, sw := 0.0, 0.0
	for _, st := range steps {
		n := st.n
		if n < 2 {
			continue
		}
		var far []int
		if st.nb != nil {
			far = st.nb.far
		} else {
			far = farNeighbours(st.x, n, d)
		}
		for i, j := range far {
			v := 0.0
			if j >= 0 {
				for a := 0; a < d; a++ {
					e := st.r[i*d+a] - st.r[j*d+a]
					v += e * e
				}
				v /= 4 * st.tau * float64(d)
			}
			sq += st.w[i] * v
			sw += st.w[i]
		}
	}
	if !(sw > 0) {
		return math.NaN()
	}
	return sq / sw
}

// farNeighbours returns each point's farNeighbour-th nearest neighbour
// among the points x (n×d, n ≥ 2), ties by index; −1 for none.
func farNeighbours(x []float64, n, d int) []int {
	k := min(farNeighbour, n-1)
	tree := newPointTree(x, n, d)
	out := make([]int, n)
	parallel.For(n, func(i int) {
		// The farthest of the k+1 nearest (the point itself among them),
		// ties by index.
		far, fd := -1, -1.0
		tree.others(i, k+1, func(j int, h float64) {
			if h > fd || (h == fd && j < far) {
				far, fd = j, h
			}
		})
		out[i] = far
	})
	return out
}

// dataResiduals returns the residuals of the data's pairs under θ from
// the closed form's rows (row·θ − target = Δ + τ·drift).
func dataResiduals(prep *Prepared, blocks []rowBlock, theta []float64) []residuals {
	P := len(theta)
	out := make([]residuals, len(prep.Steps))
	for s := range prep.Steps {
		st, bl := &prep.Steps[s], blocks[s]
		r := make([]float64, len(bl.b))
		for i := range r {
			v := -bl.b[i]
			for j, f := range bl.F[i*P : (i+1)*P] {
				v += f * theta[j]
			}
			r[i] = v
		}
		out[s] = residuals{tau: st.Tau, n: st.N, x: st.X, r: r, w: st.W}
	}
	return out
}

// sourceFeatures holds, for each step, the drift features at the source
// particles (F NS×d×P and c NS×d, the entropy's entry 0): the
// calibration's simulated steps start from the same particles, so every
// trial β reuses them; only the targets change.
type sourceFeatures struct {
	F, c []float64
	// gathered: F and c are the data's rows at the sources (see
	// gatherSourceFeatures), not evaluated there.
	gathered bool
}

func newSourceFeatures(m *compile.Model, prep *Prepared, blocks []rowBlock) []sourceFeatures {
	d := m.Dim
	out := make([]sourceFeatures, len(prep.Steps))
	parallel.For(len(prep.Steps), func(s int) {
		st := &prep.Steps[s]
		n := st.NS
		if f, ok := gatherSourceFeatures(m, st, blocks[s]); ok {
			out[s] = f
			return
		}
		// ρ = 1 and ∇ρ = 0 keep the entropy's features at 0 (its entry of
		// θ is held at 0 anyway).
		ones := make([]float64, n)
		for i := range ones {
			ones[i] = 1
		}
		cloud := &Transition{K: st.K, Tau: st.Tau, T: st.T, N: n, P: st.Source, Cloud: st.Cloud, NC: st.NC,
			Rho: ones, GradRho: make([]float64, n*d)}
		F, c := stepFeatures(m, cloud)
		out[s] = sourceFeatures{F: F, c: c}
	})
	return out
}

// gatherSourceFeatures takes the features at the sources from the data's
// rows when every source particle is the x of some pair (the usual case:
// the coupling of two equal clouds is a permutation), which spares their
// evaluation (as costly as the fit's features stage).
func gatherSourceFeatures(m *compile.Model, st *Transition, bl rowBlock) (sourceFeatures, bool) {
	d, P, n := m.Dim, m.NumParams, st.NS
	// The only internal term may be the entropy (its features at the
	// data's pairs carry ∇ρ; they are set to 0 below, as ρ = 1 makes
	// them).
	betaAt := entropyEntry(m)
	if (m.Has(compile.Internal) && betaAt < 0) || st.Tau == 0 || len(st.X) != st.N*d {
		return sourceFeatures{}, false
	}
	key := func(x []float64) string {
		b := make([]byte, 0, 8*len(x))
		for _, v := range x {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return string(b)
	}
	at := make(map[string]int, st.N)
	for i := 0; i < st.N; i++ {
		at[key(st.X[i*d:(i+1)*d])] = i
	}
	f := sourceFeatures{F: make([]float64, n*d*P), c: make([]float64, n*d), gathered: true}
	for i := 0; i < n; i++ {
		p, ok := at[key(st.Source[i*d:(i+1)*d])]
		if !ok {
			return sourceFeatures{}, false
		}
		for k := 0; k < d; k++ {
			src, dst := p*d+k, i*d+k
			for j, v := range bl.F[src*P : (src+1)*P] {
				f.F[dst*P+j] = v / st.Tau
			}
			if betaAt >= 0 {
				f.F[dst*P+betaAt] = 0
			}
			// b = −(Δ + τc).
			f.c[dst] = -(bl.b[src] + st.Delta[src]) / st.Tau
		}
	}
	return f, true
}

// apply returns F_i θ + c_i for every source particle (NS×d).
func (f sourceFeatures) apply(theta []float64, n, d int) []float64 {
	P := len(theta)
	out := make([]float64, n*d)
	for r := range out {
		v := f.c[r]
		for j, fj := range f.F[r*P : (r+1)*P] {
			v += fj * theta[j]
		}
		out[r] = v
	}
	return out
}

// simulateSteps simulates, from each step's snapshot, one Euler–Maruyama step
// of the drift θ with noise β, for each of count seeds (seed, seed+1, …),
// and couples it like the data; all the couplings run at once. kept
// refits each simulation.
func simulateSteps(m *compile.Model, prep *Prepared, rf *refits, theta []float64, beta float64, o Options, seed uint64, count int) ([][]simPairs, error) {
	d := m.Dim
	feats := rf.feats
	warm := rf.warmState(prep)
	ns := len(prep.Steps)
	sims := make([][]simPairs, count)
	for c := range sims {
		sims[c] = make([]simPairs, ns)
	}
	prices := make([][]float64, count*ns)
	errs := make([]error, count*ns)
	// The drift at the sources, the same for every seed.
	drs := make([][]float64, ns)
	parallel.For(ns, func(s int) { drs[s] = feats[s].apply(theta, prep.Steps[s].NS, d) })
	parallel.For(count*ns, func(u int) {
		c, s := u/ns, u%ns
		st := &prep.Steps[s]
		// Simulate from the particles that were coupled (not the whole
		// population the mean field averages over): the coupling's
		// removal of noise depends on how many particles it sees.
		n, dr := st.NS, drs[s]
		rng := rand.New(rand.NewPCG(seed+uint64(c), 0xbe7a+uint64(s)))
		sd := math.Sqrt(2 * beta * st.Tau)
		y := make([]float64, n*d)
		for i := range y {
			// The drift is ∇V (+ ∇U ∗ μ): the particles move down it.
			y[i] = st.Source[i] - st.Tau*dr[i] + sd*rng.NormFloat64()
		}
		pairs, v, err := warm.coupleSim(prep, s, seed+uint64(c), y, d, o.Couplings)
		sims[c][s], prices[u], errs[u] = simPairs{pairs: pairs, y: y}, v, err
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for u, v := range prices {
		c, s := u/ns, u%ns
		warm.setPrices(prep, s, seed+uint64(c), sims[c][s], v, d)
	}
	return sims, nil
}

// kept refits the drift to one simulation's pairs (simulateSteps) as FitLinear
// did to the data's (the refit absorbs part of the noise too; the
// features at the sources are computed once, in rf.feats) and returns the
// noise statistics of the refit's residuals and the refitted θ.
func kept(m *compile.Model, prep *Prepared, rf *refits, sims []simPairs, o Options) (noiseStat, []float64, error) {
	// The closed form of FitLinear on the simulated pairs: rows τF_i and
	// targets −(Δ + τc_i) (refits.solve).
	th, err := rf.solve(m, prep, sims, o)
	if err != nil {
		return noiseStat{}, nil, err
	}
	return keptStat(m, prep, rf, sims, th), th, nil
}

// keptStat is the noise statistics of one simulation's residuals under
// the refitted drift th.
func keptStat(m *compile.Model, prep *Prepared, rf *refits, sims []simPairs, th []float64) noiseStat {
	d := m.Dim
	feats := rf.feats
	warm := rf.warmState(prep)
	res := make([]residuals, len(prep.Steps))
	for s, sm := range sims {
		st := &prep.Steps[s]
		dr := feats[s].apply(th, st.NS, d)
		x := make([]float64, len(sm.pairs)*d)
		r := make([]float64, len(sm.pairs)*d)
		w := make([]float64, len(sm.pairs))
		for p, pr := range sm.pairs {
			for k := 0; k < d; k++ {
				src := pr.I*d + k
				x[p*d+k] = st.Source[src]
				r[p*d+k] = sm.y[pr.J*d+k] - st.Source[src] + st.Tau*dr[src]
			}
			w[p] = pr.Mass
		}
		res[s] = residuals{tau: st.Tau, n: len(sm.pairs), x: x, r: r, w: w, nb: warm.sourceNeighbours(prep, s, sm.pairs, d)}
	}
	return noiseStat{differenceStat(res, d), farStat(res, d)}
}

// keptAll is kept for each of the simulations all, in order. When every
// simulation's source masses are those the normal matrix was formed with
// (an exact coupling's, from one trial to the next) the refits reuse its
// decomposition at once, on the cores; otherwise the first refit sets
// them, and the others, if their masses are the first's, reuse them at
// once (each refit is the same, bit for bit, as one after the other:
// linear.Normal.FactorReusing).
func keptAll(m *compile.Model, prep *Prepared, rf *refits, all [][]simPairs, o Options) ([]noiseStat, [][]float64, error) {
	stats := make([]noiseStat, len(all))
	ths := make([][]float64, len(all))
	if len(all) == 0 {
		return stats, ths, nil
	}
	sameAs := func(sims [][]simPairs) bool {
		for _, sm := range sims {
			if !rf.sameMass(simMass(prep, sm)) {
				return false
			}
		}
		return true
	}
	from := 0
	if rf.last == nil || !sameAs(all) {
		// The first refit sets the normal matrix and its decomposition.
		var err error
		if stats[0], ths[0], err = kept(m, prep, rf, all[0], o); err != nil {
			return nil, nil, err
		}
		from = 1
		if !sameAs(all[1:]) {
			for s := 1; s < len(all); s++ {
				if stats[s], ths[s], err = kept(m, prep, rf, all[s], o); err != nil {
					return nil, nil, err
				}
			}
			return stats, ths, nil
		}
	}
	prev := rf.last
	err := parallel.ForErr(len(all)-from, func(u int) error {
		s := u + from
		th, _, err := rf.solveFrom(m, prep, all[s], o, prev)
		if err != nil {
			return err
		}
		stats[s], ths[s] = keptStat(m, prep, rf, all[s], th), th
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return stats, ths, nil
}

// noiseStat is what residualBeta reads from one set of residuals: the
// nearest neighbours' differences (for the interval's lower end) and the
// farNeighbour-th neighbour's (for β̂ and its standard error).
type noiseStat struct {
	Near diffStat
	Far  float64
}

// calSims is the number of independent simulations the calibration
// averages at each trial β: the calibration's own noise adds 1/calSims of
// the data's variance to β̂'s, and their spread measures that variance.
const calSims = 4

// maxDriftSteps bounds the further steps of the simulated drift θ_s
// toward its fixed point (residualBeta), and driftStepTol is how far, in
// β̂'s standard errors, the steps left must be predicted to move β̂ for
// one more. Double well, β = 2.5, 300 particles (a step's noise as large
// as the particles' spacing), 48 seeds: without the steps β̂ was 4.4% low
// (2.390), a 6% and b 8.6% (0.940, 1.829); with a tolerance of 1.5 SE
// the means were 2.416, 0.962 and 1.911 (1 SE gave the same fits on
// TestBetaCoverage's seeds); with a quarter, 43 of the 48 fits took a
// step (14 took two) and they were 2.473, 1.006, 2.065. A lower
// tolerance costs where it buys little, the prediction being rough:
// paper_linear at 20,000 particles per snapshot, predicted at 0.97 SE,
// took a step (18 s, a third of the fit) that moved β̂ by 0.25 SE, and on
// the 2,000-particle benchmark against the NumPy port, predicted at
// 1.27, one (+0.4 s, a fifth of fit and eval) that moved it by 0.07 SE.
const (
	maxDriftSteps = 3
	driftStepTol  = 1.5
)

// calibration is the simulated statistic at one trial β: its mean over
// the calSims simulations, each simulation's value, and the mean of their
// refitted drifts.
type calibration struct {
	beta, mean float64
	each       []float64
	near       diffStat // the first simulation's nearest-neighbour statistic
	refit      []float64
	// refitSD is each entry's spread over the refits (0 with one
	// simulation): θ̂'s own noise as the model predicts it (driftGap).
	refitSD []float64
}

// calibrate simulates calSims steps of the drift theta with noise beta from
// the data's sources (seeds seed, seed+1, …: common random numbers across
// trial β), couples and refits each, and averages farStat.
func calibrate(m *compile.Model, prep *Prepared, rf *refits, theta []float64, beta float64, o Options, seed uint64, sims int) (calibration, error) {
	c := calibration{beta: beta, each: make([]float64, sims), refit: make([]float64, len(theta))}
	var pre sync.WaitGroup
	if rf.gram == nil {
		// The first refit's decompositions, while the first simulations
		// are coupled.
		pre.Add(1)
		go func() {
			defer pre.Done()
			rf.prefactor(m, prep, o)
		}()
	}
	all, err := simulateSteps(m, prep, rf, theta, beta, o, seed, sims)
	pre.Wait()
	if err != nil {
		return calibration{}, err
	}
	stats, ths, err := keptAll(m, prep, rf, all, o)
	if err != nil {
		return calibration{}, err
	}
	for s := 0; s < sims; s++ {
		st, th := stats[s], ths[s]
		if s == 0 {
			c.near = st.Near
		}
		c.each[s] = st.Far
		c.mean += st.Far / float64(sims)
		for j, v := range th {
			c.refit[j] += v / float64(sims)
		}
	}
	c.refitSD = make([]float64, len(theta))
	if sims > 1 {
		for s := 0; s < sims; s++ {
			for j, v := range ths[s] {
				c.refitSD[j] += (v - c.refit[j]) * (v - c.refit[j]) / float64(sims-1)
			}
		}
	}
	for j := range c.refitSD {
		c.refitSD[j] = math.Sqrt(c.refitSD[j])
	}
	return c, nil
}

// solveBeta solves cal(β).mean = raw for β by secant steps from the
// calibration prev and the trial value b1 (common random numbers make the
// mean a smooth function of β), until a step would move β by less than
// tol·β. It returns every calibration it made, the last at β̂.
func solveBeta(raw float64, prev calibration, b1, tol float64, cal func(float64) (calibration, error)) ([]calibration, error) {
	beta := b1
	var all []calibration
	for pass := 0; pass < 8; pass++ {
		last, err := cal(beta)
		if err != nil {
			return nil, err
		}
		all = append(all, last)
		f0, f1 := prev.mean-raw, last.mean-raw
		if f1 == f0 {
			break
		}
		next := beta - f1*(beta-prev.beta)/(f1-f0)
		if !(next > 0) {
			next = beta / 2
		}
		if math.Abs(next-beta) < tol*beta {
			break
		}
		prev, beta = last, next
	}
	return all, nil
}

// firstTol is the secant's tolerance for the first β (one simulation per
// trial): one simulation's own noise moves β by about 1% (wavy_plateau +
// flowers, β = 0.1, 2,000 and 20,000 particles: the simulations of one
// trial spread by 0.9% and 1% of β), so a finer root is noise; the first
// β only starts the calibration with calSims simulations. betaTol is
// that calibration's (β̂'s): 0.2%, a fifth to a third of β̂'s standard
// error on the problems above.
const (
	firstTol = 0.01
	betaTol  = 0.002
)

// slopeSpan is how far the second trial of the calibration with calSims
// simulations lies above the first β: the slope of the statistic in β
// (β̂'s standard error divides by it) is read over at least 20% of β̂,
// and a span of 25% of the first β covers that whenever β̂ is within
// 25% of it (a span of 20% did not when β̂ landed above the first β, and a
// fourth trial, a fifth of the calibration's work, had to widen it).
const slopeSpan = 1.25

// roundingFloor is the share of the sources' mean square below which the
// residuals' statistic is rounding, not noise: float64 positions carry
// errors of about 1e-16 of their size, squares of 1e-32; a diffusion
// whose step noise is 1e-10 of the positions' size is not measurable.
const roundingFloor = 1e-20

// meanSquare is the mean over the residuals' sources of a coordinate's
// square.
func meanSquare(res []residuals) float64 {
	s, n := 0.0, 0
	for _, r := range res {
		for _, v := range r.x {
			s += v * v
		}
		n += len(r.x)
	}
	return s / float64(max(n, 1))
}

// residualBeta estimates β for the drift θ (whose entropy entry is 0): the
// coupled pairs' residual noise, corrected for the noise the coupling
// removes and for the coupling's bias on the drift (see above), with a
// standard error that counts the whole estimator's noise. Only for the
// explicit step (drift at x). dataGram is AᵀWA of blocks' rows (nil if not
// at hand), which the calibration refits reuse (see refits).
//
// The statistic is farStat, the mean squared difference of a pair's
// residual and its 16th neighbour's. It is calibrated by indirect
// inference: simulate one step of a drift θ_s with noise β from the
// data's sources, couple and refit as the data were, and find (θ_s, β)
// whose simulations give back the data's statistic and the data's fitted
// drift θ̂ (β by secant steps; θ_s by θ_s ← θ_s + θ̂ − θ̄_refit, one step
// after a first β with θ_s = θ̂, up to maxDriftSteps more while they are
// predicted to move β̂ by more than driftStepTol standard errors, each
// with β calibrated afresh, and one at the end). Simulating from θ̂
// itself would calibrate against the coupling's biased drift (on the
// double well a 0.88 and b 1.65 for 1 and 2): the share of the noise the
// coupling keeps depends on how much the flow squeezes the particles.
//
// The standard error is the delta method over simulated replicates:
// Var(β̂) = s²·(1 + 1/calSims)/slope², with s² the spread of the
// statistic over the simulations of each trial β after the drift's step
// (pooled about each trial's mean), the data's own variance as the model
// predicts it, and slope the least-squares slope of the trials' means in
// β (over at least 20% of β̂). Before, the
// standard error was the statistic's analytic one over independent pairs
// (which ignores that the coupling ties the pairs together: 2× too small)
// divided by the share of the noise kept (the slope only when that share
// does not move with β; on the double well it does, and the standard
// error was 3–5× too small).
func residualBeta(m *compile.Model, prep *Prepared, blocks stepBlocks, dataGram []float64, theta []float64, o Options) (betaEstimate, error) {
	res := dataResiduals(prep, blocks, theta)
	rf := &refits{dataGram: dataGram}
	rf.warmState(prep).dataNeighbours(prep, res, m.Dim)
	data := differenceStat(res, m.Dim)
	raw := farStat(res, m.Dim)
	if math.IsNaN(raw) || math.IsNaN(data.Mean) {
		return betaEstimate{}, errTooFewPairs
	}
	if !(raw > roundingFloor*meanSquare(res)) {
		// No noise but the rounding of the positions (noise-free data):
		// nothing to calibrate, and the calibration's dozens of simulated
		// couplings would cost seconds to measure rounding.
		return betaEstimate{Beta: 0, StdErr: data.MeanSE, Lo: 0, Hi: 1.96 * data.MeanSE, Raw: raw, Ratio: 1}, nil
	}
	rf.feats = newSourceFeatures(m, prep, blocks)
	seed := o.Seed ^ 0x5eed
	thetaSim := append([]float64(nil), theta...)
	calAt := func(sims int) func(float64) (calibration, error) {
		return func(b float64) (calibration, error) {
			return calibrate(m, prep, rf, thetaSim, b, o, seed, sims)
		}
	}
	// A first β with the simulations' drift at θ̂ (one simulation: it
	// only has to be close), from β = raw and raw over the share of the
	// noise kept there.
	c0, err := calAt(1)(raw)
	if err != nil {
		return betaEstimate{}, err
	}
	firsts, err := solveBeta(raw, c0, raw/math.Max(c0.mean/raw, 0.05), firstTol, calAt(1))
	if err != nil {
		return betaEstimate{}, err
	}
	first := firsts[len(firsts)-1]
	beta := math.Max(first.beta, 1e-12*raw)
	// The drift that simulates back θ̂, then β for it with calSims
	// simulations, from the first β and slopeSpan times it.
	for j := range thetaSim {
		thetaSim[j] += theta[j] - first.refit[j]
	}
	c1, err := calAt(calSims)(beta)
	if err != nil {
		return betaEstimate{}, err
	}
	cals, err := solveBeta(raw, c1, slopeSpan*beta, betaTol, calAt(calSims))
	if err != nil {
		return betaEstimate{}, err
	}
	last := cals[len(cals)-1]
	beta = last.beta
	cals = append(cals, c1)
	// The drift's fixed point. θ_s took one step, from a single
	// simulation's refit; where the coupling's bias on the drift is
	// strong the refits at θ_s still miss θ̂ by a few of its standard
	// errors, and β̂, calibrated at that θ_s, is biased with it (see
	// maxDriftSteps). While the steps left are predicted to move β̂ by
	// more than driftStepTol of its standard errors, step θ_s again and
	// calibrate β afresh for it: the slope and spread below read only
	// the calibrations at the final θ_s.
	prev, prevGap := first, driftGap(theta, first.refit, last.refitSD)
	for it := 0; it < maxDriftSteps; it++ {
		gap := driftGap(theta, last.refit, last.refitSD)
		slope, spread := betaSlopeSpread(cals, last)
		// The last step's effect on the statistic at one β, read from
		// simulations that share their random numbers, and what the
		// steps left would add to it if the gap keeps shrinking as it did.
		moved := math.Abs(pairedShift(prev, c1)) / slope
		rate := math.Min(gap/math.Max(prevGap, 1e-300), 0.9)
		if !(moved*rate/(1-rate) > driftStepTol*betaStdErr(slope, spread)) {
			break
		}
		for j := range thetaSim {
			thetaSim[j] += theta[j] - last.refit[j]
		}
		prev, prevGap = last, gap
		if c1, err = calAt(calSims)(beta); err != nil {
			return betaEstimate{}, err
		}
		if cals, err = solveBeta(raw, c1, slopeSpan*beta, betaTol, calAt(calSims)); err != nil {
			return betaEstimate{}, err
		}
		last = cals[len(cals)-1]
		beta = last.beta
		cals = append(cals, c1)
	}
	// The slope of the mean statistic in β, least squares over the
	// calibrations (with one at 1.2·β̂ when they span less than 20%: a
	// finite difference over a tiny step would read the coupling's
	// jumps), and the spread of the simulations about their means, pooled.
	lo, hi := beta, beta
	for _, c := range cals {
		lo, hi = math.Min(lo, c.beta), math.Max(hi, c.beta)
	}
	if hi-lo < 0.2*beta {
		c, err := calAt(calSims)(1.2 * beta)
		if err != nil {
			return betaEstimate{}, err
		}
		cals = append(cals, c)
	}
	slope, spread := betaSlopeSpread(cals, last)
	ratio := last.mean / beta
	var est betaEstimate
	est.Beta, est.Raw, est.Ratio = beta, raw, ratio
	est.StdErr = betaStdErr(slope, spread)
	// The drift: one more step of θ_s, θ_s + θ̂ − θ̄_refit at β̂; it
	// carries the mean of calSims refits' noise, and β̂'s error through
	// the bias's slope in β, read from the calibrations already made.
	est.Drift = make([]float64, len(theta))
	for j := range theta {
		est.Drift[j] = thetaSim[j] + theta[j] - last.refit[j]
	}
	est.DriftVar = 1 + 1/float64(calSims)
	est.DriftBeta = driftBetaSlope(cals)
	// The interval: β̂ ± t·SE, its lower end lowered to where the
	// nearest neighbours' intercept (which a smooth misfit does not raise)
	// would put it, truncated at 0.
	// The spread is pooled over the trials, but their simulations share
	// their random numbers (so that the slope is sharp), and the trials'
	// deviations from their means move together (correlations 0.39–0.999,
	// most above 0.9, on TestBetaCoverage's double well): the pooled
	// spread has about the degrees of freedom of one trial, calSims − 1,
	// not the df of independent trials. The interval takes Student's t
	// quantile for those: 3.18, not 2.26 for 9 (TestBetaCoverage: 22 of 24
	// intervals cover, 20 with df).
	tq := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(calSims - 1)}.Quantile(0.975)
	est.Hi = beta + tq*est.StdErr
	est.Lo = beta - tq*est.StdErr
	if icptRatio := last.near.Icpt / beta; icptRatio > 0.05 {
		est.Lo = math.Min(est.Lo, (data.Icpt-1.96*math.Sqrt2*data.IcptSE)/icptRatio)
	} else {
		est.Lo = 0
	}
	est.Lo = math.Max(est.Lo, 0)
	return est, nil
}

// betaSlopeSpread is the least-squares slope in β of the calibrations'
// mean statistic (floored at 5% of the share of the noise kept at last,
// where the kept noise barely moves with β: the residuals cannot measure
// it, and the floor keeps the standard error finite and large) and the
// spread of their simulations about their means, pooled.
func betaSlopeSpread(cals []calibration, last calibration) (slope, spread float64) {
	mb, mm := 0.0, 0.0
	for _, c := range cals {
		mb += c.beta / float64(len(cals))
		mm += c.mean / float64(len(cals))
	}
	sxy, sxx := 0.0, 0.0
	ss, df := 0.0, 0
	for _, c := range cals {
		sxy += (c.beta - mb) * (c.mean - mm)
		sxx += (c.beta - mb) * (c.beta - mb)
		for _, v := range c.each {
			ss += (v - c.mean) * (v - c.mean)
		}
		df += len(c.each) - 1
	}
	slope = sxy / sxx
	if ratio := last.mean / last.beta; !(slope > 0.05*ratio) {
		slope = 0.05 * ratio
	}
	return slope, math.Sqrt(ss / float64(df))
}

// betaStdErr is β̂'s standard error by the delta method: the spread of
// the statistic over simulations, times √(1 + 1/calSims) for the
// calibration's own noise, over its slope in β (see residualBeta).
func betaStdErr(slope, spread float64) float64 {
	return spread * math.Sqrt(1+1/float64(calSims)) / slope
}

// pairedShift is how much the statistic moved from calibration a to b,
// both at the same β, over the simulations they share (the same seeds:
// the same noise), so that what differs is their drifts θ_s.
func pairedShift(a, b calibration) float64 {
	n := min(len(a.each), len(b.each))
	s := 0.0
	for i := 0; i < n; i++ {
		s += (b.each[i] - a.each[i]) / float64(n)
	}
	return s
}

// driftGap is how far the mean refit misses the data's fitted drift
// theta: the root mean square over the drift's entries of (θ̂_j −
// refit_j)/sd_j, sd_j the spread of entry j over a calibration's
// simulations (θ̂'s own noise as the model predicts it).
func driftGap(theta, refit, sd []float64) float64 {
	s, n := 0.0, 0
	for j := range theta {
		if sd[j] > 0 {
			z := (theta[j] - refit[j]) / sd[j]
			s += z * z
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return math.Sqrt(s / float64(n))
}

// driftBetaSlope is the least-squares slope in β of the calibrations' mean
// refitted drift (their θ_s is one and the same, their random numbers
// common): ∂θ̄_refit/∂β, how much the coupling's bias on each entry of the
// drift moves with β.
//
// The corrected drift solves θ̄_refit(θ, β̂) = θ̂, so to first order its
// error is J⁻¹(δθ̂ − ∂θ̄_refit/∂β·δβ̂ − δsim), J = ∂θ̄_refit/∂θ. The
// standard errors count the three: θ̂'s (the closed form's, with the
// noise β̂ implies), the simulations' (1/calSims of it) and β̂'s error
// times this slope; they take J = I. Double well (a = 1, b = 2, β =
// 0.25, 3000 particles, 8 simulations per point, central differences):
// J = [[0.945, 0.004], [−0.188, 1.011]] (the bias is nearly a shift,
// a 0.88 and b 1.66 for 1 and 2, not a shrinkage), ∂θ̄_refit/∂β = (−0.53,
// −1.56) per unit β; β̂'s standard error 0.011 then adds 0.006 to a's
// standard error of 0.0125 in quadrature (0.017 to b's 0.052), and J⁻¹
// would add 6% to a's, which is left out (J needs one simulation per
// parameter).
func driftBetaSlope(cals []calibration) []float64 {
	if len(cals) < 2 {
		return nil
	}
	P := len(cals[0].refit)
	mb := 0.0
	mr := make([]float64, P)
	for _, c := range cals {
		mb += c.beta / float64(len(cals))
		for j, v := range c.refit {
			mr[j] += v / float64(len(cals))
		}
	}
	sxx := 0.0
	g := make([]float64, P)
	for _, c := range cals {
		db := c.beta - mb
		sxx += db * db
		for j, v := range c.refit {
			g[j] += db * (v - mr[j])
		}
	}
	if !(sxx > 0) {
		return nil
	}
	for j := range g {
		g[j] /= sxx
	}
	return g
}
