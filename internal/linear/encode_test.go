package linear

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// randomRows returns m rows of p features (columns of different scales),
// targets and weights.
func randomRows(seed uint64, m, p int) (a, b, w []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	a = make([]float64, m*p)
	b = make([]float64, m)
	w = make([]float64, m)
	for r := 0; r < m; r++ {
		y := 0.0
		for j := 0; j < p; j++ {
			v := rng.NormFloat64() * math.Pow(10, float64(j%4)-1)
			a[r*p+j] = v
			y += float64(j+1) * v
		}
		b[r] = y + 0.1*rng.NormFloat64()
		w[r] = rng.Float64()
	}
	return a, b, w
}

func relDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// Sums of shards, merged in any grouping, equal the sums of one pass over
// all the rows, and so do the solutions and their diagnostics.
func TestShardsMergeToOnePass(t *testing.T) {
	const m, p = 1000, 7
	a, b, w := randomRows(1, m, p)
	whole := NewNormal(p)
	whole.AddRows(a, b, w)
	for _, tc := range []struct {
		name string
		cuts []int // shard boundaries
		tree bool  // merge pairwise in a tree instead of left to right
	}{
		{"two halves", []int{0, 500, 1000}, false},
		{"uneven shards", []int{0, 1, 17, 300, 301, 999, 1000}, false},
		{"tree of ten", []int{0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}, true},
		{"empty shard", []int{0, 0, 1000}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var shards []*Normal
			for s := 0; s+1 < len(tc.cuts); s++ {
				lo, hi := tc.cuts[s], tc.cuts[s+1]
				n := NewNormal(p)
				n.AddRows(a[lo*p:hi*p], b[lo:hi], w[lo:hi])
				shards = append(shards, n)
			}
			for len(shards) > 1 {
				if tc.tree {
					var next []*Normal
					for i := 0; i < len(shards); i += 2 {
						if i+1 < len(shards) {
							shards[i].Merge(shards[i+1])
						}
						next = append(next, shards[i])
					}
					shards = next
				} else {
					shards[0].Merge(shards[1])
					shards = append(shards[:1], shards[2:]...)
				}
			}
			got := shards[0]
			if got.Rows != whole.Rows {
				t.Errorf("rows %d, want %d", got.Rows, whole.Rows)
			}
			for i := 0; i < p; i++ {
				for j := i; j < p; j++ {
					if d := relDiff(got.AtA[i*p+j], whole.AtA[i*p+j]); d > 1e-12 {
						t.Errorf("AᵀWA[%d,%d] differs by %.3g", i, j, d)
					}
				}
				if d := relDiff(got.Atb[i], whole.Atb[i]); d > 1e-12 {
					t.Errorf("AᵀWb[%d] differs by %.3g", i, d)
				}
			}
			for _, pr := range [][2]float64{{got.Btb, whole.Btb}, {got.Bsum, whole.Bsum}, {got.W, whole.W}} {
				if d := relDiff(pr[0], pr[1]); d > 1e-12 {
					t.Errorf("scalar sums differ by %.3g", d)
				}
			}
			r1, err1 := whole.Solve(Settings{Ridge: 1e-3})
			r2, err2 := got.Solve(Settings{Ridge: 1e-3})
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			// The residual from the sums is a difference of large numbers
			// (it differs here by 1e-8 between groupings); a second pass
			// over the rows gives it to full precision, and the standard
			// errors with it.
			for _, r := range []*Result{r1, r2} {
				rss := 0.0
				for i := 0; i < m; i++ {
					e := -b[i]
					for j, v := range a[i*p : (i+1)*p] {
						e += v * r.Theta[j]
					}
					rss += w[i] * e * e
				}
				r.SetRSS(rss, math.NaN())
			}
			for j := range r1.Theta {
				if d := relDiff(r1.Theta[j], r2.Theta[j]); d > 1e-12 {
					t.Errorf("θ%d: %v merged, %v one pass", j, r2.Theta[j], r1.Theta[j])
				}
				// Under the ridge the residual is first order in θ (its
				// gradient is −2Λθ, not 0): the rounding of θ (1e-15 of
				// the largest scaled unknown, ~1e4 here) moves RSS by
				// ~2·1e-3·1e4·1e-11 ≈ 2e-10 of 84, and the standard
				// errors by half that ratio, ~1e-12.
				if d := relDiff(r1.StdErr[j], r2.StdErr[j]); d > 1e-11 {
					t.Errorf("stderr θ%d: %v merged, %v one pass", j, r2.StdErr[j], r1.StdErr[j])
				}
			}
			if r1.Rank != r2.Rank || relDiff(r1.Cond, r2.Cond) > 1e-9 {
				t.Errorf("rank %d cond %v merged, rank %d cond %v one pass", r2.Rank, r2.Cond, r1.Rank, r1.Cond)
			}
		})
	}
}

func TestNormalBinaryRoundTrip(t *testing.T) {
	a, b, w := randomRows(2, 50, 5)
	n := NewNormal(5)
	n.AddRows(a, b, w)
	n.AtA[3] = math.Inf(1) // special values travel too
	n.Asum[0] = math.Copysign(0, -1)
	n.Bsum = math.NaN()
	data, err := n.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != normalSize(5) {
		t.Errorf("%d bytes, want %d", len(data), normalSize(5))
	}
	var got Normal
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	same := func(x, y []float64) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	}
	if got.P != n.P || got.Rows != n.Rows || !same(got.AtA, n.AtA) || !same(got.Atb, n.Atb) || !same(got.Asum, n.Asum) ||
		!same([]float64{got.Btb, got.Bsum, got.W}, []float64{n.Btb, n.Bsum, n.W}) {
		t.Errorf("round trip changed the sums:\n got %+v\nwant %+v", got, *n)
	}
}

func TestNormalBadEncoding(t *testing.T) {
	n := NewNormal(3)
	n.AddRow([]float64{1, 2, 3}, 4, 1)
	good, _ := n.MarshalBinary()
	badVersion := append([]byte{}, good...)
	badVersion[4] = 9
	badSize := append([]byte{}, good...)
	badSize[5] = 200 // claims 200 unknowns
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not ours", []byte("hello, world, not sums")},
		{"truncated", good[:len(good)-1]},
		{"too long", append(append([]byte{}, good...), 0)},
		{"version", badVersion},
		{"size", badSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keep := *NewNormal(1)
			got := keep
			err := got.UnmarshalBinary(tc.data)
			if !errors.Is(err, ErrBadEncoding) {
				t.Fatalf("err = %v, want ErrBadEncoding", err)
			}
			if got.P != keep.P {
				t.Error("a failed decode changed the receiver")
			}
		})
	}
}

func FuzzNormalUnmarshal(f *testing.F) {
	n := NewNormal(2)
	n.AddRow([]float64{1, 2}, 3, 1)
	good, _ := n.MarshalBinary()
	f.Add(good)
	f.Add([]byte("JKNE\x01\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got Normal
		if err := got.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := got.MarshalBinary()
		if err != nil || string(again) != string(data) {
			t.Errorf("decoded sums do not encode back to the input")
		}
	})
}
