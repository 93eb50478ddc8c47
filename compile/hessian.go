package compile

import (
	"sync"

	"github.com/jko-org/jko/internal/eval"
	"github.com/jko-org/jko/internal/ir"
)

// curvature holds the programs of the potential's value with its first
// and second x-derivatives, evaluated in one pass (the implicit step's
// Newton solve needs all three at the same points).
type curvature struct {
	vgOnce, vghOnce sync.Once
	vg, vgh         *eval.Program // V, ∇V; V, ∇V, ∇²V
}

// PotentialValueGrad writes Σ V(x_i, t) into val (n) and Σ ∇ₓV(x_i, t)
// into grad (n×d) for the n points x (n×d), from one program: the value
// and gradient share their forward pass.
func (m *Model) PotentialValueGrad(val, grad, x []float64, n int, t float64, theta []float64) {
	d := m.Dim
	checkLen("val", val, n)
	checkLen("grad", grad, n*d)
	checkLen("x", x, n*d)
	if !m.Has(Potential) {
		clear(val[:n])
		clear(grad[:n*d])
		return
	}
	m.curv.vgOnce.Do(func() {
		a := m.agg[Potential]
		m.curv.vg = eval.Compile(m.g, []ir.NodeID{a.value, a.grad})
	})
	must(m.curv.vg.Run([][]float64{val[:n], grad[:n*d]}, eval.Inputs{N: n,
		Varying: map[string][]float64{"x": x[:n*d]}, Shared: m.shared(theta, t)}))
}

// PotentialHessian writes Σ V(x_i, t) into val (n), Σ ∇ₓV(x_i, t) into
// grad (n×d) and the Hessian Σ ∇ₓ²V(x_i, t) into hess (n×d×d, each
// particle's d×d matrix row-major) for the n points x (n×d). The Hessian
// is the symbolic derivative of the gradient (row j is the gradient of
// ∂V/∂x_j, by reverse mode on the gradient's graph), so it is exact up to
// rounding; where V is not twice differentiable (relu, abs) it takes the
// subgradients' derivatives, 0 at the kinks.
func (m *Model) PotentialHessian(val, grad, hess, x []float64, n int, t float64, theta []float64) {
	d := m.Dim
	checkLen("val", val, n)
	checkLen("grad", grad, n*d)
	checkLen("hess", hess, n*d*d)
	checkLen("x", x, n*d)
	if !m.Has(Potential) {
		clear(val[:n])
		clear(grad[:n*d])
		clear(hess[:n*d*d])
		return
	}
	m.curv.vghOnce.Do(func() {
		g := m.g.Clone()
		a := m.agg[Potential]
		rows := make([]ir.NodeID, d)
		for j := range rows {
			rows[j] = g.Grad(g.Index(a.grad, j), m.x)[0]
		}
		m.curv.vgh = eval.Compile(g, []ir.NodeID{a.value, a.grad, g.Concat(rows...)})
	})
	must(m.curv.vgh.Run([][]float64{val[:n], grad[:n*d], hess[:n*d*d]}, eval.Inputs{N: n,
		Varying: map[string][]float64{"x": x[:n*d]}, Shared: m.shared(theta, t)}))
}
