package compile

import (
	"math"
	"math/rand/v2"
	"testing"
)

// PotentialLSQ's loss is Σ w‖τ·∇V + c‖² computed from PotentialGrad, and
// its gradient the vector–Jacobian product of PotentialVJP with the seeds
// 2wτ(τ∇V + c), for points of different times in one batch; nil weights
// count each point once, and without a potential the loss is Σ w‖c‖².
func TestPotentialLSQ(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, src := range []string{
		"potential V(x) = mlp(x, 12, 7)\n",
		"param a = 0.3\npotential V(x, t) = mlp([x, t], 5) + a*t*sum(x^4)\n",
		"internal H(rho) = rho^2\n",
	} {
		spec, err := LoadString("lsq.jko", src)
		if err != nil {
			t.Fatal(err)
		}
		m, err := spec.Instantiate(3)
		if err != nil {
			t.Fatal(err)
		}
		const n, d = 70, 3
		theta := m.InitTheta(1)
		x, c, tau, w, ts := make([]float64, n*d), make([]float64, n*d), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range x {
			x[i], c[i] = r.NormFloat64(), 0.1*r.NormFloat64()
		}
		for i := range n {
			tau[i], w[i], ts[i] = 0.1+r.Float64(), r.Float64(), float64(i%3)
		}
		// The reference, one point at a time.
		want, wantNoW := 0.0, 0.0
		wantGrad := make([]float64, m.NumParams)
		g1, vjp := make([]float64, d), make([]float64, m.NumParams)
		for i := range n {
			xi := x[i*d : (i+1)*d]
			m.PotentialGrad(g1, xi, 1, ts[i], theta)
			seed := make([]float64, d)
			r2 := 0.0
			for k := range d {
				res := tau[i]*g1[k] + c[i*d+k]
				r2 += res * res
				seed[k] = 2 * w[i] * tau[i] * res
			}
			want += w[i] * r2
			wantNoW += r2
			m.PotentialVJP(vjp, xi, seed, 1, ts[i], theta)
			for j, v := range vjp {
				wantGrad[j] += v
			}
		}
		grad := make([]float64, m.NumParams)
		got := m.PotentialLSQ(grad, x, tau, c, w, ts, n, theta)
		if math.Abs(got-want) > 1e-12*want {
			t.Errorf("%q: loss %.17g, want %.17g", src, got, want)
		}
		scale := 1e-300
		for _, v := range wantGrad {
			scale = math.Max(scale, math.Abs(v))
		}
		for j := range grad {
			if math.Abs(grad[j]-wantGrad[j]) > 1e-11*scale {
				t.Errorf("%q: ∂/∂θ%d = %.17g, want %.17g", src, j, grad[j], wantGrad[j])
			}
		}
		if got := m.PotentialLSQ(grad, x, tau, c, nil, ts, n, theta); math.Abs(got-wantNoW) > 1e-12*wantNoW {
			t.Errorf("%q: unweighted loss %.17g, want %.17g", src, got, wantNoW)
		}
	}
}
