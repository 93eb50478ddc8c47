package compile

import "github.com/jko-org/jko/internal/ir"

// HessVecForTest returns ∇ₓ(s·∇ₓV) of term i at one point x (Dim values),
// built by GradDot in a clone of the model's graph and evaluated by the
// reference evaluator: the tests of package compile_test compare it with
// finite differences of the batched gradient.
func HessVecForTest(m *Model, i int, x, s []float64, t float64, theta []float64) []float64 {
	g := m.g.Clone()
	sn := g.Input("s", ir.Vector(m.Dim))
	hv := g.GradDot(m.Terms[i].grad, sn, m.x)[0]
	env, err := m.env(theta, TermPoint{X: x, T: t})
	if err != nil {
		panic(err)
	}
	env["s"] = s
	return g.Eval(hv, env)
}
