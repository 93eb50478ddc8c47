package jkonet

import (
	"math"
	"runtime"
	"testing"

	"github.com/jko-org/jko/compile"
)

// The closed form folds each chunk of rows into its QR factor before the
// next is made: the live heap must not grow with the steps already
// folded. Holding every step's rows (N·d·P floats) made it grow by a
// step's rows per step.
func TestFitLinearHoldsNoRows(t *testing.T) {
	data := simulate(t, "styblinski_tang", 1500, 0.1, 3)
	m := model(t, "param c[*]\npotential V(x) = dot(c, polynomials(x, 6))\n")
	o := DefaultOptions()
	prep, err := Prepare(m, data, o, compile.Explicit)
	if err != nil {
		t.Fatal(err)
	}
	stepBytes := float64(prep.Steps[0].N * m.Dim * m.NumParams * 8)
	var heap []float64
	o.Progress = func(stage string, done, total int, loss float64) {
		if stage != "features" {
			return
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = append(heap, float64(ms.HeapAlloc))
	}
	if _, err := FitLinear(m, prep, o); err != nil {
		t.Fatal(err)
	}
	if len(heap) != len(prep.Steps) || len(heap) < 3 {
		t.Fatalf("%d heap readings for %d steps", len(heap), len(prep.Steps))
	}
	// Holding the rows grows the heap by a step's rows per step (2.7 MB
	// over these 3); the bound leaves room for the allocator's and other
	// tests' noise (0.6 MB seen once in a full package run).
	if grow := heap[len(heap)-1] - heap[0]; grow > 1.5*stepBytes {
		t.Errorf("the live heap grew by %.0f bytes over %d steps of %.0f bytes of rows each: rows are held", grow, len(heap)-1, stepBytes)
	}
}

// The rows made a few pairs at a time, with chunks that straddle the
// steps' ends and every kind of term (the offsets into the pairs'
// displacements, weights, densities and density gradients), give the fit
// of one chunk per step.
func TestFitLinearChunksAgree(t *testing.T) {
	data := simulate(t, "styblinski_tang", 300, 0.1, 4)
	tests := []struct {
		name, src string
		scheme    compile.Scheme
	}{
		{"potential", stSpec, compile.Explicit},
		{"entropy at y", stSpec + "param beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n", compile.Implicit},
		{"interaction and entropy", stSpec + "param k\ninteraction U(z) = k*sum(z^2)\nparam beta >= 0\ninternal H(rho) = beta*rho*log(rho)\n", compile.Explicit},
	}
	defer func(n int) { chunkRows = n }(chunkRows)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := model(t, tc.src)
			o := DefaultOptions()
			o.Scheme, o.BetaFrom = &tc.scheme, BetaScore
			prep, err := Prepare(m, data, o, tc.scheme)
			if err != nil {
				t.Fatal(err)
			}
			chunkRows = 1 << 30
			want, err := FitLinear(m, prep, o)
			if err != nil {
				t.Fatal(err)
			}
			chunkRows = 7 // 3 pairs of 2-D rows a chunk: 300 pairs leave 0, 299 leave 2
			got, err := FitLinear(m, prep, o)
			if err != nil {
				t.Fatal(err)
			}
			tol := math.Max(1e-12, 1e-14*want.Linear.Cond)
			for j := range want.Theta {
				if d := rel(got.Theta[j], want.Theta[j]); d > tol {
					t.Errorf("%s: %.15g in chunks, %.15g whole (%.2g)", want.Names[j], got.Theta[j], want.Theta[j], d)
				}
				if d := rel(got.StdErr[j], want.StdErr[j]); d > 100*tol {
					t.Errorf("stderr %s: %.15g in chunks, %.15g whole", want.Names[j], got.StdErr[j], want.StdErr[j])
				}
			}
			if d := rel(got.Loss, want.Loss); d > 100*tol || !(got.Loss > 0) {
				t.Errorf("loss %.15g in chunks, %.15g whole", got.Loss, want.Loss)
			}
		})
	}
}
