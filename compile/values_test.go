package compile

import (
	"math"
	"testing"
)

// The θ-gradients of the energy values used by iJKOnet (potential values,
// interaction pair sums, the entropy's β) match central finite differences
// of the values themselves, and the pair sum matches a direct double loop.
func TestValueGradients(t *testing.T) {
	s, err := LoadString("t.jko", `param a = 0.7
param c[2] = [0.3, -0.2]
param beta = 0.15
param w[*]
potential V(x) = a*norm2(x) + sum(sin(x)) * a^2
interaction U(z) = c[0]*exp(-norm2(z)) + c[1]*norm2(z) + dot(w, bumps(z, grid(-1, 1, 2), 0.7))
internal f(rho) = 2*beta*rho*log(rho)
`)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Instantiate(2)
	if err != nil {
		t.Fatal(err)
	}
	theta := m.InitTheta(1)
	for i := range theta {
		theta[i] += 0.1 * float64(i+1)
	}
	const n, ny, d = 7, 5, 2
	x := make([]float64, n*d)
	ys := make([]float64, ny*d)
	for i := range x {
		x[i] = math.Sin(float64(3*i + 1))
	}
	for i := range ys {
		ys[i] = 1.5 * math.Cos(float64(5*i+2))
	}
	pot := func(th []float64) float64 {
		v := make([]float64, n)
		m.PotentialValue(v, x, n, 0, th)
		s := 0.0
		for _, e := range v {
			s += e
		}
		return s
	}
	pairs := func(th []float64) float64 { return m.InteractionPairSum(x, n, ys, ny, th) }
	beta := func(th []float64) float64 { b, _ := m.Entropy(th); return b }

	// The pair sum against a direct loop over InteractionValue.
	direct := 0.0
	z := make([]float64, d)
	u := make([]float64, 1)
	for i := 0; i < n; i++ {
		for j := 0; j < ny; j++ {
			for k := range z {
				z[k] = x[i*d+k] - ys[j*d+k]
			}
			m.InteractionValue(u, z, 1, theta)
			direct += u[0]
		}
	}
	if got := pairs(theta); math.Abs(got-direct) > 1e-12*math.Max(1, math.Abs(direct)) {
		t.Errorf("InteractionPairSum = %g, direct loop %g", got, direct)
	}
	if b := beta(theta); math.Abs(b-2*theta[m.Params[2].Offset]) > 1e-12 {
		t.Errorf("β = %g, want 2·beta = %g", b, 2*theta[m.Params[2].Offset])
	}

	gp, gi, gb := make([]float64, m.NumParams), make([]float64, m.NumParams), make([]float64, m.NumParams)
	m.PotentialValueVJP(gp, x, n, 0, theta, nil)
	m.InteractionPairVJP(gi, x, n, ys, ny, theta)
	m.EntropyVJP(gb, theta)
	for _, c := range []struct {
		name string
		f    func([]float64) float64
		grad []float64
	}{{"potential", pot, gp}, {"interaction", pairs, gi}, {"entropy β", beta, gb}} {
		for j := range theta {
			h := 1e-6
			tp := append([]float64(nil), theta...)
			tm := append([]float64(nil), theta...)
			tp[j] += h
			tm[j] -= h
			fd := (c.f(tp) - c.f(tm)) / (2 * h)
			if math.Abs(fd-c.grad[j]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: ∂/∂θ%d = %g, finite differences %g", c.name, j, c.grad[j], fd)
			}
		}
	}
}
