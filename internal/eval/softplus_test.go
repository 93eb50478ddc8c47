package eval

import (
	"github.com/jko-org/jko/internal/gemm"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/jko-org/jko/internal/ir"
)

// The evaluator's softplus agrees with ir.Softplus to a few ulps over the
// whole range, including the tails and the special values.
func TestSoftplusMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 1e-17, -1e-17, 36, -36, 37, -37, 700, -700, 745, -745, 800, -800,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
	for range 100000 {
		xs = append(xs, r.NormFloat64()*math.Pow(10, 4*r.Float64()-2))
	}
	for _, x := range xs {
		got, want := softplus(x), ir.Softplus(x)
		if math.IsNaN(want) != math.IsNaN(got) || (!math.IsNaN(want) && math.Abs(got-want) > 4e-16*math.Abs(want)) {
			t.Fatalf("softplus(%v) = %.17g, want %.17g", x, got, want)
		}
	}
}

// Softplus and sigmoid of one value run as one instruction (one
// exponential for both), whatever order the graph has them in: with the
// scalar kernels the softplus equals the evaluator's own softplus and the
// sigmoid ir.Sigmoid bit for bit; with the vector kernels (where the CPU
// has them) they agree to 4 ulps.
func TestSoftSigPairMatches(t *testing.T) {
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 36, -36, 745, -745, 800, -800,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
	r := rand.New(rand.NewPCG(5, 5))
	for range 3000 {
		xs = append(xs, r.NormFloat64()*math.Pow(10, 4*r.Float64()-2))
	}
	defer func(v, w bool) { vectorActivations, wideActivations = v, w }(vectorActivations, wideActivations)
	for _, vec := range []bool{false, true} {
		if vec && !gemm.HasFMA() {
			continue
		}
		vectorActivations, wideActivations = vec, vec && gemm.HasAVX512()
		for _, sigFirst := range []bool{false, true} {
			g := ir.New()
			x := g.Input("x", ir.Scalar)
			z := g.Mul(x, g.Scalar(1))
			var sp, sg ir.NodeID
			if sigFirst {
				sg = g.Sigmoid(z)
				sp = g.Softplus(z)
			} else {
				sp = g.Softplus(z)
				sg = g.Sigmoid(z)
			}
			// Something between and after, so both stay live across other code.
			out := g.Add(g.Mul(sp, sg), g.Exp(z))
			prog := Compile(g, []ir.NodeID{sg, out, sp})
			n := len(xs)
			dst := [][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
			if err := prog.Run(dst, Inputs{N: n, Varying: map[string][]float64{"x": xs}}); err != nil {
				t.Fatal(err)
			}
			pl, err := prog.plan(&Inputs{Varying: map[string][]float64{"x": nil}}, false)
			if err != nil {
				t.Fatal(err)
			}
			paired := 0
			for _, in := range pl.code {
				if in.op == opSoftSig {
					paired++
				}
			}
			if paired != 1 {
				t.Fatalf("sigmoid first %v: %d paired instructions, want 1", sigFirst, paired)
			}
			tol := 0.0
			if vec {
				tol = 4 * 0x1p-52
			}
			for i, v := range xs {
				wsp, wsg := softplus(v), ir.Sigmoid(v)
				gsp, gsg := dst[2][i], dst[0][i]
				if !nearRel(gsp, wsp, tol) || !nearRel(gsg, wsg, tol) || !nearRel(dst[1][i], gsp*gsg+math.Exp(v), 0) {
					t.Fatalf("vector %v, sigmoid first %v, x = %v: softplus %.17g sigmoid %.17g out %.17g, want %.17g %.17g",
						vec, sigFirst, v, gsp, gsg, dst[1][i], wsp, wsg)
				}
			}
		}
	}
}

// nearRel reports whether got equals want to a relative tolerance tol (0:
// bit for bit, the sign of zero included); NaN matches NaN.
func nearRel(got, want, tol float64) bool {
	if got != got || want != want {
		return got != got && want != want
	}
	if tol == 0 || math.IsInf(want, 0) || want == 0 {
		return got == want && math.Signbit(got) == math.Signbit(want)
	}
	return math.Abs(got-want) <= tol*math.Abs(want)
}

// The vector softplus and sigmoid (exp and log of their own, four values
// at a time) agree with ir.Softplus and ir.Sigmoid to 4 ulps over the
// whole range; groups of four holding a value out of the exponential's
// normal range, or NaN, fall back to the scalar code, as do the last
// len mod 4 values.
func TestVectorActivationsMatch(t *testing.T) {
	if !gemm.HasFMA() {
		t.Skip("no AVX2/FMA: the scalar kernels run")
	}
	r := rand.New(rand.NewPCG(6, 6))
	special := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 36, -36, 707.9, -707.9, 708.5, -708.5, 745, -745,
		800, -800, math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64, 0.3465, -0.3466}
	var xs []float64
	for range 200000 {
		if r.IntN(50) == 0 {
			xs = append(xs, special[r.IntN(len(special))])
		} else {
			xs = append(xs, r.NormFloat64()*math.Pow(10, 5*r.Float64()-3))
		}
	}
	xs = append(xs, 1, 2, 3) // a tail
	sp, sg, sg2, sp2 := make([]float64, len(xs)), make([]float64, len(xs)), make([]float64, len(xs)), make([]float64, len(xs))
	softSig(sp, sg, xs)
	sigmoids(sg2, xs)
	softpluses(sp2, xs)
	const tol = 4 * 0x1p-52
	for i, x := range xs {
		wsp, wsg := ir.Softplus(x), ir.Sigmoid(x)
		if !nearRel(sp[i], wsp, tol) || !nearRel(sg[i], wsg, tol) || !nearRel(sg2[i], wsg, tol) || !nearRel(sp2[i], wsp, tol) {
			t.Fatalf("x = %v: softplus %.17g and %.17g, sigmoid %.17g and %.17g, want %.17g and %.17g", x, sp[i], sp2[i], sg[i], sg2[i], wsp, wsg)
		}
	}
	// The vector kernels ran: a group of ordinary values is taken whole.
	if got := softSig4(&sp[0], &sg[0], &[]float64{0.5, -1, 2, -3}[0], 4); got != 4 {
		t.Errorf("softSig4 wrote %d of 4 ordinary values", got)
	}
	// Eight at a time (AVX-512) and four at a time agree bit for bit.
	if wideActivations {
		if got := softSig8(&sp[0], &sg[0], &[]float64{0.5, -1, 2, -3, 4, -5, 6, -7}[0], 8); got != 8 {
			t.Errorf("softSig8 wrote %d of 8 ordinary values", got)
		}
		wideActivations = false
		sp4, sg4, sgs4 := make([]float64, len(xs)), make([]float64, len(xs)), make([]float64, len(xs))
		softSig(sp4, sg4, xs)
		sigmoids(sgs4, xs)
		wideActivations = true
		softSig(sp, sg, xs)
		sigmoids(sg2, xs)
		for i, x := range xs {
			if !nearRel(sp[i], sp4[i], 0) || !nearRel(sg[i], sg4[i], 0) || !nearRel(sg2[i], sgs4[i], 0) {
				t.Fatalf("x = %v: eight at a time %.17g %.17g %.17g, four at a time %.17g %.17g %.17g",
					x, sp[i], sg[i], sg2[i], sp4[i], sg4[i], sgs4[i])
			}
		}
	}
}
