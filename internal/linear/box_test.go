package linear

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// bruteBox minimises ½θᵀAθ − bᵀθ over the box by enumerating every
// assignment of the unknowns to free, lower or upper (3^p of them), solving
// each equality-constrained problem with gonum and keeping the best
// feasible one: for a strictly convex problem the optimum is among them.
func bruteBox(a *mat.SymDense, b, lo, hi []float64) (best []float64, fbest float64) {
	p := len(b)
	fbest = math.Inf(1)
	total := 1
	for i := 0; i < p; i++ {
		total *= 3
	}
	obj := func(x []float64) float64 {
		f := 0.0
		for i := 0; i < p; i++ {
			for j := 0; j < p; j++ {
				f += 0.5 * x[i] * a.At(i, j) * x[j]
			}
			f -= b[i] * x[i]
		}
		return f
	}
next:
	for code := 0; code < total; code++ {
		x := make([]float64, p)
		var free []int
		c := code
		for i := 0; i < p; i++ {
			switch c % 3 {
			case 0:
				free = append(free, i)
			case 1:
				if math.IsInf(lo[i], 0) {
					continue next
				}
				x[i] = lo[i]
			case 2:
				if math.IsInf(hi[i], 0) {
					continue next
				}
				x[i] = hi[i]
			}
			c /= 3
		}
		if len(free) > 0 {
			q := len(free)
			m := mat.NewDense(q, q, nil)
			r := mat.NewVecDense(q, nil)
			for fi, i := range free {
				for fj, j := range free {
					m.Set(fi, fj, a.At(i, j))
				}
				v := b[i]
				for j := 0; j < p; j++ {
					v -= a.At(i, j) * x[j] * boolf(!contains(free, j))
				}
				r.SetVec(fi, v)
			}
			var u mat.VecDense
			if err := u.SolveVec(m, r); err != nil {
				continue
			}
			for fi, i := range free {
				x[i] = u.AtVec(fi)
			}
		}
		for i := 0; i < p; i++ {
			if x[i] < lo[i]-1e-12 || x[i] > hi[i]+1e-12 {
				continue next
			}
		}
		if f := obj(x); f < fbest {
			fbest, best = f, x
		}
	}
	return best, fbest
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestSolveBoxBruteForce compares SolveBox with enumeration of the active
// sets on random 4-unknown problems with bounds of every kind (the former
// fix-the-worst-violation loop never released a bound and was suboptimal
// on about 0.6% of such problems).
func TestSolveBoxBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const p, trials = 4, 3000
	for trial := 0; trial < trials; trial++ {
		n := NewNormal(p)
		qr := NewQR(p)
		for r := 0; r < 12; r++ {
			row := make([]float64, p)
			for j := range row {
				row[j] = rng.NormFloat64()
			}
			// Correlated columns make releasing bounds matter.
			row[1] += 0.9 * row[0]
			row[3] -= 0.8 * row[2]
			y := 3 * rng.NormFloat64()
			n.AddRow(row, y, 1)
			qr.AddRows(row, []float64{y}, []float64{1})
		}
		lo, hi := make([]float64, p), make([]float64, p)
		for j := 0; j < p; j++ {
			lo[j], hi[j] = math.Inf(-1), math.Inf(1)
			switch rng.IntN(4) {
			case 0:
				lo[j] = 0
			case 1:
				hi[j] = 0.3 * rng.NormFloat64()
			case 2:
				lo[j] = -rng.Float64()
				hi[j] = rng.Float64()
			}
		}
		ridge := 0.0
		if trial%2 == 1 {
			ridge = 0.1
		}
		x, where, err := n.SolveBox(Settings{Ridge: ridge}, lo, hi)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		// The rows' QR gives the same bounded solution.
		fq, err := qr.Factor()
		if err != nil {
			t.Fatal(err)
		}
		xq, whereQ, err := fq.SolveBox(Settings{Ridge: ridge}, lo, hi)
		if err != nil {
			t.Fatalf("trial %d (QR): %v", trial, err)
		}
		for j := range x {
			if whereQ[j] != where[j] || math.Abs(xq[j]-x[j]) > 1e-9*(1+math.Abs(x[j])) {
				t.Fatalf("trial %d: QR θ = %v (%v), normal equations %v (%v)", trial, xq, whereQ, x, where)
			}
		}
		a := mat.NewSymDense(p, nil)
		full := n.symmetric()
		for i := 0; i < p; i++ {
			for j := i; j < p; j++ {
				v := full[i*p+j]
				if i == j {
					v *= 1 + ridge
				}
				a.SetSym(i, j, v)
			}
		}
		want, fwant := bruteBox(a, n.Atb, lo, hi)
		for j := 0; j < p; j++ {
			if math.Abs(x[j]-want[j]) > 1e-8*(1+math.Abs(want[j])) {
				t.Fatalf("trial %d: θ = %v (%v), brute force %v (objective %g)", trial, x, where, want, fwant)
			}
			if (where[j] == Lower && x[j] != lo[j]) || (where[j] == Upper && x[j] != hi[j]) {
				t.Fatalf("trial %d: unknown %d marked %v at %g", trial, j, where[j], x[j])
			}
		}
	}
}

// TestRelativeRidgeUnits: a relative ridge gives the same fit in any units
// of the features and of the targets.
func TestRelativeRidgeUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const p = 3
	rows := make([][]float64, 50)
	bs := make([]float64, 50)
	for r := range rows {
		rows[r] = []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		bs[r] = 2*rows[r][0] - rows[r][1] + 0.5*rows[r][2] + 0.1*rng.NormFloat64()
	}
	fit := func(fs [p]float64, bscale float64) []float64 {
		n := NewNormal(p)
		for r, row := range rows {
			sr := make([]float64, p)
			for j := range sr {
				sr[j] = row[j] * fs[j]
			}
			n.AddRow(sr, bs[r]*bscale, 1)
		}
		res, err := n.Solve(Settings{Ridge: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		// Back to the units of the first fit.
		out := make([]float64, p)
		for j := range out {
			out[j] = res.Theta[j] * fs[j] / bscale
		}
		return out
	}
	ref := fit([p]float64{1, 1, 1}, 1)
	got := fit([p]float64{1e-3, 50, 1e4}, 1e-5)
	for j := range ref {
		if math.Abs(got[j]-ref[j]) > 1e-9*math.Abs(ref[j]) {
			t.Errorf("θ%d: %v in other units, %v", j, got[j], ref[j])
		}
	}
	if math.Abs(ref[0]-2) < 0.05 {
		t.Errorf("θ0 = %v: a ridge of 0.3 should shrink it visibly", ref[0])
	}
}
