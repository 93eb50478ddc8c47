package ot

import (
	"errors"
	"github.com/jko-org/jko/internal/eval"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// bruteAssign enumerates all permutations (Heap's algorithm).
func bruteAssign(c [][]float64) float64 {
	n := len(c)
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	best := math.Inf(1)
	eval := func() {
		s := 0.0
		for i, j := range p {
			s += c[i][j]
		}
		best = math.Min(best, s)
	}
	var heap func(k int)
	heap = func(k int) {
		if k == 1 {
			eval()
			return
		}
		for i := 0; i < k-1; i++ {
			heap(k - 1)
			if k%2 == 0 {
				p[i], p[k-1] = p[k-1], p[i]
			} else {
				p[0], p[k-1] = p[k-1], p[0]
			}
		}
		heap(k - 1)
	}
	heap(n)
	return best
}

// TestSimplexBruteForce: integer weights k_i/K make OT equal to a K×K
// assignment between replicated points, solved by enumeration.
func TestSimplexBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for rep := 0; rep < 40; rep++ {
		K := 4 + r.IntN(5) // 4..8
		split := func() []float64 {
			k := 1 + r.IntN(4)
			w := make([]float64, k)
			for u := 0; u < K; u++ {
				w[r.IntN(k)]++
			}
			if rep%3 == 0 { // a zero-weight point
				w = append(w, 0)
			}
			return w
		}
		a, b := split(), split()
		cost := mat.NewDense(len(a), len(b), nil)
		for i := range a {
			for j := range b {
				cost.Set(i, j, math.Round(10*r.Float64())/2)
			}
		}
		var ri, cj []int
		for i, w := range a {
			for u := 0; u < int(w); u++ {
				ri = append(ri, i)
			}
		}
		for j, w := range b {
			for u := 0; u < int(w); u++ {
				cj = append(cj, j)
			}
		}
		big := make([][]float64, K)
		for u := range big {
			big[u] = make([]float64, K)
			for v := range big[u] {
				big[u][v] = cost.At(ri[u], cj[v])
			}
		}
		want := bruteAssign(big) / float64(K)
		p, err := Solve(a, b, cost)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.Cost-want) > 1e-12 {
			t.Fatalf("rep %d a=%v b=%v: simplex %v brute force %v", rep, a, b, p.Cost, want)
		}
		checkPlan(t, p, a, b, cost, 1e-12)
		if len(a) == len(b) {
			continue
		}
	}
	// Square uniform: assignment solver against enumeration.
	for n := 1; n <= 7; n++ {
		cost := mat.NewDense(n, n, nil)
		c := make([][]float64, n)
		for i := range c {
			c[i] = make([]float64, n)
			for j := range c[i] {
				c[i][j] = r.Float64()
				cost.Set(i, j, c[i][j])
			}
		}
		_, tot, err := Assign(cost)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteAssign(c); math.Abs(tot-want) > 1e-12 {
			t.Errorf("n=%d: assignment %v brute force %v", n, tot, want)
		}
	}
}

func TestSinkhornConverges(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	x, y := randCloud(r, 40, 2), randCloud(r, 30, 2)
	a, b := randWeights(r, 40), randWeights(r, 30)
	cost, _ := CostMatrix(x, y, SqEuclidean)
	exact, err := Solve(a, b, cost)
	if err != nil {
		t.Fatal(err)
	}
	prev := math.Inf(1)
	for _, eps := range []float64{1, 0.1, 0.01, 0.001} {
		res, err := Sinkhorn(a, b, cost, SinkhornOptions{Epsilon: eps, Tol: 1e-10, MaxIter: 200000})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged {
			t.Fatalf("eps %v: not converged after %d (err %g)", eps, res.Iterations, res.MarginalError)
		}
		gap := res.Cost - exact.Cost
		if gap < -1e-6 || gap > prev {
			t.Errorf("eps %v: gap %v (previous %v)", eps, gap, prev)
		}
		prev = gap
		// Column marginals exact, rows within tolerance.
		bn, _ := normWeights("b", b, 30)
		for j := 0; j < 30; j++ {
			if s := mat.Sum(res.Plan.ColView(j)); math.Abs(s-bn[j]) > 1e-12 {
				t.Fatalf("column %d sums to %v want %v", j, s, bn[j])
			}
		}
	}
	if prev > 1e-3*exact.Cost {
		t.Errorf("eps=1e-3 gap %v too large vs exact %v", prev, exact.Cost)
	}
}

func TestMetrics(t *testing.T) {
	x := mat.NewDense(2, 1, []float64{0, 1})
	y := mat.NewDense(1, 1, []float64{3})
	k := func(d float64) float64 { return math.Exp(-d * d / 2) }
	want := math.Sqrt((2+2*k(1))/4 + 1 - 2*(k(3)+k(2))/2)
	got, err := MMD(x, y, 1)
	if err != nil || math.Abs(got-want) > 1e-14 {
		t.Errorf("MMD = %v, %v; want %v", got, err, want)
	}
	if z, _ := MMD(x, x, 0.7); z > 1e-7 {
		t.Errorf("MMD(x,x) = %v", z)
	}
	m, s, err := Summarise([]float64{1, 2, 3, 4})
	if err != nil || m != 2.5 || math.Abs(s-math.Sqrt(1.25)) > 1e-15 {
		t.Errorf("Summarise = %v ± %v, %v", m, s, err)
	}
}

func TestBadInput(t *testing.T) {
	good := mat.NewDense(2, 2, []float64{0, 1, 1, 0})
	nanC := mat.NewDense(2, 2, []float64{0, math.NaN(), 1, 0})
	infC := mat.NewDense(2, 2, []float64{0, math.Inf(1), 1, 0})
	x := mat.NewDense(2, 2, []float64{0, 0, 1, 1})
	x3 := mat.NewDense(2, 3, nil)
	xn := mat.NewDense(2, 2, []float64{0, math.NaN(), 1, 1})
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"zero total a", func() error { _, err := Solve([]float64{0, 0}, nil, good); return err }},
		{"negative b", func() error { _, err := Solve(nil, []float64{2, -1}, good); return err }},
		{"NaN weight", func() error { _, err := Solve([]float64{math.NaN(), 1}, nil, good); return err }},
		{"Inf weight", func() error { _, err := Solve([]float64{math.Inf(1), 1}, nil, good); return err }},
		{"wrong weight count", func() error { _, err := Solve([]float64{1, 1, 1}, nil, good); return err }},
		{"NaN cost", func() error { _, err := Solve(nil, nil, nanC); return err }},
		{"Inf cost", func() error { _, err := Solve([]float64{1, 2}, nil, infC); return err }},
		{"nil cost", func() error { _, err := Solve(nil, nil, nil); return err }},
		{"Inf cost assign", func() error { _, _, err := Assign(infC); return err }},
		{"non-square assign", func() error { _, _, err := Assign(mat.NewDense(2, 3, nil)); return err }},
		{"bad order", func() error { _, err := NetworkSimplex(nil, nil, good, []int{0, 0}, nil); return err }},
		{"dim mismatch", func() error { _, err := W2Squared(x, x3, nil, nil); return err }},
		{"empty cloud", func() error { _, err := W1(x, &mat.Dense{}, nil, nil); return err }},
		{"nil cloud", func() error { _, err := W1(nil, x, nil, nil); return err }},
		{"NaN point", func() error { _, err := W1(xn, x, nil, nil); return err }},
		{"zero weights W1", func() error { _, err := W1(x, x, []float64{0, 0}, nil); return err }},
		{"bad cost func", func() error { _, err := CostMatrix(x, x, CostFunc(9)); return err }},
		{"sinkhorn eps 0", func() error { _, err := Sinkhorn(nil, nil, good, SinkhornOptions{}); return err }},
		{"sinkhorn NaN cost", func() error { _, err := Sinkhorn(nil, nil, nanC, SinkhornOptions{Epsilon: 1}); return err }},
		{"mmd bandwidth", func() error { _, err := MMD(x, x, 0); return err }},
		{"mmd dims", func() error { _, err := MMD(x, x3, 1); return err }},
		{"summarise empty", func() error { _, _, err := Summarise(nil); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInput) {
				t.Errorf("error %v does not wrap ErrInput", err)
			}
		})
	}
}

// MMD's symmetric self-sums (each unordered pair once) give the full
// double sums' value to rounding, on clouds of different sizes.
func TestMMDMatchesFullSums(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	x, y := mat.NewDense(70, 3, nil), mat.NewDense(45, 3, nil)
	for _, m := range []*mat.Dense{x, y} {
		n, d := m.Dims()
		for i := range n {
			for k := range d {
				m.Set(i, k, r.NormFloat64())
			}
		}
	}
	full := func(p, q *mat.Dense) float64 {
		n, _ := p.Dims()
		m, _ := q.Dims()
		s := 0.0
		for i := range n {
			for j := range m {
				var v mat.VecDense
				v.SubVec(p.RowView(i), q.RowView(j))
				s += math.Exp(-mat.Dot(&v, &v) / (2 * 0.8 * 0.8))
			}
		}
		return s / float64(n*m)
	}
	want := math.Sqrt(full(x, x) + full(y, y) - 2*full(x, y))
	got, err := MMD(x, y, 0.8)
	if err != nil || math.Abs(got-want) > 1e-12*want {
		t.Errorf("MMD = %.17g, %v; the full sums give %.17g", got, err, want)
	}
}

// MMD on the lattice (clouds of thousands of points in 1 or 2 dimensions)
// agrees with the pair sums to its stated bound: the estimate under the
// root within 4·mmdTol.
func TestMMDLatticeMatchesPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	for _, tc := range []struct {
		d, n, m   int
		shift, bw float64
	}{
		{1, 3000, 2000, 0.3, 0.5},
		{2, 3000, 2500, 0.2, 0.7},
		{2, 2500, 2500, 0, 1.3},
	} {
		x, y := mat.NewDense(tc.n, tc.d, nil), mat.NewDense(tc.m, tc.d, nil)
		for i := range tc.n {
			for k := range tc.d {
				x.Set(i, k, r.NormFloat64())
			}
		}
		for i := range tc.m {
			for k := range tc.d {
				y.Set(i, k, 1.2*r.NormFloat64()+tc.shift)
			}
		}
		xs, ys := rowsOf(x), rowsOf(y)
		s := 2 * tc.bw * tc.bw
		if !eval.NewGaussSum(ys, tc.m, tc.d, s, mmdTol, tc.n+tc.m).Lattice() {
			t.Fatalf("d=%d %d×%d: the lattice is not used", tc.d, tc.n, tc.m)
		}
		want := pairMean(xs, xs, tc.n, tc.n, tc.d, s, true) + pairMean(ys, ys, tc.m, tc.m, tc.d, s, true) - 2*pairMean(xs, ys, tc.n, tc.m, tc.d, s, false)
		got, err := MMD(x, y, tc.bw)
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(got*got - want); e > 4*mmdTol {
			t.Errorf("d=%d %d×%d: MMD² %.15g, pairs %.15g: error %.2g > %.2g", tc.d, tc.n, tc.m, got*got, want, e, 4*mmdTol)
		}
	}
}
