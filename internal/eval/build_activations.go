package eval

import "github.com/jko-org/jko/internal/ir"

// pairActivations computes softplus and sigmoid of one varying value (a
// network's activation and its derivative) by one instruction sharing
// exp(−|z|), at the first one's place, the other moved up next to it.
func (b *builder) pairActivations() {
	b.vcode, b.partner = pairSoftSig(b.g, b.vcode, b.eff)
}

// pairSoftSig finds softplus(z) and sigmoid(z) of one varying z in
// the varying code and moves the later of each pair right after the
// earlier one (both read z only, so the order stays topological). partner
// maps the first of a pair to the second and the second to 0 (no node of
// a pair is node 0: each has an argument before it).
func pairSoftSig(g *ir.Graph, vcode []ir.NodeID, eff func(ir.NodeID) []ir.NodeID) ([]ir.NodeID, map[ir.NodeID]ir.NodeID) {
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
