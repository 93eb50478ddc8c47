package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gridCentres returns the n0×n1 tensor grid of [lo0, hi0]×[lo1, hi1] in 2-D,
// the first axis fastest when firstFast, else the last.
func gridCentres(n0, n1 int, lo0, hi0, lo1, hi1 float64, firstFast bool) []float64 {
	var c []float64
	at := func(lo, hi float64, n, i int) float64 {
		if n == 1 {
			return lo
		}
		return lo + (hi-lo)*float64(i)/float64(n-1)
	}
	for o := range max(n0, n1) * max(n0, n1) {
		var a, b int
		if firstFast {
			a, b = o%n0, o/n0
		} else {
			a, b = o/n1, o%n1
		}
		if a >= n0 || b >= n1 || len(c) == 2*n0*n1 {
			continue
		}
		c = append(c, at(lo0, hi0, n0, a), at(lo1, hi1, n1, b))
	}
	return c
}

// GradMinusShifts (one point) and GradMinusShiftsRows (many) on a tensor
// grid of shifts give At's values at the targets x − c_m bit for bit: on the lattice in 2-D (the shared
// stencils), with points inside the cloud, at its edge and beyond the
// lattice's reach (where some targets get 0 and others not), for square
// and oblong grids in either order; and through At itself off the lattice
// and in 1-D and 3-D.
func TestGridGradMatchesAt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for _, tc := range []struct {
		name    string
		d       int
		centres []float64
		lattice bool
		s       float64
		ny      int
		spread  float64
		tol     float64
	}{
		{"10×10", 2, gridCentres(10, 10, -4, 4, -4, 4, false), true, 0.5, 600, 1.5, 1e-9},
		{"3×7 first axis fastest", 2, gridCentres(3, 7, -1, 2, -3, 3, true), true, 0.5, 600, 1.5, 1e-9},
		{"1×5", 2, gridCentres(1, 5, 0.5, 0.5, -2, 2, false), true, 0.5, 600, 1.5, 1e-9},
		{"pairs", 2, gridCentres(4, 4, -2, 2, -2, 2, false), false, 0.5, 600, 1.5, 1e-9},
		{"1-D", 1, []float64{-2, -1, 0, 1, 2}, true, 0.5, 600, 1.5, 1e-9},
		{"3-D", 3, []float64{0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1}, true, 2, 3000, 0.5, 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d
			M := len(tc.centres) / d
			ny := tc.ny
			ys := make([]float64, ny*d)
			for i := range ys {
				ys[i] = tc.spread * r.NormFloat64()
			}
			targets := 1 << 40
			if !tc.lattice {
				targets = 1
			}
			gs := NewGaussSum(ys, ny, d, tc.s, tc.tol, targets)
			if gs.Lattice() != tc.lattice {
				t.Fatalf("lattice %v, want %v", gs.Lattice(), tc.lattice)
			}
			ts := NewTensorShifts(tc.centres, M, d)
			if ts == nil {
				t.Fatal("not recognised as a tensor grid")
			}
			var buf GridBuf
			got := make([]float64, M*d)
			want := make([]float64, M*d)
			tg := make([]float64, M*d)
			zeros, nonzeros := 0, 0
			const trials = 60
			xs := make([]float64, 0, trials*d)
			wants := make([]float64, 0, trials*M*d)
			for trial := range trials {
				x := make([]float64, d)
				for k := range x {
					x[k] = tc.spread * r.NormFloat64() * (1 + float64(trial)/10)
				}
				xs = append(xs, x...)
				for m := range M {
					for k := range d {
						tg[m*d+k] = x[k] - tc.centres[m*d+k]
					}
				}
				gs.At(tg, M, nil, want)
				wants = append(wants, want...)
				gs.GradMinusShifts(x, ts, got, &buf)
				for i := range want {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("x = %v, entry %d: %.17g, At %.17g", x, i, got[i], want[i])
					}
					if want[i] == 0 {
						zeros++
					} else {
						nonzeros++
					}
				}
			}
			// All the points at once, shift by shift.
			rows := make([]float64, trials*M*d)
			gs.GradMinusShiftsRows(xs, trials, ts, rows, &buf)
			for i, v := range rows {
				if math.Float64bits(v) != math.Float64bits(wants[i]) {
					t.Fatalf("point %d, entry %d: %.17g with the rows, At %.17g", i/(M*d), i%(M*d), v, wants[i])
				}
			}
			if nonzeros == 0 || (tc.lattice && zeros == 0) {
				t.Errorf("%d entries 0, %d not: the points do not reach both cases", zeros, nonzeros)
			}
		})
	}
}

// NewTensorShifts recognises tensor grids and only them.
func TestNewTensorShifts(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    []float64
		d    int
		ok   bool
	}{
		{"2×3", []float64{0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2}, 2, true},
		{"2×3 shuffled", []float64{1, 2, 0, 0, 1, 0, 0, 2, 1, 1, 0, 1}, 2, true},
		{"a point twice", []float64{0, 0, 0, 1, 0, 1, 1, 0}, 2, false},
		{"not a product", []float64{0, 0, 1, 1, 2, 2}, 2, false},
		{"one point missing", []float64{0, 0, 0, 1, 1, 0}, 2, false},
		{"1-D", []float64{3, 1, 2}, 1, true},
	} {
		ts := NewTensorShifts(tc.c, len(tc.c)/tc.d, tc.d)
		if (ts != nil) != tc.ok {
			t.Errorf("%s: recognised %v, want %v", tc.name, ts != nil, tc.ok)
			continue
		}
		if ts == nil {
			continue
		}
		for m := range ts.M {
			for k := range tc.d {
				if v := ts.Vals[k][ts.Index[m*tc.d+k]]; v != tc.c[m*tc.d+k] {
					t.Errorf("%s: centre %d axis %d is %g, want %g", tc.name, m, k, v, tc.c[m*tc.d+k])
				}
			}
		}
	}
}
