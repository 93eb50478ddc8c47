package eval

import "github.com/jko-org/jko/internal/ir"

// markVarying marks the nodes that differ per particle: the inputs bound
// per particle and every node reading one.
func (b *builder) markVarying() {
	g := b.g
	b.varying = make([]bool, g.Len())
	for _, id := range b.p.order {
		nd := g.Node(id)
		if nd.Op == ir.OpInput {
			_, b.varying[id] = b.vary[nd.Name]
			continue
		}
		for _, a := range nd.Args {
			if b.varying[a] {
				b.varying[id] = true
				break
			}
		}
	}
}
