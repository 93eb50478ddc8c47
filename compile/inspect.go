package compile

import (
	"fmt"

	"github.com/jko-org/jko/internal/finite"
	"github.com/jko-org/jko/internal/ir"
	"github.com/jko-org/jko/lang"
)

// This file holds what a reader of one term needs (jko check): its
// derivatives as text and its value at one point, by the graph's reference
// evaluator. The solvers use the batched evaluators instead.

// TermPoint is where EvalTerm evaluates a term. X is the point x of a
// potential and z = x − y of an interaction (Dim values; nil means the
// origin); T is the time of a time-dependent potential; Rho is the density
// at which an internal energy is evaluated.
type TermPoint struct {
	X      []float64
	T, Rho float64
}

// TermValue is a term evaluated at one point.
type TermValue struct {
	// Value is V(x[, t]), U(z) or f(ρ).
	Value float64
	// Grad is ∇ₓV or ∇_zU (Dim values) or, for an internal energy, f″(ρ)
	// (one value).
	Grad []float64
	// NonFinite is set when Value or Grad holds a NaN or ±Inf: the first
	// place where one arose.
	NonFinite *NonFinite
}

// NonFinite is the first sub-expression, in evaluation order, whose value
// is NaN or ±Inf while its operands are finite.
type NonFinite struct {
	Pos   lang.Pos  // where in the spec it was written
	Expr  string    // the sub-expression as text
	Value []float64 // its value
}

// TermText returns the derivatives of term i as text of the language: grad
// is ∇ₓV or ∇_zU, or f″(ρ) for an internal energy; deriv is f′(ρ) for an
// internal energy and "" otherwise. Both read as expressions of the term's
// arguments and parameters, so they parse and check as a spec's body.
func (m *Model) TermText(i int) (grad, deriv string, err error) {
	if err := m.checkTerm(i); err != nil {
		return "", "", err
	}
	t := &m.Terms[i]
	if t.deriv != ir.None {
		deriv = m.g.String(t.deriv)
	}
	return m.g.String(t.grad), deriv, nil
}

// EvalTerm evaluates term i and its derivative at one point with
// parameters theta (NumParams values). It walks the graph node by node
// (the reference evaluator), which is slow but exact to the definition: it
// is for looking at one term, not for fitting.
func (m *Model) EvalTerm(i int, theta []float64, at TermPoint) (TermValue, error) {
	if err := m.checkTerm(i); err != nil {
		return TermValue{}, err
	}
	env, err := m.env(theta, at)
	if err != nil {
		return TermValue{}, err
	}
	t := &m.Terms[i]
	tv := TermValue{Value: m.g.Eval(t.value, env)[0], Grad: m.g.Eval(t.grad, env)}
	if !finite.All([]float64{tv.Value}) || !finite.All(tv.Grad) {
		tv.NonFinite = firstNonFinite(m.g, []ir.NodeID{t.value, t.grad}, env)
	}
	return tv, nil
}

func (m *Model) checkTerm(i int) error {
	if i < 0 || i >= len(m.Terms) {
		return fmt.Errorf("compile: term %d of a model with %d terms", i, len(m.Terms))
	}
	return nil
}

// env binds the graph's inputs and parameters for the reference evaluator.
func (m *Model) env(theta []float64, at TermPoint) (map[string][]float64, error) {
	if len(theta) != m.NumParams {
		return nil, fmt.Errorf("compile: %d parameter values for a model with %d", len(theta), m.NumParams)
	}
	x := at.X
	if x == nil {
		x = make([]float64, m.Dim)
	}
	if len(x) != m.Dim {
		return nil, fmt.Errorf("compile: a point of %d coordinates for a model at d = %d", len(x), m.Dim)
	}
	env := map[string][]float64{"t": {at.T}, "rho": {at.Rho}, "x": x, "z": x}
	for _, p := range m.Params {
		env[p.Name] = theta[p.Offset : p.Offset+p.Size]
	}
	return env, nil
}

// firstNonFinite finds the first node reachable from roots (in evaluation
// order) whose value is not finite while its operands are.
func firstNonFinite(g *ir.Graph, roots []ir.NodeID, env map[string][]float64) *NonFinite {
	reach := g.Reachable(roots...)
	memo := map[ir.NodeID][]float64{}
	for id := range reach {
		if !reach[id] {
			continue
		}
		nid := ir.NodeID(id)
		v := g.Eval(nid, env)
		memo[nid] = v
		if finite.All(v) {
			continue
		}
		bad := false
		for _, a := range g.Node(nid).Args {
			if !finite.All(memo[a]) {
				bad = true
			}
		}
		if !bad {
			n := g.Node(nid)
			var pos lang.Pos
			if n.Pos.IsValid() {
				pos = lang.Pos{Filename: n.Pos.Filename, Line: n.Pos.Line, Column: n.Pos.Col}
			}
			return &NonFinite{Pos: pos, Expr: g.String(nid), Value: v}
		}
	}
	return nil
}
