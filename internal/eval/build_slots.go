package eval

import "github.com/jko-org/jko/internal/ir"

// allocateSlots finds the last read of each varying value, writes the
// outputs computed by the varying code in place (into the destination,
// or a per-worker buffer when reducing), gives every other varying value
// a scratch slot (reused once its value is dead, the smallest that fits),
// and numbers the references: slots, then varying inputs, uniform values
// and outputs.
func (b *builder) allocateSlots() {
	g, p, pl := b.g, b.p, b.pl
	for k, id := range b.vcode {
		for _, a := range b.eff(id) {
			b.last[a] = k
		}
	}
	for k, o := range p.outputs {
		if terms, ok := b.outerOf[k]; ok {
			for _, t := range terms {
				b.last[t.u], b.last[t.v] = len(b.vcode), len(b.vcode)
			}
			continue
		}
		b.last[o] = len(b.vcode)
	}
	pl.direct = make([]bool, len(p.outputs))
	for k, o := range p.outputs {
		if _, outer := b.outerOf[k]; outer {
			continue
		}
		if _, dup := b.direct[o]; !dup && b.varying[o] && g.Op(o) != ir.OpInput {
			b.direct[o] = k
			pl.direct[k] = true
		}
	}
	var free []int
	slotOf := map[ir.NodeID]int{}
	for k, id := range b.vcode {
		size := g.Shape(id).Size()
		if _, ok := b.direct[id]; ok {
			size = 0 // placeholder, no slot
		}
		best := -1
		for fi, s := range free {
			if pl.slots[s] >= size && (best < 0 || pl.slots[s] < pl.slots[free[best]]) {
				best = fi
			}
		}
		if size > 0 {
			var s int
			if best >= 0 {
				s = free[best]
				free = append(free[:best], free[best+1:]...)
			} else {
				s = len(pl.slots)
				pl.slots = append(pl.slots, size)
			}
			slotOf[id] = s
			b.ref[id] = s
		}
		// Operands whose last use is here die now (after the output is
		// allocated, so an instruction never reads and writes one slot).
		for _, a := range b.eff(id) {
			if s2, ok := slotOf[a]; ok && b.last[a] == k {
				free = append(free, s2)
				delete(slotOf, a)
			}
		}
	}
	base := len(pl.slots)
	for i, id := range b.inputs {
		nd := g.Node(id)
		pl.inputs = append(pl.inputs, varInput{nd.Name, nd.Shape.Size()})
		b.ref[id] = base + i
	}
	base += len(b.inputs)
	for i, id := range b.unis {
		pl.urefs = append(pl.urefs, id)
		b.ref[id] = base + i
	}
	pl.outBase = base + len(b.unis)
	for id, k := range b.direct {
		b.ref[id] = pl.outBase + k
	}
}
