package eval

import "github.com/jko-org/jko/internal/ir"

// schedule walks back from the outputs to the nodes they need (an output
// reduced as Uᵀ V needs its vectors instead; a binary op reads a
// broadcast scalar in place), then lists, in topological order, the
// varying inputs, the uniform values (and those among them to compute)
// and the varying code, and counts the reads of each value.
func (b *builder) schedule() {
	g, p := b.g, b.p
	b.need = make([]bool, g.Len())
	for k, o := range p.outputs {
		if terms, ok := b.outerOf[k]; ok {
			for _, t := range terms {
				b.need[t.u], b.need[t.v] = true, true
			}
			continue
		}
		b.need[o] = true
	}
	for k := len(p.order) - 1; k >= 0; k-- {
		id := p.order[k]
		if !b.need[id] {
			continue
		}
		nd := g.Node(id)
		for _, a := range nd.Args {
			if nd.Op.IsBinary() && b.varying[id] && g.Op(a) == ir.OpBroadcast {
				b.need[g.Node(a).Args[0]] = true
			} else {
				b.need[a] = true
			}
		}
	}
	for _, id := range p.order {
		if !b.need[id] {
			continue
		}
		nd := g.Node(id)
		switch {
		case b.varying[id] && nd.Op == ir.OpInput:
			b.inputs = append(b.inputs, id)
		case !b.varying[id]:
			b.unis = append(b.unis, id)
			if nd.Op != ir.OpInput && nd.Op != ir.OpParam && nd.Op != ir.OpConst {
				b.pl.uniform = append(b.pl.uniform, id)
			}
		}
	}
	for _, id := range p.order {
		if b.need[id] && b.varying[id] && g.Op(id) != ir.OpInput {
			b.vcode = append(b.vcode, id)
			for _, a := range b.eff(id) {
				b.uses[a]++
			}
		}
	}
	for k, o := range p.outputs {
		if terms, ok := b.outerOf[k]; ok {
			for _, t := range terms {
				b.uses[t.u]++
				b.uses[t.v]++
			}
			continue
		}
		b.uses[o]++
	}
}
