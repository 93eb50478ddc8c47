package jkonet

import (
	"fmt"

	"github.com/jko-org/jko/compile"
	"github.com/jko-org/jko/internal/linear"
)

// refits solves the closed forms of the β estimator's calibration refits
// (kept): each fits the drift to simulated pairs that start from the same
// source particles, so its rows are the sources' features τF_i (computed
// once, in feats) and only the targets, and which source each pair starts
// from, change. The normal matrix Σ_p w_p τ²F_{I_p}ᵀF_{I_p} = Σ_i m_i
// τ²F_iᵀF_i depends on the pairs only through each source's mass m_i, the
// coupling's first marginal, which an exact coupling keeps the same in
// every refit: it is formed and factored once and reused
// (linear.Normal.FactorReusing) while the masses are the same, and a
// refit then costs O(N·d·P) for AᵀWb and O(P²) for the solve instead of
// O(N·d·P²) + O(P³). The sums are those of the rows made pair by pair,
// and for a coupling that is a permutation (pairs sorted by source, one
// each: the exact coupling of two equal clouds) the same bits.
type refits struct {
	feats []sourceFeatures
	// mass is, per step and source, the mass gram was formed with.
	mass [][]float64
	gram []float64
	// last is the previous refit's factored problem, whose decomposition
	// the next one reuses.
	last *linear.Factored
	// dataGram is AᵀWA of the data's rows (nil: not at hand); see
	// gramFromData.
	dataGram []float64
	// warm is what the simulations carry across trials (calWarm).
	warm *calWarm
}

// gramFromData sets the normal matrix from the data's, when the refits'
// rows are the data's: every step's source features were gathered from
// the data's rows (τF_i is then the data's row of the pair from source
// i, to rounding), every source is one pair's (as many pairs as sources),
// and the data's pair weights and the refits' source masses are one and
// the same number (the exact coupling's 1/n). Only the entropy's column,
// which the refits hold at 0 and gathering zeroes, differs: it is zeroed.
// The data's AᵀWA comes from their QR (linear.QR.Gram, O(P³)), which
// spares the refits' O(N·d·P²) rank-k update.
func (rf *refits) gramFromData(m *compile.Model, prep *Prepared, mass [][]float64) bool {
	P := m.NumParams
	if len(rf.dataGram) != P*P {
		return false
	}
	for s := range prep.Steps {
		st := &prep.Steps[s]
		if !rf.feats[s].gathered || st.N != st.NS || len(mass[s]) != st.NS || st.NS == 0 {
			return false
		}
		w := mass[s][0]
		for _, v := range mass[s] {
			if v != w {
				return false
			}
		}
		for _, v := range st.W[:st.N] {
			if v != w {
				return false
			}
		}
	}
	g := append([]float64(nil), rf.dataGram...)
	if at := entropyEntry(m); at >= 0 {
		for j := 0; j < P; j++ {
			g[at*P+j], g[j*P+at] = 0, 0
		}
	}
	rf.gram = g
	return true
}

// simPairs is one step of a calibration refit: the coupled pairs (I a
// source particle, J a simulated one) and the simulated cloud y (NS×d).
type simPairs struct {
	pairs []Pair
	y     []float64
}

// solve fits the drift to the simulated pairs of every step as FitLinear
// does to the data's (θ inside m's bounds, β's entry held at 0), reusing
// the last refit's decomposition, and keeps its own for the next.
func (rf *refits) solve(m *compile.Model, prep *Prepared, sims []simPairs, o Options) ([]float64, error) {
	rf.setGram(m, prep, simMass(prep, sims))
	th, f, err := rf.solveFrom(m, prep, sims, o, rf.last)
	if err != nil {
		return nil, err
	}
	rf.last = f
	return th, nil
}

// uniformMass returns, per step and source, the mass the exact coupling
// of two equal clouds moves from it: 1/NS, the assignment's.
func uniformMass(prep *Prepared) [][]float64 {
	mass := make([][]float64, len(prep.Steps))
	for s := range prep.Steps {
		n := prep.Steps[s].NS
		mass[s] = make([]float64, n)
		for i := range mass[s] {
			mass[s][i] = 1 / float64(n)
		}
	}
	return mass
}

// prefactor sets the normal matrix for the masses of uniformMass and
// factors it, with zero targets, solving once within m's bounds: the
// decompositions the first refit needs (AᵀWA's, and that of the free
// block of the bounds held) are then made while the first simulations
// are coupled (calibrate runs it alongside). A refit whose masses are
// those reuses them (FactorReusing: the same bits as made afresh); with
// other masses setGram starts over.
func (rf *refits) prefactor(m *compile.Model, prep *Prepared, o Options) {
	mass := uniformMass(prep)
	rf.setGram(m, prep, mass)
	P := m.NumParams
	n := &linear.Normal{P: P, AtA: rf.gram, Atb: make([]float64, P), Asum: make([]float64, P)}
	for s := range mass {
		for _, w := range mass[s] {
			n.W += w * float64(m.Dim)
		}
		n.Rows += len(mass[s]) * m.Dim
	}
	f, err := n.FactorReusing(nil)
	if err != nil {
		return
	}
	if _, err := boxSolve(m, f, o, compile.Explicit); err != nil {
		return
	}
	rf.last = f
}

// simMass returns, per step and source, the mass the simulated pairs
// move from it (the coupling's first marginal).
func simMass(prep *Prepared, sims []simPairs) [][]float64 {
	mass := make([][]float64, len(sims))
	for s, sm := range sims {
		mass[s] = make([]float64, prep.Steps[s].NS)
		for _, pr := range sm.pairs {
			mass[s][pr.I] += pr.Mass
		}
	}
	return mass
}

// setGram makes the normal matrix the one of the source masses mass,
// unless it is already (bit for bit).
func (rf *refits) setGram(m *compile.Model, prep *Prepared, mass [][]float64) {
	if rf.sameMass(mass) {
		return
	}
	if rf.gramFromData(m, prep, mass) {
		rf.mass, rf.last = mass, nil
		return
	}
	// Σ_i m_i τ²F_iᵀF_i: the rows τF_i with weight m_i, source by
	// source (linear.Normal's symmetric rank-k update).
	d, P := m.Dim, m.NumParams
	g := linear.NewNormal(P)
	for s := range mass {
		st, f := &prep.Steps[s], rf.feats[s]
		F := make([]float64, st.NS*d*P)
		w := make([]float64, st.NS*d)
		for i, v := range f.F[:st.NS*d*P] {
			F[i] = st.Tau * v
		}
		for r := range w {
			w[r] = mass[s][r/d]
		}
		g.AddRows(F, make([]float64, len(w)), w)
	}
	rf.mass, rf.gram, rf.last = mass, g.AtA, nil
}

// solveFrom is solve with the normal matrix already set (setGram) and
// prev the decomposition to reuse (nil: none). It changes nothing in rf,
// so that refits of one normal matrix can run at once: each answer is the
// same, bit for bit, whatever prev (linear.Normal.FactorReusing).
func (rf *refits) solveFrom(m *compile.Model, prep *Prepared, sims []simPairs, o Options, prev *linear.Factored) ([]float64, *linear.Factored, error) {
	d, P := m.Dim, m.NumParams
	// AᵀWb and the targets' sums over the pairs, in the order and
	// operations of linear.Normal.AddRows.
	n := &linear.Normal{P: P, AtA: rf.gram, Atb: make([]float64, P), Asum: make([]float64, P)}
	for s, sm := range sims {
		st, f := &prep.Steps[s], rf.feats[s]
		for _, pr := range sm.pairs {
			w := pr.Mass
			for k := 0; k < d; k++ {
				src := pr.I*d + k
				b := -(sm.y[pr.J*d+k] - st.Source[src] + st.Tau*f.c[src])
				for j, fv := range f.F[src*P : (src+1)*P] {
					v := st.Tau * fv
					n.Asum[j] += w * v
					n.Atb[j] += w * v * b
				}
				n.Btb += w * b * b
				n.Bsum += w * b
				n.W += w
			}
		}
		n.Rows += len(sm.pairs) * d
	}
	f, err := n.FactorReusing(prev)
	if err != nil {
		return nil, nil, fmt.Errorf("jkonet: linear solve: %w", err)
	}
	th, err := boxSolve(m, f, o, compile.Explicit)
	if err != nil {
		return nil, nil, err
	}
	return th, f, nil
}

// sameMass reports whether mass equals the masses the normal matrix was
// formed with, bit for bit.
func (rf *refits) sameMass(mass [][]float64) bool {
	if rf.gram == nil || len(mass) != len(rf.mass) {
		return false
	}
	for s := range mass {
		if len(mass[s]) != len(rf.mass[s]) {
			return false
		}
		for i, v := range mass[s] {
			if v != rf.mass[s][i] {
				return false
			}
		}
	}
	return true
}
