package ijkonet

import (
	"fmt"
	"math"
	"math/rand/v2"

	opt "github.com/jko-org/jko/internal/adam"
	"github.com/jko-org/jko/internal/eval"
	"github.com/jko-org/jko/internal/ir"
)

// MapKind selects the form of the transport maps.
type MapKind int

const (
	// Auto is Particles, or Gradient when the spec has an entropy term
	// (which needs the maps' Jacobian).
	Auto MapKind = iota
	// Gradient maps are T(x) = x + ∇φ(x) with φ a scalar softplus MLP: a
	// gradient displacement, as optimal transport maps are, with a
	// symmetric Jacobian.
	Gradient
	// Residual maps are T(x) = x + r(x) with r a vector-valued softplus
	// MLP.
	Residual
	// Particles gives every particle its own displacement, the best
	// response of the proximal step computed directly (Newton steps on
	// V(x + D) + ‖D‖²/2τ, or Levenberg–Marquardt steps on
	// D = −τ∇J(x + D) with interaction terms, warm-started between
	// epochs; see sim.ImplicitRefine): no network and
	// no map error, but no Jacobian either, so no entropy terms. For
	// potential and interaction energies the maps' maximisation separates
	// into one proximal problem per particle (given the others), so this is
	// the exact inner maximum the network maps approximate.
	Particles
)

// mover is a transport map as the energy step sees it.
type mover interface {
	displacement(dst, x []float64, n int, tau float64) error
	logDet(ld []float64, s [][]float64, x []float64, n int, tau, scale float64) error
}

// particleMap is a particle map's displacements for one batch.
type particleMap struct{ D []float64 }

func (p particleMap) displacement(dst, x []float64, n int, tau float64) error {
	copy(dst, p.D)
	return nil
}

func (p particleMap) logDet(ld []float64, s [][]float64, x []float64, n int, tau, scale float64) error {
	return fmt.Errorf("ijkonet: particle maps have no Jacobian")
}

func (k MapKind) String() string {
	switch k {
	case Auto:
		return "auto"
	case Residual:
		return "residual"
	case Particles:
		return "particles"
	}
	return "gradient"
}

// ParseMapKind reads "auto" (or ""), "gradient", "residual" or "particles".
func ParseMapKind(s string) (MapKind, error) {
	switch s {
	case "auto", "":
		return Auto, nil
	case "gradient":
		return Gradient, nil
	case "residual":
		return Residual, nil
	case "particles":
		return Particles, nil
	}
	return 0, fmt.Errorf("ijkonet: unknown map %q (want auto, gradient, residual or particles)", s)
}

// transport is one map T(x) = x + r(x) (or r(x, t) for a time-conditioned
// map) with its compiled evaluators.
type transport struct {
	d      int
	timed  bool
	params []ir.NodeID
	names  []string
	vals   [][]float64
	disp   *eval.Program // r(x)
	jac    *eval.Program // rows ∂r_a/∂x, a = 0..d−1 (nil without entropy)
	vjp    *eval.Program // ∂/∂ψ [seed·r + Σ_a s_a·∂r_a/∂x]
	adam   *adam
	size   int
}

// newTransport builds a map in d dimensions. timed adds the time as an
// input; logdet adds the Jacobian and the log-determinant's gradient.
func newTransport(d int, kind MapKind, widths []int, timed, logdet bool, rng *rand.Rand) *transport {
	g := ir.New()
	x := g.Input("x", ir.Vector(d))
	in := x
	if timed {
		in = g.Concat(x, g.Input("tau", ir.Vector(1)))
	}
	t := &transport{d: d, timed: timed}
	var r ir.NodeID
	small := ""
	switch kind {
	case Gradient:
		var phi ir.NodeID
		phi, t.params = g.MLP(in, widths, "phi")
		r = g.Grad(phi, x)[0]
		small = "phi.w"
	case Residual:
		h, n := in, g.Shape(in).Size()
		for l, w := range widths {
			W := g.Param(fmt.Sprintf("r.W%d", l+1), ir.Matrix(w, n))
			b := g.Param(fmt.Sprintf("r.b%d", l+1), ir.Vector(w))
			t.params = append(t.params, W, b)
			h = g.Softplus(g.Add(g.MatVec(W, h), b))
			n = w
		}
		W := g.Param("r.Wout", ir.Matrix(d, n))
		b := g.Param("r.bout", ir.Vector(d))
		t.params = append(t.params, W, b)
		r = g.Add(g.MatVec(W, h), b)
		small = "r.Wout"
	}
	t.vals = g.InitMLP(t.params, rng)
	for i, p := range t.params {
		t.names = append(t.names, g.Node(p).Name)
		if g.Node(p).Name == small {
			for j := range t.vals[i] {
				t.vals[i][j] *= 0.01 // start near the identity map
			}
		}
		t.size += len(t.vals[i])
	}
	t.disp = eval.Compile(g, []ir.NodeID{r})
	seed := g.Input("seed", ir.Vector(d))
	obj := g.Dot(seed, r)
	if logdet {
		rows := make([]ir.NodeID, d)
		for a := range rows {
			rows[a] = g.Grad(g.Index(r, a), x)[0]
			s := g.Input(fmt.Sprintf("s%d", a), ir.Vector(d))
			obj = g.Add(obj, g.Dot(s, rows[a]))
		}
		t.jac = eval.Compile(g, rows)
	}
	t.vjp = eval.Compile(g, g.Grad(obj, t.params...))
	t.adam = newAdam(t.size)
	return t
}

func (t *transport) shared(tau float64) map[string][]float64 {
	sh := map[string][]float64{}
	for i, n := range t.names {
		sh[n] = t.vals[i]
	}
	if t.timed {
		sh["tau"] = []float64{tau}
	}
	return sh
}

// displacement writes r(x_i) (n×d).
func (t *transport) displacement(dst, x []float64, n int, tau float64) error {
	return t.disp.Run([][]float64{dst}, eval.Inputs{N: n, Varying: map[string][]float64{"x": x}, Shared: t.shared(tau)})
}

// logDet writes log|det ∇T(x_i)| into ld (n) and, unless s is nil, the
// rows of scale·(∇T)⁻ᵀ into s[a] (n×d each), the seeds of the
// log-determinant's gradient.
func (t *transport) logDet(ld []float64, s [][]float64, x []float64, n int, tau, scale float64) error {
	d := t.d
	rows := make([][]float64, d)
	for a := range rows {
		rows[a] = make([]float64, n*d)
	}
	if err := t.jac.Run(rows, eval.Inputs{N: n, Varying: map[string][]float64{"x": x}, Shared: t.shared(tau)}); err != nil {
		return err
	}
	J := make([]float64, d*d)
	inv := make([]float64, d*d)
	for i := 0; i < n; i++ {
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				J[a*d+b] = rows[a][i*d+b]
			}
			J[a*d+a]++
		}
		l, ok := logAbsDetInv(inv, J, d)
		if !ok {
			return fmt.Errorf("the map's Jacobian is singular at particle %d (the map folds)", i)
		}
		ld[i] = l
		if s == nil {
			continue
		}
		// (J⁻ᵀ)_{ab} = (J⁻¹)_{ba}.
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				s[a][i*d+b] = scale * inv[b*d+a]
			}
		}
	}
	return nil
}

// gradient adds ∂/∂ψ Σ_i [seed_i·r(x_i) + Σ_a s_a,i·∂r_a/∂x(x_i)] into dst
// (flat, in the order of vals). s may be nil.
func (t *transport) gradient(dst, x, seed []float64, s [][]float64, n int, tau float64) error {
	outs := make([][]float64, len(t.vals))
	for i, v := range t.vals {
		outs[i] = make([]float64, len(v))
	}
	in := map[string][]float64{"x": x, "seed": seed}
	if t.jac != nil {
		for a := 0; a < t.d; a++ {
			if s != nil {
				in[fmt.Sprintf("s%d", a)] = s[a]
			} else {
				in[fmt.Sprintf("s%d", a)] = make([]float64, n*t.d)
			}
		}
	}
	if err := t.vjp.Reduce(outs, eval.Inputs{N: n, Varying: in, Shared: t.shared(tau)}, nil); err != nil {
		return err
	}
	off := 0
	for _, o := range outs {
		for j, v := range o {
			dst[off+j] += v
		}
		off += len(o)
	}
	return nil
}

// ascend takes one Adam ascent step along the gradient g (flat).
func (t *transport) ascend(g []float64, lr float64) {
	step := t.adam.step(g, lr)
	off := 0
	for _, v := range t.vals {
		for j := range v {
			v[j] += step[off]
			off++
		}
	}
}

// logAbsDetInv returns log|det A| of the d×d row-major matrix A and writes
// A⁻¹ into inv, by Gaussian elimination with partial pivoting. ok is false
// for a singular (or non-finite) matrix.
func logAbsDetInv(inv, A []float64, d int) (float64, bool) {
	switch d {
	case 1:
		if A[0] == 0 || math.IsNaN(A[0]) {
			return 0, false
		}
		inv[0] = 1 / A[0]
		return math.Log(math.Abs(A[0])), true
	case 2:
		det := A[0]*A[3] - A[1]*A[2]
		if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
			return 0, false
		}
		inv[0], inv[1], inv[2], inv[3] = A[3]/det, -A[1]/det, -A[2]/det, A[0]/det
		return math.Log(math.Abs(det)), true
	}
	a := append([]float64(nil), A...)
	for i := range inv {
		inv[i] = 0
	}
	for i := 0; i < d; i++ {
		inv[i*d+i] = 1
	}
	logdet := 0.0
	for c := 0; c < d; c++ {
		p := c
		for r := c + 1; r < d; r++ {
			if math.Abs(a[r*d+c]) > math.Abs(a[p*d+c]) {
				p = r
			}
		}
		piv := a[p*d+c]
		if piv == 0 || math.IsNaN(piv) || math.IsInf(piv, 0) {
			return 0, false
		}
		if p != c {
			for j := 0; j < d; j++ {
				a[p*d+j], a[c*d+j] = a[c*d+j], a[p*d+j]
				inv[p*d+j], inv[c*d+j] = inv[c*d+j], inv[p*d+j]
			}
		}
		logdet += math.Log(math.Abs(piv))
		for j := 0; j < d; j++ {
			a[c*d+j] /= piv
			inv[c*d+j] /= piv
		}
		for r := 0; r < d; r++ {
			if r == c {
				continue
			}
			f := a[r*d+c]
			if f == 0 {
				continue
			}
			for j := 0; j < d; j++ {
				a[r*d+j] -= f * a[c*d+j]
				inv[r*d+j] -= f * inv[c*d+j]
			}
		}
	}
	return logdet, true
}

// adam is the Adam update rule that JKOnet* uses too (internal/adam);
// step returns lr·m̂/(√v̂ + ε).
type adam struct{ *opt.Adam }

func newAdam(n int) *adam { return &adam{opt.New(n)} }

func (a *adam) step(g []float64, lr float64) []float64 { return a.Step(g, lr) }
