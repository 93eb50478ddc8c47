package eval

import "github.com/jko-org/jko/internal/ir"

// operand returns how an instruction reads node a: varying or uniform, a
// full value or (for a binary op) a scalar broadcast in place.
func (b *builder) operand(a ir.NodeID, binary bool) operand {
	g, ref := b.g, b.ref
	if binary && g.Op(a) == ir.OpBroadcast {
		s := g.Node(a).Args[0]
		if b.varying[s] {
			return operand{ref: ref[s], mode: mVS, size: 1}
		}
		return operand{ref: ref[s], mode: mUS, size: 1}
	}
	size := g.Shape(a).Size()
	if b.varying[a] {
		return operand{ref: ref[a], mode: mV, size: size}
	}
	if binary && (size == 1 || isFill(g.ConstValue(a))) {
		return operand{ref: ref[a], mode: mUS, size: 1}
	}
	return operand{ref: ref[a], mode: mU, size: size}
}

// emit writes the instructions of the varying code (paired activations,
// Gaussian grids and fused axpys as their own instructions, the rest as
// their ir op) and locates the outputs.
func (b *builder) emit() {
	g, p, pl, ref := b.g, b.p, b.pl, b.ref
	for _, id := range b.vcode {
		if q, ok := b.partner[id]; ok {
			if q == 0 {
				continue // computed with its partner
			}
			sp, sg := id, q
			if g.Op(id) == ir.OpSigmoid {
				sp, sg = q, id
			}
			pl.code = append(pl.code, instr{op: opSoftSig, out: ref[sp], out2: ref[sg], size: g.Shape(id).Size(), node: id,
				args: []operand{b.operand(b.eff(id)[0], false)}})
			continue
		}
		if gg, ok := b.gauss[id]; ok {
			pl.code = append(pl.code, instr{op: opGauss, out: ref[id], size: g.Shape(id).Size(), node: id,
				args: []operand{b.operand(gg.x, false)}, gauss: gg})
			continue
		}
		if f, ok := b.fused[id]; ok {
			pl.code = append(pl.code, instr{op: opAxpy, out: ref[id], size: g.Shape(id).Size(), node: id,
				args: []operand{b.operand(f.y, true), b.operand(f.x, true), b.operand(f.c, true)}, p: f.sy, i: f.sk, j: int(f.px)})
			continue
		}
		pl.code = append(pl.code, b.instr(id))
	}
	pl.outer = make([][]outerRef, len(p.outputs))
	for k, o := range p.outputs {
		if terms, ok := b.outerOf[k]; ok {
			for _, t := range terms {
				pl.outer[k] = append(pl.outer[k], outerRef{sign: t.sign,
					u: ref[t.u], v: ref[t.v], m: g.Shape(t.u).Size(), c: g.Shape(t.v).Size()})
			}
			pl.outs = append(pl.outs, operand{size: g.Shape(o).Size(), mode: mV})
			continue
		}
		pl.outs = append(pl.outs, b.operand(o, false))
	}
}

// instr is the instruction of node id's own ir op.
func (b *builder) instr(id ir.NodeID) instr {
	g := b.g
	nd := g.Node(id)
	in := instr{op: nd.Op, out: b.ref[id], size: nd.Shape.Size(), p: nd.P, i: nd.I, j: nd.J, node: id}
	for _, a := range nd.Args {
		in.args = append(in.args, b.operand(a, nd.Op.IsBinary()))
	}
	switch nd.Op {
	case ir.OpMatVec, ir.OpMatTVec, ir.OpSqDist:
		in.cols = g.Shape(nd.Args[0]).Cols
	case ir.OpOuter:
		in.cols = nd.Shape.Cols
	}
	return in
}
