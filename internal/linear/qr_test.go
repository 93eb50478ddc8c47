package linear

import (
	"math"
	"math/big"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// exactLSQ solves the least-squares problem min ‖a x − b‖² (m×p,
// row-major float64 entries, taken as exact rationals) in rational
// arithmetic, by Gaussian elimination on the normal equations: with no
// rounding, squaring the condition number costs nothing. An independent
// reference for the floating-point solvers.
func exactLSQ(a, b []float64, m, p int) []float64 {
	rat := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	g := make([][]*big.Rat, p)
	for i := range g {
		g[i] = make([]*big.Rat, p+1)
		for j := range g[i] {
			g[i][j] = new(big.Rat)
		}
	}
	t := new(big.Rat)
	for r := 0; r < m; r++ {
		row := make([]*big.Rat, p+1)
		for j := 0; j < p; j++ {
			row[j] = rat(a[r*p+j])
		}
		row[p] = rat(b[r])
		for i := 0; i < p; i++ {
			for j := 0; j <= p; j++ {
				g[i][j].Add(g[i][j], t.Mul(row[i], row[j]))
			}
		}
	}
	for k := 0; k < p; k++ {
		for i := k + 1; i < p; i++ {
			f := new(big.Rat).Quo(g[i][k], g[k][k])
			for j := k; j <= p; j++ {
				g[i][j].Sub(g[i][j], t.Mul(f, g[k][j]))
			}
		}
	}
	x := make([]*big.Rat, p)
	for i := p - 1; i >= 0; i-- {
		s := new(big.Rat).Set(g[i][p])
		for j := i + 1; j < p; j++ {
			s.Sub(s, t.Mul(g[i][j], x[j]))
		}
		x[i] = s.Quo(s, g[i][i])
	}
	out := make([]float64, p)
	for i, v := range x {
		out[i], _ = v.Float64()
	}
	return out
}

// TestQRIllConditioned: on a design whose condition number (columns
// scaled to unit norm) is about 1e7, the QR path keeps the solution to
// ~1e-9 where the normal equations, squaring the condition number to
// 1e14, lose all but a few digits. Reference: the exact rational
// solution of the same float64 data.
func TestQRIllConditioned(t *testing.T) {
	const m, p = 60, 7
	a := make([]float64, m*p)
	b := make([]float64, m)
	for r := 0; r < m; r++ {
		x := 1 + 0.75*float64(r)/(m-1)
		v := 1.0
		for j := 0; j < p; j++ {
			a[r*p+j] = v
			b[r] += v * float64(j+1) // θ = 1, 2, …, p
			v *= x
		}
		// A small, exactly known residual: ±2⁻²⁰ alternating.
		b[r] += math.Ldexp(1, -20) * float64(1-2*(r%2))
	}
	w := make([]float64, m)
	for i := range w {
		w[i] = 1
	}
	// The condition number of the column-scaled design.
	d := mat.NewDense(m, p, append([]float64(nil), a...))
	for j := 0; j < p; j++ {
		col := mat.Col(nil, j, d)
		n := math.Sqrt(sumSq(col))
		for i := range col {
			d.Set(i, j, col[i]/n)
		}
	}
	var svd mat.SVD
	svd.Factorize(d, mat.SVDNone)
	sv := svd.Values(nil)
	cond := sv[0] / sv[p-1]
	if cond < 3e6 || cond > 3e7 {
		t.Fatalf("condition number %.3g, want about 1e7", cond)
	}
	want := exactLSQ(a, b, m, p)
	relErr := func(th []float64) float64 {
		e := 0.0
		for j := range th {
			e = math.Max(e, math.Abs(th[j]-want[j])/math.Abs(want[j]))
		}
		return e
	}
	s := Settings{RankTol: 1e-20}
	q := NewQR(p)
	q.AddRows(a, b, w)
	fq, err := q.Factor()
	if err != nil {
		t.Fatal(err)
	}
	rq, err := fq.Solve(s)
	if err != nil {
		t.Fatal(err)
	}
	n := NewNormal(p)
	n.AddRows(a, b, w)
	errNormal := 1.0 // a failed solve has lost every digit
	if rn, err := n.Solve(s); err == nil {
		errNormal = relErr(rn.Theta)
	}
	t.Logf("condition %.3g: largest relative error %.3g by QR, %.3g by the normal equations", cond, relErr(rq.Theta), errNormal)
	if e := relErr(rq.Theta); e > cond*1e-15 {
		t.Errorf("QR: relative error %.3g, want ≤ cond·1e-15 = %.3g", e, cond*1e-15)
	}
	if rq.Rank != p || math.Abs(rq.Cond/(cond*cond)-1) > 1e-3 {
		t.Errorf("QR: rank %d, condition %.6g of the normal matrix, want %d and %.6g", rq.Rank, rq.Cond, p, cond*cond)
	}
	// The test has teeth: the normal equations, the former path, fail it.
	if errNormal < 1e3*cond*1e-15 {
		t.Errorf("normal equations: relative error %.3g, expected to lose far more digits than QR", errNormal)
	}
	// The residual of the factored form is not a difference of large
	// numbers: it matches the one summed over the rows.
	rss := 0.0
	for r := 0; r < m; r++ {
		e := -b[r]
		for j := 0; j < p; j++ {
			e += a[r*p+j] * rq.Theta[j]
		}
		rss += e * e
	}
	if math.Abs(rq.RSS-rss) > 1e-6*rss {
		t.Errorf("RSS %.10g from the factor, %.10g from the rows", rq.RSS, rss)
	}
}

// Bad input is an error from Factor, never a silent answer: a NaN in the
// rows, a negative or infinite weight, no rows at all.
func TestQRBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []float64
		w    float64
		want string
	}{
		{"NaN feature", []float64{math.NaN(), 1}, []float64{1}, 1, "NaN"},
		{"Inf target", []float64{1, 1}, []float64{math.Inf(1)}, 1, "NaN or Inf"},
		{"negative weight", []float64{1, 1}, []float64{1}, -1, "weight -1"},
		{"infinite weight", []float64{1, 1}, []float64{1}, math.Inf(1), "weight +Inf"},
		{"NaN weight", []float64{1, 1}, []float64{1}, math.NaN(), "weight NaN"},
	} {
		q := NewQR(2)
		q.AddRows(tc.a, tc.b, []float64{tc.w})
		_, err := q.Factor()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := NewQR(2).Factor(); err == nil {
		t.Error("no rows: no error")
	}
}

// TestQRGram: the normal matrix from the QR factor equals the one summed
// over the rows, to rounding, block by block (more rows than qrBlock).
func TestQRGram(t *testing.T) {
	const m, p = qrBlock + 700, 11
	a, b, w := randomRows(9, m, p)
	q := NewQR(p)
	q.AddRows(a, b, w)
	n := NewNormal(p)
	n.AddRows(a, b, w)
	g := q.Gram()
	scale := 0.0
	for i := 0; i < p; i++ {
		scale = math.Max(scale, n.AtA[i*p+i])
	}
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			if d := math.Abs(g[i*p+j] - n.AtA[i*p+j]); d > 1e-12*scale {
				t.Errorf("(%d, %d): %.17g from the factor, %.17g from the rows", i, j, g[i*p+j], n.AtA[i*p+j])
			}
			if g[j*p+i] != g[i*p+j] {
				t.Errorf("(%d, %d): not symmetric", i, j)
			}
		}
	}
}

// The factor does not depend on the number of cores: the transpose of a
// block, the panel's columns and the trailing columns are split among
// them, each entry computed the same way whatever the split (a block of
// 4,096 rows puts a few panel columns on each core).
func TestQRCoreCountIndependent(t *testing.T) {
	const m, p = 9000, 70
	a, b, w := randomRows(17, m, p)
	var want []float64
	for _, procs := range []int{1, 2, 3, 8} {
		old := runtime.GOMAXPROCS(procs)
		q := NewQR(p)
		q.AddRows(a, b, w)
		runtime.GOMAXPROCS(old)
		if want == nil {
			want = q.r
			continue
		}
		for i, v := range q.r {
			if math.Float64bits(v) != math.Float64bits(want[i]) {
				t.Fatalf("GOMAXPROCS %d: entry %d of the factor is %.17g, %.17g on one core", procs, i, v, want[i])
			}
		}
	}
	nonzero := 0
	for _, v := range want {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero < (p+1)*(p+2)/2-1 {
		t.Errorf("only %d nonzero entries in the triangle", nonzero)
	}
}
