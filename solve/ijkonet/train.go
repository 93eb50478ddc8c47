package ijkonet

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/finite"
	"github.com/jko-org/jko/internal/parallel"
	"github.com/jko-org/jko/solve/density"
	"github.com/jko-org/jko/solve/ot"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// trainer is the state of one run of Fit: the snapshots' particles, θ and
// its Adam state, the maps (networks, or the particles' displacements),
// and the batches of the current step.
type trainer struct {
	m     *compile.Model
	o     Options
	gm    *game
	K     int // steps of the scheme: snapshots − 1
	xs    [][]float64
	ns    []int
	steps int // energy steps per epoch
	rng   *rand.Rand
	perm  [][]int

	theta, lo, hi, gtheta []float64
	opt                   *adam

	maps []*transport // network maps (none for particle maps)
	disp [][]float64  // particle maps: every particle's displacement per step

	// The current step's batches: indices of μ_k and of μ_{k+1} (nil:
	// every particle), μ_k's coordinates and counts, and for particle maps
	// their displacements.
	idxX, idxY [][]int
	// partner[k] draws the particle of μ_{k+1} that goes with a particle
	// of μ_k (nil: independent batches); see pairBatches.
	partner []*partners
	xb      [][]float64
	nb      []int
	batchD  [][]float64
	ybuf    [][]float64 // scratch of the best responses

	// The held-out particles (Options.Holdout): coordinates, counts and,
	// for particle maps, their displacements; the best θ so far.
	xv, dv, vbuf [][]float64
	nv           []int
	best         []float64
	bestGap      float64
	bestEpoch    int
}

// newTrainer lays out the snapshots, estimates their entropies when the
// spec has one, and starts θ, its bounds and the maps.
func newTrainer(m *compile.Model, s *snapshot.Snapshots, o Options) (*trainer, error) {
	K := s.Len() - 1
	tr := &trainer{m: m, o: o, K: K,
		rng:   rand.New(rand.NewPCG(o.Seed, 0x696a6b6f)),
		theta: m.InitTheta(o.Seed),
		idxX:  make([][]int, K), idxY: make([][]int, K),
		xb: make([][]float64, K), nb: make([]int, K), batchD: make([][]float64, K), ybuf: make([][]float64, K),
	}
	entropy := m.Has(compile.Internal)
	H, err := tr.layOut(s, entropy)
	if err != nil {
		return nil, err
	}
	t0, tK := s.Times[0], s.Times[K]
	tr.gm = &game{m: m, s: s, H: H, entropy: entropy, normTime: func(k int) float64 { return (s.Times[k] - t0) / (tK - t0) }}
	tr.startMaps(entropy)
	tr.bounds()
	tr.opt = newAdam(m.NumParams)
	tr.gtheta = make([]float64, m.NumParams)
	maxN := 0
	for _, n := range tr.ns {
		maxN = max(maxN, n)
	}
	tr.steps = 1 // one pass over the particles
	if o.Batch > 0 && o.Batch < maxN {
		tr.steps = (maxN + o.Batch - 1) / o.Batch
		if err := tr.pairBatches(); err != nil {
			return nil, err
		}
	}
	return tr, nil
}

// pairBatches computes, for each pair of consecutive snapshots, the
// optimal plan π for the squared distance between their training
// particles (uniform weights), so that a batch of μ_k is drawn together
// with partners in μ_{k+1}: particle i's partner is j with probability
// π_ij/a_i (a_i = 1/n_k), which is i's assignment partner when the two
// snapshots hold as many particles. Every partner is then a uniform draw
// of μ_{k+1} (Σ_i a_i·π_ij/a_i = b_j = 1/n_{k+1}), so every mean, and the
// gradient of θ, is unbiased as with independent batches: the pairing
// changes only the gradient's variance. The gap's θ-gradient is the
// difference of the two batches' means of ∇θV, and drawn independently
// their sampling noise is that of the clouds' spread; drawn in pairs it is
// that of the distance between partners, about a step's displacement (on
// paired data of a small step the partners are the true pairs). Unpaired
// styblinski_tang, mlp_potential, defaults, seeds 0–4: one-step W1 0.096 /
// 0.068 / 0.104 / 0.081 / 0.089 with independent batches, 0.064 / 0.039 /
// 0.088 / 0.057 / 0.057 in pairs (BENCHMARKS.md, "iJKOnet against
// JKOnet*").
func (tr *trainer) pairBatches() error {
	d := tr.m.Dim
	tr.partner = make([]*partners, tr.K)
	for k := 0; k < tr.K; k++ {
		n, m := tr.ns[k], tr.ns[k+1]
		plan, err := ot.Couple(mat.NewDense(n, d, tr.xs[k]), mat.NewDense(m, d, tr.xs[k+1]), nil, nil, ot.SqEuclidean)
		if err != nil {
			return fmt.Errorf("ijkonet: pairing the batches of snapshots %d and %d: %w", k, k+1, err)
		}
		tr.partner[k] = newPartners(plan, n)
	}
	return nil
}

// partners holds, per particle i of μ_k, the particles of μ_{k+1} the
// plan sends its mass to and the cumulative share of each: row i's are
// js[start[i]:start[i+1]] and cum[start[i]:start[i+1]], the last 1.
type partners struct {
	start []int
	js    []int
	cum   []float64
}

// newPartners lays out the rows of the plan between n sources and its
// targets.
func newPartners(plan *ot.Plan, n int) *partners {
	p := &partners{start: make([]int, n+1), js: make([]int, 0, len(plan.Pairs)), cum: make([]float64, 0, len(plan.Pairs))}
	// plan.Pairs is sorted by (I, J).
	q := 0
	for i := range n {
		p.start[i] = len(p.js)
		row := 0.0
		for r := q; r < len(plan.Pairs) && plan.Pairs[r].I == i; r++ {
			row += plan.Pairs[r].Mass
		}
		acc := 0.0
		for ; q < len(plan.Pairs) && plan.Pairs[q].I == i; q++ {
			acc += plan.Pairs[q].Mass
			p.js = append(p.js, plan.Pairs[q].J)
			p.cum = append(p.cum, acc/row)
		}
		if len(p.cum) > p.start[i] {
			p.cum[len(p.cum)-1] = 1
		}
	}
	p.start[n] = len(p.js)
	return p
}

// draw returns a partner of particle i: the only one when the plan keeps
// i whole (no random number is used), else one drawn with probability its
// share of i's mass.
func (p *partners) draw(i int, rng *rand.Rand) int {
	lo, hi := p.start[i], p.start[i+1]
	if hi-lo == 1 {
		return p.js[lo]
	}
	u := rng.Float64()
	q := lo + sort.Search(hi-lo-1, func(r int) bool { return p.cum[lo+r] > u })
	return p.js[q]
}

// layOut copies each snapshot's particles into a flat slice (the
// training particles, and with Options.Holdout the held-out ones apart)
// and returns the snapshots' Kozachenko–Leonenko entropies (zeros
// without entropy). Snapshots of equal size are split by the same
// permutation, so paired particles stay paired on both sides.
func (tr *trainer) layOut(s *snapshot.Snapshots, entropy bool) ([]float64, error) {
	d := tr.m.Dim
	tr.xs, tr.ns = make([][]float64, s.Len()), make([]int, s.Len())
	tr.perm = make([][]int, s.Len())
	H := make([]float64, s.Len())
	split := map[int][]int{} // snapshot size → its shuffled rows
	if tr.o.Holdout > 0 {
		tr.xv, tr.nv = make([][]float64, s.Len()), make([]int, s.Len())
	}
	for k := range tr.xs {
		r := s.X[k].RawMatrix()
		var rows []int // nil: every row, in order
		nTrain := r.Rows
		if tr.o.Holdout > 0 {
			if rows = split[r.Rows]; rows == nil {
				rows = tr.rng.Perm(r.Rows)
				split[r.Rows] = rows
			}
			nTrain = r.Rows - max(1, int(tr.o.Holdout*float64(r.Rows)))
			if nTrain < 2 {
				return nil, fmt.Errorf("ijkonet: snapshot %d has %d particles, too few to hold %.3g of them out (Options.Holdout)", k, r.Rows, tr.o.Holdout)
			}
			tr.nv[k] = r.Rows - nTrain
			for _, i := range rows[nTrain:] {
				tr.xv[k] = append(tr.xv[k], r.Data[i*r.Stride:i*r.Stride+d]...)
			}
		}
		tr.ns[k] = nTrain
		tr.xs[k] = make([]float64, 0, nTrain*d)
		for q := 0; q < nTrain; q++ {
			i := q
			if rows != nil {
				i = rows[q]
			}
			tr.xs[k] = append(tr.xs[k], r.Data[i*r.Stride:i*r.Stride+d]...)
		}
		tr.perm[k] = make([]int, nTrain)
		for i := range tr.perm[k] {
			tr.perm[k][i] = i
		}
		if entropy {
			h, err := density.EntropyKL(mat.NewDense(nTrain, d, tr.xs[k]), 1)
			if err != nil {
				return nil, fmt.Errorf("ijkonet: entropy of snapshot %d: %w", k, err)
			}
			H[k] = h
		}
	}
	return H, nil
}

// startMaps makes one network map per step (one for all with Shared), or
// for particle maps a zero displacement per particle, warm-started from
// epoch to epoch.
func (tr *trainer) startMaps(entropy bool) {
	o, d := tr.o, tr.m.Dim
	if o.Map == Particles {
		tr.disp = make([][]float64, tr.K)
		for k := range tr.disp {
			tr.disp[k] = make([]float64, tr.ns[k]*d)
		}
		return
	}
	nmaps := tr.K
	if o.Shared {
		nmaps = 1
	}
	tr.maps = make([]*transport, nmaps)
	for k := range tr.maps {
		tr.maps[k] = newTransport(d, o.Map, o.Widths, o.Shared, entropy, tr.rng)
	}
}

// bounds lays out the bounds of every entry of θ.
func (tr *trainer) bounds() {
	P := tr.m.NumParams
	tr.lo, tr.hi = make([]float64, P), make([]float64, P)
	for _, p := range tr.m.Params {
		for j := 0; j < p.Size; j++ {
			tr.lo[p.Offset+j], tr.hi[p.Offset+j] = p.Lower, p.Upper
		}
	}
}

// epoch runs the energy steps of epoch e and returns the gap and the maps'
// loss, each averaged over the steps.
func (tr *trainer) epoch(e int) (gap, mapLoss float64, err error) {
	for st := 0; st < tr.steps; st++ {
		if err := tr.step(e, &gap, &mapLoss); err != nil {
			return 0, 0, err
		}
	}
	return gap, mapLoss, nil
}

// step draws the batches, moves the maps towards their best responses,
// and takes one Adam step of θ on the gap; it adds the step's gap and
// maps' loss (summed over the steps k of the scheme, divided by the
// steps per epoch) to the epoch's.
func (tr *trainer) step(e int, gap, mapLoss *float64) error {
	beta := 0.0
	if tr.gm.entropy {
		beta, _ = tr.m.Entropy(tr.theta)
	}
	tr.drawBatches()
	var err error
	if tr.o.Map == Particles {
		err = tr.bestResponses()
	} else {
		err = tr.ascendMaps(beta)
	}
	if err != nil {
		return tr.diverged(e, "map step:", err)
	}
	gaps, losses, err := tr.energyGradient(beta)
	if err != nil {
		return tr.diverged(e, "energy step:", err)
	}
	for k := range gaps {
		*gap += gaps[k] / float64(tr.steps)
		*mapLoss += losses[k] / float64(tr.steps)
	}
	switch {
	case math.IsNaN(*gap) || math.IsInf(*gap, 0):
		return tr.diverged(e, "the gap became", *gap)
	case math.IsNaN(*mapLoss) || math.IsInf(*mapLoss, 0) || math.Abs(*mapLoss) > 1e12:
		return tr.diverged(e, "the maps' loss became", *mapLoss)
	case !finite.All(tr.gtheta):
		return tr.diverged(e, "the gradient of θ became", "non-finite")
	}
	step := tr.opt.step(tr.gtheta, tr.o.lr(e))
	for j := range tr.theta {
		tr.theta[j] = math.Min(math.Max(tr.theta[j]-step[j], tr.lo[j]), tr.hi[j])
	}
	return nil
}

// diverged is the error of a step whose objective or gradient stopped
// being finite.
func (tr *trainer) diverged(e int, what string, v any) error {
	return fmt.Errorf("ijkonet: epoch %d: %s %v; lower the learning rates (Options.LR, Options.MapLR), or check that τ (the time between snapshots) matches the data's displacements: %w", e+1, what, v, ErrDiverged)
}

// drawBatches draws one batch per snapshot pair. The batch of μ_{k+1} is
// the partners of μ_k's (pairBatches): each mean stays unbiased, and the two nearly cancel,
// which lowers the gradient's variance.
func (tr *trainer) drawBatches() {
	for k := 0; k < tr.K; k++ {
		tr.idxX[k] = tr.batch(k)
		switch {
		case tr.idxX[k] != nil && tr.partner != nil && tr.partner[k] != nil:
			tr.idxY[k] = make([]int, len(tr.idxX[k]))
			for q, i := range tr.idxX[k] {
				tr.idxY[k][q] = tr.partner[k].draw(i, tr.rng)
			}
		case tr.ns[k+1] == tr.ns[k]:
			tr.idxY[k] = tr.idxX[k]
		default:
			tr.idxY[k] = tr.batch(k + 1)
		}
		tr.xb[k], tr.nb[k] = tr.pick(k, tr.idxX[k])
	}
}

// batch draws the indices of Options.Batch particles of snapshot k,
// without replacement (nil: all of them).
func (tr *trainer) batch(k int) []int {
	n, b := tr.ns[k], tr.o.Batch
	if b <= 0 || b >= n {
		return nil
	}
	p := tr.perm[k]
	for i := 0; i < b; i++ {
		j := i + tr.rng.IntN(n-i)
		p[i], p[j] = p[j], p[i]
	}
	return append([]int(nil), p[:b]...)
}

// pick returns the coordinates and count of the particles idx of
// snapshot k (nil: all of them).
func (tr *trainer) pick(k int, idx []int) ([]float64, int) {
	if idx == nil {
		return tr.xs[k], tr.ns[k]
	}
	d := tr.m.Dim
	b := make([]float64, 0, len(idx)*d)
	for _, i := range idx {
		b = append(b, tr.xs[k][i*d:(i+1)*d]...)
	}
	return b, len(idx)
}

// bestResponses refines the particle maps of the batches, each step k on
// its own core: the maps' ascent on −J_θ(T#μ_k) − E‖x − T(x)‖²/2τ
// separates into one proximal problem per particle.
func (tr *trainer) bestResponses() error {
	d := tr.m.Dim
	return parallel.ForErr(tr.K, func(k int) error {
		idx := tr.idxX[k]
		D := tr.batchD[k][:0] // the previous step's, no longer needed
		if idx == nil {
			D = append(D, tr.disp[k]...)
		} else {
			for _, i := range idx {
				D = append(D, tr.disp[k][i*d:(i+1)*d]...)
			}
		}
		if cap(tr.ybuf[k]) < len(D) {
			tr.ybuf[k] = make([]float64, len(D))
		}
		if err := tr.gm.proximal(D, tr.ybuf[k], k, tr.xb[k], tr.nb[k], tr.theta, tr.o.MapSteps); err != nil {
			return err
		}
		if idx == nil {
			copy(tr.disp[k], D)
		} else {
			for q, i := range idx {
				copy(tr.disp[k][i*d:(i+1)*d], D[q*d:(q+1)*d])
			}
		}
		tr.batchD[k] = D
		return nil
	})
}

// ascendMaps takes Options.MapSteps Adam steps of the network maps on
// −J_θ(T#μ_k) − E‖x − T(x)‖²/2τ. The steps k are independent given θ and
// run in parallel; a shared map's gradients are summed in the order of k,
// so results do not depend on the number of cores.
func (tr *trainer) ascendMaps(beta float64) error {
	K, o := tr.K, tr.o
	for ms := 0; ms < o.MapSteps; ms++ {
		grads := make([][]float64, K)
		err := parallel.ForErr(K, func(k int) error {
			mp := tr.mapOf(k)
			grads[k] = make([]float64, mp.size)
			if _, err := tr.gm.mapAscent(grads[k], mp, k, tr.xb[k], tr.nb[k], tr.theta, beta, false); err != nil {
				return err
			}
			if !o.Shared {
				mp.ascend(grads[k], o.MapLR)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if o.Shared {
			for k := 1; k < K; k++ {
				floats.Add(grads[0], grads[k])
			}
			tr.maps[0].ascend(grads[0], o.MapLR)
		}
	}
	return nil
}

// mapOf is the network map of step k.
func (tr *trainer) mapOf(k int) *transport { return tr.maps[min(k, len(tr.maps)-1)] }

// energyGradient writes into gtheta the θ-gradient of the energy's loss
// Σ_k J_θ(μ_{k+1}) − J_θ(T_k#μ_k) on the current batches and returns each
// step k's gap and maps' loss (each k on its own core, the gradient
// summed in the order of k).
func (tr *trainer) energyGradient(beta float64) (gaps, losses []float64, err error) {
	K, P := tr.K, tr.m.NumParams
	gk := make([][]float64, K)
	gaps, losses = make([]float64, K), make([]float64, K)
	err = parallel.ForErr(K, func(k int) error {
		y, ny := tr.pick(k+1, tr.idxY[k])
		var mv mover
		if tr.o.Map == Particles {
			mv = particleMap{tr.batchD[k]}
		} else {
			mv = tr.mapOf(k)
		}
		gk[k] = make([]float64, P)
		var err error
		gaps[k], losses[k], err = tr.gm.energyDescent(gk[k], mv, k, tr.xb[k], tr.nb[k], y, ny, tr.theta, beta)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	clear(tr.gtheta)
	for k := 0; k < K; k++ {
		floats.Add(tr.gtheta, gk[k])
	}
	return gaps, losses, nil
}

// validating reports whether particles are held out to choose θ.
func (tr *trainer) validating() bool { return tr.o.Holdout > 0 }

// heldOutIters is the number of implicit-step iterations that refine the
// held-out particles' best responses at each selection (warm-started).
const heldOutIters = 5

// selectTheta measures the gap on the held-out particles after epoch e and
// keeps θ if it is the smallest so far. The best responses of particle
// maps are refined for the held-out particles (warm-started from the
// previous selection); network maps are used as they are.
func (tr *trainer) selectTheta(e int) error {
	beta := 0.0
	if tr.gm.entropy {
		beta, _ = tr.m.Entropy(tr.theta)
	}
	if tr.dv == nil && tr.o.Map == Particles {
		tr.dv, tr.vbuf = make([][]float64, tr.K), make([][]float64, tr.K)
		for k := range tr.dv {
			tr.dv[k] = make([]float64, len(tr.xv[k]))
			tr.vbuf[k] = make([]float64, len(tr.xv[k]))
		}
	}
	gaps := make([]float64, tr.K)
	err := parallel.ForErr(tr.K, func(k int) error {
		var mv mover
		if tr.o.Map == Particles {
			if err := tr.gm.proximal(tr.dv[k], tr.vbuf[k], k, tr.xv[k], tr.nv[k], tr.theta, heldOutIters); err != nil {
				return err
			}
			mv = particleMap{tr.dv[k]}
		} else {
			mv = tr.mapOf(k)
		}
		var err error
		gaps[k], _, err = tr.gm.energyDescent(make([]float64, tr.m.NumParams), mv, k, tr.xv[k], tr.nv[k], tr.xv[k+1], tr.nv[k+1], tr.theta, beta)
		return err
	})
	if err != nil {
		return tr.diverged(e, "held-out gap:", err)
	}
	gap := 0.0
	for _, g := range gaps {
		gap += g
	}
	if math.IsNaN(gap) || math.IsInf(gap, 0) {
		return tr.diverged(e, "the held-out gap became", gap)
	}
	if tr.best == nil || gap < tr.bestGap {
		tr.best = append(tr.best[:0], tr.theta...)
		tr.bestGap, tr.bestEpoch = gap, e
	}
	return nil
}
