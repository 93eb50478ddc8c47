// Package adam is the Adam update rule (Kingma & Ba, 2015) that every
// gradient-trained fit in jko uses: JKOnet*'s mini-batch training of a
// spec's parameters and iJKOnet's training of the energy and of the
// transport maps.
package adam

import "math"

// The moment decay rates and the denominator's ε of Kingma & Ba.
const (
	beta1   = 0.9
	beta2   = 0.999
	epsilon = 1e-8
)

// Adam holds the moment estimates of n parameters.
type Adam struct {
	m, v []float64
	t    int
}

// New returns the optimiser of n parameters, at its first step.
func New(n int) *Adam { return &Adam{m: make([]float64, n), v: make([]float64, n)} }

// Step updates the moments with the gradient g and returns the step
// lr·m̂/(√v̂ + ε) of each parameter (to subtract from it).
func (a *Adam) Step(g []float64, lr float64) []float64 {
	out := make([]float64, len(g))
	c1, c2 := a.next()
	for i, gi := range g {
		out[i] = a.step(i, gi, lr, c1, c2)
	}
	return out
}

// Descend updates the moments with the gradient g and moves θ by the step,
// θ ← θ − lr·m̂/(√v̂ + ε), in place.
func (a *Adam) Descend(theta, g []float64, lr float64) {
	c1, c2 := a.next()
	// The same arithmetic as step, on slices of one length (no bounds
	// checks, the moments in registers).
	m, v, theta := a.m[:len(g)], a.v[:len(g)], theta[:len(g)]
	for i, gi := range g {
		mi := beta1*m[i] + (1-beta1)*gi
		vi := beta2*v[i] + (1-beta2)*gi*gi
		m[i], v[i] = mi, vi
		theta[i] -= lr * (mi / c1) / (math.Sqrt(vi/c2) + epsilon)
	}
}

// next counts a step and returns the moments' bias corrections.
func (a *Adam) next() (c1, c2 float64) {
	a.t++
	return 1 - math.Pow(beta1, float64(a.t)), 1 - math.Pow(beta2, float64(a.t))
}

// step updates parameter i's moments with its gradient gi and returns its
// step.
func (a *Adam) step(i int, gi, lr, c1, c2 float64) float64 {
	a.m[i] = beta1*a.m[i] + (1-beta1)*gi
	a.v[i] = beta2*a.v[i] + (1-beta2)*gi*gi
	return lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + epsilon)
}
