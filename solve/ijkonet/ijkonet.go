package ijkonet

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/finite"
	"github.com/jko-org/jko/internal/parallel"
	"github.com/jko-org/jko/solve/density"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/floats"
)

// Options configure Fit. The zero value selects the defaults.
type Options struct {
	// Epochs is the number of passes over the particles (default 300 for
	// neural specs, more than jkonet.MaxLBFGS parameters; 1000 for
	// others, whose epochs are cheap).
	Epochs int
	// MapSteps is the number of map steps per energy step (default 5 for
	// network maps, 1 Newton step for particle maps).
	MapSteps int
	// LR is θ's Adam learning rate at the first epoch (default 0.01 for
	// neural specs, 0.05 for others). Adam moves each parameter by about
	// LR per step, so the epochs must allow for the distance from the
	// spec's initial values: with 300 steps of 0.01 a coefficient of −8
	// started at 0 stops near −2.
	LR float64
	// FinalLR is θ's learning rate at the last epoch: LR holds for the
	// first half of the epochs, then a cosine takes it to FinalLR (default
	// LR/100; LR for a constant rate; runs of one or two epochs keep LR).
	// A rate that stays high leaves θ jittering around the game's
	// equilibrium.
	FinalLR float64
	MapLR   float64 // Adam learning rate of the maps (default 0.005)
	Widths  []int   // hidden widths of the maps' MLP (default 32, 32)
	// Map is the maps' form: Auto (the default: Particles, or Gradient
	// for specs with entropy), Gradient T = x + ∇φ(x), Residual
	// T = x + r(x), or Particles.
	Map MapKind
	// Shared trains one time-conditioned map T(x, t) for every step
	// instead of one map per step.
	Shared bool
	// Batch is the number of particles drawn from each snapshot for each
	// step (without replacement); a count at least a snapshot's size, or
	// a negative one, uses every particle, one step per epoch. An epoch
	// takes as many steps as the largest snapshot holds batches.
	// Interaction energies cost Batch² pairs per snapshot and step. The
	// default (0) is NeuralBatch for specs with more than
	// jkonet.MaxLBFGS parameters (neural terms), whose accuracy is
	// limited by the number of Adam steps, InteractionBatch for other
	// specs with interaction terms, and every particle otherwise: with few
	// parameters, full-batch gradients avoid the bias mini-batches leave
	// (θ depends on the snapshots' moments through factors of 1/τ).
	Batch int
	Seed  uint64
	// Bootstrap is the number of refits to half-samples of the particles
	// that solve.Fit runs after the fit (Bootstrap; 0: none). Fit itself
	// does not read it.
	Bootstrap int
	// Progress, if set, is called after each epoch.
	Progress func(Progress)
}

// Progress reports one epoch of training.
type Progress struct {
	Epoch, Epochs int
	// Gap is the energy player's loss Σ_k [J_θ(μ_{k+1}) − J_θ(T_k#μ_k) −
	// E‖x − T_k(x)‖²/2τ], which θ minimises.
	Gap float64
	// MapLoss is the maps' loss Σ_k [J_θ(T_k#μ_k) + E‖x − T_k(x)‖²/2τ],
	// which the maps minimise.
	MapLoss float64
	Elapsed time.Duration
}

// WithDefaults returns o with every zero setting replaced by its default
// for the model m (the settings Fit runs with).
func (o Options) WithDefaults(m *compile.Model) Options {
	neural := m.NumParams > jkonet.MaxLBFGS
	if o.Epochs <= 0 {
		o.Epochs = 1000
		if neural {
			o.Epochs = 300
		}
	}
	if o.LR <= 0 {
		o.LR = 0.05
		if neural {
			o.LR = 0.01
		}
	}
	if o.Map == Auto {
		o.Map = Particles
		if m.Has(compile.Internal) {
			o.Map = Gradient
		}
	}
	if o.Batch == 0 {
		switch {
		case neural:
			o.Batch = NeuralBatch
		case m.Has(compile.Interaction):
			o.Batch = InteractionBatch
		default:
			o.Batch = -1
		}
	}
	if o.MapSteps <= 0 {
		o.MapSteps = 5
		if o.Map == Particles {
			o.MapSteps = 1
		}
	}
	if o.FinalLR <= 0 {
		o.FinalLR = o.LR / 100
	}
	if o.MapLR <= 0 {
		o.MapLR = 0.005
	}
	if len(o.Widths) == 0 {
		o.Widths = []int{32, 32}
	}
	return o
}

// lr is θ's learning rate at epoch e: LR for the first half, then a
// cosine down to FinalLR at the last epoch.
func (o *Options) lr(e int) float64 {
	half := o.Epochs / 2
	if e < half || o.Epochs-1 <= half {
		return o.LR
	}
	c := (1 + math.Cos(math.Pi*float64(e-half)/float64(o.Epochs-1-half))) / 2
	return o.FinalLR + (o.LR-o.FinalLR)*c
}

// The default batches (see Options.Batch). On the benchmark's wavy_plateau
// (1,000 training particles per snapshot, mlp_potential, particle maps)
// one full-batch step per epoch leaves the one-step EMD at 0.036, four
// steps of 250 bring it to 0.010. On a quadratic a‖x‖² from unpaired
// snapshots (1,000 particles, 120 epochs, three seeds) full batches give
// a = 0.95, 0.93, 0.99 and batches of 256 a = 1.06, 1.04, 1.15 (truth 1).
const (
	NeuralBatch      = 256
	InteractionBatch = 500
)

// ErrDiverged is wrapped by the error of a run whose objective became NaN
// or infinite. It is jkonet.ErrDiverged: errors.Is tells a diverged fit
// whatever the method.
var ErrDiverged = jkonet.ErrDiverged

// Fit runs iJKOnet on the snapshots and returns θ (in the same Result type
// as JKOnet*, so the fitted spec is written the same way).
//
// The energy may have potential terms V(x) or V(x, t) (evaluated at the
// time of μ_{k+1}), interaction terms U(x − y) (mean over pairs of each
// batch, the ½ of the energy included) and an entropy f(ρ) = βρ log ρ:
// H(T#μ_k) = H(μ_k) + E log|det ∇T| with H(μ_k) estimated once by
// Kozachenko–Leonenko. Other internal energies are refused.
func Fit(m *compile.Model, s *snapshot.Snapshots, o Options) (*jkonet.Result, error) {
	o = o.WithDefaults(m)
	if err := jkonet.Check(m, s); err != nil {
		return nil, err
	}
	if m.Step == "explicit" {
		return nil, errors.New("ijkonet: the spec declares step explicit, but iJKOnet fits the implicit (JKO) step; remove the declaration or write step implicit (JKOnet* fits either)")
	}
	start := time.Now()
	d, P := m.Dim, m.NumParams
	rng := rand.New(rand.NewPCG(o.Seed, 0x696a6b6f))
	theta := m.InitTheta(o.Seed)
	entropy := m.Has(compile.Internal)
	if entropy {
		probe := append([]float64(nil), theta...)
		for j := range probe {
			probe[j] += 0.37 + 0.01*float64(j)
		}
		_, ok1 := m.Entropy(theta)
		_, ok2 := m.Entropy(probe)
		if !ok1 || !ok2 {
			return nil, errors.New("ijkonet: the internal energy is not an entropy f(ρ) = β ρ log(ρ); iJKOnet evaluates internal energies through the change of variables, which needs that form (use JKOnet*, --method auto, for other internal energies)")
		}
	}
	K := s.Len() - 1
	xs := make([][]float64, s.Len())
	ns := make([]int, s.Len())
	H := make([]float64, s.Len())
	for k := range xs {
		r := s.X[k].RawMatrix()
		ns[k] = r.Rows
		xs[k] = make([]float64, 0, r.Rows*d)
		for i := 0; i < r.Rows; i++ {
			xs[k] = append(xs[k], r.Data[i*r.Stride:i*r.Stride+d]...)
		}
		if entropy {
			h, err := density.EntropyKL(s.X[k], 1)
			if err != nil {
				return nil, fmt.Errorf("ijkonet: entropy of snapshot %d: %w", k, err)
			}
			H[k] = h
		}
	}
	t0, tK := s.Times[0], s.Times[K]
	normTime := func(k int) float64 { return (s.Times[k] - t0) / (tK - t0) }
	nmaps := K
	switch {
	case o.Map == Particles:
		nmaps = 0
		if entropy {
			return nil, errors.New("ijkonet: particle maps have no Jacobian, so the entropy term cannot be pushed forward; use gradient or residual maps for specs with an internal energy")
		}
	case o.Shared:
		nmaps = 1
	}
	maps := make([]*transport, nmaps)
	for k := range maps {
		maps[k] = newTransport(d, o.Map, o.Widths, o.Shared, entropy, rng)
	}
	perm := make([][]int, s.Len())
	for k := range perm {
		perm[k] = make([]int, ns[k])
		for i := range perm[k] {
			perm[k][i] = i
		}
	}
	// batch draws the indices of o.Batch particles of snapshot k, without
	// replacement (nil: all of them).
	batch := func(k int) []int {
		n := ns[k]
		if o.Batch <= 0 || o.Batch >= n {
			return nil
		}
		p := perm[k]
		for i := 0; i < o.Batch; i++ {
			j := i + rng.IntN(n-i)
			p[i], p[j] = p[j], p[i]
		}
		return append([]int(nil), p[:o.Batch]...)
	}
	// Particle maps: the displacement of every particle of each snapshot,
	// warm-started from epoch to epoch.
	var disp [][]float64
	if o.Map == Particles {
		disp = make([][]float64, K)
		for k := range disp {
			disp[k] = make([]float64, ns[k]*d)
		}
	}
	gather := func(k int, idx []int) []float64 {
		if idx == nil {
			return append([]float64(nil), disp[k]...)
		}
		D := make([]float64, 0, len(idx)*d)
		for _, i := range idx {
			D = append(D, disp[k][i*d:(i+1)*d]...)
		}
		return D
	}
	scatter := func(k int, idx []int, D []float64) {
		if idx == nil {
			copy(disp[k], D)
			return
		}
		for q, i := range idx {
			copy(disp[k][i*d:(i+1)*d], D[q*d:(q+1)*d])
		}
	}
	lo, hi := make([]float64, P), make([]float64, P)
	for _, p := range m.Params {
		for j := 0; j < p.Size; j++ {
			lo[p.Offset+j], hi[p.Offset+j] = p.Lower, p.Upper
		}
	}
	opt := newAdam(P)
	res := &jkonet.Result{Method: "ijkonet", Names: m.ParamNames(), EvalAt: "y"}
	gtheta := make([]float64, P)
	diverged := func(e int, what string, v any) error {
		return fmt.Errorf("ijkonet: epoch %d: %s %v; lower the learning rates (--ij-lr, --ij-map-lr), or check that τ (the time between snapshots) matches the data's displacements: %w", e+1, what, v, ErrDiverged)
	}
	gm := &game{m: m, s: s, H: H, entropy: entropy, normTime: normTime}
	maxN := 0
	for _, n := range ns {
		maxN = max(maxN, n)
	}
	steps := 1 // energy steps per epoch: one pass over the particles
	if o.Batch > 0 && o.Batch < maxN {
		steps = (maxN + o.Batch - 1) / o.Batch
	}
	pick := func(k int, idx []int) ([]float64, int) {
		if idx == nil {
			return xs[k], ns[k]
		}
		b := make([]float64, 0, len(idx)*d)
		for _, i := range idx {
			b = append(b, xs[k][i*d:(i+1)*d]...)
		}
		return b, len(idx)
	}
	// This step's batches: indices, coordinates and counts of μ_k, and for
	// particle maps their displacements.
	idxX, idxY := make([][]int, K), make([][]int, K)
	xb, nb, batchD := make([][]float64, K), make([]int, K), make([][]float64, K)
	for e := 0; e < o.Epochs; e++ {
		gap, mapLoss := 0.0, 0.0
		for st := 0; st < steps; st++ {
			beta := 0.0
			if entropy {
				beta, _ = m.Entropy(theta)
			}
			// One batch per step and snapshot pair. When μ_k and μ_{k+1}
			// hold as many particles, the same indices serve both: each
			// mean stays unbiased, and on paired data the two nearly
			// cancel, which lowers the gradient's variance.
			for k := 0; k < K; k++ {
				idxX[k] = batch(k)
				if ns[k+1] == ns[k] {
					idxY[k] = idxX[k]
				} else {
					idxY[k] = batch(k + 1)
				}
				xb[k], nb[k] = pick(k, idxX[k])
			}
			// The maps' ascent on −J_θ(T#μ_k) − E‖x − T(x)‖²/2τ. The steps
			// k are independent given θ and run in parallel; whatever they
			// add up is summed in the order of k, so results do not depend
			// on the number of cores.
			if o.Map == Particles {
				err := parallel.ForErr(K, func(k int) error {
					D := gather(k, idxX[k])
					if err := gm.proximal(D, k, xb[k], nb[k], theta, o.MapSteps); err != nil {
						return err
					}
					scatter(k, idxX[k], D)
					batchD[k] = D
					return nil
				})
				if err != nil {
					return nil, diverged(e, "map step:", err)
				}
			}
			for ms := 0; ms < o.MapSteps && o.Map != Particles; ms++ {
				grads := make([][]float64, K)
				err := parallel.ForErr(K, func(k int) error {
					tr := maps[min(k, len(maps)-1)]
					grads[k] = make([]float64, tr.size)
					if _, err := gm.mapAscent(grads[k], tr, k, xb[k], nb[k], theta, beta, false); err != nil {
						return err
					}
					if !o.Shared {
						tr.ascend(grads[k], o.MapLR)
					}
					return nil
				})
				if err != nil {
					return nil, diverged(e, "map step:", err)
				}
				if o.Shared {
					for k := 1; k < K; k++ {
						floats.Add(grads[0], grads[k])
					}
					maps[0].ascend(grads[0], o.MapLR)
				}
			}
			// The energy's descent on Σ_k J_θ(μ_{k+1}) − J_θ(T_k#μ_k).
			gk, gaps, losses := make([][]float64, K), make([]float64, K), make([]float64, K)
			err := parallel.ForErr(K, func(k int) error {
				y, ny := pick(k+1, idxY[k])
				var mv mover
				if o.Map == Particles {
					mv = particleMap{batchD[k]}
				} else {
					mv = maps[min(k, len(maps)-1)]
				}
				gk[k] = make([]float64, P)
				var err error
				gaps[k], losses[k], err = gm.energyDescent(gk[k], mv, k, xb[k], nb[k], y, ny, theta, beta)
				return err
			})
			if err != nil {
				return nil, diverged(e, "energy step:", err)
			}
			clear(gtheta)
			for k := 0; k < K; k++ {
				floats.Add(gtheta, gk[k])
				gap += gaps[k] / float64(steps)
				mapLoss += losses[k] / float64(steps)
			}
			switch {
			case math.IsNaN(gap) || math.IsInf(gap, 0):
				return nil, diverged(e, "the gap became", gap)
			case math.IsNaN(mapLoss) || math.IsInf(mapLoss, 0) || math.Abs(mapLoss) > 1e12:
				return nil, diverged(e, "the maps' loss became", mapLoss)
			case !finite.All(gtheta):
				return nil, diverged(e, "the gradient of θ became", "non-finite")
			}
			step := opt.step(gtheta, o.lr(e))
			for j := range theta {
				theta[j] = math.Min(math.Max(theta[j]-step[j], lo[j]), hi[j])
			}
		}
		res.LossCurve = append(res.LossCurve, gap)
		res.MapLossCurve = append(res.MapLossCurve, mapLoss)
		if o.Progress != nil {
			o.Progress(Progress{Epoch: e + 1, Epochs: o.Epochs, Gap: gap, MapLoss: mapLoss, Elapsed: time.Since(start)})
		}
	}
	res.Theta = theta
	if n := len(res.LossCurve); n > 0 {
		res.Loss = res.LossCurve[n-1]
	}
	if w := stiffnessWarning(m, s, theta); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	res.Times = jkonet.Timings{{Name: "ijkonet", Time: time.Since(start)}}
	return res, nil
}

// game evaluates the two players' objectives for one step k.
type game struct {
	m        *compile.Model
	s        *snapshot.Snapshots
	H        []float64 // Kozachenko–Leonenko entropy of each snapshot
	entropy  bool
	normTime func(k int) float64
}

// push returns the displacement r(x) and T(x) = x + r(x) of the n points x.
func (gm *game) push(tr mover, k int, x []float64, n int) (D, Tx []float64, err error) {
	d := gm.m.Dim
	D = make([]float64, n*d)
	if err := tr.displacement(D, x, n, gm.normTime(k)); err != nil {
		return nil, nil, err
	}
	Tx = make([]float64, n*d)
	for i := range Tx {
		Tx[i] = x[i] + D[i]
	}
	return D, Tx, nil
}

// mapAscent adds to grad (the map's weights, flat) the gradient of the
// map's objective on the n points x of snapshot k,
//
//	−E V(T x, t_{k+1}) − ½ E U(T x − T x′) + β (H(μ_k) + E log|det ∇T|) − E‖x − T x‖²/2τ,
//
// and returns its value when value is set (0 otherwise).
func (gm *game) mapAscent(grad []float64, tr *transport, k int, x []float64, n int, theta []float64, beta float64, value bool) (float64, error) {
	m, d := gm.m, gm.m.Dim
	tau, t1, tn := gm.s.Times[k+1]-gm.s.Times[k], gm.s.Times[k+1], gm.normTime(k)
	D, Tx, err := gm.push(tr, k, x, n)
	if err != nil {
		return 0, err
	}
	g := drift(m, Tx, n, t1, theta)
	seed := make([]float64, n*d)
	for i := range seed {
		seed[i] = -(g[i] + D[i]/tau) / float64(n)
	}
	var sd [][]float64
	ld := make([]float64, n)
	if gm.entropy {
		sd = make([][]float64, d)
		for a := range sd {
			sd[a] = make([]float64, n*d)
		}
		if err := tr.logDet(ld, sd, x, n, tn, beta/float64(n)); err != nil {
			return 0, err
		}
	}
	if err := tr.gradient(grad, x, seed, sd, n, tn); err != nil {
		return 0, err
	}
	if !value {
		return 0, nil
	}
	J := meanV(m, Tx, n, t1, theta) + 0.5*m.InteractionPairSum(Tx, n, Tx, n, theta)/pairCount(n)
	if gm.entropy {
		J -= beta * (gm.H[k] + floats.Sum(ld)/float64(n))
	}
	return -J - sqMean(D, n)/(2*tau), nil
}

// energyDescent adds to gθ the θ-gradient of the gap of step k,
// J_θ(μ_{k+1}) − J_θ(T#μ_k) − E‖x − T x‖²/2τ, estimated on the n points x
// of snapshot k and the ny points y of snapshot k+1, and returns the gap
// and the maps' loss J_θ(T#μ_k) + E‖x − T x‖²/2τ.
func (gm *game) energyDescent(gtheta []float64, tr mover, k int, x []float64, n int, y []float64, ny int, theta []float64, beta float64) (gap, mapLoss float64, err error) {
	m := gm.m
	tau, t1, tn := gm.s.Times[k+1]-gm.s.Times[k], gm.s.Times[k+1], gm.normTime(k)
	D, Tx, err := gm.push(tr, k, x, n)
	if err != nil {
		return 0, 0, err
	}
	tmp := make([]float64, m.NumParams)
	m.PotentialValueVJP(tmp, y, ny, t1, theta, nil)
	floats.AddScaled(gtheta, 1/float64(ny), tmp)
	m.PotentialValueVJP(tmp, Tx, n, t1, theta, nil)
	floats.AddScaled(gtheta, -1/float64(n), tmp)
	Jy, JT := meanV(m, y, ny, t1, theta), meanV(m, Tx, n, t1, theta)
	if m.Has(compile.Interaction) {
		m.InteractionPairVJP(tmp, y, ny, y, ny, theta)
		floats.AddScaled(gtheta, 0.5/pairCount(ny), tmp)
		m.InteractionPairVJP(tmp, Tx, n, Tx, n, theta)
		floats.AddScaled(gtheta, -0.5/pairCount(n), tmp)
		Jy += 0.5 * m.InteractionPairSum(y, ny, y, ny, theta) / pairCount(ny)
		JT += 0.5 * m.InteractionPairSum(Tx, n, Tx, n, theta) / pairCount(n)
	}
	if gm.entropy {
		ld := make([]float64, n)
		if err := tr.logDet(ld, nil, x, n, tn, 0); err != nil {
			return 0, 0, err
		}
		hT := gm.H[k] + floats.Sum(ld)/float64(n)
		// J ⊃ −β H: ∂/∂θ [−β H(μ_{k+1}) + β H(T#μ_k)].
		m.EntropyVJP(tmp, theta)
		floats.AddScaled(gtheta, hT-gm.H[k+1], tmp)
		Jy -= beta * gm.H[k+1]
		JT -= beta * hT
	}
	W := sqMean(D, n) / (2 * tau)
	return Jy - JT - W, JT + W, nil
}

// proximal improves the particle map's displacements D (n×d) of the n
// points x of snapshot k towards the best response
// D = argmin J_θ((x + D)#μ) + E‖D‖²/2τ by iters iterations of the
// implicit-step solver (sim.ImplicitRefine) on its optimality condition
// D = −τ ∇J(x + D): per-particle Newton steps that descend
// V(x + D) + ‖D‖²/2τ when the energy is a potential alone, and
// Levenberg–Marquardt steps on the condition's residual with interaction
// terms.
func (gm *game) proximal(D []float64, k int, x []float64, n int, theta []float64, iters int) error {
	tau := gm.s.Times[k+1] - gm.s.Times[k]
	y := make([]float64, len(D))
	for i := range y {
		y[i] = x[i] + D[i]
	}
	if _, err := sim.ImplicitRefine(energyField{gm.m, theta}, y, x, n, gm.s.Times[k], tau, iters); err != nil {
		return fmt.Errorf("the particles' best responses: %v", err)
	}
	for i := range D {
		D[i] = y[i] - x[i]
	}
	if !finite.All(D) {
		return errors.New("the particles' displacements became non-finite")
	}
	return nil
}

// energyField is the gradient flow of J_θ's potential and interaction
// terms, the dynamics whose implicit step is the particles' best response.
type energyField struct {
	m     *compile.Model
	theta []float64
}

func (f energyField) Dim() int      { return f.m.Dim }
func (f energyField) Beta() float64 { return 0 }

func (f energyField) Drift(dst, x []float64, n int, t float64) error {
	g := drift(f.m, x, n, t, f.theta)
	for i, v := range g {
		dst[i] = -v
	}
	return nil
}

// Potential is V(x_i, t) when J_θ has no interaction terms.
func (f energyField) Potential(dst, x []float64, n int, t float64) bool {
	if f.m.Has(compile.Interaction) {
		return false
	}
	if !f.m.Has(compile.Potential) {
		clear(dst[:n])
		return true
	}
	f.m.PotentialValue(dst, x, n, t, f.theta)
	return true
}

// pairCount is the number of distinct ordered pairs of n particles: the
// interaction energy ½ E U averages over the pairs j ≠ i, as the mean field
// (1/(n−1)) Σ_{j≠i} ∇U does.
func pairCount(n int) float64 { return float64(n) * float64(max(n-1, 1)) }

// drift returns ∇V(x_i, t) + (1/(n−1)) Σ_{j≠i} ∇U(x_i − x_j) for the n
// points x: n times the gradient of E V + ½ E U with respect to each point.
func drift(m *compile.Model, x []float64, n int, t float64, theta []float64) []float64 {
	g := make([]float64, n*m.Dim)
	m.PotentialGrad(g, x, n, t, theta)
	if m.Has(compile.Interaction) {
		gi := make([]float64, n*m.Dim)
		m.InteractionGrad(gi, x, n, x, n, theta)
		for i := range g {
			g[i] += gi[i]
		}
	}
	return g
}

func meanV(m *compile.Model, x []float64, n int, t float64, theta []float64) float64 {
	v := make([]float64, n)
	m.PotentialValue(v, x, n, t, theta)
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(n)
}

func sqMean(D []float64, n int) float64 {
	s := 0.0
	for _, v := range D {
		s += v * v
	}
	return s / float64(n)
}
