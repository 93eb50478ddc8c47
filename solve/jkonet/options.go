package jkonet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Options configure Prepare and Fit. The zero value of every field is the
// reference setting that DefaultOptions spells out (method auto, exact
// couplings, gmm:10 densities, 200 epochs of 256 pairs at learning rate
// 0.001 with gradients clipped at norm 10, 500 L-BFGS iterations, the
// ridge chosen from the data): Options{} is the JKOnet* reference fit. A
// negative count or rate is an error, never replaced by a default.
type Options struct {
	// Method is the optimiser: MethodAuto (the zero value), MethodLinear,
	// MethodLBFGS or MethodAdam.
	Method Method
	// Ridge is the closed form's ridge, relative to the diagonal of the
	// normal matrix: the zero value (RidgeAuto) chooses it from the data,
	// RidgeFixed(r) sets it, RidgeFixed(0) is the exact solve.
	Ridge Ridge
	// Couplings pairs consecutive snapshots: Exact (the zero value),
	// Sinkhorn(ε) or MiniBatch(B) (exact OT on random batches of B
	// points, ot.MiniBatch).
	Couplings Couplings
	// Density estimates the snapshots' densities for internal energies:
	// GMM(K) (a K-component Gaussian mixture; the zero value is the
	// reference's GMM(10)) or KDE().
	Density Density
	// EvalAt is "x" (explicit) or "y" (implicit); "" is y for a spec that
	// declares step implicit and x otherwise.
	EvalAt string
	// DensityAt is where the internal energy's term f″(ρ)∇ρ is taken: "x"
	// (density of snapshot k at x), "y" (density of snapshot k+1 at y, what
	// the reference does even for its explicit linear fits) or "" to
	// follow EvalAt. On data from an explicit Euler–Maruyama scheme the
	// consistent choice recovers β markedly better (styblinski_tang with
	// β = 0.1: 0.091 at x against 0.144 with the reference's mix).
	DensityAt string
	// BetaFrom is how the closed form estimates the β of an entropy term
	// (f = βρ log ρ) when the drift is evaluated at x: BetaResidual (the
	// zero value) or BetaScore.
	BetaFrom BetaFrom
	Seed     uint64
	// betaPinned: fit with the entropy's β held at 0, without estimating
	// it (the simulated refits of residualBeta).
	betaPinned bool

	// Gradient-based training; 0 is the default of each.
	Epochs    int     // passes over the pairs (Adam; default 200)
	BatchSize int     // pairs per Adam step (default 256)
	LR        float64 // Adam learning rate (default 0.001)
	// Clip is the gradient-norm clip of Adam's steps (default 10);
	// math.Inf(1) clips nothing.
	Clip    float64
	MaxIter int // L-BFGS iterations (default 500)

	// Bootstrap, when at least 2, refits to that many resamplings of the
	// coupling pairs (with replacement, per step) and reports the spread of
	// θ in Result.Bootstrap: an uncertainty for every method, valid where
	// the closed form's standard errors are not. Seeded by Seed; the
	// replicates run in parallel with results independent of the cores.
	Bootstrap int

	// Progress, if set, is called as work advances: stage names the phase
	// ("couplings", "densities", "features", "solve", "lbfgs", "epoch"),
	// done/total count it, loss is the current loss where there is one
	// (else NaN).
	Progress func(stage string, done, total int, loss float64)
}

// DefaultOptions returns the settings of the JKOnet* reference, each
// field spelled out: what the zero Options means.
func DefaultOptions() Options {
	return Options{
		Method: MethodAuto, Ridge: RidgeAuto(), Couplings: Exact(), Density: GMM(10),
		Epochs: 200, BatchSize: 256, LR: 1e-3, Clip: 10, MaxIter: 500,
	}
}

// MaxLBFGS is the number of parameters above which MethodAuto prefers
// Adam.
const MaxLBFGS = 200

// resolve checks o and fills its zero fields with the reference settings.
func (o Options) resolve() (Options, error) {
	if err := o.check(); err != nil {
		return o, err
	}
	d := DefaultOptions()
	if o.Epochs == 0 {
		o.Epochs = d.Epochs
	}
	if o.BatchSize == 0 {
		o.BatchSize = d.BatchSize
	}
	if o.LR == 0 {
		o.LR = d.LR
	}
	if o.Clip == 0 {
		o.Clip = d.Clip
	}
	if o.MaxIter == 0 {
		o.MaxIter = d.MaxIter
	}
	return o, nil
}

// check rejects settings out of range.
func (o Options) check() error {
	if !o.Method.valid() {
		return fmt.Errorf("jkonet: unknown method %v", o.Method)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Epochs", o.Epochs}, {"BatchSize", o.BatchSize}, {"MaxIter", o.MaxIter}, {"Bootstrap", o.Bootstrap}} {
		if f.v < 0 {
			return fmt.Errorf("jkonet: %s %d: want a count ≥ 0 (0: the default)", f.name, f.v)
		}
	}
	if !(o.LR >= 0) || math.IsInf(o.LR, 0) {
		return fmt.Errorf("jkonet: learning rate %v: want a finite number ≥ 0 (0: the default %g)", o.LR, DefaultOptions().LR)
	}
	if !(o.Clip >= 0) {
		return fmt.Errorf("jkonet: gradient clip %v: want a number ≥ 0 (0: the default %g; +Inf: none)", o.Clip, DefaultOptions().Clip)
	}
	for _, f := range []struct{ name, v string }{{"EvalAt", o.EvalAt}, {"DensityAt", o.DensityAt}} {
		if f.v != "" && f.v != "x" && f.v != "y" {
			return fmt.Errorf("jkonet: %s %q: want x, y or \"\"", f.name, f.v)
		}
	}
	if o.BetaFrom != BetaResidual && o.BetaFrom != BetaScore {
		return fmt.Errorf("jkonet: unknown BetaFrom %d", int(o.BetaFrom))
	}
	return firstError(o.Ridge.check(), o.Couplings.check(), o.Density.check())
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (o *Options) progress(stage string, done, total int, loss float64) {
	if o.Progress != nil {
		o.Progress(stage, done, total, loss)
	}
}

// BetaFrom is how the closed form estimates an entropy term's β when the
// drift is evaluated at x.
type BetaFrom int

const (
	// BetaResidual, the zero value, takes β from the noise the coupled
	// pairs keep, corrected by simulation for the noise the coupling
	// removes (no density needed; see residualBeta). It needs the pairs,
	// not only their sums (Accumulator).
	BetaResidual BetaFrom = iota
	// BetaScore fits JKOnet*'s term β∇log ρ with the density estimate.
	BetaScore
)

// String is "residual" or "score".
func (b BetaFrom) String() string {
	switch b {
	case BetaResidual:
		return "residual"
	case BetaScore:
		return "score"
	}
	return "BetaFrom(" + strconv.Itoa(int(b)) + ")"
}

// Method is the optimiser of a JKOnet* fit.
type Method int

const (
	// MethodAuto, the zero value, is MethodLinear when every term is
	// affine in its parameters, else MethodLBFGS up to MaxLBFGS
	// parameters, else MethodAdam.
	MethodAuto Method = iota
	// MethodLinear is the closed form: one ridge-regularised linear solve
	// (FitLinear).
	MethodLinear
	// MethodLBFGS minimises the full-batch loss with L-BFGS (FitLBFGS).
	MethodLBFGS
	// MethodAdam minimises the loss with Adam on mini-batches of pairs
	// (FitAdam).
	MethodAdam
)

var methodNames = [...]string{MethodAuto: "auto", MethodLinear: "linear", MethodLBFGS: "lbfgs", MethodAdam: "adam"}

func (m Method) valid() bool { return m >= 0 && int(m) < len(methodNames) }

// ParseMethod reads a method by the name String gives it: auto, linear,
// lbfgs or adam.
func ParseMethod(s string) (Method, error) {
	for m, name := range methodNames {
		if name == s {
			return Method(m), nil
		}
	}
	return 0, fmt.Errorf("jkonet: unknown method %q (want auto, linear, lbfgs or adam)", s)
}

// String is the method's name: auto, linear, lbfgs or adam.
func (m Method) String() string {
	if m.valid() {
		return methodNames[m]
	}
	return "Method(" + strconv.Itoa(int(m)) + ")"
}

// MarshalText writes String, so a Method travels in JSON and flags.
func (m Method) MarshalText() ([]byte, error) {
	if !m.valid() {
		return nil, fmt.Errorf("jkonet: unknown method %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads what ParseMethod reads.
func (m *Method) UnmarshalText(b []byte) error {
	v, err := ParseMethod(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Couplings is how consecutive snapshots are paired: the exact optimal
// coupling (the zero value), an entropic one, or exact couplings of random
// mini-batches. Every coupling uses the squared Euclidean cost and drops
// the pairs of mass below 1/(10·max(n, m)), as the reference does.
type Couplings struct {
	kind  couplingKind
	eps   float64
	batch int
}

type couplingKind int

const (
	exactCoupling couplingKind = iota
	sinkhornCoupling
	miniBatchCoupling
)

// Exact is the exact optimal coupling (ot.Couple): the zero value, and the
// default.
func Exact() Couplings { return Couplings{} }

// Sinkhorn is the entropic coupling (log-domain Sinkhorn) with ε = eps
// relative to the mean squared distance between the snapshots, so that the
// setting does not depend on the data's units; eps must be > 0.
func Sinkhorn(eps float64) Couplings { return Couplings{kind: sinkhornCoupling, eps: eps} }

// MiniBatch is the exact coupling of random batches of about b ≥ 2 points
// (ot.MiniBatch), for clouds beyond the exact coupling's reach; it is
// biased (see BENCHMARKS.md).
func MiniBatch(b int) Couplings { return Couplings{kind: miniBatchCoupling, batch: b} }

// ParseCouplings reads couplings as String writes them: "exact",
// "sinkhorn:EPS" or "minibatch:B".
func ParseCouplings(s string) (Couplings, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch {
	case kind == "exact" && !hasArg:
		return Exact(), nil
	case kind == "sinkhorn" && hasArg:
		eps, err := strconv.ParseFloat(arg, 64)
		if c := Sinkhorn(eps); err == nil && c.check() == nil {
			return c, nil
		}
		return Couplings{}, fmt.Errorf("couplings %q: want sinkhorn:EPS with a finite EPS > 0", s)
	case kind == "minibatch" && hasArg:
		b, err := strconv.Atoi(arg)
		if c := MiniBatch(b); err == nil && c.check() == nil {
			return c, nil
		}
		return Couplings{}, fmt.Errorf("couplings %q: want minibatch:B with a batch size B ≥ 2", s)
	}
	return Couplings{}, fmt.Errorf("couplings %q: want exact, sinkhorn:EPS or minibatch:B", s)
}

// String is the couplings as ParseCouplings reads them.
func (c Couplings) String() string {
	switch c.kind {
	case sinkhornCoupling:
		return "sinkhorn:" + strconv.FormatFloat(c.eps, 'g', -1, 64)
	case miniBatchCoupling:
		return "minibatch:" + strconv.Itoa(c.batch)
	}
	return "exact"
}

// Epsilon returns the entropic coupling's relative ε and true, or 0 and
// false for other couplings.
func (c Couplings) Epsilon() (float64, bool) { return c.eps, c.kind == sinkhornCoupling }

// BatchSize returns the mini-batch coupling's batch size and true, or 0
// and false for other couplings.
func (c Couplings) BatchSize() (int, bool) { return c.batch, c.kind == miniBatchCoupling }

// MarshalText writes String, so Couplings travel in JSON and flags.
func (c Couplings) MarshalText() ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	return []byte(c.String()), nil
}

// UnmarshalText reads what ParseCouplings reads.
func (c *Couplings) UnmarshalText(b []byte) error {
	v, err := ParseCouplings(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// check rejects an ε that is not > 0 and finite, and a batch below 2.
func (c Couplings) check() error {
	switch c.kind {
	case exactCoupling:
		return nil
	case sinkhornCoupling:
		if !(c.eps > 0) || math.IsInf(c.eps, 0) {
			return fmt.Errorf("jkonet: Sinkhorn ε %v: want a finite number > 0", c.eps)
		}
		return nil
	case miniBatchCoupling:
		if c.batch < 2 {
			return fmt.Errorf("jkonet: mini-batch size %d: want at least 2", c.batch)
		}
		return nil
	}
	return fmt.Errorf("jkonet: unknown couplings kind %d", c.kind)
}

// Density is the density estimate of a snapshot that an internal energy's
// term f″(ρ)∇ρ needs: a Gaussian mixture or a kernel density estimate.
// The zero value is GMM(10), the JKOnet* reference's recipe.
type Density struct {
	kind densityKind
	k    int
}

type densityKind int

const (
	referenceGMM densityKind = iota // the zero value: GMM(10)
	gmmDensity
	kdeDensity
)

// GMM is a Gaussian mixture of k ≥ 1 components; GMM(10) is the JKOnet*
// reference recipe (degenerate components pruned), and the zero value.
func GMM(k int) Density {
	if k == 10 {
		return Density{}
	}
	return Density{kind: gmmDensity, k: k}
}

// KDE is a Gaussian kernel density estimate (density.FitKDE's bandwidth).
func KDE() Density { return Density{kind: kdeDensity} }

// ParseDensity reads a density estimate as String writes it: "gmm:K" (or
// "gmm", the reference's gmm:10) or "kde".
func ParseDensity(s string) (Density, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch {
	case kind == "kde" && !hasArg:
		return KDE(), nil
	case kind == "gmm" && !hasArg:
		return GMM(10), nil
	case kind == "gmm":
		k, err := strconv.Atoi(arg)
		if err != nil || k < 1 {
			return Density{}, fmt.Errorf("density %q: want gmm:K with K ≥ 1", s)
		}
		return GMM(k), nil
	}
	return Density{}, fmt.Errorf("density %q: want gmm:K or kde", s)
}

// Components returns the Gaussian mixture's number of components and true,
// or 0 and false for a kernel density estimate.
func (d Density) Components() (int, bool) {
	switch d.kind {
	case referenceGMM:
		return 10, true
	case gmmDensity:
		return d.k, true
	}
	return 0, false
}

// String is the density estimate as ParseDensity reads it: "gmm:K" or
// "kde".
func (d Density) String() string {
	if k, ok := d.Components(); ok {
		return "gmm:" + strconv.Itoa(k)
	}
	return "kde"
}

// MarshalText writes String, so a Density travels in JSON and flags.
func (d Density) MarshalText() ([]byte, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return []byte(d.String()), nil
}

// UnmarshalText reads what ParseDensity reads.
func (d *Density) UnmarshalText(b []byte) error {
	v, err := ParseDensity(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// check rejects a mixture of fewer than one component.
func (d Density) check() error {
	switch d.kind {
	case referenceGMM, kdeDensity:
		return nil
	case gmmDensity:
		if d.k < 1 {
			return fmt.Errorf("jkonet: a Gaussian mixture of %d components: want at least 1", d.k)
		}
		return nil
	}
	return fmt.Errorf("jkonet: unknown density kind %d", d.kind)
}
