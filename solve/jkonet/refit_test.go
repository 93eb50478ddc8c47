package jkonet

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/linear"
)

// freshRefit is the calibration refit made from scratch: the rows pair by
// pair (τF_I, −(y_J − x_I + τc_I), the pair's mass), their normal
// equations factored anew, the bounded solve.
func freshRefit(t *testing.T, m *compile.Model, prep *Prepared, feats []sourceFeatures, sims []simPairs, o Options) []float64 {
	t.Helper()
	d, P := m.Dim, m.NumParams
	n := linear.NewNormal(P)
	for s, sm := range sims {
		st := &prep.Steps[s]
		var F, b, w []float64
		for _, pr := range sm.pairs {
			for k := 0; k < d; k++ {
				src := pr.I*d + k
				for _, v := range feats[s].F[src*P : (src+1)*P] {
					F = append(F, st.Tau*v)
				}
				b = append(b, -(sm.y[pr.J*d+k] - st.Source[src] + st.Tau*feats[s].c[src]))
				w = append(w, pr.Mass)
			}
		}
		n.AddRows(F, b, w)
	}
	f, err := n.Factor()
	if err != nil {
		t.Fatal(err)
	}
	th, err := boxSolve(m, f, o, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// TestRefitsReuse: the calibration refits, which form and factor the
// normal matrix once from the sources' masses and then only the targets'
// sums, give the bits of the refit made from scratch when the coupling is
// a permutation (one pair per source, in source order: the exact
// coupling), refit after refit with new targets and a new permutation;
// when a source's mass is split over several pairs they agree to
// rounding, and when the masses change the normal matrix is formed anew.
func TestRefitsReuse(t *testing.T) {
	m, prep := interactionEntropyPrep(t)
	o := DefaultOptions()
	feats := newSourceFeatures(m, prep, linearRows(m, prep))
	rf := &refits{feats: feats}
	rng := rand.New(rand.NewPCG(1, 2))
	d := m.Dim
	// sims returns simulated targets near the sources, coupled by a random
	// permutation (split: each source's mass in two pairs to two targets).
	sims := func(split bool) []simPairs {
		out := make([]simPairs, len(prep.Steps))
		for s := range prep.Steps {
			st := &prep.Steps[s]
			n := st.NS
			y := make([]float64, n*d)
			for i := range y {
				y[i] = st.Source[i] + 0.05*rng.NormFloat64()
			}
			perm := rng.Perm(n)
			for i := 0; i < n; i++ {
				if split {
					out[s].pairs = append(out[s].pairs, Pair{I: i, J: perm[i], Mass: 0.25 / float64(n)},
						Pair{I: i, J: perm[(i+1)%n], Mass: 0.75 / float64(n)})
				} else {
					out[s].pairs = append(out[s].pairs, Pair{I: i, J: perm[i], Mass: 1 / float64(n)})
				}
			}
			out[s].y = y
		}
		return out
	}
	var first *linear.Factored
	for trial := 0; trial < 3; trial++ {
		sm := sims(false)
		got, err := rf.solve(m, prep, sm, o)
		if err != nil {
			t.Fatal(err)
		}
		if trial == 0 {
			first = rf.last
		}
		want := freshRefit(t, m, prep, feats, sm, o)
		for j := range want {
			if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
				t.Fatalf("trial %d: θ[%d] = %v reusing, %v from scratch", trial, j, got[j], want[j])
			}
		}
	}
	// The masses changed: a new normal matrix; the sums agree to rounding.
	sm := sims(true)
	got, err := rf.solve(m, prep, sm, o)
	if err != nil {
		t.Fatal(err)
	}
	if rf.last == first {
		t.Error("new masses reused the old normal matrix")
	}
	want := freshRefit(t, m, prep, feats, sm, o)
	for j := range want {
		if math.Abs(got[j]-want[j]) > 1e-8*(1+math.Abs(want[j])) {
			t.Errorf("split masses: θ[%d] = %v, %v from scratch", j, got[j], want[j])
		}
	}
}

// TestRefitsGramFromData: when the sources' features were gathered from
// the data's rows and the data's pair weights equal the refits' masses,
// the refits take their normal matrix from the data's (the QR's RᵀR,
// the entropy's column zeroed), and their θ agrees with the refit made
// from scratch to rounding; with other masses they form their own.
func TestRefitsGramFromData(t *testing.T) {
	m, prep := interactionEntropyPrep(t)
	o := DefaultOptions()
	blocks := linearRows(m, prep)
	q := linear.NewQR(m.NumParams)
	for _, bl := range blocks {
		q.AddRows(bl.F, bl.b, bl.w)
	}
	rf := &refits{feats: newSourceFeatures(m, prep, blocks), dataGram: q.Gram()}
	rng := rand.New(rand.NewPCG(3, 4))
	d := m.Dim
	sm := make([]simPairs, len(prep.Steps))
	for s := range prep.Steps {
		st := &prep.Steps[s]
		if !rf.feats[s].gathered {
			t.Fatalf("step %d: the source features were not gathered", s)
		}
		sm[s].y = make([]float64, st.NS*d)
		for i := range sm[s].y {
			sm[s].y[i] = st.Source[i] + 0.05*rng.NormFloat64()
		}
		perm := rng.Perm(st.NS)
		for i := range st.NS {
			sm[s].pairs = append(sm[s].pairs, Pair{I: i, J: perm[i], Mass: 1 / float64(st.NS)})
		}
	}
	got, err := rf.solve(m, prep, sm, o)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(rf.gram, func() []float64 {
		g := append([]float64(nil), rf.dataGram...)
		at, P := entropyEntry(m), m.NumParams
		for j := range P {
			g[at*P+j], g[j*P+at] = 0, 0
		}
		return g
	}()) {
		t.Fatal("the refits did not take the data's normal matrix")
	}
	want := freshRefit(t, m, prep, rf.feats, sm, o)
	for j := range want {
		if math.Abs(got[j]-want[j]) > 1e-8*(1+math.Abs(want[j])) {
			t.Errorf("θ[%d] = %v from the data's normal matrix, %v from scratch", j, got[j], want[j])
		}
	}
	// Masses that are not the data's weights: the refits' own matrix.
	for s := range sm {
		for p := range sm[s].pairs {
			sm[s].pairs[p].Mass *= 1 + 0.5*float64(p%2)
		}
	}
	if rf.gramFromData(m, prep, func() [][]float64 {
		out := make([][]float64, len(sm))
		for s := range sm {
			out[s] = make([]float64, prep.Steps[s].NS)
			for _, pr := range sm[s].pairs {
				out[s][pr.I] += pr.Mass
			}
		}
		return out
	}()) {
		t.Error("unequal masses took the data's normal matrix")
	}
}

// interactionEntropyPrep prepares styblinski_tang data (120 particles,
// β = 0.1) for the potential of stSpec, an interaction k·Σz² and an
// entropy: the model of the calibration refits' tests.
func interactionEntropyPrep(t *testing.T) (*compile.Model, *Prepared) {
	t.Helper()
	m := model(t, stSpec+"param k\ninteraction U(z) = k*sum(z^2)\nparam beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n")
	prep, err := Prepare(m, simulate(t, "styblinski_tang", 120, 0.1, 4), DefaultOptions(), compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	return m, prep
}
