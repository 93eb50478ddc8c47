package ijkonet

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/compile/eval"
	"github.com/jko-org/jko/compile/ir"
	"github.com/jko-org/jko/solve/jkonet"
	"github.com/jko-org/jko/solve/snapshot"
)

// Options configure Fit.
type Options struct {
	Epochs   int     // energy steps (default 300)
	MapSteps int     // map steps per energy step (default 5)
	LR       float64 // Adam learning rate of θ (default 0.01)
	MapLR    float64 // Adam learning rate of the maps (default 0.005)
	Widths   []int   // hidden widths of the maps' φ (default 32, 32)
	Seed     uint64
	// Progress, if set, is called after each epoch with the current gap.
	Progress func(epoch, epochs int, gap float64)
}

func (o *Options) defaults() {
	if o.Epochs <= 0 {
		o.Epochs = 300
	}
	if o.MapSteps <= 0 {
		o.MapSteps = 5
	}
	if o.LR <= 0 {
		o.LR = 0.01
	}
	if o.MapLR <= 0 {
		o.MapLR = 0.005
	}
	if len(o.Widths) == 0 {
		o.Widths = []int{32, 32}
	}
}

// ErrDiverged is wrapped by the error of a run whose objective became NaN
// or infinite.
var ErrDiverged = errors.New("training diverged")

// transport is one map T(x) = x + ∇φ(x) with its evaluators.
type transport struct {
	g      *ir.Graph
	params []ir.NodeID
	names  []string
	vals   [][]float64
	disp   *eval.Program // ∇φ(x)
	vjp    *eval.Program // Σ seedᵀ ∂∇φ/∂ψ
	adam   *adam
}

func newTransport(d int, widths []int, rng *rand.Rand) *transport {
	g := ir.New()
	x := g.Input("x", ir.Vector(d))
	phi, params := g.MLP(x, widths, "phi")
	grad := g.Grad(phi, x)[0]
	seed := g.Input("seed", ir.Vector(d))
	t := &transport{g: g, params: params}
	t.vals = g.InitMLP(params, rng)
	size := 0
	for i, p := range params {
		t.names = append(t.names, g.Node(p).Name)
		if g.Node(p).Name == "phi.w" {
			for j := range t.vals[i] {
				t.vals[i][j] *= 0.01 // start near the identity map
			}
		}
		size += len(t.vals[i])
	}
	t.disp = eval.Compile(g, []ir.NodeID{grad})
	t.vjp = eval.Compile(g, g.GradDot(grad, seed, params...))
	t.adam = newAdam(size)
	return t
}

func (t *transport) shared() map[string][]float64 {
	sh := map[string][]float64{}
	for i, n := range t.names {
		sh[n] = t.vals[i]
	}
	return sh
}

// displacement writes ∇φ(x_i) (n×d).
func (t *transport) displacement(dst, x []float64, n int) error {
	return t.disp.Run([][]float64{dst}, eval.Inputs{N: n, Varying: map[string][]float64{"x": x}, Shared: t.shared()})
}

// ascend takes one Adam step increasing the map objective, given its
// gradient seed with respect to the displacement of each particle.
func (t *transport) ascend(x, seed []float64, n int, lr float64) error {
	outs := make([][]float64, len(t.vals))
	for i, v := range t.vals {
		outs[i] = make([]float64, len(v))
	}
	if err := t.vjp.Reduce(outs, eval.Inputs{N: n, Varying: map[string][]float64{"x": x, "seed": seed}, Shared: t.shared()}, nil); err != nil {
		return err
	}
	var flat []float64
	for _, o := range outs {
		flat = append(flat, o...)
	}
	step := t.adam.step(flat, lr)
	off := 0
	for _, v := range t.vals {
		for j := range v {
			v[j] += step[off] // ascent
			off++
		}
	}
	return nil
}

// adam is the Adam update rule; step returns lr·m̂/(√v̂ + ε).
type adam struct {
	m, v []float64
	t    int
}

func newAdam(n int) *adam { return &adam{m: make([]float64, n), v: make([]float64, n)} }

func (a *adam) step(g []float64, lr float64) []float64 {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1, c2 := 1-math.Pow(b1, float64(a.t)), 1-math.Pow(b2, float64(a.t))
	out := make([]float64, len(g))
	for i, gi := range g {
		a.m[i] = b1*a.m[i] + (1-b1)*gi
		a.v[i] = b2*a.v[i] + (1-b2)*gi*gi
		out[i] = lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + eps)
	}
	return out
}

// Fit runs iJKOnet on the snapshots and returns θ (in the same Result type
// as JKOnet*, so the fitted spec is written the same way).
func Fit(m *compile.Model, s *snapshot.Snapshots, o Options) (*jkonet.Result, error) {
	o.defaults()
	if err := jkonet.Check(m, s); err != nil {
		return nil, err
	}
	if m.Has(compile.Interaction) || m.Has(compile.Internal) {
		return nil, errors.New("ijkonet: interaction and internal energies are not supported yet (potential terms only); use JKOnet* (--method auto) for them")
	}
	start := time.Now()
	d, P := m.Dim, m.NumParams
	rng := rand.New(rand.NewPCG(o.Seed, 0x696a6b6f))
	K := s.Len() - 1
	xs := make([][]float64, s.Len())
	ns := make([]int, s.Len())
	for k := range xs {
		r := s.X[k].RawMatrix()
		ns[k] = r.Rows
		xs[k] = make([]float64, 0, r.Rows*d)
		for i := 0; i < r.Rows; i++ {
			xs[k] = append(xs[k], r.Data[i*r.Stride:i*r.Stride+d]...)
		}
	}
	maps := make([]*transport, K)
	for k := range maps {
		maps[k] = newTransport(d, o.Widths, rng)
	}
	theta := m.InitTheta(o.Seed)
	lo, hi := make([]float64, P), make([]float64, P)
	for _, p := range m.Params {
		for j := 0; j < p.Size; j++ {
			lo[p.Offset+j], hi[p.Offset+j] = p.Lower, p.Upper
		}
	}
	opt := newAdam(P)
	res := &jkonet.Result{Method: "ijkonet", Names: m.ParamNames(), EvalAt: "-"}
	gtheta := make([]float64, P)
	tmp := make([]float64, P)
	for e := 0; e < o.Epochs; e++ {
		clear(gtheta)
		gap := 0.0
		for k := 0; k < K; k++ {
			n, x, tau, t1 := ns[k], xs[k], s.Times[k+1]-s.Times[k], s.Times[k+1]
			D := make([]float64, n*d)
			Tx := make([]float64, n*d)
			g := make([]float64, n*d)
			seed := make([]float64, n*d)
			for step := 0; step < o.MapSteps; step++ {
				if err := maps[k].displacement(D, x, n); err != nil {
					return nil, err
				}
				for i := range Tx {
					Tx[i] = x[i] + D[i]
				}
				m.PotentialGrad(g, Tx, n, t1, theta)
				// Maximise −E V(T x) − E‖∇φ‖²/2τ: d/dD = −(∇V(Tx) + D/τ)/n.
				for i := range seed {
					seed[i] = -(g[i] + D[i]/tau) / float64(n)
				}
				if err := maps[k].ascend(x, seed, n, o.MapLR); err != nil {
					return nil, err
				}
			}
			if err := maps[k].displacement(D, x, n); err != nil {
				return nil, err
			}
			for i := range Tx {
				Tx[i] = x[i] + D[i]
			}
			// ∂/∂θ [E_{μ_{k+1}} V − E V(T x)].
			m.PotentialValueVJP(tmp, xs[k+1], ns[k+1], t1, theta, nil)
			for j := range gtheta {
				gtheta[j] += tmp[j] / float64(ns[k+1])
			}
			m.PotentialValueVJP(tmp, Tx, n, t1, theta, nil)
			for j := range gtheta {
				gtheta[j] -= tmp[j] / float64(n)
			}
			gap += meanV(m, xs[k+1], ns[k+1], t1, theta) - meanV(m, Tx, n, t1, theta) - sqMean(D, n)/(2*tau)
		}
		if math.IsNaN(gap) || math.IsInf(gap, 0) || nonFinite(gtheta) {
			return nil, fmt.Errorf("ijkonet: epoch %d: the objective became %v (lower the learning rates, or check τ against the data's displacements): %w", e+1, gap, ErrDiverged)
		}
		step := opt.step(gtheta, o.LR)
		for j := range theta {
			theta[j] = math.Min(math.Max(theta[j]-step[j], lo[j]), hi[j])
		}
		res.LossCurve = append(res.LossCurve, gap)
		if o.Progress != nil {
			o.Progress(e+1, o.Epochs, gap)
		}
	}
	res.Theta = theta
	if n := len(res.LossCurve); n > 0 {
		res.Loss = res.LossCurve[n-1]
	}
	res.Times = jkonet.Timings{{Name: "ijkonet", Time: time.Since(start)}}
	return res, nil
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

func nonFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return true
		}
	}
	return false
}
