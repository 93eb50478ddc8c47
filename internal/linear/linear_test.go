package linear

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// ols solves the same problem with gonum's QR, an independent reference.
func ols(a *mat.Dense, b *mat.VecDense) []float64 {
	var qr mat.QR
	qr.Factorize(a)
	var x mat.VecDense
	if err := qr.SolveVecTo(&x, false, b); err != nil {
		panic(err)
	}
	return x.RawVector().Data
}

func TestSolveMatchesQR(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const m, p = 200, 5
	a := mat.NewDense(m, p, nil)
	b := mat.NewVecDense(m, nil)
	truth := []float64{1, -2, 3e3, 0.5, 1e-3}
	for i := 0; i < m; i++ {
		// Columns of very different scales.
		row := []float64{1, rng.NormFloat64(), rng.NormFloat64() * 1e-3, rng.NormFloat64() * 1e4, rng.NormFloat64()}
		a.SetRow(i, row)
		y := 0.0
		for j := range row {
			y += row[j] * truth[j]
		}
		b.SetVec(i, y+10*rng.NormFloat64())
	}
	n := NewNormal(p)
	for i := 0; i < m; i++ {
		n.AddRow(a.RawRowView(i), b.AtVec(i), 1)
	}
	res, err := n.Solve(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	want := ols(a, b)
	for j := range want {
		if math.Abs(res.Theta[j]-want[j]) > 1e-8*math.Max(1, math.Abs(want[j])) {
			t.Errorf("θ%d = %.12g, QR gives %.12g", j, res.Theta[j], want[j])
		}
	}
	if res.Rank != p || len(res.Unidentified) != 0 {
		t.Errorf("rank %d, unidentified %v", res.Rank, res.Unidentified)
	}
	if res.R2 < 0.9999 || res.R2 > 1 {
		t.Errorf("R² = %v", res.R2)
	}
	// Standard errors: σ²(AᵀA)⁻¹ with σ² = RSS/(m−p).
	var ata mat.SymDense
	ata.SymOuterK(1, a.T())
	var inv mat.Dense
	if err := inv.Inverse(&ata); err != nil {
		t.Fatal(err)
	}
	var r mat.VecDense
	r.MulVec(a, mat.NewVecDense(p, want))
	r.SubVec(&r, b)
	sigma2 := mat.Dot(&r, &r) / float64(m-p)
	for j := 0; j < p; j++ {
		se := math.Sqrt(sigma2 * inv.At(j, j))
		if math.Abs(res.StdErr[j]-se) > 1e-6*se {
			t.Errorf("stderr θ%d = %g, want %g", j, res.StdErr[j], se)
		}
	}
}

func TestMergeEqualsWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	whole, a, b := NewNormal(3), NewNormal(3), NewNormal(3)
	for i := 0; i < 50; i++ {
		row := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		y, w := rng.NormFloat64(), rng.Float64()
		whole.AddRow(row, y, w)
		if i%2 == 0 {
			a.AddRow(row, y, w)
		} else {
			b.AddRow(row, y, w)
		}
	}
	a.Merge(b)
	r1, err1 := whole.Solve(Settings{})
	r2, err2 := a.Solve(Settings{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for j := range r1.Theta {
		if math.Abs(r1.Theta[j]-r2.Theta[j]) > 1e-12 {
			t.Errorf("θ%d: %v vs %v", j, r1.Theta[j], r2.Theta[j])
		}
	}
}

func TestRidgeClosedForm(t *testing.T) {
	// One unknown: minimise Σ (θ − b_i)² + λθ² → θ = Σb/(n+λ), with the
	// relative ridge r = 0.5 of AᵀA = n = 4: λ = 2.
	n := NewNormal(1)
	for _, b := range []float64{1, 2, 3, 4} {
		n.AddRow([]float64{1}, b, 1)
	}
	res, err := n.Solve(Settings{Ridge: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if want := 10.0 / 6; math.Abs(res.Theta[0]-want) > 1e-14 {
		t.Errorf("θ = %v, want %v", res.Theta[0], want)
	}
}

func TestUnidentifiable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name    string
		row     func(x float64) []float64
		want    []string // parameters named in the error
		reason  string
		ridgeOK bool
	}{
		{"zero feature", func(x float64) []float64 { return []float64{x, 0, x * x} }, []string{"b"}, "no effect", true},
		{"collinear", func(x float64) []float64 { return []float64{x, 2 * x, x * x} }, []string{"a", "b"}, "collinear", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := NewNormal(3)
			for i := 0; i < 40; i++ {
				x := rng.NormFloat64()
				n.AddRow(tc.row(x), x, 1)
			}
			_, err := n.Solve(Settings{Names: []string{"a", "b", "c"}})
			if !errors.Is(err, ErrSingular) {
				t.Fatalf("err = %v, want ErrSingular", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
			res, err := n.Solve(Settings{Names: []string{"a", "b", "c"}, Ridge: 1e-3})
			if err != nil {
				t.Fatalf("with ridge: %v", err)
			}
			if res.Rank != 2 || len(res.Unidentified) != 1 {
				t.Errorf("rank %d, unidentified %v", res.Rank, res.Unidentified)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	n := NewNormal(2)
	if _, err := n.Solve(Settings{}); err == nil {
		t.Error("no rows: want error")
	}
	n.AddRow([]float64{math.NaN(), 1}, 1, 1)
	if _, err := n.Solve(Settings{}); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("NaN row: err = %v", err)
	}
}

// Standard errors do not depend on how the weights are scaled.
func TestStdErrWeightScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	n1, n2 := NewNormal(2), NewNormal(2)
	for i := 0; i < 100; i++ {
		x := rng.NormFloat64()
		y := 1 + 2*x + rng.NormFloat64()
		n1.AddRow([]float64{1, x}, y, 1)
		n2.AddRow([]float64{1, x}, y, 1e-3)
	}
	r1, _ := n1.Solve(Settings{})
	r2, _ := n2.Solve(Settings{})
	for j := range r1.StdErr {
		if math.Abs(r1.StdErr[j]-r2.StdErr[j]) > 1e-9*r1.StdErr[j] {
			t.Errorf("stderr %d: weight 1 gives %g, weight 1e-3 gives %g", j, r1.StdErr[j], r2.StdErr[j])
		}
	}
}

// AddRows equals AddRow row by row, and Fix equals solving with the fixed
// columns moved to the right-hand side by hand.
func TestAddRowsAndFix(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const m, p = 40, 4
	a := make([]float64, m*p)
	b := make([]float64, m)
	w := make([]float64, m)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	for i := range b {
		b[i], w[i] = rng.NormFloat64(), rng.Float64()
	}
	one, block := NewNormal(p), NewNormal(p)
	for r := 0; r < m; r++ {
		one.AddRow(a[r*p:(r+1)*p], b[r], w[r])
	}
	block.AddRows(a, b, w)
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			if math.Abs(one.AtA[i*p+j]-block.AtA[i*p+j]) > 1e-12 {
				t.Fatalf("AtA[%d,%d]: %v vs %v", i, j, one.AtA[i*p+j], block.AtA[i*p+j])
			}
		}
	}
	fb, err := block.Factor()
	if err != nil {
		t.Fatal(err)
	}
	sub, free, err := fb.Fix([]int{1, 3}, []float64{0.5, -2})
	if err != nil {
		t.Fatal(err)
	}
	hand := NewNormal(2)
	for r := 0; r < m; r++ {
		row := a[r*p : (r+1)*p]
		hand.AddRow([]float64{row[0], row[2]}, b[r]-0.5*row[1]+2*row[3], w[r])
	}
	if len(free) != 2 || free[0] != 0 || free[1] != 2 {
		t.Fatalf("free = %v", free)
	}
	r1, err1 := sub.Solve(Settings{})
	r2, err2 := hand.Solve(Settings{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	for j := range r1.Theta {
		if math.Abs(r1.Theta[j]-r2.Theta[j]) > 1e-10 || math.Abs(r1.RSS-r2.RSS) > 1e-10 {
			t.Errorf("θ%d: Fix %v, by hand %v (RSS %v vs %v)", j, r1.Theta[j], r2.Theta[j], r1.RSS, r2.RSS)
		}
	}
	// The same from the rows' QR.
	qr := NewQR(p)
	qr.AddRows(a, b, w)
	fq, err := qr.Factor()
	if err != nil {
		t.Fatal(err)
	}
	subQ, _, err := fq.Fix([]int{1, 3}, []float64{0.5, -2})
	if err != nil {
		t.Fatal(err)
	}
	r3, err := subQ.Solve(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for j := range r3.Theta {
		if math.Abs(r3.Theta[j]-r2.Theta[j]) > 1e-12 || math.Abs(r3.RSS-r2.RSS) > 1e-12 || math.Abs(r3.StdErr[j]-r2.StdErr[j]) > 1e-12 {
			t.Errorf("θ%d: QR Fix %v ± %v, by hand %v ± %v (RSS %v vs %v)", j, r3.Theta[j], r3.StdErr[j], r2.Theta[j], r2.StdErr[j], r3.RSS, r2.RSS)
		}
	}
}
