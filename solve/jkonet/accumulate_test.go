package jkonet

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/jko-org/jko/internal/linear"
	"gonum.org/v1/gonum/mat"
)

func rel(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// part returns the pairs lo..hi of a step as a step of their own (the
// snapshot's cloud stays whole).
func part(st *Step, lo, hi, d int) *Step {
	idx := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		idx = append(idx, i)
	}
	return gather(st, idx, d)
}

// The closed form as a map and a combine: every step cut into shards,
// each shard's sums sent through bytes, merged in a scrambled order, and
// solved, with the residual from a second pass over the shards, gives
// FitLinear's θ to 1e-12 and its standard errors, R², rank and condition
// number with it, for potentials, interactions, entropies and bounds.
func TestShardedFitEqualsFitLinear(t *testing.T) {
	data := simulate(t, "styblinski_tang", 400, 0.1, 5)
	tests := []struct {
		name, src string
		reg       float64
		evalAt    string
	}{
		{"potential", stSpec, 0, "x"},
		{"potential, ridge from the data", stSpec, -1, "x"},
		{"entropy at y, ridge", stSpec + "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n", 0.01, "y"},
		{"bound held", stSpec + "param beta >= 0.05\ninternal H(rho) = beta*rho*log(rho)\n", 0, "x"},
		{"interaction", stSpec + "param k\ninteraction U(z) = k*sum(z^2)\n", 0.01, "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := model(t, tc.src)
			o := DefaultOptions()
			o.Ridge, o.EvalAt, o.BetaFrom = RidgeFixed(tc.reg), tc.evalAt, BetaScore
			if tc.reg < 0 {
				o.Ridge = RidgeAuto()
			}
			prep, err := Prepare(m, data, o, tc.evalAt)
			if err != nil {
				t.Fatal(err)
			}
			want, err := FitLinear(m, prep, o)
			if err != nil {
				t.Fatal(err)
			}
			// Map: shards of 0, 1, 37 and the rest of each step's pairs.
			var shards [][]byte
			var parts []*Step
			for s := range prep.Steps {
				st := &prep.Steps[s]
				for _, cut := range [][2]int{{0, 0}, {0, 1}, {1, 38}, {38, st.N}} {
					p := part(st, cut[0], cut[1], m.Dim)
					acc, err := NewAccumulator(m, tc.evalAt)
					if err != nil {
						t.Fatal(err)
					}
					if err := acc.Add(m, p); err != nil {
						t.Fatal(err)
					}
					b, err := acc.MarshalBinary()
					if err != nil {
						t.Fatal(err)
					}
					shards = append(shards, b)
					parts = append(parts, p)
				}
			}
			// Combine, in reverse order.
			slices.Reverse(shards)
			total, _ := NewAccumulator(m, tc.evalAt)
			for _, b := range shards {
				var acc Accumulator
				if err := acc.UnmarshalBinary(b); err != nil {
					t.Fatal(err)
				}
				if err := total.Merge(&acc); err != nil {
					t.Fatal(err)
				}
			}
			got, err := total.Solve(m, o)
			if err != nil {
				t.Fatal(err)
			}
			var r Residual
			for _, p := range parts {
				if err := r.Add(m, p, got.Theta, total.MeanTarget()); err != nil {
					t.Fatal(err)
				}
			}
			got.SetResidual(r, m.Dim)
			// The sums agree to rounding (1e-16 relative per row); the
			// solution amplifies that by up to the condition number (1.3e4
			// with the interaction, collinear with the quadratic term).
			tol := math.Max(1e-12, 1e-13*want.Linear.Cond)
			for j := range want.Theta {
				if d := rel(got.Theta[j], want.Theta[j]); d > tol {
					t.Errorf("%s: %.15g sharded, %.15g FitLinear (%.2g)", want.Names[j], got.Theta[j], want.Theta[j], d)
				}
				se, wse := got.StdErr[j], want.StdErr[j]
				if math.IsNaN(se) != math.IsNaN(wse) || (!math.IsNaN(se) && rel(se, wse) > 100*tol) {
					t.Errorf("stderr %s: %.15g sharded, %.15g FitLinear", want.Names[j], se, wse)
				}
			}
			if !slices.Equal(got.Clamped, want.Clamped) || got.EvalAt != want.EvalAt {
				t.Errorf("clamped %v at %s, FitLinear %v at %s", got.Clamped, got.EvalAt, want.Clamped, want.EvalAt)
			}
			if rel(got.Loss, want.Loss) > 100*tol {
				t.Errorf("loss %.15g sharded, %.15g FitLinear", got.Loss, want.Loss)
			}
			gl, wl := got.Linear, want.Linear
			if gl.Rank != wl.Rank || rel(gl.Cond, wl.Cond) > 1e-8 || math.Abs(gl.R2-wl.R2) > 1e-12 || len(gl.Unidentified) != len(wl.Unidentified) {
				t.Errorf("rank %d cond %g R² %.15g sharded; FitLinear rank %d cond %g R² %.15g", gl.Rank, gl.Cond, gl.R2, wl.Rank, wl.Cond, wl.R2)
			}
			if tc.name == "bound held" && !slices.Equal(want.Clamped, []string{"beta"}) {
				t.Errorf("the bound case holds %v, want beta at its bound", want.Clamped)
			}
		})
	}
}

func TestAccumulatorRoundTripAndErrors(t *testing.T) {
	data := simulate(t, "styblinski_tang", 100, 0, 1)
	m := model(t, stSpec)
	o := DefaultOptions()
	prep, err := Prepare(m, data, o, "x")
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := NewAccumulator(m, "x")
	for s := range prep.Steps {
		if err := acc.Add(m, &prep.Steps[s]); err != nil {
			t.Fatal(err)
		}
	}
	b, err := acc.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Accumulator
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b2, _ := back.MarshalBinary()
	if string(b) != string(b2) || back.EvalAt != "x" || len(back.Tau) != len(prep.Steps) {
		t.Error("the round trip changed the accumulator")
	}
	r1, _ := acc.Solve(m, o)
	r2, _ := back.Solve(m, o)
	for j := range r1.Theta {
		if math.Float64bits(r1.Theta[j]) != math.Float64bits(r2.Theta[j]) {
			t.Errorf("θ%d: %v before the round trip, %v after", j, r1.Theta[j], r2.Theta[j])
		}
	}

	// Bad input: clear errors, no panics.
	other := model(t, "param a\npotential V(x) = a*sum(x^2)\n")
	small, _ := NewAccumulator(other, "x")
	atY, _ := NewAccumulator(m, "y")
	clash, _ := NewAccumulator(m, "x")
	st := prep.Steps[0]
	st.Tau *= 2
	if err := clash.Add(m, &st); err != nil {
		t.Fatal(err)
	}
	short := prep.Steps[0]
	short.W = short.W[:1]
	empty, _ := NewAccumulator(m, "x")
	_, emptyErr := empty.Solve(m, o)
	nonlinear := model(t, "param a\npotential V(x) = sum(cos(a*x))\n")
	_, nlErr := NewAccumulator(nonlinear, "x")
	truncated := b[:len(b)-3]
	var junk Accumulator
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"merge of different sizes", acc.Merge(small)},
		{"merge of different eval-at", acc.Merge(atY)},
		{"one step, two τ", acc.Merge(clash)},
		{"ragged step", empty.Add(m, &short)},
		{"nothing added", emptyErr},
		{"not affine", nlErr},
		{"truncated bytes", junk.UnmarshalBinary(truncated)},
		{"other bytes", junk.UnmarshalBinary([]byte("JKNE\x01"))},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := junk.UnmarshalBinary(truncated); !errors.Is(err, linear.ErrBadEncoding) {
		t.Errorf("truncated bytes: %v, want ErrBadEncoding", err)
	}
}

// Minibatches partitions both clouds into batches of nearly equal size:
// ot.MiniBatch's batches.
func TestMinibatches(t *testing.T) {
	for _, tc := range []struct{ n, m, size, want int }{
		{1000, 1000, 100, 10}, {1000, 800, 300, 4}, {5, 1000, 10, 5}, {7, 7, 100, 1},
	} {
		bs, err := Minibatches(tc.n, tc.m, tc.size)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) != tc.want {
			t.Errorf("%d×%d by %d: %d batches, want %d", tc.n, tc.m, tc.size, len(bs), tc.want)
		}
		seenX, seenY := make([]int, tc.n), make([]int, tc.m)
		for _, b := range bs {
			if len(b.X) < tc.n/len(bs) || len(b.X) > tc.n/len(bs)+1 || len(b.Y) < tc.m/len(bs) || len(b.Y) > tc.m/len(bs)+1 {
				t.Errorf("%d×%d: a batch of %d and %d points", tc.n, tc.m, len(b.X), len(b.Y))
			}
			for _, i := range b.X {
				seenX[i]++
			}
			for _, j := range b.Y {
				seenY[j]++
			}
		}
		for _, c := range append(seenX, seenY...) {
			if c != 1 {
				t.Fatalf("%d×%d: a point in %d batches", tc.n, tc.m, c)
			}
		}
	}
	if _, err := Minibatches(10, 10, 0); err == nil {
		t.Error("batch size 0: no error")
	}
}

// The batches coupled one by one (as on the workers of a distributed fit)
// give the pairs of Prepare's mini-batch coupling, weights and all, for
// uniform and weighted clouds of different sizes.
func TestCoupleBatchEqualsMinibatchCoupling(t *testing.T) {
	data := simulate(t, "styblinski_tang", 600, 0, 1)
	x := data.X[0]
	y := gatherRows(data.X[1], rangeInts(0, 550))
	wa := make([]float64, 600)
	for i := range wa {
		wa[i] = 1 + float64(i%7)
	}
	for _, tc := range []struct {
		name string
		wa   []float64
	}{{"uniform", nil}, {"weighted", wa}} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := couple(x, y, tc.wa, nil, MiniBatch(100))
			if err != nil {
				t.Fatal(err)
			}
			bs, err := Minibatches(600, 550, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []Pair
			for _, b := range bs {
				var wab []float64
				if tc.wa != nil {
					wab = gatherVec(tc.wa, b.X)
				}
				p, err := CoupleBatch(gatherRows(x, b.X), gatherRows(y, b.Y), wab, nil, b, BatchMass(tc.wa, 600, b.X), 600, 550)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p...)
			}
			slices.SortFunc(got, func(u, v Pair) int {
				if u.I != v.I {
					return u.I - v.I
				}
				return u.J - v.J
			})
			if len(got) != len(want) {
				t.Fatalf("%d pairs, Prepare's coupling has %d", len(got), len(want))
			}
			for i := range got {
				if got[i].I != want[i].I || got[i].J != want[i].J || rel(got[i].Mass, want[i].Mass) > 1e-12 {
					t.Fatalf("pair %d: %+v, Prepare's %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func rangeInts(lo, hi int) []int {
	out := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

func gatherRows(x *mat.Dense, idx []int) *mat.Dense {
	_, d := x.Dims()
	out := mat.NewDense(len(idx), d, nil)
	for r, i := range idx {
		out.SetRow(r, x.RawRowView(i))
	}
	return out
}

func gatherVec(w []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for r, i := range idx {
		out[r] = w[i]
	}
	return out
}
