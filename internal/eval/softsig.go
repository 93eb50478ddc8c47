package eval

import (
	"math"

	"github.com/jko-org/jko/internal/ir"
)

// opSoftSig computes softplus(z) into out and sigmoid(z) into out2 from
// one exponential e = exp(−|z|) (not an ir op). Both equal the separate
// evaluations bit for bit: ir.Sigmoid is 1/(1 + e) for z ≥ 0 and e/(1 + e)
// otherwise, and softplus is computed from the same e.
const opSoftSig ir.Op = 253

// softSig writes softplus(z) to sp and sigmoid(z) to sg: eight at a time
// through softSig8 or four at a time through softSig4 where the CPU allows
// (the two agree bit for bit), the rest (and any group of four with
// |z| > 708 or NaN) by softSigScalar.
func softSig(sp, sg, z []float64) {
	sp, sg = sp[:len(z)], sg[:len(z)]
	i := 0
	if wideActivations {
		for n := len(z) &^ 7; i < n; {
			i += softSig8(&sp[i], &sg[i], &z[i], n-i)
			if i < n { // a group of eight softSig8 left: by fours
				softSigFours(sp[i:i+8], sg[i:i+8], z[i:i+8])
				i += 8
			}
		}
	}
	if vectorActivations {
		n := len(z) &^ 3
		softSigFours(sp[i:n], sg[i:n], z[i:n])
		i = n
	}
	softSigScalar(sp[i:], sg[i:], z[i:])
}

// softSigFours is softSig over a multiple of four values with softSig4,
// the groups of four it leaves by softSigScalar.
func softSigFours(sp, sg, z []float64) {
	for i, n := 0, len(z); i < n; {
		i += softSig4(&sp[i], &sg[i], &z[i], n-i)
		if i < n {
			softSigScalar(sp[i:i+4], sg[i:i+4], z[i:i+4])
			i += 4
		}
	}
}

// sigmoids writes sigmoid(z) to sg, eight or four at a time through
// sigmoid8 or sigmoid4 where the CPU allows (as softSig does).
func sigmoids(sg, z []float64) {
	sg = sg[:len(z)]
	i := 0
	if wideActivations {
		for n := len(z) &^ 7; i < n; {
			i += sigmoid8(&sg[i], &z[i], n-i)
			if i < n {
				sigmoidFours(sg[i:i+8], z[i:i+8])
				i += 8
			}
		}
	}
	if vectorActivations {
		n := len(z) &^ 3
		sigmoidFours(sg[i:n], z[i:n])
		i = n
	}
	for j := i; j < len(z); j++ {
		sg[j] = ir.Sigmoid(z[j])
	}
}

// sigmoidFours is sigmoids over a multiple of four values with sigmoid4.
func sigmoidFours(sg, z []float64) {
	for i, n := 0, len(z); i < n; {
		i += sigmoid4(&sg[i], &z[i], n-i)
		if i < n {
			for j := i; j < i+4; j++ {
				sg[j] = ir.Sigmoid(z[j])
			}
			i += 4
		}
	}
}

// softpluses writes softplus(z) to sp (through softSig where the vector
// kernels run, its sigmoids discarded).
func softpluses(sp, z []float64) {
	if !vectorActivations {
		for i, x := range z {
			sp[i] = softplus(x)
		}
		return
	}
	var sg [256]float64
	for i := 0; i < len(z); i += len(sg) {
		j := min(i+len(sg), len(z))
		softSig(sp[i:j], sg[:j-i], z[i:j])
	}
}

// softSigScalar is softSig one value at a time, with math.Exp and
// math.Log.
func softSigScalar(sp, sg, z []float64) {
	for i, x := range z {
		e := math.Exp(-math.Abs(x))
		u := 1 + e
		l := e
		if u != 1 {
			l = math.Log(u) * (e / (u - 1))
		}
		s := 1 / u
		if x < 0 {
			s = e / u
		}
		sg[i] = s
		switch {
		case x > 0:
			sp[i] = x + l
		case x != x:
			sp[i], sg[i] = x, x
		default:
			sp[i] = l
		}
	}
}
