package sim

import (
	"errors"
	"math"
	"testing"

	"github.com/jko-org/jko/compile"
)

// ou is dX = −a X dt + sqrt(2β) dW, the Ornstein–Uhlenbeck process of
// V(x) = a‖x‖²/2 with entropy β.
type ou struct {
	a, beta float64
	d       int
}

func (o ou) Dim() int      { return o.d }
func (o ou) Beta() float64 { return o.beta }
func (o ou) Drift(dst, x []float64, n int, t float64) error {
	for i := range x {
		dst[i] = -o.a * x[i]
	}
	return nil
}

// The Euler–Maruyama recursion x' = (1 − a h) x + sqrt(2βh) ξ has exact
// moments: m' = (1 − a h) m, v' = (1 − a h)² v + 2βh.
func TestOrnsteinUhlenbeckMoments(t *testing.T) {
	const a, beta, dt, steps, n = 2.0, 0.5, 0.05, 10, 40000
	res, err := Run(ou{a, beta, 2}, Options{Particles: n, Steps: steps, Dt: dt, Init: Init{Kind: "gaussian", Mean: 1, Std: 0.5}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	m, v := 1.0, 0.25
	for k := 0; k <= steps; k++ {
		if k > 0 {
			m *= 1 - a*dt
			v = (1-a*dt)*(1-a*dt)*v + 2*beta*dt
		}
		x := res.X[k]
		for j := 0; j < 2; j++ {
			mean, sq := 0.0, 0.0
			for i := 0; i < n; i++ {
				mean += x.At(i, j)
			}
			mean /= n
			for i := 0; i < n; i++ {
				sq += (x.At(i, j) - mean) * (x.At(i, j) - mean)
			}
			variance := sq / (n - 1)
			// Five standard errors of the sample mean and variance.
			if se := math.Sqrt(v / n); math.Abs(mean-m) > 5*se {
				t.Errorf("step %d coord %d: mean %.4f, want %.4f ± %.4f", k, j, mean, m, se)
			}
			if se := v * math.Sqrt(2.0/(n-1)); math.Abs(variance-v) > 5*se {
				t.Errorf("step %d coord %d: variance %.4f, want %.4f ± %.4f", k, j, variance, v, se)
			}
		}
		if got := res.Times[k]; math.Abs(got-float64(k)*dt) > 1e-12 {
			t.Errorf("time %d = %v", k, got)
		}
	}
}

func TestDeterministicAndUnpaired(t *testing.T) {
	o := Options{Particles: 50, Steps: 3, Dt: 0.1, Init: Init{Kind: "uniform", Lo: -1, Hi: 1}, Seed: 3}
	r1, _ := Run(ou{1, 0.1, 2}, o)
	r2, _ := Run(ou{1, 0.1, 2}, o)
	for k := range r1.X {
		for i, v := range r1.X[k].RawMatrix().Data {
			if v != r2.X[k].RawMatrix().Data[i] {
				t.Fatalf("run differs at snapshot %d entry %d", k, i)
			}
		}
	}
	// Noise-free paired: snapshot k is exactly (1 − h)^k x0.
	rp, _ := Run(ou{1, 0, 2}, o)
	f := math.Pow(0.9, 3)
	for i, v := range rp.X[3].RawMatrix().Data {
		if w := f * rp.X[0].RawMatrix().Data[i]; math.Abs(v-w) > 1e-14 {
			t.Fatalf("paired particle %d: %v, want %v", i, v, w)
		}
	}
	o.Unpaired = true
	ru, _ := Run(ou{1, 0, 2}, o)
	same := 0
	for i, v := range ru.X[3].RawMatrix().Data {
		if math.Abs(v-f*ru.X[0].RawMatrix().Data[i]) < 1e-12 {
			same++
		}
	}
	if same > 0 {
		t.Errorf("unpaired snapshots share %d coordinates with the paired map", same)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Particles: 1, Steps: 1, Dt: 0.1},
		{Particles: 10, Steps: 0, Dt: 0.1},
		{Particles: 10, Steps: 1, Dt: 0},
		{Particles: 10, Steps: 1, Dt: math.NaN()},
	} {
		if _, err := Run(ou{1, 0, 2}, o); err == nil {
			t.Errorf("%+v: want error", o)
		}
	}
	if _, err := Run(ou{1, -1, 2}, Options{Particles: 10, Steps: 1, Dt: 0.1}); err == nil {
		t.Error("negative beta: want error")
	}
	for _, s := range []string{"uniform:1", "uniform:2,1", "gaussian:0,0", "box:1,2", "uniform:a,b"} {
		if _, err := ParseInit(s); err == nil {
			t.Errorf("ParseInit(%q): want error", s)
		}
	}
	if in, err := ParseInit("uniform:-4,4"); err != nil || in.Lo != -4 || in.Hi != 4 {
		t.Errorf("ParseInit uniform: %+v %v", in, err)
	}
}

// ouPot is ou with its potential exposed (PotentialDynamics).
type ouPot struct{ ou }

func (o ouPot) Potential(dst, x []float64, n int, t float64) bool {
	for i := 0; i < n; i++ {
		dst[i] = 0
		for k := i * o.d; k < (i+1)*o.d; k++ {
			dst[i] += o.a * x[k] * x[k] / 2
		}
	}
	return true
}

// The implicit step of the Ornstein–Uhlenbeck drift is x' = x/(1 + a h),
// stable for any h (Euler's diverges for a h > 2); with and without the
// potential, and with substeps.
func TestImplicitStep(t *testing.T) {
	const a, dt, n = 30.0, 0.1, 5
	pts := []float64{1, -2, 3, 0.5, -4, 4, 0, 0.1, 2.5, -1}
	for _, dyn := range []Dynamics{ou{a, 0, 2}, ouPot{ou{a, 0, 2}}} {
		for _, sub := range []int{1, 3} {
			res, err := Run(dyn, Options{Particles: n, Steps: 2, Dt: dt, Substeps: sub, Scheme: compile.Implicit, Init: Init{Kind: "points", Points: pts}})
			if err != nil {
				t.Fatal(err)
			}
			f := math.Pow(1+a*dt/float64(sub), -float64(sub))
			for k := 1; k <= 2; k++ {
				want := math.Pow(f, float64(k))
				for i := 0; i < n; i++ {
					for j := 0; j < 2; j++ {
						if got := res.X[k].At(i, j); math.Abs(got-want*pts[i*2+j]) > 1e-10 {
							t.Errorf("%T, %d substeps, step %d, x[%d][%d] = %.12g, want %.12g", dyn, sub, k, i, j, got, want*pts[i*2+j])
						}
					}
				}
			}
		}
	}
	// A concave potential with a·h > 1 has no minimiser: an error, not a
	// point.
	for _, dyn := range []Dynamics{ou{-30, 0, 2}, ouPot{ou{-30, 0, 2}}} {
		if _, err := Run(dyn, Options{Particles: n, Steps: 1, Dt: dt, Scheme: compile.Implicit, Init: Init{Kind: "points", Points: pts}}); !errors.Is(err, ErrImplicitNotConverged) {
			t.Errorf("%T, concave potential: err = %v, want ErrImplicitNotConverged", dyn, err)
		}
	}
}

// ImplicitRefine from a guess: on a quadratic potential one Newton step
// lands on the implicit step (up to the forward differences' error); the
// residual it reports is that of the refined points.
func TestImplicitRefine(t *testing.T) {
	const a, h, n = 30.0, 0.1, 5
	x := []float64{1, -2, 3, 0.5, -4, 4, 0, 0.1, 2.5, -1}
	y := append([]float64(nil), x...)
	res, err := ImplicitRefine(ouPot{ou{a, 0, 2}}, y, x, n, 0, h, 1)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i := range y {
		want := x[i] / (1 + a*h)
		if math.Abs(y[i]-want) > 1e-6 {
			t.Errorf("y[%d] = %.10g, want %.10g", i, y[i], want)
		}
		worst = math.Max(worst, math.Abs(y[i]-want))
	}
	if res > 2*(1+a*h)*worst+1e-12 {
		t.Errorf("residual %g reported, the points are within %g of the step", res, worst)
	}
}

// stiff is V = Σ exp(x²): Euler's step from |x| = 3 lands where exp
// overflows, the implicit step stays near x.
type stiff struct{}

func (stiff) Dim() int      { return 1 }
func (stiff) Beta() float64 { return 0 }
func (stiff) Drift(dst, x []float64, n int, t float64) error {
	for i, v := range x[:n] {
		dst[i] = -2 * v * math.Exp(v*v)
	}
	return nil
}
func (stiff) Potential(dst, x []float64, n int, t float64) bool {
	for i, v := range x[:n] {
		dst[i] = math.Exp(v * v)
	}
	return true
}

// The implicit step of a stiff potential, where Euler's step overflows:
// the solution satisfies y = x − h·2y·exp(y²), and a rejected full Newton
// step is retried at once along the same direction, so a single
// iteration of ImplicitRefine still descends.
func TestImplicitStiffStart(t *testing.T) {
	const h = 0.01
	pts := []float64{0.5, 1.5, 3}
	res, err := Run(stiff{}, Options{Particles: 3, Steps: 1, Dt: h, Scheme: compile.Implicit, Init: Init{Kind: "points", Points: pts}})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range pts {
		y := res.X[1].At(i, 0)
		if r := y - x + h*2*y*math.Exp(y*y); math.Abs(r) > 1e-10 {
			t.Errorf("x = %g: y = %g, residual %g", x, y, r)
		}
	}
}

// wavy is V = c·cos(πx) in 1-D.
type wavy struct{ c float64 }

func (wavy) Dim() int      { return 1 }
func (wavy) Beta() float64 { return 0 }
func (w wavy) Drift(dst, x []float64, n int, t float64) error {
	for i, v := range x[:n] {
		dst[i] = w.c * math.Pi * math.Sin(math.Pi*v)
	}
	return nil
}
func (w wavy) Potential(dst, x []float64, n int, t float64) bool {
	for i, v := range x[:n] {
		dst[i] = w.c * math.Cos(math.Pi*v)
	}
	return true
}

// One iteration per call from y = x, as iJKOnet's particle maps take, on
// V = c·cos(πx) with h·c·π² = 0.9: the step's energy is strictly convex,
// but full Newton steps overshoot near the maxima of V; the line search
// inside the iteration must still bring every particle to the step.
func TestImplicitRefineOneIteration(t *testing.T) {
	const h, n = 0.01, 400
	w := wavy{0.9 / (h * math.Pi * math.Pi)}
	x := make([]float64, n)
	for i := range x {
		x[i] = -1 + 2*float64(i)/(n-1)
	}
	y := append([]float64(nil), x...)
	res := 0.0
	for call := 0; call < 300; call++ {
		var err error
		if res, err = ImplicitRefine(w, y, x, n, 0, h, 1); err != nil {
			t.Fatal(err)
		}
	}
	if res > 1e-9 {
		t.Errorf("largest residual %g after 300 calls", res)
	}
}
