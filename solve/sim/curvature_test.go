package sim

import (
	"errors"
	"math"
	"testing"
)

// bowl is V(x, t) = (1 + t)·(a x₀²/2 + b x₀x₁ + c x₁²/2) + s·cos(x₀)·sin(x₁)
// in 2-D, with its exact Hessian (CurvatureDynamics); it counts the
// evaluations of each kind.
type bowl struct {
	a, b, c, s float64
	calls      *bowlCalls
}

type bowlCalls struct{ drift, potential, derivs, hessians int }

func (bowl) Dim() int      { return 2 }
func (bowl) Beta() float64 { return 0 }

func (w bowl) grad(g, x []float64, t float64) {
	x0, x1 := x[0], x[1]
	g[0] = (1+t)*(w.a*x0+w.b*x1) - w.s*math.Sin(x0)*math.Sin(x1)
	g[1] = (1+t)*(w.b*x0+w.c*x1) + w.s*math.Cos(x0)*math.Cos(x1)
}

func (w bowl) value(x []float64, t float64) float64 {
	x0, x1 := x[0], x[1]
	return (1+t)*(w.a*x0*x0/2+w.b*x0*x1+w.c*x1*x1/2) + w.s*math.Cos(x0)*math.Sin(x1)
}

func (w bowl) Drift(dst, x []float64, n int, t float64) error {
	w.calls.drift++
	for i := 0; i < n; i++ {
		w.grad(dst[2*i:], x[2*i:], t)
		dst[2*i], dst[2*i+1] = -dst[2*i], -dst[2*i+1]
	}
	return nil
}

func (w bowl) Potential(dst, x []float64, n int, t float64) bool {
	w.calls.potential++
	for i := 0; i < n; i++ {
		dst[i] = w.value(x[2*i:], t)
	}
	return true
}

func (w bowl) PotentialDerivatives(v, g, h, x []float64, n int, t float64) bool {
	w.calls.derivs++
	if h != nil {
		w.calls.hessians++
	}
	for i := 0; i < n; i++ {
		xi := x[2*i:]
		v[i] = w.value(xi, t)
		w.grad(g[2*i:], xi, t)
		if h != nil {
			x0, x1 := xi[0], xi[1]
			hi := h[4*i : 4*i+4]
			hi[0] = (1+t)*w.a - w.s*math.Cos(x0)*math.Sin(x1)
			hi[1] = (1+t)*w.b - w.s*math.Sin(x0)*math.Cos(x1)
			hi[2] = hi[1]
			hi[3] = (1+t)*w.c - w.s*math.Cos(x0)*math.Sin(x1)
		}
	}
	return true
}

// bowlFD is the same dynamics without the exact Hessian: the solver falls
// back on finite differences of the drift.
type bowlFD struct{ w bowl }

func (f bowlFD) Dim() int                                       { return 2 }
func (f bowlFD) Beta() float64                                  { return 0 }
func (f bowlFD) Drift(dst, x []float64, n int, t float64) error { return f.w.Drift(dst, x, n, t) }
func (f bowlFD) Potential(dst, x []float64, n int, t float64) bool {
	return f.w.Potential(dst, x, n, t)
}

func bowlCloud(n int) []float64 {
	x := make([]float64, 2*n)
	for i := range x {
		x[i] = 2 * math.Sin(float64(5*i+1))
	}
	return x
}

// The Jacobian from the exact Hessian, I + h·∇²V, agrees with the forward
// differences of the drift the solver used before.
func TestCurvatureJacobianMatchesDifferences(t *testing.T) {
	const n, h, tm = 30, 0.05, 0.4
	w := bowl{a: 3, b: 1.2, c: 5, s: 2, calls: &bowlCalls{}}
	x := bowlCloud(n)
	y := make([]float64, len(x))
	for i := range y {
		y[i] = x[i] + 0.3*math.Cos(float64(3*i))
	}
	s := newProxSolver(w, x, n, tm, h)
	defer s.release()
	g, r, mer, jac := make([]float64, 2*n), make([]float64, n), make([]float64, n), make([]float64, 4*n)
	_, exact, err := s.evaluate(g, r, mer, jac, y)
	if err != nil || !exact {
		t.Fatalf("exact = %v, err = %v", exact, err)
	}
	fd := make([]float64, 4*n)
	if err := s.jacobian(fd, y, g, make([]float64, 2*n), make([]float64, 2*n)); err != nil {
		t.Fatal(err)
	}
	for k := range jac {
		if math.Abs(jac[k]-fd[k]) > 1e-6 {
			t.Errorf("Jacobian entry %d: exact %.10g, differences %.10g", k, jac[k], fd[k])
		}
	}
	// The residual and merit from the derivatives are those of the drift
	// and the potential.
	g2, r2, m2 := make([]float64, 2*n), make([]float64, n), make([]float64, n)
	if _, err := s.residual(g2, r2, y); err != nil {
		t.Fatal(err)
	}
	s.merit(m2, y, r2)
	for i := 0; i < n; i++ {
		if math.Abs(r[i]-r2[i]) > 1e-14 || math.Abs(mer[i]-m2[i]) > 1e-14 {
			t.Errorf("particle %d: residual %v merit %v, from the drift %v and %v", i, r[i], mer[i], r2[i], m2[i])
		}
	}
}

// The implicit step with the exact Hessian lands where the one with finite
// differences does, and never evaluates the drift inside the iteration.
func TestImplicitStepExactHessian(t *testing.T) {
	const n, h = 40, 0.05
	for _, c := range []struct {
		name string
		w    bowl
	}{
		{"convex", bowl{a: 3, b: 1.2, c: 5, s: 2}},
		{"stiff", bowl{a: 60, b: -20, c: 40, s: 8}},
	} {
		c.w.calls = &bowlCalls{}
		fd := bowlFD{bowl{a: c.w.a, b: c.w.b, c: c.w.c, s: c.w.s, calls: &bowlCalls{}}}
		init := Init{Kind: "points", Points: bowlCloud(n)}
		exact, err := Run(c.w, Options{Particles: n, Steps: 2, Dt: h, Implicit: true, Init: init})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		diff, err := Run(fd, Options{Particles: n, Steps: 2, Dt: h, Implicit: true, Init: init})
		if err != nil {
			t.Fatalf("%s, differences: %v", c.name, err)
		}
		for k := 1; k <= 2; k++ {
			for i := 0; i < n; i++ {
				y := exact.X[k].RawRowView(i)
				x := exact.X[k-1].RawRowView(i)
				g := make([]float64, 2)
				c.w.grad(g, y, float64(k)*h)
				for j := 0; j < 2; j++ {
					if r := y[j] - x[j] + h*g[j]; math.Abs(r) > 1e-11 {
						t.Errorf("%s: step %d particle %d: residual %g", c.name, k, i, r)
					}
					if got := diff.X[k].At(i, j); math.Abs(got-y[j]) > 1e-10 {
						t.Errorf("%s: step %d particle %d: %.12g with the exact Hessian, %.12g with differences", c.name, k, i, y[j], got)
					}
				}
			}
		}
		// Per step: the drift for Euler's start and its check, then
		// none inside the iteration.
		if c.w.calls.drift != 2*2 || c.w.calls.hessians == 0 {
			t.Errorf("%s: %d drift evaluations, %d Hessians; want 4 drifts", c.name, c.w.calls.drift, c.w.calls.hessians)
		}
	}
	// No minimiser (curvature below −1/h): an error, as with differences.
	w := bowl{a: -30, b: 0, c: -30, s: 0, calls: &bowlCalls{}}
	if _, err := Run(w, Options{Particles: n, Steps: 1, Dt: h, Implicit: true, Init: Init{Kind: "points", Points: bowlCloud(n)}}); !errors.Is(err, ErrImplicitNotConverged) {
		t.Errorf("concave potential: err = %v, want ErrImplicitNotConverged", err)
	}
}

// One iteration of ImplicitRefine with the exact Hessian on a quadratic
// lands on the step to rounding (differences only to about 1e-7), from one
// evaluation with the Hessian and one without, and reports the residual
// of the refined points without evaluating them again.
func TestImplicitRefineExactHessian(t *testing.T) {
	const n, h, tm = 25, 0.1, 0.2
	w := bowl{a: 30, b: 4, c: 12, calls: &bowlCalls{}}
	x := bowlCloud(n)
	y := append([]float64(nil), x...)
	res, err := ImplicitRefine(w, y, x, n, tm, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	// (I + h(1 + t + h)A) y = x.
	k := h * (1 + tm + h)
	a, b, c := 1+k*w.a, k*w.b, 1+k*w.c
	det := a*c - b*b
	worst := 0.0
	for i := 0; i < n; i++ {
		x0, x1 := x[2*i], x[2*i+1]
		want := [2]float64{(c*x0 - b*x1) / det, (a*x1 - b*x0) / det}
		for j := range want {
			if e := math.Abs(y[2*i+j] - want[j]); e > 1e-13 {
				t.Errorf("particle %d: y[%d] = %.16g, want %.16g", i, j, y[2*i+j], want[j])
			}
		}
		g := make([]float64, 2)
		w.grad(g, y[2*i:], tm+h)
		worst = math.Max(worst, math.Hypot(y[2*i]-x0+h*g[0], y[2*i+1]-x1+h*g[1]))
	}
	if math.Abs(res-worst) > 1e-15 {
		t.Errorf("residual %g reported, %g at the points", res, worst)
	}
	if got := *w.calls; got.drift != 0 || got.derivs != 2 || got.hessians != 1 {
		t.Errorf("evaluations %+v, want 2 of the derivatives (1 with the Hessian) and no drift", got)
	}
}
