package ijkonet

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/jko-org/jko/solve/evaluate"
	"github.com/jko-org/jko/solve/sim"
	"github.com/jko-org/jko/solve/snapshot"
	"github.com/jko-org/jko/stdlib"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// The batches of μ_{k+1} are the optimal-assignment partners of μ_k's
// (pairBatches): a permutation, the true pairs on paired data of a
// contraction (whose optimal map is the flow's own), an unbiased gradient
// (the mean over every batch of one particle is the full-batch gradient),
// and on unpaired snapshots a gradient of far smaller variance than the
// same indices drawn from both (the behaviour before the pairing).
func TestPairedBatches(t *testing.T) {
	m := model(t, "potential V(x) = mlp(x, 8)\n")
	for _, unpaired := range []bool{false, true} {
		s := data(t, 300, unpaired)
		o := Options{Batch: 30, Seed: 1}.WithDefaults(m)
		tr, err := newTrainer(m, s, o)
		if err != nil {
			t.Fatal(err)
		}
		d, n := m.Dim, tr.ns[0]
		for k, p := range tr.partner {
			if p == nil {
				t.Fatalf("unpaired %v, step %d: no partners", unpaired, k)
			}
			seen, identity := make([]bool, n), true
			for i := range n {
				if p.start[i+1]-p.start[i] != 1 {
					t.Fatalf("unpaired %v, step %d: particle %d has %d partners", unpaired, k, i, p.start[i+1]-p.start[i])
				}
				j := p.js[p.start[i]]
				if j < 0 || j >= n || seen[j] {
					t.Fatalf("unpaired %v, step %d: partners %v are not a permutation", unpaired, k, p.js)
				}
				seen[j], identity = true, identity && i == j
			}
			if !unpaired && !identity {
				t.Errorf("paired data of V = ‖x‖², step %d: the partners are not the true pairs", k)
			}
		}
		// Particle maps away from the identity, so both sides of the gap count.
		for k := range tr.disp {
			for i := range tr.disp[k] {
				tr.disp[k][i] = 0.01 * math.Sin(float64(3*i+k))
			}
		}
		set := func(k int, idx []int) {
			tr.idxX[k] = idx
			tr.idxY[k] = nil
			if idx != nil {
				tr.idxY[k] = []int{tr.partner[k].js[tr.partner[k].start[idx[0]]]}
			}
			tr.xb[k], tr.nb[k] = tr.pick(k, idx)
			if idx == nil {
				tr.batchD[k] = tr.disp[k]
			} else {
				tr.batchD[k] = tr.disp[k][idx[0]*d : (idx[0]+1)*d]
			}
		}
		gradient := func() []float64 {
			if _, _, err := tr.energyGradient(0); err != nil {
				t.Fatal(err)
			}
			return append([]float64(nil), tr.gtheta...)
		}
		for k := 0; k < tr.K; k++ {
			set(k, nil)
		}
		full := gradient()
		mean := make([]float64, len(full))
		for i := 0; i < n; i++ {
			for k := 0; k < tr.K; k++ {
				set(k, []int{i})
			}
			floats.AddScaled(mean, 1/float64(n), gradient())
		}
		scale := floats.Norm(full, math.Inf(1))
		if diff := floats.Distance(mean, full, math.Inf(1)); diff > 1e-10*scale {
			t.Errorf("unpaired %v: the mean over one-particle batches differs from the full-batch gradient by %g (scale %g)", unpaired, diff, scale)
		}
		if !unpaired {
			continue
		}
		// The batch gradient's mean squared error over 200 draws, with the
		// partners and with the same indices on both sides.
		mse := func() float64 {
			e := 0.0
			for r := 0; r < 200; r++ {
				tr.drawBatches()
				for k := 0; k < tr.K; k++ {
					tr.batchD[k] = tr.batchD[k][:0]
					for _, i := range tr.idxX[k] {
						tr.batchD[k] = append(tr.batchD[k], tr.disp[k][i*d:(i+1)*d]...)
					}
				}
				g := gradient()
				e += floats.Distance(g, full, 2) * floats.Distance(g, full, 2) / 200
			}
			return e
		}
		paired := mse()
		tr.partner = nil
		independent := mse()
		t.Logf("unpaired quadratic, mlp(x, 8), batches of 30 of 300: the gradient's mean squared error %.3g with partners, %.3g with the same indices (%.1f×); ‖full gradient‖² %.3g", paired, independent, independent/paired, floats.Dot(full, full))
		if paired > independent/4 {
			t.Errorf("paired batches' gradient error %g, want at most a quarter of the independent batches' %g", paired, independent)
		}
	}
}

// TestGradientNoise measures, on the comparison's unpaired snapshots
// (BENCHMARKS.md, "iJKOnet against JKOnet*": 1,000 particles per
// snapshot, five Euler steps of 0.01 from uniform on [−4, 4]², V =
// mlp(x, 64, 64) at its initial θ, batches of 256), the θ-gradient's
// signal-to-noise ratio ‖g‖²/E‖ĝ − g‖² with independent batches and with
// partners (JKO_LONG=1; JKO_POTENTIALS, default styblinski_tang and
// wavy_plateau).
func TestGradientNoise(t *testing.T) {
	if os.Getenv("JKO_LONG") == "" {
		t.Skip("JKO_LONG=1 measures the gradient's noise on the comparison's data")
	}
	pots := []string{"styblinski_tang", "wavy_plateau"}
	if v := os.Getenv("JKO_POTENTIALS"); v != "" {
		pots = strings.Split(v, ",")
	}
	m := model(t, "potential V(x) = mlp(x, 64, 64)\n")
	for _, p := range pots {
		src, ok := stdlib.Source(p)
		if !ok {
			t.Fatalf("no potential %q", p)
		}
		truth := model(t, string(src))
		f, _ := evaluate.NewFlow(truth, truth.InitTheta(0))
		res, err := sim.Run(f, sim.Options{Particles: 1000, Steps: 5, Dt: 0.01,
			Init: sim.Init{Kind: "uniform", Lo: -4, Hi: 4}, Seed: 3, Unpaired: true})
		if err != nil {
			t.Fatal(err)
		}
		tr, err := newTrainer(m, &snapshot.Snapshots{Times: res.Times, X: res.X}, Options{Seed: 1}.WithDefaults(m))
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < tr.K; k++ {
			tr.idxX[k], tr.idxY[k] = nil, nil
			tr.xb[k], tr.nb[k] = tr.pick(k, nil)
			tr.batchD[k] = tr.disp[k]
		}
		if _, _, err := tr.energyGradient(0); err != nil {
			t.Fatal(err)
		}
		full := append([]float64(nil), tr.gtheta...)
		mse := func() float64 {
			e := 0.0
			for r := 0; r < 100; r++ {
				tr.drawBatches()
				for k := 0; k < tr.K; k++ {
					tr.batchD[k] = tr.disp[k][:tr.nb[k]*m.Dim] // zero: T = identity
				}
				if _, _, err := tr.energyGradient(0); err != nil {
					t.Fatal(err)
				}
				dist := floats.Distance(tr.gtheta, full, 2)
				e += dist * dist / 100
			}
			return e
		}
		paired := mse()
		tr.partner = nil
		independent := mse()
		g2 := floats.Dot(full, full)
		fmt.Printf("GRADIENT NOISE %s: ‖g‖²/E‖ĝ − g‖² = %.3g with independent batches, %.3g with partners (%.1f× less noise)\n", p, g2/independent, g2/paired, independent/paired)
	}
}

// Snapshots of different sizes: each particle of μ_k draws its partner
// from its row of the optimal plan, so every partner is a uniform draw of
// μ_{k+1} (the rows' shares sum to n_k/n_{k+1} per particle of μ_{k+1}),
// the gradient is unbiased (its mean over every one-particle batch and
// partner, weighted by the shares, is the full-batch gradient), and its
// noise is far below that of independent batches.
func TestPairedBatchesUnequal(t *testing.T) {
	m := model(t, "potential V(x) = mlp(x, 8)\n")
	full6 := data(t, 300, true)
	// Two snapshots, the second with 220 of its 300 particles.
	x1 := mat.DenseCopyOf(full6.X[1].Slice(0, 220, 0, 2))
	s := &snapshot.Snapshots{Times: full6.Times[:2], X: []*mat.Dense{full6.X[0], x1}}
	tr, err := newTrainer(m, s, Options{Batch: 30, Seed: 1}.WithDefaults(m))
	if err != nil {
		t.Fatal(err)
	}
	n, nm, d := tr.ns[0], tr.ns[1], m.Dim
	p := tr.partner[0]
	if p == nil {
		t.Fatal("no partners for snapshots of 300 and 220 particles")
	}
	col := make([]float64, nm)
	split := 0
	for i := range n {
		lo, hi := p.start[i], p.start[i+1]
		if hi <= lo || p.cum[hi-1] != 1 {
			t.Fatalf("particle %d: row %v", i, p.cum[lo:hi])
		}
		if hi-lo > 1 {
			split++
		}
		prev := 0.0
		for q := lo; q < hi; q++ {
			col[p.js[q]] += (p.cum[q] - prev) / float64(n)
			prev = p.cum[q]
		}
	}
	for j, v := range col {
		if math.Abs(v-1/float64(nm)) > 1e-12 {
			t.Fatalf("partner %d is drawn with probability %g, want 1/%d", j, v, nm)
		}
	}
	if split == 0 {
		t.Fatal("no particle's mass is split: the case is not tested")
	}
	for i := range tr.disp[0] {
		tr.disp[0][i] = 0.01 * math.Sin(float64(3*i))
	}
	gradient := func(idx, idy []int) []float64 {
		tr.idxX[0], tr.idxY[0] = idx, idy
		tr.xb[0], tr.nb[0] = tr.pick(0, idx)
		tr.batchD[0] = tr.batchD[0][:0]
		if idx == nil {
			tr.batchD[0] = tr.disp[0]
		} else {
			for _, i := range idx {
				tr.batchD[0] = append(tr.batchD[0], tr.disp[0][i*d:(i+1)*d]...)
			}
		}
		if _, _, err := tr.energyGradient(0); err != nil {
			t.Fatal(err)
		}
		return append([]float64(nil), tr.gtheta...)
	}
	full := gradient(nil, nil)
	tr.batchD[0] = nil
	mean := make([]float64, len(full))
	for i := range n {
		prev := 0.0
		for q := p.start[i]; q < p.start[i+1]; q++ {
			floats.AddScaled(mean, (p.cum[q]-prev)/float64(n), gradient([]int{i}, []int{p.js[q]}))
			prev = p.cum[q]
		}
	}
	scale := floats.Norm(full, math.Inf(1))
	if diff := floats.Distance(mean, full, math.Inf(1)); diff > 1e-10*scale {
		t.Errorf("the mean over one-particle batches and their partners differs from the full-batch gradient by %g (scale %g)", diff, scale)
	}
	mse := func() float64 {
		e := 0.0
		for range 200 {
			tr.drawBatches()
			g := gradient(tr.idxX[0], tr.idxY[0])
			e += floats.Distance(g, full, 2) * floats.Distance(g, full, 2) / 200
		}
		return e
	}
	paired := mse()
	tr.partner = nil
	independent := mse()
	t.Logf("300 and 220 particles (%d rows split), batches of 30: the gradient's mean squared error %.3g with partners, %.3g independent (%.1f×)", split, paired, independent, independent/paired)
	if paired > independent/4 {
		t.Errorf("paired batches' gradient error %g, want at most a quarter of the independent batches' %g", paired, independent)
	}
}
