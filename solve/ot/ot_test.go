package ot

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"
)

type otCase struct {
	Name      string      `json:"name"`
	X         [][]float64 `json:"x"`
	Y         [][]float64 `json:"y"`
	A         []float64   `json:"a"`
	B         []float64   `json:"b"`
	W2Squared float64     `json:"w2_squared"`
	W1        float64     `json:"w1"`
}

func loadCases(t *testing.T) []otCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/ot_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []otCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	return f.Cases
}

func dense(rows [][]float64) *mat.Dense {
	d := len(rows[0])
	m := mat.NewDense(len(rows), d, nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

// checkPlan verifies non-negativity, marginals (to tol) and the cost.
func checkPlan(t *testing.T, p *Plan, a, b []float64, cost *mat.Dense, tol float64) {
	t.Helper()
	n, m := cost.Dims()
	a, _ = normWeights("a", a, n)
	b, _ = normWeights("b", b, m)
	ga, gb := p.Marginals()
	sum := 0.0
	for _, q := range p.Pairs {
		if !(q.Mass > 0) {
			t.Fatalf("pair %+v has non-positive mass", q)
		}
		sum += q.Mass * cost.At(q.I, q.J)
	}
	for i := range a {
		if math.Abs(ga[i]-a[i]) > tol {
			t.Fatalf("row %d marginal %.17g want %.17g", i, ga[i], a[i])
		}
	}
	for j := range b {
		if math.Abs(gb[j]-b[j]) > tol {
			t.Fatalf("col %d marginal %.17g want %.17g", j, gb[j], b[j])
		}
	}
	if relErr(sum, p.Cost) > 1e-12 && math.Abs(sum-p.Cost) > 1e-15 {
		t.Fatalf("plan cost %v, recomputed %v", p.Cost, sum)
	}
}

func TestReferenceCases(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			x, y := dense(c.X), dense(c.Y)
			for _, k := range []struct {
				cf   CostFunc
				want float64
			}{{SqEuclidean, c.W2Squared}, {Euclidean, c.W1}} {
				cost, err := CostMatrix(x, y, k.cf)
				if err != nil {
					t.Fatal(err)
				}
				// Network simplex, identity and principal order.
				ro, co := principalOrder(x, y)
				for _, ord := range [][2][]int{{nil, nil}, {ro, co}} {
					p, err := NetworkSimplex(c.A, c.B, cost, ord[0], ord[1])
					if err != nil {
						t.Fatal(err)
					}
					if e := relErr(p.Cost, k.want); e > 1e-9 {
						t.Errorf("%v simplex cost %.15g want %.15g (rel %g)", k.cf, p.Cost, k.want, e)
					}
					checkPlan(t, p, c.A, c.B, cost, 1e-12)
				}
				// Public helpers.
				var got float64
				if k.cf == SqEuclidean {
					got, err = W2Squared(x, y, c.A, c.B)
				} else {
					got, err = W1(x, y, c.A, c.B)
				}
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(got, k.want); e > 1e-9 {
					t.Errorf("%v helper %.15g want %.15g", k.cf, got, k.want)
				}
				// Assignment solver on the equal uniform cases.
				if len(c.X) == len(c.Y) && isUniform(c.A) && isUniform(c.B) {
					_, tot, err := Assign(cost)
					if err != nil {
						t.Fatal(err)
					}
					if e := relErr(tot/float64(len(c.X)), k.want); e > 1e-9 {
						t.Errorf("%v assignment %.15g want %.15g", k.cf, tot/float64(len(c.X)), k.want)
					}
				}
			}
		})
	}
}

func randCloud(r *rand.Rand, n, d int) *mat.Dense {
	m := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			m.Set(i, k, r.NormFloat64())
		}
	}
	return m
}

func TestAssignVsSimplex(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, d int }{{1, 2}, {2, 1}, {5, 2}, {17, 3}, {60, 2}, {150, 5}, {300, 2}} {
		for rep := 0; rep < 3; rep++ {
			x, y := randCloud(r, tc.n, tc.d), randCloud(r, tc.n, tc.d)
			for _, cf := range []CostFunc{SqEuclidean, Euclidean} {
				cost, _ := CostMatrix(x, y, cf)
				perm, tot, err := Assign(cost)
				if err != nil {
					t.Fatal(err)
				}
				if !isPerm(perm, tc.n) {
					t.Fatalf("not a permutation: %v", perm)
				}
				p, err := NetworkSimplex(nil, nil, cost, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if e := relErr(tot/float64(tc.n), p.Cost); e > 1e-10 {
					t.Errorf("n=%d d=%d %v: assignment %.15g simplex %.15g", tc.n, tc.d, cf, tot/float64(tc.n), p.Cost)
				}
			}
		}
	}
}

// Integer costs with many ties stress degenerate pivots and equal keys.
func TestAssignIntegerTies(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{3, 8, 40, 120} {
		cost := mat.NewDense(n, n, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				cost.Set(i, j, float64(r.IntN(4)))
			}
		}
		_, tot, _ := Assign(cost)
		p, err := NetworkSimplex(nil, nil, cost, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(tot/float64(n)-p.Cost) > 1e-12 {
			t.Errorf("n=%d: assignment %v simplex %v", n, tot/float64(n), p.Cost)
		}
	}
}
