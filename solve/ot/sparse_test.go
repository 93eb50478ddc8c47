package ot

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// clusteredCloud draws n points around c centres spread over a box of
// side 8 shifted by off (snapshots that move far, as single-cell data).
func clusteredCloud(r *rand.Rand, n, d, c int, off float64) *mat.Dense {
	centres := make([]float64, c*d)
	for k := range centres {
		centres[k] = 8*r.Float64() - 4 + off
	}
	m := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		q := r.IntN(c)
		for k := 0; k < d; k++ {
			m.Set(i, k, centres[q*d+k]+0.3*r.NormFloat64())
		}
	}
	return m
}

// reducedCostFloor returns the least reduced cost c_ij − u_i − v_j over
// every pair of the cost matrix (at most 0; NaN when a potential is NaN)
// and the largest cost.
func reducedCostFloor(cost *mat.Dense, u, v []float64) (worst, scale float64) {
	n, m := cost.Dims()
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			worst = min(worst, cost.At(i, j)-u[i]-v[j]) // NaN stays NaN
			scale = max(scale, cost.At(i, j))
		}
	}
	return worst, scale
}

// TestCertificate checks the sparse solver's dual certificate over all
// pairs, by brute force: U[i] + V[j] ≤ cost(i, j) everywhere, equality on
// the plan, and Σ a·U + Σ b·V = Cost (strong duality), and its cost
// against the dense network simplex on the full cost matrix.
func TestCertificate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	type tc struct {
		name string
		x, y *mat.Dense
		a, b []float64
	}
	var cases []tc
	for _, d := range []int{1, 2, 5} {
		cases = append(cases,
			tc{"uniform", randCloud(r, 300, d), randCloud(r, 410, d), nil, nil},
			tc{"equal", randCloud(r, 350, d), randCloud(r, 350, d), nil, nil},
			tc{"clustered far", clusteredCloud(r, 400, d, 5, 0), clusteredCloud(r, 330, d, 4, 6), nil, nil})
		a, b := randWeights(r, 260), randWeights(r, 240)
		a[3], a[100], b[7] = 0, 0, 0
		cases = append(cases, tc{"weighted with zeros", randCloud(r, 260, d), randCloud(r, 240, d), a, b})
	}
	// Large enough for the multiscale candidates.
	cases = append(cases, tc{"multiscale", clusteredCloud(r, 1400, 3, 6, 0), clusteredCloud(r, 1100, 3, 5, 3), nil, nil})
	for _, c := range cases {
		for _, cf := range []CostFunc{SqEuclidean, Euclidean} {
			n, d := c.x.Dims()
			m, _ := c.y.Dims()
			t.Run(c.name+"/"+cf.String()+"/"+string(rune('0'+d)), func(t *testing.T) {
				p, err := CoupleWith(c.x, c.y, c.a, c.b, cf, Options{})
				if err != nil {
					t.Fatal(err)
				}
				cost, _ := CostMatrix(c.x, c.y, cf)
				checkPlan(t, p, c.a, c.b, cost, 1e-12)
				worst, scale := reducedCostFloor(cost, p.U, p.V)
				tol := 1e-10 * scale
				if !(worst >= -tol) { // NaN potentials fail too
					t.Errorf("dual infeasible: min reduced cost %.3g (tolerance %.3g)", worst, tol)
				}
				for _, q := range p.Pairs {
					if rc := cost.At(q.I, q.J) - p.U[q.I] - p.V[q.J]; !(math.Abs(rc) <= tol) {
						t.Errorf("pair %+v has reduced cost %.3g", q, rc)
					}
				}
				aa, _ := normWeights("a", c.a, n)
				bb, _ := normWeights("b", c.b, m)
				dual := 0.0
				for i, w := range aa {
					dual += w * p.U[i]
				}
				for j, w := range bb {
					dual += w * p.V[j]
				}
				if relErr(dual, p.Cost) > 1e-10 {
					t.Errorf("dual objective %.15g, primal %.15g", dual, p.Cost)
				}
				ref, err := NetworkSimplex(c.a, c.b, cost, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if relErr(p.Cost, ref.Cost) > 1e-12 {
					t.Errorf("cost %.15g, dense simplex %.15g", p.Cost, ref.Cost)
				}
			})
		}
	}
}

type potCase struct {
	Name string      `json:"name"`
	X    [][]float64 `json:"x"`
	Y    [][]float64 `json:"y"`
	A    []float64   `json:"a"`
	B    []float64   `json:"b"`
	Cost string      `json:"cost"`
	EMD  float64     `json:"emd"`
}

// TestPOTGenerated compares with POT's ot.emd2 on the cases written by
// testdata/gen_pot_cases.py (clustered, shifted, weighted, unequal).
func TestPOTGenerated(t *testing.T) {
	raw, err := os.ReadFile("testdata/pot_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []potCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 8 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			cf := SqEuclidean
			if c.Cost == "euclidean" {
				cf = Euclidean
			}
			p, err := Couple(dense(c.X), dense(c.Y), c.A, c.B, cf)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(p.Cost, c.EMD); e > 1e-9 {
				t.Errorf("cost %.15g, POT %.15g (relative error %.2g)", p.Cost, c.EMD, e)
			}
		})
	}
}

// TestScaleInvariance: coordinates are rescaled by powers of two, so
// clouds at 1e154 (whose squared distances overflow float64) and at 1e-200
// (whose squared distances underflow) give the exactly scaled distances;
// a W2² beyond float64 is an error, not a hang.
func TestScaleInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := randCloud(r, 40, 2), randCloud(r, 50, 2)
	w1, err := W1(x, y, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := W2Squared(x, y, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	scaled := func(m *mat.Dense, e int) *mat.Dense {
		var out mat.Dense
		out.Apply(func(_, _ int, v float64) float64 { return math.Ldexp(v, e) }, m)
		return &out
	}
	// 2^512 ≈ 1.3e154 (squared distances overflow, W2² does not),
	// 2^530 ≈ 3.5e159 (W2² overflows), 2^-660 ≈ 2e-199 (squared distances
	// underflow).
	for _, e := range []int{512, 530, -660} {
		xs, ys := scaled(x, e), scaled(y, e)
		got, err := W1(xs, ys, nil, nil)
		if err != nil {
			t.Fatalf("W1 at 2^%d: %v", e, err)
		}
		if want := math.Ldexp(w1, e); got != want {
			t.Errorf("W1 at 2^%d = %v, want %v", e, got, want)
		}
		got, err = W2Squared(xs, ys, nil, nil)
		if math.IsInf(math.Ldexp(w2, 2*e), 0) {
			if err == nil || !errors.Is(err, ErrInput) {
				t.Errorf("W2² at 2^%d = %v, %v: want an overflow error", e, got, err)
			}
			continue
		}
		if want := math.Ldexp(w2, 2*e); err != nil || got != want {
			t.Errorf("W2² at 2^%d = %v, %v; want %v", e, got, err, want)
		}
	}
	// Weights whose sum overflows.
	big := []float64{math.MaxFloat64, math.MaxFloat64 / 2}
	p, err := Couple(x.Slice(0, 2, 0, 2).(*mat.Dense), y.Slice(0, 3, 0, 2).(*mat.Dense), big, nil, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	if ga, _ := p.Marginals(); math.Abs(ga[0]-2.0/3) > 1e-15 || math.Abs(ga[1]-1.0/3) > 1e-15 {
		t.Errorf("marginal %v, want [2/3 1/3]", ga)
	}
}

// TestHugeCosts: cost matrices near the largest float64 give the exactly
// scaled optimum (they overflowed the simplex potentials).
func TestHugeCosts(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, sz := range [][2]int{{30, 30}, {30, 40}} {
		c := mat.NewDense(sz[0], sz[1], nil)
		c.Apply(func(_, _ int, _ float64) float64 { return r.Float64() }, c)
		want, err := Solve(nil, nil, c)
		if err != nil {
			t.Fatal(err)
		}
		wantNS, err := NetworkSimplex(nil, nil, c, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []int{1000, -1060} {
			var big mat.Dense
			big.Apply(func(_, _ int, v float64) float64 { return math.Ldexp(v, e) }, c)
			got, err := Solve(nil, nil, &big)
			if err != nil {
				t.Fatal(err)
			}
			if w := math.Ldexp(want.Cost, e); got.Cost != w {
				t.Errorf("%v at 2^%d: cost %v, want %v", sz, e, got.Cost, w)
			}
			got, err = NetworkSimplex(nil, nil, &big, nil, nil)
			if err != nil || got.Cost != math.Ldexp(wantNS.Cost, e) {
				t.Errorf("%v at 2^%d: simplex cost %v, %v", sz, e, got.Cost, err)
			}
		}
	}
}

// TestSparseDeterministic: the plan does not depend on the number of cores.
func TestSparseDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x, y := clusteredCloud(r, 1200, 4, 6, 0), clusteredCloud(r, 1000, 4, 6, 2)
	var plans []*Plan
	var rounds []int
	for _, procs := range []int{1, 2, 4} {
		old := runtime.GOMAXPROCS(procs)
		var last Progress
		p, err := CoupleWith(x, y, nil, nil, SqEuclidean, Options{Progress: func(q Progress) {
			if q.Round < last.Round {
				t.Errorf("progress went back from round %d to %d", last.Round, q.Round)
			}
			last = q
		}})
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		if last.Round == 0 || last.Violations != 0 {
			t.Errorf("last progress report %+v: want a final round without violations", last)
		}
		plans = append(plans, p)
		rounds = append(rounds, last.Round)
	}
	for k := 1; k < len(plans); k++ {
		if plans[k].Cost != plans[0].Cost || !slices.Equal(plans[k].Pairs, plans[0].Pairs) {
			t.Errorf("plan with %d cores differs", []int{1, 2, 4}[k])
		}
		if rounds[k] != rounds[0] {
			t.Errorf("%d rounds with %d cores, %d with 1", rounds[k], []int{1, 2, 4}[k], rounds[0])
		}
	}
}

// TestAssignLaterRounds: the assignment's later pricing rounds price only
// the rows whose dual rose (column prices only fall); on clouds that need
// several rounds the final duals must still be feasible for every pair
// (brute force), and the cost equal the dense assignment's.
func TestAssignLaterRounds(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, d := range []int{2, 5} {
		x, y := clusteredCloud(r, 900, d, 6, 0), clusteredCloud(r, 900, d, 5, 4)
		rounds := 0
		p, err := CoupleWith(x, y, nil, nil, SqEuclidean, Options{Neighbours: 2, Progress: func(q Progress) { rounds = q.Round }})
		if err != nil {
			t.Fatal(err)
		}
		if rounds < 3 {
			t.Fatalf("d=%d: %d pricing rounds; the test needs at least 3", d, rounds)
		}
		cost, _ := CostMatrix(x, y, SqEuclidean)
		worst, scale := reducedCostFloor(cost, p.U, p.V)
		if !(worst >= -1e-10*scale) { // NaN potentials fail too
			t.Errorf("d=%d: dual infeasible, min reduced cost %.3g", d, worst)
		}
		_, ref, err := Assign(cost)
		if err != nil {
			t.Fatal(err)
		}
		if relErr(p.Cost, ref/900) > 1e-12 {
			t.Errorf("d=%d: cost %.15g, dense assignment %.15g", d, p.Cost, ref/900)
		}
	}
}

// TestAssignDrift: equal clouds displaced coherently over many
// neighbour spacings (a smooth map moving points by up to 2, where they
// lie 0.18 apart, as a drifted simulation's snapshots) and independent
// 2-D clouds (and the drift under the Euclidean cost, as jko eval's W1).
// Column reduction's prices are far off there: the solver
// used to take 10 pricing rounds and 6n augmentations on the drift (and
// 24 CPU-s at 10,000 points of a simulation); it now starts over from the
// coarse plan's prices. The duals must certify optimality over all pairs
// (brute force), the cost equal the dense assignment's, and the plan not
// depend on the number of cores.
func TestAssignDrift(t *testing.T) {
	const n = 2000
	r := rand.New(rand.NewPCG(31, 32))
	drift, indep := mat.NewDense(n, 2, nil), mat.NewDense(n, 2, nil)
	x := uniformCloud(r, n, 2)
	for i := 0; i < n; i++ {
		for k := 0; k < 2; k++ {
			v := x.At(i, k)
			drift.Set(i, k, v+v*v*v/32+0.01*r.NormFloat64())
			indep.Set(i, k, 8*r.Float64()-4)
		}
	}
	for _, c := range []struct {
		name string
		y    *mat.Dense
		cf   CostFunc
	}{{"drift", drift, SqEuclidean}, {"independent", indep, SqEuclidean}, {"drift W1", drift, Euclidean}} {
		t.Run(c.name, func(t *testing.T) {
			var plans []*Plan
			for _, procs := range []int{1, 2} {
				old := runtime.GOMAXPROCS(procs)
				var last Progress
				p, err := CoupleWith(x, c.y, nil, nil, c.cf, Options{Progress: func(q Progress) { last = q }})
				runtime.GOMAXPROCS(old)
				if err != nil {
					t.Fatal(err)
				}
				if last.Round > 6 || last.Pivots > n {
					t.Errorf("%d cores: %d pricing rounds and %d augmentations; want at most 6 and n = %d", procs, last.Round, last.Pivots, n)
				}
				plans = append(plans, p)
			}
			p := plans[0]
			if p.Cost != plans[1].Cost || !slices.Equal(p.Pairs, plans[1].Pairs) {
				t.Errorf("plan with 2 cores differs")
			}
			cost, _ := CostMatrix(x, c.y, c.cf)
			worst, scale := reducedCostFloor(cost, p.U, p.V)
			if !(worst >= -1e-10*scale) { // NaN potentials fail too
				t.Errorf("dual infeasible, min reduced cost %.3g", worst)
			}
			for _, q := range p.Pairs {
				if rc := cost.At(q.I, q.J) - p.U[q.I] - p.V[q.J]; !(math.Abs(rc) <= 1e-10*scale) {
					t.Errorf("pair %+v has reduced cost %.3g", q, rc)
				}
			}
			_, ref, err := Assign(cost)
			if err != nil {
				t.Fatal(err)
			}
			if relErr(p.Cost, ref/n) > 1e-12 {
				t.Errorf("cost %.15g, dense assignment %.15g", p.Cost, ref/n)
			}
		})
	}
}

// TestAssignNeighbours: the assignment solver finds the dense
// assignment's plan whatever the neighbours of its candidate graph (1 to
// 32, cold and from the prices of a nearby problem), on independent
// clouds, a cloud and a noisy copy of it (a displacement of about the
// spacing), and a drifted copy (several spacings: the coarse restart), in
// 2-D and 5-D; every pair is checked against the plan's dual certificate,
// which the pricing rounds establish only for rows whose certified
// threshold (the last query's least value left out of the graph) does not
// cover them.
func TestAssignNeighbours(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{2, 5} {
		const n = 1100 // 2n ≥ multiscaleMin: the coarse restart may run
		x := uniformCloud(r, n, d)
		moved := func(a, sd float64) *mat.Dense {
			y := mat.NewDense(n, d, nil)
			for i := 0; i < n; i++ {
				for k := 0; k < d; k++ {
					v := x.At(i, k)
					y.Set(i, k, v-a*v*v*v+sd*r.NormFloat64())
				}
			}
			return y
		}
		spacing := 8 / math.Pow(n, 1/float64(d))
		for _, c := range []struct {
			name string
			y    *mat.Dense
		}{
			{"independent", uniformCloud(r, n, d)},
			{"noisy copy", moved(0, spacing)},
			{"drifted copy", moved(0.02, 0.2*spacing)},
		} {
			cost, _ := CostMatrix(x, c.y, SqEuclidean)
			rowsol, ref, err := Assign(cost)
			if err != nil {
				t.Fatal(err)
			}
			base, err := CoupleWith(x, c.y, nil, nil, SqEuclidean, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range []int{1, 4, 8, 16, 32} {
				for _, warm := range []bool{false, true} {
					opt := Options{Neighbours: k}
					if warm {
						opt.Prices = base.V
					}
					p, err := CoupleWith(x, c.y, nil, nil, SqEuclidean, opt)
					if err != nil {
						t.Fatal(err)
					}
					if relErr(p.Cost, ref/n) > 1e-12 {
						t.Errorf("%d-D %s, k = %d, warm %v: cost %.15g, dense assignment %.15g", d, c.name, k, warm, p.Cost, ref/n)
					}
					same := true
					for _, q := range p.Pairs {
						same = same && rowsol[q.I] == q.J
					}
					if !same {
						t.Errorf("%d-D %s, k = %d, warm %v: pairs differ from the dense assignment's", d, c.name, k, warm)
					}
					worst, scale := reducedCostFloor(cost, p.U, p.V)
					if !(worst >= -1e-10*scale) {
						t.Errorf("%d-D %s, k = %d, warm %v: dual infeasible, min reduced cost %.3g", d, c.name, k, warm, worst)
					}
				}
			}
		}
	}
}

// TestAssignPrices: the assignment solver started from column prices
// (Options.Prices) finds the plan it finds cold, with a dual certificate
// over all pairs, whatever the prices: those of a nearby problem (the
// same noise at another scale, as the β calibration's trials), random
// ones, and prices of the wrong length (ignored). The nearby prices
// leave it fewer than n/3 augmentations (the cold start leaves more than
// n/3 rows free and restarts from the coarse plan: 532 augmentations
// after it, 267 from the nearby prices).
func TestAssignPrices(t *testing.T) {
	const n = 1000
	r := rand.New(rand.NewPCG(41, 42))
	x := uniformCloud(r, n, 2)
	noise := make([]float64, 2*n)
	for i := range noise {
		noise[i] = r.NormFloat64()
	}
	step := func(sd float64) *mat.Dense {
		y := mat.NewDense(n, 2, nil)
		for i := 0; i < n; i++ {
			for k := 0; k < 2; k++ {
				v := x.At(i, k)
				y.Set(i, k, v-0.05*v*v*v+sd*noise[2*i+k])
			}
		}
		return y
	}
	y1, y2 := step(0.045), step(0.05)
	solve := func(y *mat.Dense, prices []float64) (*Plan, int) {
		var last Progress
		p, err := CoupleWith(x, y, nil, nil, SqEuclidean, Options{Prices: prices, Progress: func(q Progress) { last = q }})
		if err != nil {
			t.Fatal(err)
		}
		return p, last.Pivots
	}
	near, _ := solve(y1, nil)
	cold, coldAugs := solve(y2, nil)
	random := make([]float64, n)
	for j := range random {
		random[j] = 10 * r.NormFloat64()
	}
	cost, _ := CostMatrix(x, y2, SqEuclidean)
	for _, c := range []struct {
		name   string
		prices []float64
	}{{"nearby", near.V}, {"random", random}, {"wrong length", near.V[:n-1]}} {
		t.Run(c.name, func(t *testing.T) {
			p, augs := solve(y2, c.prices)
			if p.Cost != cold.Cost || !slices.Equal(p.Pairs, cold.Pairs) {
				t.Errorf("plan differs from the cold start's: cost %.17g, cold %.17g", p.Cost, cold.Cost)
			}
			if c.name == "nearby" && (3*augs >= n || augs >= coldAugs) {
				t.Errorf("%d augmentations from nearby prices, %d cold; want fewer than n/3 and than cold", augs, coldAugs)
			}
			worst, scale := reducedCostFloor(cost, p.U, p.V)
			if !(worst >= -1e-10*scale) { // NaN potentials fail too
				t.Errorf("dual infeasible, min reduced cost %.3g", worst)
			}
		})
	}
}

// TestAssignDeterministic: the assignment solver's plan and potentials
// are the same bits on 1, 2 and 4 cores, cold and warm-started, on a
// noisy copy (no restart) and a drifted copy (the coarse restart at
// once).
func TestAssignDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n = 1500
	x := uniformCloud(r, n, 2)
	noisy, drifted := mat.NewDense(n, 2, nil), mat.NewDense(n, 2, nil)
	for i := 0; i < n; i++ {
		for k := 0; k < 2; k++ {
			v := x.At(i, k)
			noisy.Set(i, k, v+0.1*r.NormFloat64())
			drifted.Set(i, k, v-0.1*v+0.05*r.NormFloat64())
		}
	}
	for _, c := range []struct {
		name string
		y    *mat.Dense
	}{{"noisy", noisy}, {"drifted", drifted}} {
		base, err := CoupleWith(x, c.y, nil, nil, SqEuclidean, Options{})
		if err != nil {
			t.Fatal(err)
		}
		prices := slices.Clone(base.V)
		for j := range prices {
			prices[j] += 0.01 * r.NormFloat64()
		}
		for _, warm := range []bool{false, true} {
			var plans []*Plan
			for _, procs := range []int{1, 2, 4} {
				opt := Options{}
				if warm {
					opt.Prices = prices
				}
				old := runtime.GOMAXPROCS(procs)
				p, err := CoupleWith(x, c.y, nil, nil, SqEuclidean, opt)
				runtime.GOMAXPROCS(old)
				if err != nil {
					t.Fatal(err)
				}
				plans = append(plans, p)
			}
			for k := 1; k < len(plans); k++ {
				p, q := plans[k], plans[0]
				if p.Cost != q.Cost || !slices.Equal(p.Pairs, q.Pairs) || !slices.Equal(p.U, q.U) || !slices.Equal(p.V, q.V) {
					t.Errorf("%s, warm %v: the plan or potentials on %d cores differ from 1 core's", c.name, warm, []int{1, 2, 4}[k])
				}
			}
		}
	}
}
