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

// pairActivations finds softplus(z) and sigmoid(z) of one varying z in
// the varying code and moves the later of each pair right after the
// earlier one (both read z only, so the order stays topological). partner
// maps the first of a pair to the second and the second to 0 (no node of
// a pair is node 0: each has an argument before it).
func pairActivations(g *ir.Graph, vcode []ir.NodeID, eff func(ir.NodeID) []ir.NodeID) ([]ir.NodeID, map[ir.NodeID]ir.NodeID) {
	type key struct {
		op ir.Op
		z  ir.NodeID
	}
	first := map[key]ir.NodeID{} // the first softplus (sigmoid) of each z
	partner := map[ir.NodeID]ir.NodeID{}
	for _, id := range vcode {
		op := g.Op(id)
		if op != ir.OpSoftplus && op != ir.OpSigmoid {
			continue
		}
		z := eff(id)[0]
		other := ir.OpSigmoid
		if op == ir.OpSigmoid {
			other = ir.OpSoftplus
		}
		if f, ok := first[key{other, z}]; ok {
			if _, taken := partner[f]; !taken && g.Shape(f) == g.Shape(id) {
				partner[f], partner[id] = id, 0
				continue
			}
		}
		if _, ok := first[key{op, z}]; !ok {
			first[key{op, z}] = id
		}
	}
	if len(partner) == 0 {
		return vcode, nil
	}
	out := make([]ir.NodeID, 0, len(vcode))
	for _, id := range vcode {
		q, ok := partner[id]
		if ok && q == 0 {
			continue
		}
		out = append(out, id)
		if ok {
			out = append(out, q)
		}
	}
	return out, partner
}

// softSig writes softplus(z) to sp and sigmoid(z) to sg.
func softSig(sp, sg, z []float64) {
	sp, sg = sp[:len(z)], sg[:len(z)]
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
