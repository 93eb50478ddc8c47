package compile

import (
	"math"
	"syscall"
	"testing"
	"time"
)

// The exact Hessian (and the fused value and gradient) match the separate
// programs and central differences of the gradient, for closed forms,
// networks, time-dependent potentials and several terms.
func TestPotentialHessian(t *testing.T) {
	for _, c := range []struct {
		name, src string
		d         int
	}{
		{"quadratic", "param a = 0.7\npotential V(x) = a*norm2(x)\n", 3},
		{"trig", "potential V(x) = sum(sin(x)) * x[0] + cos(x[1]) * x[0]^3\n", 2},
		{"time", "potential V(x, t) = (1 + t) * exp(-norm2(x)/2) + t*x[0]*x[1]\n", 2},
		{"mlp", "potential V(x) = mlp(x, 8, 8)\n", 2},
		{"mlp 1-D", "potential V(x) = mlp(x, 5)\n", 1},
		{"two terms", "param w[*]\npotential A(x) = dot(w, bumps(x, grid(-1, 1, 3), 0.8))\npotential B(x) = log(1 + norm2(x))\n", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := LoadString("h.jko", c.src)
			if err != nil {
				t.Fatal(err)
			}
			m, err := s.Instantiate(c.d)
			if err != nil {
				t.Fatal(err)
			}
			theta := m.InitTheta(3)
			for i := range theta {
				theta[i] += 0.05 * math.Sin(float64(i+1))
			}
			const n, tm = 9, 0.3
			d := c.d
			x := make([]float64, n*d)
			for i := range x {
				x[i] = 1.3 * math.Sin(float64(7*i+2))
			}
			val, grad, hess := make([]float64, n), make([]float64, n*d), make([]float64, n*d*d)
			m.PotentialHessian(val, grad, hess, x, n, tm, theta)
			v2, g2 := make([]float64, n), make([]float64, n*d)
			m.PotentialValueGrad(v2, g2, x, n, tm, theta)
			wantV, wantG := make([]float64, n), make([]float64, n*d)
			m.PotentialValue(wantV, x, n, tm, theta)
			m.PotentialGrad(wantG, x, n, tm, theta)
			for i := range wantV {
				if val[i] != wantV[i] || v2[i] != wantV[i] {
					t.Fatalf("V[%d] = %v (Hessian program), %v (value–gradient), want %v", i, val[i], v2[i], wantV[i])
				}
			}
			for i := range wantG {
				if math.Abs(grad[i]-wantG[i]) > 1e-14*(1+math.Abs(wantG[i])) || g2[i] != grad[i] {
					t.Fatalf("∇V[%d] = %v (Hessian program), %v (value–gradient), want %v", i, grad[i], g2[i], wantG[i])
				}
			}
			// Central differences of the gradient program.
			xp, xm := make([]float64, n*d), make([]float64, n*d)
			gp, gm := make([]float64, n*d), make([]float64, n*d)
			for j := 0; j < d; j++ {
				copy(xp, x)
				copy(xm, x)
				const h = 1e-5
				for i := 0; i < n; i++ {
					xp[i*d+j] += h
					xm[i*d+j] -= h
				}
				m.PotentialGrad(gp, xp, n, tm, theta)
				m.PotentialGrad(gm, xm, n, tm, theta)
				for i := 0; i < n; i++ {
					for l := 0; l < d; l++ {
						fd := (gp[i*d+l] - gm[i*d+l]) / (2 * h)
						got := hess[i*d*d+l*d+j]
						if math.Abs(got-fd) > 1e-6*(1+math.Abs(fd)) {
							t.Errorf("particle %d: ∂²V/∂x%d∂x%d = %.10g, central differences %.10g", i, l, j, got, fd)
						}
						if sym := hess[i*d*d+j*d+l]; math.Abs(sym-got) > 1e-12*(1+math.Abs(got)) {
							t.Errorf("particle %d: Hessian not symmetric: %v against %v", i, got, sym)
						}
					}
				}
			}
		})
	}
}

// A model without potential terms has V = 0 and zero derivatives.
func TestPotentialHessianNoPotential(t *testing.T) {
	s, err := LoadString("h.jko", "interaction U(z) = norm2(z)\n")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	val, grad, hess := []float64{9, 9}, []float64{9, 9, 9, 9}, make([]float64, 8)
	for i := range hess {
		hess[i] = 9
	}
	m.PotentialHessian(val, grad, hess, []float64{1, 2, 3, 4}, 2, 0, m.InitTheta(0))
	for _, v := range append(append(val, grad...), hess...) {
		if v != 0 {
			t.Fatalf("got %v, want zeros", v)
		}
	}
}

// BenchmarkPotentialMLP times the potential's programs on a batch of 256
// points of mlp(x, 64, 64) in 2-D (iJKOnet's batch): the value, the
// gradient, both in one program, with the Hessian, and the θ-gradient.
func BenchmarkPotentialMLP(b *testing.B) {
	s, err := LoadString("b.jko", "potential V(x) = mlp(x, 64, 64)\n")
	if err != nil {
		b.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		b.Fatal(err)
	}
	theta := m.InitTheta(0)
	const n, d = 256, 2
	x := make([]float64, n*d)
	for i := range x {
		x[i] = 3 * math.Sin(float64(7*i+2))
	}
	val, grad, hess, dth := make([]float64, n), make([]float64, n*d), make([]float64, n*d*d), make([]float64, m.NumParams)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"value", func() { m.PotentialValue(val, x, n, 0, theta) }},
		{"grad", func() { m.PotentialGrad(grad, x, n, 0, theta) }},
		{"value+grad", func() { m.PotentialValueGrad(val, grad, x, n, 0, theta) }},
		{"value+grad+hessian", func() { m.PotentialHessian(val, grad, hess, x, n, 0, theta) }},
		{"θ-gradient", func() { m.PotentialValueVJP(dth, x, n, 0, theta, nil) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PotentialValueVJP returns the weighted sum of the values it
// differentiates.
func TestPotentialValueVJPValue(t *testing.T) {
	for _, src := range []string{"potential V(x) = mlp(x, 4)\n", "potential V(x) = norm2(x) + sin(x[0])\n"} {
		s, err := LoadString("v.jko", src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := s.Instantiate(2)
		if err != nil {
			t.Fatal(err)
		}
		theta := m.InitTheta(1)
		x := []float64{0.3, -1, 2, 0.5, -0.7, 1.1}
		w := []float64{0.5, -2, 1.5}
		v := make([]float64, 3)
		m.PotentialValue(v, x, 3, 0, theta)
		want, wantAll := 0.0, 0.0
		for i := range v {
			want += w[i] * v[i]
			wantAll += v[i]
		}
		dst := make([]float64, m.NumParams)
		if got := m.PotentialValueVJP(dst, x, 3, 0, theta, w); math.Abs(got-want) > 1e-13*(1+math.Abs(want)) {
			t.Errorf("%q: weighted value %v, want %v", src, got, want)
		}
		if got := m.PotentialValueVJP(dst, x, 3, 0, theta, nil); math.Abs(got-wantAll) > 1e-13*(1+math.Abs(wantAll)) {
			t.Errorf("%q: value %v, want %v", src, got, wantAll)
		}
	}
}
