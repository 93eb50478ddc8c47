package jkonet

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/adam"
	"github.com/jko-org/jko/internal/finite"
	"github.com/jko-org/jko/solve/snapshot"
	"gonum.org/v1/gonum/optimize"
)

// Fit preprocesses the data and fits m with the method o.Method.
func Fit(m *compile.Model, s *snapshot.Snapshots, o Options) (*Result, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	method := o.Method
	if method == MethodAuto {
		switch {
		case m.LinearError() == nil:
			method = MethodLinear
		case m.NumParams <= MaxLBFGS:
			method = MethodLBFGS
		default:
			method = MethodAdam
		}
	}
	if err := tinyStepError(s); err != nil {
		return nil, err
	}
	evalAt := defaultEvalAt(o, m)
	prep, err := Prepare(m, s, o, evalAt)
	if err != nil {
		return nil, err
	}
	var fit func(*compile.Model, *Prepared, Options) (*Result, error)
	switch method {
	case MethodLinear:
		fit = FitLinear
	case MethodLBFGS:
		fit = FitLBFGS
	case MethodAdam:
		fit = FitAdam
	}
	res, err := fit(m, prep, o)
	if err == nil {
		start := time.Now()
		err = stepCheck(m, s, prep, o, res)
		if res.StepShift != nil {
			res.Times = append(res.Times, Stage{"step check", time.Since(start)})
		}
	}
	if err != nil || o.Bootstrap == 0 {
		return res, err
	}
	start := time.Now()
	res.Bootstrap, err = bootstrap(m, prep, o, o.Bootstrap, fit)
	if err != nil {
		return nil, err
	}
	res.Times = append(res.Times, Stage{"bootstrap", time.Since(start)})
	return res, nil
}

// lossGrad evaluates the loss and adds its gradient into grad on the pairs
// idx[s] of each step s (all pairs when idx is nil).
func lossGrad(m *compile.Model, prep *Prepared, theta, grad []float64, idx [][]int) float64 {
	return lossGradBuf(m, prep, theta, grad, idx, nil)
}

// batchBuffers holds a potential's gathered batch (lossGradPotential)
// from one call to the next, so that a training run allocates it once.
type batchBuffers struct{ x, c, tau, w, ts []float64 }

// lossGradBuf is lossGrad gathering the batch into buf (nil: new slices).
func lossGradBuf(m *compile.Model, prep *Prepared, theta, grad []float64, idx [][]int, buf *batchBuffers) float64 {
	if m.Has(compile.Potential) && !m.Has(compile.Interaction) && !m.Has(compile.Internal) {
		return lossGradPotential(m, prep, theta, grad, idx, buf)
	}
	return lossGradSeeded(m, prep, theta, grad, idx)
}

// lossGradSeeded is lossGrad for any drift: the drift at the pairs, then
// the vector–Jacobian products of each kind of term with the residuals'
// seeds.
func lossGradSeeded(m *compile.Model, prep *Prepared, theta, grad []float64, idx [][]int) float64 {
	d := m.Dim
	clear(grad)
	// Total weight of the selected pairs.
	wsum := 0.0
	for s := range prep.Steps {
		st := &prep.Steps[s]
		if idx == nil {
			for _, w := range st.W {
				wsum += w
			}
		} else {
			for _, i := range idx[s] {
				wsum += st.W[i]
			}
		}
	}
	if wsum == 0 {
		return 0
	}
	sum := 0.0
	tmp := make([]float64, len(grad))
	for s := range prep.Steps {
		st := &prep.Steps[s]
		sub := st
		if idx != nil {
			if len(idx[s]) == 0 {
				continue
			}
			sub = gather(st, idx[s], d)
		}
		dr := drift(m, sub, theta)
		seed := make([]float64, sub.N*d)
		for i := 0; i < sub.N; i++ {
			for k := 0; k < d; k++ {
				r := sub.Tau*dr[i*d+k] + sub.Delta[i*d+k]
				sum += sub.W[i] * r * r
				seed[i*d+k] = 2 * sub.W[i] * sub.Tau * r / wsum
			}
		}
		if m.Has(compile.Potential) {
			m.PotentialVJP(tmp, sub.P, seed, sub.N, sub.T, theta)
			addTo(grad, tmp)
		}
		if m.Has(compile.Interaction) {
			m.InteractionVJP(tmp, sub.P, seed, sub.N, sub.Cloud, sub.NC, theta)
			addTo(grad, tmp)
		}
		if m.Has(compile.Internal) {
			si := make([]float64, sub.N)
			for i := 0; i < sub.N; i++ {
				for k := 0; k < d; k++ {
					si[i] += seed[i*d+k] * sub.GradRho[i*d+k]
				}
			}
			m.InternalVJP(tmp, sub.Rho, si, sub.N, theta)
			addTo(grad, tmp)
		}
	}
	return sum / wsum
}

// lossGradPotential is lossGrad for a drift that is a potential's
// gradient alone: the loss and its gradient come from one pass over the
// pairs of all steps in one batch (compile.Model.PotentialLSQ, each pair
// with its step's τ and time).
func lossGradPotential(m *compile.Model, prep *Prepared, theta, grad []float64, idx [][]int, buf *batchBuffers) float64 {
	d := m.Dim
	n := 0
	for s := range prep.Steps {
		if idx == nil {
			n += prep.Steps[s].N
		} else {
			n += len(idx[s])
		}
	}
	if buf == nil {
		buf = new(batchBuffers)
	}
	x, c := sized(buf.x, n*d), sized(buf.c, n*d)
	tau, w := sized(buf.tau, n), sized(buf.w, n)
	var ts []float64
	if m.TimeDependent() {
		ts = sized(buf.ts, n)
	}
	wsum := 0.0
	for s := range prep.Steps {
		st := &prep.Steps[s]
		add := func(i int) {
			x = append(x, st.P[i*d:(i+1)*d]...)
			c = append(c, st.Delta[i*d:(i+1)*d]...)
			tau = append(tau, st.Tau)
			w = append(w, st.W[i])
			if ts != nil {
				ts = append(ts, st.T)
			}
			wsum += st.W[i]
		}
		if idx == nil {
			for i := range st.N {
				add(i)
			}
		} else {
			for _, i := range idx[s] {
				add(i)
			}
		}
	}
	if wsum == 0 {
		clear(grad)
		return 0
	}
	buf.x, buf.c, buf.tau, buf.w, buf.ts = x, c, tau, w, ts
	sum := m.PotentialLSQ(grad, x, tau, c, w, ts, n, theta)
	for j := range grad {
		grad[j] /= wsum
	}
	return sum / wsum
}

// sized returns s emptied, with room for n entries.
func sized(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, 0, n)
	}
	return s[:0]
}

// gather returns the step restricted to the pairs idx.
func gather(st *Step, idx []int, d int) *Step {
	out := &Step{K: st.K, Tau: st.Tau, T: st.T, N: len(idx), Cloud: st.Cloud, NC: st.NC, Source: st.Source, NS: st.NS}
	out.P = make([]float64, 0, len(idx)*d)
	out.Delta = make([]float64, 0, len(idx)*d)
	out.W = make([]float64, 0, len(idx))
	for _, i := range idx {
		out.P = append(out.P, st.P[i*d:(i+1)*d]...)
		out.Y = append(out.Y, st.Y[i*d:(i+1)*d]...)
		out.X = append(out.X, st.X[i*d:(i+1)*d]...)
		out.Delta = append(out.Delta, st.Delta[i*d:(i+1)*d]...)
		out.W = append(out.W, st.W[i])
	}
	if st.Rho != nil {
		out.Rho = make([]float64, 0, len(idx))
		out.GradRho = make([]float64, 0, len(idx)*d)
		for _, i := range idx {
			out.Rho = append(out.Rho, st.Rho[i])
			out.GradRho = append(out.GradRho, st.GradRho[i*d:(i+1)*d]...)
		}
	}
	return out
}

// ErrDiverged is wrapped by the error of a training run whose loss became
// NaN or exploded.
var ErrDiverged = errors.New("training diverged")

// FitAdam minimises the loss with Adam on mini-batches of pairs.
func FitAdam(m *compile.Model, prep *Prepared, o Options) (*Result, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	P := m.NumParams
	theta := m.InitTheta(o.Seed)
	lo, hi := bounds(m)
	project(theta, lo, hi)
	rng := rand.New(rand.NewPCG(o.Seed, 0xada))
	type ref struct{ s, i int }
	var all []ref
	for s, st := range prep.Steps {
		for i := 0; i < st.N; i++ {
			all = append(all, ref{s, i})
		}
	}
	bs := min(o.BatchSize, len(all))
	opt := adam.New(P)
	grad := make([]float64, P)
	bounded := boundedParams(lo, hi)
	idx := make([][]int, len(prep.Steps))
	buf := new(batchBuffers)
	lr, epochs := o.LR, o.Epochs
	res := &Result{Method: "adam", Names: m.ParamNames(), EvalAt: prep.EvalAt}
	first := math.NaN()
	for e := 0; e < epochs; e++ {
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		epochLoss, batches := 0.0, 0
		for b := 0; b < len(all); b += bs {
			for s := range idx {
				idx[s] = idx[s][:0]
			}
			for _, r := range all[b:min(b+bs, len(all))] {
				idx[r.s] = append(idx[r.s], r.i)
			}
			l := lossGradBuf(m, prep, theta, grad, idx, buf)
			if math.IsNaN(l) || math.IsInf(l, 0) || !clipFinite(grad, o.Clip) {
				return nil, fmt.Errorf("jkonet: adam: epoch %d: the loss became %v (learning rate %g may be too large, or τ too small for the data's displacements): %w", e+1, l, lr, ErrDiverged)
			}
			opt.Descend(theta, grad, lr)
			projectSome(theta, lo, hi, bounded)
			epochLoss += l
			batches++
		}
		epochLoss /= float64(batches)
		if math.IsNaN(first) {
			first = epochLoss
		} else if epochLoss > 1e6*first+1e6 {
			return nil, fmt.Errorf("jkonet: adam: epoch %d: the loss exploded from %.3g to %.3g (lower the learning rate): %w", e+1, first, epochLoss, ErrDiverged)
		}
		res.LossCurve = append(res.LossCurve, epochLoss)
		o.progress("epoch", e+1, epochs, epochLoss)
	}
	res.Theta = theta
	res.Loss = Loss(m, prep, theta)
	res.Iterations = epochs
	res.Converged, res.Status = adamSettled(res.LossCurve)
	if !res.Converged {
		res.Warnings = append(res.Warnings, "Adam: "+res.Status+"; train longer (more epochs) or raise the learning rate")
	}
	analyse(m, prep, res)
	res.Times = append(append(Timings{}, prep.Times...), Stage{"adam", time.Since(start)})
	return res, nil
}

// clipFinite reports whether every entry of g is finite and, when so,
// scales g down to norm c when it is longer. The sum of squares
// is finite only when every entry is, so the entries are checked one by
// one only when it is not (an overflow of finite entries).
func clipFinite(g []float64, c float64) bool {
	n := 0.0
	for _, v := range g {
		n += v * v
	}
	if (math.IsNaN(n) || math.IsInf(n, 0)) && !finite.All(g) {
		return false
	}
	n = math.Sqrt(n)
	if n > c {
		f := c / n
		for i := range g {
			g[i] *= f
		}
	}
	return true
}

// boundedParams lists the parameters with a finite bound, the only ones
// project moves.
func boundedParams(lo, hi []float64) []int {
	var out []int
	for j := range lo {
		if !math.IsInf(lo[j], -1) || !math.IsInf(hi[j], 1) {
			out = append(out, j)
		}
	}
	return out
}

// projectSome is project on the parameters js alone: the others are
// unbounded, where clamping leaves every value (NaN and ±0 included) as
// it is.
func projectSome(theta, lo, hi []float64, js []int) {
	for _, j := range js {
		theta[j] = math.Min(math.Max(theta[j], lo[j]), hi[j])
	}
}

func project(theta, lo, hi []float64) {
	for j := range theta {
		theta[j] = math.Min(math.Max(theta[j], lo[j]), hi[j])
	}
}

// FitLBFGS minimises the full-batch loss with L-BFGS (gonum/optimize).
// Bounded parameters are optimised through a smooth change of variables
// (θ = lo + eᵘ, hi − eᵘ, or lo + (hi − lo)·σ(u)), so they stay inside.
func FitLBFGS(m *compile.Model, prep *Prepared, o Options) (*Result, error) {
	o, err := o.resolve()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	P := m.NumParams
	lo, hi := bounds(m)
	theta0 := m.InitTheta(o.Seed)
	tr := transform{lo, hi}
	u0 := tr.inverse(theta0)
	res := &Result{Method: "lbfgs", Names: m.ParamNames(), EvalAt: prep.EvalAt}
	theta := make([]float64, P)
	g := make([]float64, P)
	evals := 0
	prob := optimize.Problem{
		Func: func(u []float64) float64 {
			tr.forward(theta, u)
			return Loss(m, prep, theta)
		},
		Grad: func(gu, u []float64) {
			tr.forward(theta, u)
			lossGrad(m, prep, theta, g, nil)
			tr.chain(gu, g, u)
		},
	}
	settings := &optimize.Settings{
		MajorIterations: o.MaxIter,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-14, Relative: 1e-10, Iterations: 20},
		Recorder:        lbfgsProgress{&o},
	}
	method := &optimize.LBFGS{}
	result, err := optimize.Minimize(prob, u0, settings, method)
	if result == nil {
		return nil, fmt.Errorf("jkonet: lbfgs: %v", err)
	}
	evals = result.Stats.FuncEvaluations
	tr.forward(theta, result.X)
	if math.IsNaN(result.F) || !finite.All(theta) {
		return nil, fmt.Errorf("jkonet: lbfgs: the loss became NaN after %d evaluations (check the spec's domain and the initial values): %w", evals, ErrDiverged)
	}
	res.Theta = theta
	res.Loss = Loss(m, prep, theta)
	res.LossCurve = []float64{result.F}
	res.Iterations = result.Stats.MajorIterations
	res.Status = result.Status.String()
	switch result.Status {
	case optimize.FunctionConvergence, optimize.GradientThreshold, optimize.StepConvergence:
		res.Converged = true
	default:
		msg := fmt.Sprintf("L-BFGS stopped without converging after %d iterations (%s)", res.Iterations, res.Status)
		if err != nil {
			msg += ": " + err.Error()
		}
		res.Warnings = append(res.Warnings, msg+"; allow more iterations or check the spec's scaling")
	}
	analyse(m, prep, res)
	res.Times = append(append(Timings{}, prep.Times...), Stage{"lbfgs", time.Since(start)})
	return res, nil
}

// lbfgsProgress reports each L-BFGS iteration to Options.Progress as
// stage "lbfgs", counting up to MaxIter (a converged run stops earlier).
type lbfgsProgress struct{ o *Options }

func (lbfgsProgress) Init() error { return nil }

func (r lbfgsProgress) Record(loc *optimize.Location, op optimize.Operation, st *optimize.Stats) error {
	if op == optimize.MajorIteration {
		r.o.progress("lbfgs", min(st.MajorIterations, r.o.MaxIter), r.o.MaxIter, loc.F)
	}
	return nil
}

// transform maps unconstrained u to θ inside its bounds.
type transform struct{ lo, hi []float64 }

func (t transform) forward(theta, u []float64) {
	for j, v := range u {
		l, h := t.lo[j], t.hi[j]
		switch {
		case math.IsInf(l, -1) && math.IsInf(h, 1):
			theta[j] = v
		case math.IsInf(h, 1):
			theta[j] = l + math.Exp(v)
		case math.IsInf(l, -1):
			theta[j] = h - math.Exp(v)
		default:
			theta[j] = l + (h-l)/(1+math.Exp(-v))
		}
	}
}

func (t transform) inverse(theta []float64) []float64 {
	u := make([]float64, len(theta))
	for j, v := range theta {
		l, h := t.lo[j], t.hi[j]
		switch {
		case math.IsInf(l, -1) && math.IsInf(h, 1):
			u[j] = v
		case math.IsInf(h, 1):
			u[j] = math.Log(math.Max(v-l, 1e-8))
		case math.IsInf(l, -1):
			u[j] = math.Log(math.Max(h-v, 1e-8))
		default:
			f := math.Min(math.Max((v-l)/(h-l), 1e-8), 1-1e-8)
			u[j] = math.Log(f / (1 - f))
		}
	}
	return u
}

func (t transform) chain(gu, g, u []float64) {
	for j, v := range u {
		l, h := t.lo[j], t.hi[j]
		switch {
		case math.IsInf(l, -1) && math.IsInf(h, 1):
			gu[j] = g[j]
		case math.IsInf(h, 1):
			gu[j] = g[j] * math.Exp(v)
		case math.IsInf(l, -1):
			gu[j] = -g[j] * math.Exp(v)
		default:
			s := 1 / (1 + math.Exp(-v))
			gu[j] = g[j] * (h - l) * s * (1 - s)
		}
	}
}

// adamSettled judges a mini-batch loss curve: settled when the mean loss
// of the last tenth of the epochs (at least 5) is within 1% of the tenth
// before it.
func adamSettled(curve []float64) (bool, string) {
	w := max(len(curve)/10, 5)
	if len(curve) < 2*w {
		return false, fmt.Sprintf("too few epochs (%d) to judge convergence", len(curve))
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	last, prev := mean(curve[len(curve)-w:]), mean(curve[len(curve)-2*w:len(curve)-w])
	change := (prev - last) / math.Max(math.Abs(prev), 1e-300)
	if change > 0.01 {
		return false, fmt.Sprintf("the loss still fell by %.2g%% over the last %d epochs", 100*change, w)
	}
	return true, fmt.Sprintf("the loss changed by %.2g%% over the last %d epochs", 100*change, w)
}
