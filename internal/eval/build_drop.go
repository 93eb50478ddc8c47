package eval

// dropFused removes from the varying code the nodes that fused
// instructions absorbed (fuseAxpy, matchGaussGrids).
func (b *builder) dropFused() {
	if len(b.skip) == 0 {
		return
	}
	kept := b.vcode[:0]
	for _, id := range b.vcode {
		if !b.skip[id] {
			kept = append(kept, id)
		}
	}
	b.vcode = kept
}
