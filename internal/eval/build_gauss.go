package eval

// matchGaussGrids finds Gaussian bumps on a tensor grid of centres,
// exp(−‖x − c_m‖²/s): one instruction computes the d per-axis factors
// exp(−(x_k − a)²/s) for each grid value a and their products (d·n
// exponentials per particle in place of n^d); the squared distance, its
// scaling and negation it absorbs leave the code.
func (b *builder) matchGaussGrids() {
	g := b.g
	for _, id := range b.vcode {
		if gg := matchGauss(g, id, b.varying, b.uses, b.p.outputs, b.skip); gg != nil {
			b.gauss[id] = gg
			e := g.Node(id)
			dv := g.Node(e.Args[0]).Args[0]
			sq := g.Node(dv).Args[0]
			b.skip[e.Args[0]], b.skip[dv], b.skip[sq] = true, true, true
		}
	}
}
