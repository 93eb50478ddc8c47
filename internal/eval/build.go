package eval

import "github.com/jko-org/jko/internal/ir"

// builder holds the state of one plan under construction. build runs the
// passes in order, each in its own file and each reading what the earlier
// ones left:
//
//  1. markVarying (build_varying.go): which nodes differ per particle;
//  2. findOuterOutputs (build_outer.go): outputs reduced as Uᵀ V;
//  3. schedule (build_schedule.go): the nodes the outputs need, split into
//     varying inputs, uniform values and varying code, with use counts;
//  4. fuseAxpy (build_axpy.go): y ± c·x^p as one instruction;
//  5. matchGaussGrids (build_gauss.go): bumps on a grid of centres;
//  6. dropFused (build_drop.go): the nodes absorbed by 4 and 5 leave the code;
//  7. pairActivations (build_activations.go): softplus and sigmoid of one
//     value as one instruction;
//  8. allocateSlots (build_slots.go): liveness, outputs written in place,
//     scratch slots and the reference of every value;
//  9. emit (build_emit.go): the instructions and the outputs' operands.
type builder struct {
	p      *Program
	g      *ir.Graph
	vary   map[string][]float64
	reduce bool
	pl     *plan

	varying []bool               // node differs per particle
	outerOf map[int][]outerTerm  // output k reduced as Σ ±u vᵀ
	need    []bool               // node needed by the outputs
	inputs  []ir.NodeID          // varying inputs, topological
	unis    []ir.NodeID          // uniform values read, topological
	vcode   []ir.NodeID          // varying nodes to compute, topological
	uses    map[ir.NodeID]int    // reads of each value by vcode and outputs
	fused   map[ir.NodeID]fusion // add/sub node → its fused form
	gauss   map[ir.NodeID]*gaussGrid
	skip    map[ir.NodeID]bool      // nodes absorbed into another instruction
	partner map[ir.NodeID]ir.NodeID // paired activations (see pairActivations)
	last    map[ir.NodeID]int       // index in vcode of a value's last read
	direct  map[ir.NodeID]int       // output nodes written in place → output index
	ref     map[ir.NodeID]int       // node → reference in the worker's table
}

func (p *Program) build(vary map[string][]float64, reduce bool) *plan {
	b := &builder{p: p, g: p.g, vary: vary, reduce: reduce, pl: &plan{},
		outerOf: map[int][]outerTerm{}, uses: map[ir.NodeID]int{}, fused: map[ir.NodeID]fusion{},
		gauss: map[ir.NodeID]*gaussGrid{}, skip: map[ir.NodeID]bool{}, last: map[ir.NodeID]int{},
		direct: map[ir.NodeID]int{}, ref: map[ir.NodeID]int{}}
	b.markVarying()
	b.findOuterOutputs()
	b.schedule()
	b.fuseAxpy()
	b.matchGaussGrids()
	b.dropFused()
	b.pairActivations()
	b.allocateSlots()
	b.emit()
	return b.pl
}

// eff returns the effective operands of a varying instruction: a binary
// op reads a broadcast scalar in place (through the Broadcast), a fused
// instruction its y, x and c, a Gaussian grid its x.
func (b *builder) eff(id ir.NodeID) []ir.NodeID {
	if f, ok := b.fused[id]; ok {
		return []ir.NodeID{f.y, f.x, f.c}
	}
	if gg, ok := b.gauss[id]; ok {
		return []ir.NodeID{gg.x}
	}
	g := b.g
	nd := g.Node(id)
	if !nd.Op.IsBinary() {
		return nd.Args
	}
	out := make([]ir.NodeID, len(nd.Args))
	for i, a := range nd.Args {
		if g.Op(a) == ir.OpBroadcast {
			a = g.Node(a).Args[0]
		}
		out[i] = a
	}
	return out
}
