package jkonet

import (
	"math"
	"testing"

	"github.com/jko-org/jko/compile"
)

// sameBits reports whether a and b hold the same values bit for bit.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i, v := range a {
		if math.Float64bits(v) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// The rows FitLinear holds when the β estimator will read them (linearRows,
// a step's pairs at once) are the rows stepChunks makes a chunk at a time,
// bit for bit, and the QR and the residual folded from the held rows are
// those folded from the chunks, bit for bit. Each side has its own model,
// so that no row is read from the other's memo of interaction features;
// the interaction has a polynomial part (the cubature), Gaussian bumps
// and the entropy's density-gradient rows.
func TestHeldRowsMatchChunks(t *testing.T) {
	src := stSpec + "param phi[*]\nparam w[*]\ninteraction U(z) = dot(phi, monomials(z, 2)) + dot(w, bumps(z, grid(-2, 2, 3), 0.5))\nparam beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n"
	data := simulate(t, "styblinski_tang", 150, 0.1, 3)
	defer func(n int) { chunkRows = n }(chunkRows)
	// 17 pairs of 2-D rows a chunk: 150 pairs leave 14.
	chunkRows = 35
	mHeld, mChunk := model(t, src), model(t, src)
	o := DefaultOptions()
	prep, err := Prepare(mHeld, data, o, SchemeFor(o, mHeld))
	if err != nil {
		t.Fatal(err)
	}
	if residualBetaEntry(mHeld, o, prep.Scheme) < 0 {
		t.Fatal("the β estimator would not run: FitLinear would not hold the rows")
	}
	held := linearRows(mHeld, prep)
	P, d := mHeld.NumParams, mHeld.Dim
	for s := range prep.Steps {
		st := &prep.Steps[s]
		var F, b, w []float64
		chunks := 0
		stepChunks(mChunk, st, nil, func(cF, cb, cw []float64) {
			F, b, w = append(F, cF...), append(b, cb...), append(w, cw...)
			chunks++
		})
		if chunks < 2 {
			t.Fatalf("step %d: %d chunk: the test needs several", s, chunks)
		}
		if len(F) != st.N*d*P || !sameBits(F, held[s].F) || !sameBits(b, held[s].b) || !sameBits(w, held[s].w) {
			t.Fatalf("step %d: the held rows differ from the chunks' rows", s)
		}
		nonzero := 0
		for _, v := range F {
			if v != 0 {
				nonzero++
			}
		}
		if nonzero < len(F)/2 {
			t.Fatalf("step %d: only %d of %d entries nonzero", s, nonzero, len(F))
		}
	}
	var rb rowBuf
	qrChunk, meanChunk, featChunk := linearQR(mChunk, prep, o, &rb, nil)
	qrHeld, meanHeld, featHeld := linearQR(mHeld, prep, o, &rb, held)
	if !sameBits(qrChunk.Gram(), qrHeld.Gram()) || meanChunk != meanHeld {
		t.Fatal("the QR of the held rows differs from the QR of the chunks")
	}
	if featChunk == 0 || featHeld != 0 {
		t.Errorf("feature time %v from the chunks, %v from the held rows: want > 0 and 0", featChunk, featHeld)
	}
	f, err := qrHeld.Factor()
	if err != nil {
		t.Fatal(err)
	}
	sv, err := solveFactored(mHeld, f, o, prep.Scheme, len(prep.Steps))
	if err != nil {
		t.Fatal(err)
	}
	lossChunk, _ := sv.setResidual(mChunk, prep, meanChunk, &rb, nil)
	rssChunk := sv.res.RSS
	lossHeld, _ := sv.setResidual(mHeld, prep, meanHeld, &rb, held)
	if math.Float64bits(lossChunk) != math.Float64bits(lossHeld) || rssChunk != sv.res.RSS || !(lossHeld > 0) {
		t.Errorf("loss %.17g from the chunks, %.17g from the held rows", lossChunk, lossHeld)
	}
}

// linearRows evaluates and holds the least-squares rows of every step.
func linearRows(m *compile.Model, prep *Prepared) stepBlocks {
	return linearRowsReporting(m, prep, Options{})
}

// stepRows evaluates and holds all the least-squares rows of st (see
// stepChunks).
func stepRows(m *compile.Model, st *Transition) (F, b, w []float64) {
	var rb rowBuf
	return rb.rows(m, st, 0, st.N, m.Dim, m.NumParams)
}
