package ijkonet

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/finite"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/floats"
)

// Options configure Fit. The zero value selects the defaults; a negative
// or non-finite setting is an error (Fit reports it; see Check).
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
	// AllParticles, uses every particle, one step per epoch. An epoch
	// takes as many steps as the largest snapshot holds batches.
	// Interaction energies cost Batch² pairs per snapshot and step. The
	// default (0) is NeuralBatch for specs with more than
	// jkonet.MaxLBFGS parameters (neural terms), whose accuracy is
	// limited by the number of Adam steps, InteractionBatch for other
	// specs with interaction terms, and every particle otherwise: with few
	// parameters, full-batch gradients avoid the bias mini-batches leave
	// (θ depends on the snapshots' moments through factors of 1/τ). The batch
	// of μ_{k+1} is the partners of μ_k's under the optimal plan (computed
	// once; the assignment when the two hold as many particles, else each
	// partner drawn from the plan's row): each batch is still a uniform
	// draw, so the objective is unchanged,
	// and on unpaired snapshots the gradient's noise falls 100–250-fold
	// (TestGradientNoise).
	Batch int
	// Holdout is the fraction of each snapshot's particles set aside to
	// choose θ: every SelectEvery epochs the gap is measured on them (the
	// maps' best responses refined for them, θ unchanged), and Fit
	// returns the θ whose held-out gap was smallest (Result.Status names
	// its epoch). The gap is bounded below by −W2²(μ_k, μ_{k+1})/2τ, with
	// equality at an energy whose JKO step carries μ_k to μ_{k+1}, so on
	// particles the fit has not seen it is an honest score of θ. 0 (the
	// default) holds none out and returns the last epoch's θ. It costs
	// about a fifth more time and a fifth of the training particles (at 0.2),
	// and on the benchmark's unpaired snapshots it did not help (see
	// BENCHMARKS.md), so it is not the default.
	Holdout float64
	// SelectEvery is the number of epochs between held-out gaps (default
	// 10).
	SelectEvery int
	Seed        uint64
	// Bootstrap is the number of refits to half-samples of the particles
	// that solve.Fit runs after the fit (Bootstrap; 0: none). Fit itself
	// does not read it.
	Bootstrap int
	// Progress, if set, is called after each epoch.
	Progress func(Progress)
}

// AllParticles as Options.Batch uses every particle of each snapshot in
// each step: one step per epoch.
const AllParticles = -1

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
	// Theta is θ after the epoch (Fit's own slice: read it, do not keep
	// or change it).
	Theta []float64
}

// Check reports the first setting of o that is invalid: a negative count
// (Batch below AllParticles), a negative or non-finite learning rate, a
// width below 1, or an unknown map form. Zero settings are valid: they
// select the defaults.
func (o Options) Check() error {
	switch {
	case o.Epochs < 0:
		return fmt.Errorf("ijkonet: Epochs %d: want a positive count, or 0 for the default", o.Epochs)
	case o.MapSteps < 0:
		return fmt.Errorf("ijkonet: MapSteps %d: want a positive count, or 0 for the default", o.MapSteps)
	case o.Batch < AllParticles:
		return fmt.Errorf("ijkonet: Batch %d: want a positive count, 0 for the default or AllParticles (−1)", o.Batch)
	case o.SelectEvery < 0:
		return fmt.Errorf("ijkonet: SelectEvery %d: want a positive count, or 0 for the default", o.SelectEvery)
	case !(o.Holdout >= 0 && o.Holdout <= 0.5):
		return fmt.Errorf("ijkonet: Holdout %v: want a fraction in [0, 0.5] (0: none, the default)", o.Holdout)
	case o.Map < Auto || o.Map > Particles:
		return fmt.Errorf("ijkonet: Map %d: not a map form", int(o.Map))
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"LR", o.LR}, {"FinalLR", o.FinalLR}, {"MapLR", o.MapLR}} {
		if !(r.v >= 0) || math.IsInf(r.v, 1) {
			return fmt.Errorf("ijkonet: %s %v: want a positive, finite learning rate, or 0 for the default", r.name, r.v)
		}
	}
	for i, w := range o.Widths {
		if w < 1 {
			return fmt.Errorf("ijkonet: Widths[%d] = %d: hidden widths must be at least 1", i, w)
		}
	}
	return nil
}

// WithDefaults returns o with every zero setting replaced by its default
// for the model m (the settings Fit runs with). Invalid settings (see
// Check) are left as they are.
func (o Options) WithDefaults(m *compile.Model) Options {
	neural := m.NumParams > jkonet.MaxLBFGS
	if o.Epochs == 0 {
		o.Epochs = 1000
		if neural {
			o.Epochs = 300
		}
	}
	if o.LR == 0 {
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
			o.Batch = AllParticles
		}
	}
	if o.MapSteps == 0 {
		o.MapSteps = 5
		if o.Map == Particles {
			o.MapSteps = 1
		}
	}
	if o.FinalLR == 0 {
		o.FinalLR = o.LR / 100
	}
	if o.MapLR == 0 {
		o.MapLR = 0.005
	}
	if len(o.Widths) == 0 {
		o.Widths = []int{32, 32}
	}
	if o.SelectEvery == 0 {
		o.SelectEvery = 10
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
// Kozachenko–Leonenko. Other internal energies are refused, as are
// invalid options (see Options.Check).
func Fit(m *compile.Model, s *snapshot.Snapshots, o Options) (*jkonet.Result, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	o = o.WithDefaults(m)
	if err := checkModel(m, s, o); err != nil {
		return nil, err
	}
	start := time.Now()
	tr, err := newTrainer(m, s, o)
	if err != nil {
		return nil, err
	}
	res := &jkonet.Result{Method: "ijkonet", Names: m.ParamNames(), Scheme: compile.Implicit}
	for e := 0; e < o.Epochs; e++ {
		gap, mapLoss, err := tr.epoch(e)
		if err != nil {
			return nil, err
		}
		if tr.validating() && ((e+1)%o.SelectEvery == 0 || e == o.Epochs-1) {
			if err := tr.selectTheta(e); err != nil {
				return nil, err
			}
		}
		res.LossCurve = append(res.LossCurve, gap)
		res.MapLossCurve = append(res.MapLossCurve, mapLoss)
		if o.Progress != nil {
			o.Progress(Progress{Epoch: e + 1, Epochs: o.Epochs, Gap: gap, MapLoss: mapLoss, Elapsed: time.Since(start), Theta: tr.theta})
		}
	}
	res.Theta = tr.theta
	if n := len(res.LossCurve); n > 0 {
		res.Loss = res.LossCurve[n-1]
	}
	res.Iterations = o.Epochs
	if tr.validating() {
		res.Theta = tr.best
		res.Loss = res.LossCurve[tr.bestEpoch]
		res.Status = fmt.Sprintf("θ of epoch %d of %d, whose gap on the held-out %.3g of each snapshot's particles was the smallest (%.6g)", tr.bestEpoch+1, o.Epochs, o.Holdout, tr.bestGap)
	}
	if w := stiffnessWarning(m, s, res.Theta); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	res.Times = jkonet.Timings{{Name: "ijkonet", Time: time.Since(start)}}
	return res, nil
}

// checkModel refuses what iJKOnet cannot fit: snapshots the spec does not
// fit (jkonet.Check), a spec that declares the explicit step, internal
// energies other than an entropy, and entropy with particle maps.
func checkModel(m *compile.Model, s *snapshot.Snapshots, o Options) error {
	if err := jkonet.Check(m, s); err != nil {
		return err
	}
	if m.SchemeDeclared && m.Scheme == compile.Explicit {
		return errors.New("ijkonet: the spec declares step explicit, but iJKOnet fits the implicit (JKO) step; remove the declaration or write step implicit (JKOnet* fits either)")
	}
	if !m.Has(compile.Internal) {
		return nil
	}
	theta := m.InitTheta(o.Seed)
	probe := append([]float64(nil), theta...)
	for j := range probe {
		probe[j] += 0.37 + 0.01*float64(j)
	}
	_, ok1 := m.Entropy(theta)
	_, ok2 := m.Entropy(probe)
	if !ok1 || !ok2 {
		return errors.New("ijkonet: the internal energy is not an entropy f(ρ) = β ρ log(ρ); iJKOnet evaluates internal energies through the change of variables, which needs that form (use JKOnet*, --method auto, for other internal energies)")
	}
	if o.Map == Particles {
		return errors.New("ijkonet: particle maps have no Jacobian, so the entropy term cannot be pushed forward; use gradient or residual maps for specs with an internal energy")
	}
	return nil
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
	if p, ok := tr.(particleMap); ok {
		D = p.D[:n*d] // read only
	} else {
		D = make([]float64, n*d)
		if err := tr.displacement(D, x, n, gm.normTime(k)); err != nil {
			return nil, nil, err
		}
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
	Jy := m.PotentialValueVJP(tmp, y, ny, t1, theta, nil) / float64(ny)
	floats.AddScaled(gtheta, 1/float64(ny), tmp)
	JT := m.PotentialValueVJP(tmp, Tx, n, t1, theta, nil) / float64(n)
	floats.AddScaled(gtheta, -1/float64(n), tmp)
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
// terms. y is scratch of D's length.
func (gm *game) proximal(D, y []float64, k int, x []float64, n int, theta []float64, iters int) error {
	tau := gm.s.Times[k+1] - gm.s.Times[k]
	y = y[:len(D)]
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

// PotentialDerivatives gives V, ∇V and ∇²V when J_θ has no interaction
// terms, so the best responses' Newton steps use the exact Hessian.
func (f energyField) PotentialDerivatives(v, g, h, x []float64, n int, t float64) bool {
	if f.m.Has(compile.Interaction) {
		return false
	}
	if h == nil {
		f.m.PotentialValueGrad(v, g, x, n, t, f.theta)
	} else {
		f.m.PotentialHessian(v, g, h, x, n, t, f.theta)
	}
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
